"""Indicator table on a tiny hand-made dataset: every expected value is computed by hand below.

Hierarchy (levels district → street → grid)::

    甲区 D1 ── 一街 S1 ── 网格 G1, G2
           └─ 二街 S2 ── 网格 G3          (+ one ticket attached to S2 itself)
    乙区 D2 ── 三街 S3 ── 网格 G4

Complaints 2025 (cut-off 2025-12-31), handling hours in brackets:

    id  unit  received     closed            due     satisfaction  repeat
    a1  G1    03-01 08:00  03-01 20:00 (12)  03-03   满意           no
    a2  G1    03-02 08:00  03-06 08:00 (96)  03-04   不满意         yes   late
    a3  G1    03-03 08:00  —  open           03-08   —              no
    a4  G1    03-04 08:00  03-05 14:00 (30)  —       基本满意       no    no due date
    b1  G2    03-05 08:00  03-05 10:00 (2)   03-10   满意           no
    c1  G3    03-06 08:00  03-09 08:00 (72)  03-08   —              no    late
    c2  G3    03-07 08:00  03-07 18:00 (10)  03-12   满意           no
    s1  S2    03-08 08:00  03-10 08:00 (48)  03-15   不满意         yes   street-level record
    d1  G4    04-01 08:00  04-01 09:00 (1)   04-03   满意           no
    d2  G4    04-02 08:00  —  open           —       —              no
    d3  G4    04-03 08:00  2026-01-05 (after the cut-off: open)     no
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data.model import Dataset, LoadReport, SourceReport
from indicators.catalog import CATALOG
from indicators.measures import (complaint_measures, handling_histogram,
                                 histogram_median)
from indicators.table import COLUMNS, compute_indicators, compute_with_registers

T = pd.Timestamp
NA = pd.NA


def make_units() -> pd.DataFrame:
    return pd.DataFrame({
        "level": ["district", "district", "street", "street", "street",
                  "grid", "grid", "grid", "grid"],
        "unit_id": ["D1", "D2", "S1", "S2", "S3", "G1", "G2", "G3", "G4"],
        "unit_name": ["甲区", "乙区", "一街", "二街", "三街", "网格一", "网格二", "网格三", "网格四"],
        "parent_id": [NA, NA, "D1", "D1", "D2", "S1", "S1", "S2", "S3"],
        "depth": [0, 0, 1, 1, 1, 2, 2, 2, 2],
    }).astype({"level": "string", "unit_id": "string", "unit_name": "string",
               "parent_id": "string", "depth": "int64"})


def make_complaints() -> pd.DataFrame:
    rows = [  # id, level, unit, received, closed, due, satisfaction, repeat
        ("a1", "grid", "G1", "2025-03-01 08:00", "2025-03-01 20:00", "2025-03-03", "satisfied", False),
        ("a2", "grid", "G1", "2025-03-02 08:00", "2025-03-06 08:00", "2025-03-04", "dissatisfied", True),
        ("a3", "grid", "G1", "2025-03-03 08:00", None, "2025-03-08", None, False),
        ("a4", "grid", "G1", "2025-03-04 08:00", "2025-03-05 14:00", None, "basically_satisfied", False),
        ("b1", "grid", "G2", "2025-03-05 08:00", "2025-03-05 10:00", "2025-03-10", "satisfied", False),
        ("c1", "grid", "G3", "2025-03-06 08:00", "2025-03-09 08:00", "2025-03-08", None, False),
        ("c2", "grid", "G3", "2025-03-07 08:00", "2025-03-07 18:00", "2025-03-12", "satisfied", False),
        ("s1", "street", "S2", "2025-03-08 08:00", "2025-03-10 08:00", "2025-03-15", "dissatisfied", True),
        ("d1", "grid", "G4", "2025-04-01 08:00", "2025-04-01 09:00", "2025-04-03", "satisfied", False),
        ("d2", "grid", "G4", "2025-04-02 08:00", None, None, None, False),
        ("d3", "grid", "G4", "2025-04-03 08:00", "2026-01-05 08:00", None, None, False),
    ]
    df = pd.DataFrame(rows, columns=["ticket_id", "unit_level", "unit_id", "received_at",
                                     "closed_at", "due_at", "satisfaction", "is_repeat"])
    for col in ("received_at", "closed_at", "due_at"):
        df[col] = pd.to_datetime(df[col])
    df["status"] = np.where(df["closed_at"].notna(), "closed", "open")
    return df.astype({"ticket_id": "string", "unit_level": "string", "unit_id": "string",
                      "satisfaction": "string", "is_repeat": "boolean", "status": "string"})


def make_grids() -> pd.DataFrame:
    """Grid register for 2024 only (2025 falls back to it)."""
    return pd.DataFrame({
        "unit_id": pd.array(["G1", "G2", "G3", "G4"], dtype="string"),
        "year": pd.array([2024] * 4, dtype="Int64"),
        "households": [400.0, 350.0, 600.0, np.nan],
        "population": [1000.0, 900.0, 1500.0, 600.0],
        "full_time_workers": [1.0, 0.0, 2.0, 1.0],
        "part_time_workers": [2.0, 3.0, 0.0, 1.0],
        "has_party_branch": pd.array([True, False, True, NA], dtype="boolean"),
        "community_workers": [2.0, 1.0, 3.0, 0.0],
        "lon": [120.0] * 4,
        "lat": [30.000, 30.020, 30.040, 30.080],     # 0.001° of latitude ≈ 111.2 m
    })


def make_stations() -> pd.DataFrame:
    """Undated station register: st1 S1 社区 320 m² (meets 300), st2 G3 社区 250 (fails),
    st3 G4 村 95 (meets 90), st4 G2 小区站 (no standard), st5 G1 社区 area unknown.

    Distances to grid centroids (all on longitude 120°, 1° latitude = 111,194.9 m): st1 → G1
    0.005° = 556 m; st2 → G3 0.007° = 778 m; st3 → G4 0.015° = 1,668 m; st5 → G2 0.009° =
    1,000.75 m (just outside 1 km); every other pair is farther; st4 has no coordinates."""
    return pd.DataFrame({
        "station_id": pd.array(["st1", "st2", "st3", "st4", "st5"], dtype="string"),
        "station_type": pd.array(["社区党群服务中心", "社区党群服务中心", "村党群服务中心",
                                  "小区党群服务站", "社区党群服务中心"], dtype="string"),
        "unit_level": pd.array(["street", "grid", "grid", "grid", "grid"], dtype="string"),
        "unit_id": pd.array(["S1", "G3", "G4", "G2", "G1"], dtype="string"),
        "area_m2": [320.0, 250.0, 95.0, 40.0, np.nan],
        "year": pd.array([NA] * 5, dtype="Int64"),
        "lon": [120.0, 120.0, 120.0, np.nan, 120.0],
        "lat": [30.005, 30.047, 30.095, np.nan, 30.029],
    })


def make_volunteer() -> pd.DataFrame:
    return pd.DataFrame({
        "date": pd.to_datetime(["2025-03-10", "2025-03-20", "2025-05-01"]),
        "unit_level": pd.array(["grid", "street", "grid"], dtype="string"),
        "unit_id": pd.array(["G1", "S3", "G2"], dtype="string"),
        "hours": [10.0, 6.0, 4.0],
        "participations": [5.0, 3.0, 2.0],
    })


def make_dataset(tables: dict | None = None, config: dict | None = None) -> Dataset:
    report = LoadReport(sources=[SourceReport(table="complaints", file="c.csv", sheet=None,
                                              sha256="ab" * 32)])
    if tables is None:
        tables = {"complaints": make_complaints(), "grids": make_grids(),
                  "stations": make_stations(), "volunteer_hours": make_volunteer()}
    return Dataset(name="测试市", manifest_path=Path(__file__).parent / "no-such-manifest.yaml",
                   levels=["district", "street", "grid"], level_names={}, level_names_en={},
                   units=make_units(), tables=tables, report=report,
                   cutoff=T("2025-12-31 23:59:59"), config=config or {})


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return compute_indicators(make_dataset())


def row(table: pd.DataFrame, indicator: str, unit: str = "total", period: str = "2025",
        level: str | None = None) -> pd.Series:
    sel = table[(table["indicator_id"] == indicator) & (table["unit_id"] == unit)
                & (table["period"] == period)]
    if level is not None:
        sel = sel[sel["level"] == level]
    assert len(sel) == 1, f"{indicator} {unit} {period}: {len(sel)} rows"
    return sel.iloc[0]


# --- shape ------------------------------------------------------------------------------------

def test_columns_and_dtypes(table):
    assert list(table.columns) == COLUMNS
    assert table["small_count"].dtype == bool
    for col in ("numerator", "denominator", "value", "excluded"):
        assert table[col].dtype == "float64"
    assert not table.duplicated(["level", "unit_id", "period", "indicator_id"]).any()
    assert set(table["level"]) == {"total", "district", "street", "grid"}
    assert row(table, "resolution_rate")["unit_name"] == "测试市"


def test_every_catalog_indicator_is_computed(table):
    assert list(dict.fromkeys(table["indicator_id"])) == list(CATALOG)


# --- complaints -------------------------------------------------------------------------------

def test_resolution_rate_counts_tickets_closed_after_cutoff_as_open(table):
    r = row(table, "resolution_rate")
    # closed by the cut-off: a1 a2 a4 b1 c1 c2 s1 d1; open: a3 d2 d3 (closed in 2026)
    assert (r["numerator"], r["denominator"]) == (8, 11)
    assert r["value"] == pytest.approx(8 / 11)


def test_small_count_flag_uses_min_count(table):
    assert CATALOG["resolution_rate"].min_count == 10
    assert not bool(row(table, "resolution_rate")["small_count"])          # 11 tickets
    assert bool(row(table, "resolution_rate", "D2", level="district")["small_count"])  # 3


def test_rollup_is_ratio_of_sums_not_mean_of_rates(table):
    d1 = row(table, "resolution_rate", "D1", level="district")
    d2 = row(table, "resolution_rate", "D2", level="district")
    assert d1["value"] == pytest.approx(7 / 8)        # a1-a4 b1 c1 c2 s1, a3 open
    assert d2["value"] == pytest.approx(1 / 3)        # d1 closed, d2 d3 open
    total = row(table, "resolution_rate")["value"]
    assert total == pytest.approx((7 + 1) / (8 + 3))
    mean_of_rates = (7 / 8 + 1 / 3) / 2               # 0.604, the wrong answer
    assert abs(total - mean_of_rates) > 0.1


def test_street_level_record_counts_at_street_and_above_only(table):
    # s1 sits on street S2 without a grid: S2 has c1 c2 s1, its only grid G3 has c1 c2
    assert row(table, "resolution_rate", "S2", level="street")["denominator"] == 3
    assert row(table, "resolution_rate", "G3", level="grid")["denominator"] == 2
    grid_sum = table[(table["indicator_id"] == "resolution_rate") & (table["level"] == "grid")
                     & (table["period"] == "2025")]["denominator"].sum()
    assert grid_sum == 4 + 1 + 2 + 3 == 11 - 1
    assert row(table, "repeat_complaint_rate", "S2", level="street")["numerator"] == 1


def test_on_time_rate_excludes_closed_tickets_without_due_date_and_open_ones(table):
    r = row(table, "on_time_rate")
    # closed with a due date: a1 ✓ a2 ✗ b1 ✓ c1 ✗ c2 ✓ s1 ✓ d1 ✓; left out: a4 closed without
    # one, and a3 d2 d3 open at the cut-off
    assert (r["numerator"], r["denominator"], r["excluded"]) == (5, 7, 1 + 3)
    assert r["value"] == pytest.approx(5 / 7)
    assert r["excluded_reason"] == "已办结但无办理时限 1 件；截至数据截止日未办结 3 件"
    g1 = row(table, "on_time_rate", "G1", level="grid")
    assert (g1["numerator"], g1["denominator"], g1["excluded"]) == (1, 2, 1 + 1)   # a4; a3
    g2 = row(table, "on_time_rate", "G2", level="grid")
    assert (g2["excluded"], g2["excluded_reason"]) == (0, "")                     # b1 only


def test_every_rate_says_what_it_left_out_and_why(table):
    # satisfaction: a3 c1 d2 d3 unrated; households: G4 reports none; centres: st5 has no area
    assert row(table, "satisfaction_rate")["excluded_reason"] == "未评价 4 件"
    assert row(table, "households_per_grid")["excluded_reason"] == "未填报户数的网格 1 个"
    assert row(table, "station_area_compliance")["excluded_reason"] == \
        "面积未填报的党群服务中心 1 个"
    # the resolution rate leaves nothing out (open tickets count as not resolved)
    r = row(table, "resolution_rate")
    assert np.isnan(r["excluded"]) and r["excluded_reason"] == ""
    for ind in CATALOG.values():
        for e in ind.excluded:
            assert e.reason_zh and e.reason_en and e.unit_zh


def test_satisfaction_rate_excludes_unrated(table):
    r = row(table, "satisfaction_rate")
    # rated: a1 a2 a4 b1 c2 s1 d1; satisfied or basically: a1 a4 b1 c2 d1
    assert r["value"] == pytest.approx(5 / 7)
    assert r["excluded"] == 11 - 7


def test_repeat_complaint_rate(table):
    assert row(table, "repeat_complaint_rate")["value"] == pytest.approx(2 / 11)


def test_median_handling_days_from_histogram(table):
    r = row(table, "median_handling_days")
    # closed hours sorted: 1 2 10 12 | 30 48 72 96 → exact median (12 + 30) / 2 = 21 h
    # histogram estimate: single tickets sit at bin centres 12.5 and 30.5 → 21.5 h
    assert r["value"] == pytest.approx(21.5 / 24)
    assert abs(r["value"] - 21 / 24) <= 1 / 24       # documented bound: one 1-hour bin
    assert r["numerator"] == r["value"]
    assert r["denominator"] == 8
    assert r["excluded"] == 3                        # a3 d2 d3 still open at the cut-off
    assert r["excluded_reason"] == "截至数据截止日未办结 3 件"


def test_month_periods(table):
    march = row(table, "resolution_rate", period="2025-03")
    assert march["value"] == pytest.approx(7 / 8)   # a1-a4 b1 c1 c2 s1; a3 open
    april = row(table, "resolution_rate", period="2025-04")
    assert april["value"] == pytest.approx(1 / 3)
    assert row(table, "complaint_rate_per_1k", period="2025-03")["value"] == \
        pytest.approx(8 / 4000 * 1000)               # month uses its year's population
    assert not ((table["indicator_id"] == "households_per_grid")
                & (table["period"].str.len() == 7)).any()   # registers: years only


# --- per capita and registers -----------------------------------------------------------------

def test_complaint_rate_per_1k_uses_population(table):
    assert row(table, "complaint_rate_per_1k")["value"] == pytest.approx(11 / 4000 * 1000)
    d1 = row(table, "complaint_rate_per_1k", "D1", level="district")
    assert d1["value"] == pytest.approx(8 / (1000 + 900 + 1500) * 1000)


def test_register_year_fallback_is_flagged():
    table, registers = compute_with_registers(make_dataset())
    grids = registers[registers["table"] == "grids"].set_index("period")
    assert grids.loc["2025", "register_year"] == 2024 and bool(grids.loc["2025", "fallback"])
    assert grids.loc["2024", "register_year"] == 2024 and not bool(grids.loc["2024", "fallback"])
    stations = registers[registers["table"] == "stations"].set_index("period")
    assert stations.loc["2025", "register_year"] is pd.NA      # undated register
    # 2025 register indicators are those of the 2024 register
    assert row(table, "households_per_grid", period="2025")["value"] == \
        row(table, "households_per_grid", period="2024")["value"]


def test_households_per_grid_over_reporting_grids(table):
    r = row(table, "households_per_grid")
    assert r["value"] == pytest.approx((400 + 350 + 600) / 3)   # G4 reports no households
    assert r["excluded"] == 1
    assert row(table, "households_per_grid", "S1", level="street")["value"] == \
        pytest.approx((400 + 350) / 2)


def test_grid_staffing_and_branch_coverage(table):
    assert row(table, "grid_full_time_staffed_rate")["value"] == pytest.approx(3 / 4)
    assert row(table, "grid_full_time_staffed_rate", "D1", level="district")["value"] == \
        pytest.approx(2 / 3)                                       # G2 has none
    assert row(table, "grid_workers_per_grid")["value"] == pytest.approx((3 + 3 + 2 + 2) / 4)
    assert row(table, "party_branch_coverage")["value"] == pytest.approx(2 / 4)  # G4 unknown = no
    assert row(table, "community_workers_per_10k")["value"] == \
        pytest.approx((2 + 1 + 3 + 0) / 4000 * 10000)


def test_station_area_compliance_by_type(table):
    r = row(table, "station_area_compliance")
    assert (r["numerator"], r["denominator"], r["excluded"]) == (2, 3, 1)   # st1 st3 / st1-3
    d1 = row(table, "station_area_compliance", "D1", level="district")
    assert d1["value"] == pytest.approx(1 / 2)                            # st1 ✓ st2 ✗
    assert row(table, "stations_per_10k")["value"] == pytest.approx(5 / 4000 * 10000)


def test_station_area_minimum_is_configurable():
    config = {"standards": {"station_area_min_m2": {"社区党群服务中心": 300, "村党群服务中心": 100}}}
    table = compute_indicators(make_dataset(config=config), periods=("year",))
    assert row(table, "station_area_compliance")["value"] == pytest.approx(1 / 3)  # st3 95 < 100


def test_volunteer_indicators(table):
    total = row(table, "volunteer_participations")
    assert (total["value"], total["numerator"], total["denominator"]) == (5 + 3 + 2, 10, 3)
    g1 = row(table, "volunteer_participations", "G1", level="grid")   # one activity, 5 人次
    assert (g1["value"], g1["denominator"]) == (5, 1)
    assert row(table, "volunteer_hours_per_capita")["value"] == pytest.approx(20 / 4000)
    d2 = row(table, "volunteer_hours_per_capita", "D2", level="district")
    assert d2["value"] == pytest.approx(6 / 600)                    # street-level record on S3


def test_zero_denominator_gives_nan_not_inf(table):
    # G2 has no station with an area standard → 0 / 0
    g2 = row(table, "station_area_compliance", "G2", level="grid")
    assert g2["denominator"] == 0 and np.isnan(g2["value"])
    assert np.isfinite(table["value"].dropna()).all()


# --- year on year -----------------------------------------------------------------------------

def _yoy_dataset(last_month: str) -> Dataset:
    received = ["2024-01-05", "2024-06-01", "2024-12-20", "2024-12-21",
                "2025-01-05", "2025-03-01", "2025-03-02", "2025-03-03", "2025-03-04",
                last_month]
    c = pd.DataFrame({"ticket_id": pd.array([f"y{i}" for i in range(10)], dtype="string"),
                      "received_at": pd.to_datetime(received),
                      "unit_level": pd.array(["grid"] * 10, dtype="string"),
                      "unit_id": pd.array(["G1"] * 6 + ["G4"] * 4, dtype="string")})
    return make_dataset({"complaints": c})


def test_complaints_yoy_needs_two_complete_years():
    table = compute_indicators(_yoy_dataset("2025-12-30"), periods=("year",))
    r = row(table, "complaints_yoy")
    assert (r["numerator"], r["denominator"]) == (6, 4)
    assert r["value"] == pytest.approx(6 / 4 - 1)
    assert np.isnan(row(table, "complaints_yoy", period="2024")["value"])   # no 2023
    partial = compute_indicators(_yoy_dataset("2025-11-30"), periods=("year",))
    assert np.isnan(row(partial, "complaints_yoy")["value"])                # December missing


def test_missing_inputs_skip_indicators_cleanly():
    c = make_complaints().drop(columns=["due_at", "satisfaction"])
    g = make_grids().drop(columns=["part_time_workers", "community_workers"])
    table = compute_indicators(make_dataset({"complaints": c, "grids": g}))
    ids = set(table["indicator_id"])
    assert {"resolution_rate", "median_handling_days", "households_per_grid"} <= ids
    assert not ids & {"on_time_rate", "satisfaction_rate", "grid_workers_per_grid",
                      "community_workers_per_10k", "station_area_compliance",
                      "volunteer_participations"}


def test_empty_dataset_gives_empty_table():
    table = compute_indicators(make_dataset({}))
    assert table.empty and list(table.columns) == COLUMNS


# --- measures and histogram -------------------------------------------------------------------

def test_complaint_measures_per_unit_month():
    m = complaint_measures(make_complaints(), T("2025-12-31 23:59:59"))
    g1 = m[(m["unit_id"] == "G1") & (m["month"] == "2025-03")].iloc[0]
    assert g1["received"] == 4 and g1["closed"] == 3 and g1["open_at_cutoff"] == 1
    assert g1["closed_with_due"] == 2 and g1["closed_on_time"] == 1
    assert g1["closed_without_due"] == 1
    assert g1["rated"] == 3 and g1["satisfied"] == 2 and g1["repeat"] == 1
    assert m["received"].sum() == 11


def test_histogram_bins_have_no_cap():
    c = make_complaints()
    c.loc[c["ticket_id"] == "a1", "closed_at"] = T("2026-06-01 08:00")   # > 365 days
    h = handling_histogram(c, cutoff=None)
    # G1: a4 30 h, a2 96 h, a1 2025-03-01 08:00 → 2026-06-01 08:00 = 365 + 31 + 30 + 31 = 457
    # days in its own bin (no overflow bin any more); a3 open
    assert h.loc[h["unit_id"] == "G1", "bin"].tolist() == [30, 96, 457 * 24]
    # without a cut-off d3 counts: 2025-04-03 08:00 → 2026-01-05 08:00 = 277 days
    assert h.loc[h["unit_id"] == "G4", "bin"].tolist() == [1, 277 * 24]
    assert h["count"].sum() == 9   # a1 a2 a4 b1 c1 c2 s1 d1 d3 (no cut-off)


@pytest.mark.parametrize("n", [1, 2, 3, 8, 9, 50, 51, 400])
def test_histogram_median_within_one_bin_of_exact(n):
    rng = np.random.default_rng(n)
    hours = rng.exponential(40.0, n) * rng.choice([1, 5], n)     # skewed, with gaps
    hist = (pd.DataFrame({"g": "x", "bin": np.floor(hours).astype("int64")})
            .groupby(["g", "bin"]).size().rename("count").reset_index())
    est = histogram_median(hist, ["g"])
    assert est["n"].iloc[0] == n
    assert abs(est["median_hours"].iloc[0] - np.median(hours)) <= 1.0


def test_histogram_median_even_count_with_far_apart_bins():
    hist = pd.DataFrame({"g": ["x", "x"], "bin": [0, 100], "count": [1, 1]})
    # exact median of 0.5 h and 100.5 h is 50.5 h; the lower-half-only formula would give 1 h
    assert histogram_median(hist, ["g"])["median_hours"].iloc[0] == pytest.approx(50.5)


def test_histogram_median_beyond_365_days_is_not_capped():
    # 5 tickets: one at 5 h, four in bin 19,200 (800 days); the median is the 3rd, the 2nd of
    # the four spread evenly in [19200, 19201): 19200 + (2 − ½)/4 = 19200.375 h
    hist = pd.DataFrame({"g": ["x"] * 2, "bin": [5, 800 * 24], "count": [1, 4]})
    assert histogram_median(hist, ["g"])["median_hours"].iloc[0] == pytest.approx(19200.375)


# --- registers: community workers, opening dates, fallbacks; cut-off ---------------------------

def test_community_workers_taken_once_per_community():
    # levels district/street/grid: the level above the grid (street) plays the community; the
    # manifest joined each street's workers onto every grid row of the street
    g = make_grids().drop(columns="community_workers")
    g["street_id"] = pd.array(["S1", "S1", "S2", "S3"], dtype="string")
    g["community_workers"] = [5.0, 5.0, 4.0, 2.0]
    table = compute_indicators(make_dataset({"grids": g}), periods=("year",))
    assert row(table, "community_workers_per_10k", period="2024")["value"] == \
        pytest.approx((5 + 4 + 2) / 4000 * 10000)          # not 5 + 5 + 4 + 2
    assert row(table, "community_workers_per_10k", "S1", "2024", "street")["value"] == \
        pytest.approx(5 / (1000 + 900) * 10000)
    assert not ((table["indicator_id"] == "community_workers_per_10k")
                & (table["level"] == "grid")).any()        # no grid-level figure


def test_stations_count_from_their_opening_year():
    s = make_stations()
    s["opened"] = pd.to_datetime(["2020-01-01", "2025-06-01", None, "2019-05-05", "2024-12-31"])
    tables = {"grids": make_grids(), "stations": s, "complaints": make_complaints()}
    table = compute_indicators(make_dataset(tables), periods=("year",))   # 2024 and 2025
    assert row(table, "stations_per_10k", period="2024")["numerator"] == 4   # st2 opens 2025
    assert row(table, "stations_per_10k", period="2025")["numerator"] == 5
    # st2 (250 m², fails) only from 2025: 2024 compliance st1 ✓ st3 ✓ = 2/2
    assert row(table, "station_area_compliance", period="2024")["value"] == pytest.approx(2 / 2)
    assert row(table, "station_area_compliance", period="2025")["value"] == pytest.approx(2 / 3)


def test_register_selection_rules():
    from indicators.measures import select_registers as _select_registers
    assert _select_registers({2018, 2020}, False, [2015, 2018, 2019, 2021]) == \
        {2015: 2018, 2018: 2018, 2019: 2018, 2021: 2020}   # earlier first, later only if none
    assert _select_registers({2018, -1}, True, [2015, 2019]) == {2015: -1, 2019: 2018}
    assert _select_registers(set(), False, [2015]) == {}


def test_cutoff_given_as_a_date_means_end_of_that_day():
    ds = make_dataset()
    ds.cutoff = T("2025-04-01")            # d1 closed 2025-04-01 09:00 counts as closed
    table = compute_indicators(ds, periods=("year",))
    assert row(table, "resolution_rate")["numerator"] == 8
    ds.cutoff = T("2025-04-01 08:30")      # with a time of day it is taken literally
    assert row(compute_indicators(ds, periods=("year",)), "resolution_rate")["numerator"] == 7


def test_record_of_unknown_unit_counts_in_total_only():
    c = make_complaints()
    c.loc[c["ticket_id"] == "d2", "unit_id"] = "G9"                     # not in the hierarchy
    table = compute_indicators(make_dataset({"complaints": c}), periods=("year",))
    assert row(table, "resolution_rate")["denominator"] == 11
    assert row(table, "resolution_rate", "D2", level="district")["denominator"] == 2


def test_without_a_hierarchy_only_the_total_is_computed():
    ds = make_dataset({"complaints": make_complaints()})
    ds.units = make_units().iloc[0:0]
    table = compute_indicators(ds, periods=("year",))
    assert set(table["level"]) == {"total"}
    assert row(table, "resolution_rate")["value"] == pytest.approx(8 / 11)


def test_records_without_a_unit_count_in_total_only():
    c = make_complaints()
    c.loc[c["ticket_id"] == "a1", ["unit_level", "unit_id"]] = NA
    s = make_stations()
    s.loc[s["station_id"] == "st1", ["unit_level", "unit_id"]] = NA
    tables = {"complaints": c, "stations": s, "grids": make_grids()}
    table = compute_indicators(make_dataset(tables), periods=("year",))
    assert row(table, "resolution_rate")["denominator"] == 11
    assert row(table, "resolution_rate", "G1", level="grid")["denominator"] == 3
    assert row(table, "stations_per_10k")["numerator"] == 5
    assert row(table, "stations_per_10k", "S1", level="street")["numerator"] == 2  # st4 st5, not st1


# --- pre-aggregated complaints ------------------------------------------------------------------

def make_aggregated() -> pd.DataFrame:
    """The fixture's tickets counted per unit and month by hand (d3 closed after the cut-off)."""
    rows = [  # level, unit, month, received, resolved, on_time, rated, satisfied
        ("grid", "G1", "2025-03-01", 4, 3, 1, 3, 2),     # a1-a4; on time a1; rated a1 a2 a4
        ("grid", "G2", "2025-03-01", 1, 1, 1, 1, 1),     # b1
        ("grid", "G3", "2025-03-01", 2, 2, 1, 1, 1),     # c1 late, c2
        ("street", "S2", "2025-03-01", 1, 1, 1, 1, 0),   # s1
        ("grid", "G4", "2025-04-01", 3, 1, 1, 1, 1),     # d1; d2 d3 open
    ]
    df = pd.DataFrame(rows, columns=["unit_level", "unit_id", "month", "received", "resolved",
                                     "on_time", "rated", "satisfied"])
    df["month"] = pd.to_datetime(df["month"])
    return df.astype({"unit_level": "string", "unit_id": "string"})


