"""Medians without a cap (issue 13 item 3): handling times beyond 365 days keep their value.

Three tickets of grid G1 received 2023-01-02 08:00 and closed after exactly 799, 800 and 801
days: the median is 800 days at every level (grid, street, district, total). The histogram
has 1-hour bins and no upper bound, so the estimate is within the documented hour of it:
the middle ticket sits alone in bin 19,200 and is placed at its centre, 19,200.5 h."""
from __future__ import annotations

import pandas as pd
import pytest

from indicators.catalog import CATALOG, format_value
from indicators.table import compute_indicators
from tests.test_indicators import make_dataset

T = pd.Timestamp


def _tickets() -> pd.DataFrame:
    received = T("2023-01-02 08:00")
    return pd.DataFrame({
        "ticket_id": pd.array(["x1", "x2", "x3"], dtype="string"),
        "unit_level": pd.array(["grid"] * 3, dtype="string"),
        "unit_id": pd.array(["G1"] * 3, dtype="string"),
        "received_at": [received] * 3,
        "closed_at": [received + pd.Timedelta(days=d) for d in (799, 800, 801)],
        "status": pd.array(["closed"] * 3, dtype="string"),
    })


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_800_day_handling_time_gives_its_median_at_every_level(engine):
    table = compute_indicators(make_dataset({"complaints": _tickets()}), engine=engine)
    med = table[(table["indicator_id"] == "median_handling_days") & (table["period"] == "2023")]
    by_unit = med.set_index("unit_id")["value"]
    for unit in ("G1", "S1", "D1", "total"):
        assert by_unit[unit] == pytest.approx(19200.5 / 24)          # the bin centre
        assert abs(by_unit[unit] - 800) <= 1 / 24                     # within the hour
        assert format_value(CATALOG["median_handling_days"], by_unit[unit]) == "800.0 天"
    assert med.set_index("unit_id").loc[["G1", "S1", "D1", "total"], "denominator"].eq(3).all()


def test_bin_medians_equal_histogram_median_exactly():
    """rollup.bin_medians (integer codes) gives measures.histogram_median's values bit for bit,
    on a random summed histogram with long tails, many groups and single-ticket groups."""
    import numpy as np

    from indicators.measures import histogram_median
    from indicators.rollup import bin_medians
    rng = np.random.default_rng(11)
    n = 20_000
    raw = pd.DataFrame({"uid": rng.integers(0, 300, n),
                        "pcode": rng.choice([2023, 2024, 202401, 202402, 202412], n),
                        "bin": np.floor(rng.lognormal(3.5, 1.6, n)).astype("int64")})
    hist = raw.groupby(["uid", "pcode", "bin"]).size().rename("count").reset_index()
    assert hist["bin"].max() > 365 * 24                      # beyond the old cap
    got = bin_medians(hist["uid"].to_numpy(), hist["pcode"].to_numpy(), hist["bin"].to_numpy(),
                      hist["count"].to_numpy()).sort_values(["uid", "pcode"]).reset_index(drop=True)
    want = histogram_median(hist, ["uid", "pcode"]).sort_values(["uid", "pcode"]) \
        .reset_index(drop=True)
    assert len(got) == len(want) == len(raw.groupby(["uid", "pcode"]))
    np.testing.assert_array_equal(got["median_hours"].to_numpy(), want["median_hours"].to_numpy())
    np.testing.assert_array_equal(got["n"].to_numpy(), want["n"].to_numpy())
    np.testing.assert_array_equal(got["uid"].to_numpy(), want["uid"].to_numpy())
