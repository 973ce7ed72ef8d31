"""examples/message_board: 2,816 real message-board tickets with no register and no district
column load through their manifest (district from the subject line by a regex); the figures
equal what this test recomputes from the raw file with plain pandas (no project code).

Skips cleanly when ../shared/data/real is absent (see its PROVENANCE.md).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import data

ROOT = Path(__file__).resolve().parents[1]
XLSX = ROOT.parent / "shared" / "data" / "real" / "a_city_message_board_2011_2020.xlsx"
MANIFEST = ROOT / "examples" / "message_board" / "dataset.yaml"

pytestmark = pytest.mark.skipif(not XLSX.exists(), reason="real data not present at ../shared/data/real")


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    from indicators import compute_indicators
    d = data.load_dataset(MANIFEST, cache_dir=tmp_path_factory.mktemp("cache"))
    return d, compute_indicators(d)


@pytest.fixture(scope="module")
def raw():
    r = pd.read_excel(XLSX, dtype=str, engine="calamine")
    r["district"] = r["留言主题"].str.extract(r"(A[1-7]区)")[0]
    r["received"] = pd.to_datetime(r["留言时间"], format="mixed")
    r["closed"] = pd.to_datetime(r["答复时间"], format="mixed")
    return r


def test_every_ticket_is_read_and_accounted_for(results, raw):
    d, _ = results
    src = d.report.sources[0]
    assert len(raw) == 2816 and d.report.fatal == []
    assert (src.rows_read, src.accepted, src.rejected, src.blank) == (2816, 2816, 0, 0)
    assert src.reconciles
    # both date formats of the file parse to the same instants as pandas' mixed-format parser
    t = d.tables["complaints"].set_index("ticket_id").sort_index()
    r = raw.set_index("留言编号").sort_index()
    assert (t["received_at"] == r["received"]).all() and (t["closed_at"] == r["closed"]).all()


def test_units_are_the_districts_named_in_subjects(results, raw):
    d, _ = results
    named = raw["district"].dropna()
    units = d.units
    assert sorted(units["unit_id"]) == sorted(named.unique())
    assert set(units["level"]) == {"district"}
    t = d.tables["complaints"]
    assert t["unit_id"].value_counts().sort_index().to_dict() == named.value_counts().sort_index().to_dict()
    assert t["unit_id"].isna().sum() == raw["district"].isna().sum() == 2577   # city total only
    assert any("清单没有网格台账" in w for w in d.report.sources[0].warnings)


def test_indicators_at_every_level_and_the_total(results, raw):
    _, table = results
    yearly = table[table["period"].str.len() == 4]
    rate = yearly[yearly["indicator_id"] == "resolution_rate"]
    assert set(rate["level"]) == {"total", "district"}
    by_year = raw["received"].dt.year.astype(str).value_counts().to_dict()
    total = rate[rate["level"] == "total"].set_index("period")["denominator"].to_dict()
    assert total == {y: float(n) for y, n in by_year.items()}
    per = raw.dropna(subset=["district"]).groupby(["district", raw["received"].dt.year.astype(str)]).size()
    got = rate[(rate["level"] == "district") & (rate["denominator"] > 0)].set_index(["unit_id", "period"])["denominator"]
    assert got.sort_index().to_dict() == {k: float(v) for k, v in per.sort_index().items()}
    median = yearly[(yearly["indicator_id"] == "median_handling_days") & (yearly["level"] == "total")]
    days = (raw["closed"] - raw["received"]).dt.total_seconds() / 86400
    exact = days.groupby(raw["received"].dt.year.astype(str)).median()
    for period, value in median.set_index("period")["value"].items():
        assert abs(value - exact[period]) <= 1 / 24 + 1e-9, period      # 1-hour histogram bins


def test_a_flat_series_draws_a_sparkline():
    """Every month of the message board resolves 100 %: the overview's sparkline of a constant
    series crashed the page (TypeError in layouts.components.sparkline_svg) before."""
    from layouts.components import sparkline_svg
    assert sparkline_svg([1.0, 1.0, float("nan"), 1.0]).startswith("data:image/svg+xml")