def test_pre_aggregated_complaints_give_the_same_rates(table):
    agg = compute_indicators(make_dataset({"complaints": make_aggregated(),
                                           "grids": make_grids()}), periods=("year", "month"))
    for ind in ("resolution_rate", "satisfaction_rate", "complaint_rate_per_1k"):
        for unit, level in (("total", None), ("D1", "district"), ("S2", "street"), ("G1", "grid")):
            assert row(agg, ind, unit, level=level)["value"] == \
                pytest.approx(row(table, ind, unit, level=level)["value"]), (ind, unit)
    # no due dates in an aggregate: on time / resolved = (1 + 1 + 1 + 1 + 1) / 8, a4 included
    assert row(agg, "on_time_rate")["value"] == pytest.approx(5 / 8)
    assert "median_handling_days" not in set(agg["indicator_id"])   # no handling times


def test_tickets_and_aggregates_stack():
    c = make_complaints()
    tickets = c[c["unit_id"] != "G4"]                  # D2's street office sends an aggregate
    agg = make_aggregated()
    agg = agg[agg["unit_id"] == "G4"]
    stacked = pd.concat([tickets, agg], ignore_index=True)
    t = compute_indicators(make_dataset({"complaints": stacked}), periods=("year",))
    assert row(t, "resolution_rate")["value"] == pytest.approx(8 / 11)
    median = row(t, "median_handling_days")
    assert median["denominator"] == 7 and median["excluded"] == 11 - 7   # d1 has no time now


