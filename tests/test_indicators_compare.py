"""Year-on-year change, ranks and the failing-units list on small hand-made indicator tables."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from indicators.catalog import CATALOG
from indicators.compare import add_rank, add_yoy, failing_units
from indicators.table import COLUMNS


def tidy(rows: list[tuple]) -> pd.DataFrame:
    """rows: (level, unit_id, period, indicator_id, value, small_count)."""
    df = pd.DataFrame(rows, columns=["level", "unit_id", "period", "indicator_id", "value",
                                     "small_count"])
    df["unit_name"] = df["unit_id"] + "名"
    df["numerator"] = np.nan
    df["denominator"] = np.nan
    df["excluded"] = np.nan
    df["excluded_reason"] = ""
    df["provisional"] = False
    df["value"] = df["value"].astype("float64")
    df["small_count"] = df["small_count"].astype(bool)
    return df[COLUMNS]


YOY = tidy([
    ("district", "D1", "2024", "resolution_rate", 0.80, False),
    ("district", "D1", "2025", "resolution_rate", 0.85, False),
    ("district", "D1", "2024", "complaint_rate_per_1k", 4.0, False),
    ("district", "D1", "2025", "complaint_rate_per_1k", 3.0, False),
    ("district", "D2", "2024", "complaint_rate_per_1k", 2.0, False),
    ("district", "D2", "2025", "complaint_rate_per_1k", 2.5, False),
    ("district", "D1", "2024", "households_per_grid", 400.0, False),
    ("district", "D1", "2025", "households_per_grid", 450.0, False),
    ("district", "D1", "2024-03", "resolution_rate", 0.90, False),
    ("district", "D1", "2025-02", "resolution_rate", 0.70, False),
    ("district", "D1", "2025-03", "resolution_rate", 0.93, False),
    ("district", "D2", "2025", "resolution_rate", 0.95, False),     # no 2024 row
    ("district", "D2", "2024", "satisfaction_rate", 0.90, False),
    ("district", "D2", "2025", "satisfaction_rate", 0.90, False),   # no change
])


def get(table: pd.DataFrame, unit: str, period: str, indicator: str) -> pd.Series:
    sel = table[(table["unit_id"] == unit) & (table["period"] == period)
                & (table["indicator_id"] == indicator)]
    assert len(sel) == 1
    return sel.iloc[0]


def test_yoy_of_a_rate_is_in_percentage_points():
    r = get(add_yoy(YOY), "D1", "2025", "resolution_rate")
    assert r["prev_value"] == pytest.approx(0.80)
    assert r["change"] == pytest.approx(0.85 - 0.80)      # 0.05 = 5 percentage points
    assert r["change_unit"] == "pp"
    assert bool(r["change_good"]) is True


def test_yoy_of_other_kinds_is_relative():
    out = add_yoy(YOY)
    d1 = get(out, "D1", "2025", "complaint_rate_per_1k")
    assert d1["change"] == pytest.approx(3.0 / 4.0 - 1)   # −25%
    assert d1["change_unit"] == "pct"
    assert bool(d1["change_good"])                        # lower is better
    d2 = get(out, "D2", "2025", "complaint_rate_per_1k")
    assert d2["change"] == pytest.approx(2.5 / 2.0 - 1)
    assert not bool(d2["change_good"])


def test_yoy_band_no_change_and_missing_previous():
    out = add_yoy(YOY)
    assert get(out, "D1", "2025", "households_per_grid")["change"] == pytest.approx(450 / 400 - 1)
    assert get(out, "D1", "2025", "households_per_grid")["change_good"] is pd.NA
    assert get(out, "D2", "2025", "satisfaction_rate")["change_good"] is pd.NA   # 0 change
    missing = get(out, "D2", "2025", "resolution_rate")
    assert np.isnan(missing["prev_value"]) and np.isnan(missing["change"])
    assert missing["change_good"] is pd.NA


def test_yoy_month_compares_with_same_month_last_year():
    r = get(add_yoy(YOY), "D1", "2025-03", "resolution_rate")
    assert r["prev_value"] == pytest.approx(0.90)          # 2024-03, not 2025-02
    assert r["change"] == pytest.approx(0.93 - 0.90)
    assert np.isnan(get(add_yoy(YOY), "D1", "2025-02", "resolution_rate")["prev_value"])


def test_yoy_keeps_rows_and_does_not_modify_input():
    before = YOY.copy()
    out = add_yoy(YOY)
    assert len(out) == len(YOY)
    pd.testing.assert_frame_equal(YOY, before)
    assert out["change_good"].dtype == "boolean"


RANK = tidy([
    ("street", "S1", "2025", "resolution_rate", 0.90, False),
    ("street", "S2", "2025", "resolution_rate", 0.95, True),     # best value but small count
    ("street", "S3", "2025", "resolution_rate", 0.80, False),
    ("street", "S4", "2025", "resolution_rate", np.nan, False),
    ("street", "S5", "2025", "resolution_rate", 0.90, False),    # tie with S1
    ("street", "S1", "2025", "complaint_rate_per_1k", 3.0, False),
    ("street", "S3", "2025", "complaint_rate_per_1k", 1.0, False),
    ("street", "S1", "2025", "households_per_grid", 450.0, False),   # inside 300–500
    ("street", "S2", "2025", "households_per_grid", 310.0, False),   # inside
    ("street", "S3", "2025", "households_per_grid", 560.0, False),   # 60 above
    ("street", "S4", "2025", "households_per_grid", 280.0, False),   # 20 below
    ("total", "total", "2025", "resolution_rate", 0.88, False),
])


def test_rank_skips_small_count_and_nan():
    out = add_rank(RANK)
    ranks = {u: get(out, u, "2025", "resolution_rate")["rank"] for u in ("S1", "S2", "S3", "S4", "S5")}
    assert ranks["S1"] == 1 and ranks["S5"] == 1          # tie shares the best rank
    assert ranks["S3"] == 3
    assert ranks["S2"] is pd.NA and ranks["S4"] is pd.NA
    assert get(out, "S1", "2025", "resolution_rate")["rank_of"] == 3
    assert get(out, "total", "2025", "resolution_rate")["rank"] is pd.NA


def test_rank_direction_lower_and_band():
    out = add_rank(RANK)
    assert get(out, "S3", "2025", "complaint_rate_per_1k")["rank"] == 1   # fewer is better
    assert get(out, "S1", "2025", "complaint_rate_per_1k")["rank"] == 2
    band = {u: get(out, u, "2025", "households_per_grid")["rank"] for u in ("S1", "S2", "S3", "S4")}
    assert band == {"S1": 1, "S2": 1, "S3": 4, "S4": 3}   # distance outside 300–500: 0 0 60 20


def test_failing_units_lists_gap_to_standard():
    table = tidy([
        ("district", "D1", "2025", "resolution_rate", 0.85, False),
        ("district", "D2", "2025", "resolution_rate", 0.95, False),
        ("district", "D1", "2025", "households_per_grid", 560.0, False),
        ("district", "D2", "2025", "households_per_grid", 450.0, False),
        ("district", "D1", "2025", "complaint_rate_per_1k", 9.0, False),   # no standard
        ("district", "D1", "2024", "resolution_rate", 0.50, False),        # other period
        ("street", "S1", "2025", "resolution_rate", 0.50, False),          # other level
    ])
    out = failing_units(table, "2025", "district")
    assert out[["unit_id", "indicator_id"]].values.tolist() == [
        ["D1", "resolution_rate"], ["D1", "households_per_grid"]]
    assert out["gap"].tolist() == pytest.approx([0.85 - 0.918, 500 - 560])
    assert out["standard"].tolist() == [CATALOG["resolution_rate"].standard.label_zh,
                                        CATALOG["households_per_grid"].standard.label_zh]
    assert out["indicator"].iloc[0] == "办结率"
    assert "奉新" in out["standard_source"].iloc[0]


def test_change_across_a_definition_change_is_not_comparable():
    from indicators.catalog import catalog_for

    cat = catalog_for({"settings": {"definition_changes": {"resolution_rate": [2025]}}})
    out = add_yoy(YOY, cat)
    r = get(out, "D1", "2025", "resolution_rate")
    assert not bool(r["comparable"])
    assert r["prev_value"] == pytest.approx(0.80)          # shown for reference
    assert np.isnan(r["change"]) and r["change_good"] is pd.NA
    assert not bool(get(out, "D1", "2025-03", "resolution_rate")["comparable"])   # month too
    other = get(out, "D1", "2025", "complaint_rate_per_1k")
    assert bool(other["comparable"]) and other["change"] == pytest.approx(3.0 / 4.0 - 1)
    assert add_yoy(YOY)["comparable"].all()
    with pytest.raises(ValueError, match="whole numbers"):
        catalog_for({"settings": {"definition_changes": {"resolution_rate": ["next year"]}}})