# --- 15-minute life circle ----------------------------------------------------------------------

def test_service_circle_coverage(table):
    r = row(table, "service_circle_coverage")
    # within 1,000 m: G1 (st1, 556 m) and G3 (st2, 778 m); G2 is 1,000.75 m from st5
    assert (r["numerator"], r["denominator"]) == (1000 + 1500, 4000)
    assert r["value"] == pytest.approx(2500 / 4000)
    assert row(table, "service_circle_coverage", "S1", level="street")["value"] == \
        pytest.approx(1000 / (1000 + 900))


def test_service_radius_is_configurable_and_unlocated_grids_are_excluded():
    g = make_grids()
    g.loc[g["unit_id"] == "G4", "lat"] = np.nan
    ds = make_dataset({"grids": g, "stations": make_stations()},
                      config={"settings": {"service_radius_m": 1001}})
    r = row(compute_indicators(ds, periods=("year",)), "service_circle_coverage", period="2024")
    assert r["value"] == pytest.approx((1000 + 900 + 1500) / (4000 - 600))   # G2 now covered
    assert r["excluded"] == 1                                                # G4 has no centroid


def test_stations_with_coordinates_only_count_in_the_total():
    s = make_stations().drop(columns=["unit_level", "unit_id"])     # e.g. a GeoJSON of points
    table = compute_indicators(make_dataset({"grids": make_grids(), "stations": s}),
                               periods=("year",))
    ind = table[table["indicator_id"] == "stations_per_10k"]
    assert ind["level"].tolist() == ["total"]
    assert ind["value"].iloc[0] == pytest.approx(5 / 4000 * 10000)
