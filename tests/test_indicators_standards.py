"""Standards library, failing lists (不达标清单), published benchmarks and a published figure
reproduced from a unit-level table built to match it."""
from __future__ import annotations

import filecmp
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data.model import Dataset, LoadReport
from indicators.benchmarks import PEER_CASES_PATH, benchmarks, figure_value, peer_cases
from indicators.catalog import CATALOG, catalog_for, format_value, status
from indicators.compare import failing_units
from indicators.standards import (failing_stations, stations_of_year, standards_library,
                                  uncovered_grids)
from indicators.table import compute_indicators
from tests.test_indicators import make_dataset, make_stations, row

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "published"


# --- the standards library -------------------------------------------------------------------

def test_library_lists_every_standard_with_value_unit_and_source():
    lib = standards_library(None).set_index("standard_id")
    with_standard = [i for i, ind in CATALOG.items() if ind.standard is not None]
    assert set(with_standard) <= set(lib.index)
    assert lib.loc["community_workers_per_10k", ["comparison", "value", "unit_zh"]].tolist() == \
        [">=", 18.0, "人/万人"]
    assert lib.loc["households_per_grid", ["comparison", "low", "high"]].tolist() == \
        ["between", 300.0, 500.0]
    assert lib.loc["grid_full_time_staffed_rate", ["value", "unit_zh"]].tolist() == [1.0, "%"]
    assert lib.loc["station_area_min_m2:社区党群服务中心", ["value", "unit_zh"]].tolist() == [300.0, "m²"]
    assert lib.loc["station_area_min_m2:村党群服务中心", "value"] == 90.0
    assert lib.loc["service_radius_m", ["comparison", "value", "unit_zh"]].tolist() == \
        ["<=", 1000.0, "米"]
    assert lib["source_zh"].str.len().gt(0).all()
    assert lib["effective_year"].isna().all() and not lib["overridden"].any()
    assert "广安" in lib.loc["station_area_min_m2:村党群服务中心", "source_zh"]


def test_manifest_overrides_show_in_the_library():
    config = {"standards": {"community_workers_per_10k": {"value": 20, "effective_year": 2025},
                            "station_area_min_m2": {"社区党群服务中心": 330, "村党群服务中心": 90}},
              "settings": {"service_radius_m": 800}}
    lib = standards_library(config).set_index("standard_id")
    cw = lib.loc["community_workers_per_10k"]
    assert (cw["value"], cw["effective_year"], bool(cw["overridden"])) == (20.0, 2025, True)
    assert cw["label_zh"] == "≥ 20 人/万人"                 # rewritten: "≥ 18" would be false
    assert "数据集清单" in cw["source_zh"] and cw["figure"] == ""
    assert bool(lib.loc["station_area_min_m2:社区党群服务中心", "overridden"])
    assert not bool(lib.loc["station_area_min_m2:村党群服务中心", "overridden"])   # same value
    assert (lib.loc["service_radius_m", "value"], bool(lib.loc["service_radius_m", "overridden"])) \
        == (800.0, True)
    assert not bool(lib.loc["resolution_rate", "overridden"])


def test_partial_override_keeps_the_rest_and_a_new_source_is_kept():
    cat = catalog_for({"standards": {"resolution_rate": {"value": 0.95, "label_zh": "≥ 95%",
                                                         "source_zh": "本市考核办法"}}})
    std = cat["resolution_rate"].standard
    assert (std.comparison, std.value, std.label_zh, std.source_zh) == (">=", 0.95, "≥ 95%", "本市考核办法")
    only_year = catalog_for({"standards": {"satisfaction_rate": {"effective_year": 2026}}})
    kept = only_year["satisfaction_rate"].standard
    assert kept.value == 0.90 and kept.source_zh == CATALOG["satisfaction_rate"].standard.source_zh
    assert kept.effective_year == 2026


def test_standard_applies_from_its_effective_year():
    cat = catalog_for({"standards": {"resolution_rate": {"effective_year": 2025}}})
    ind = cat["resolution_rate"]
    assert status(ind, 0.5, "2024") == "none"
    assert status(ind, 0.5, "2025-03") == "fails"
    assert status(ind, 0.5) == "fails"                      # no period: the standard applies
    table = compute_indicators(make_dataset(), catalog=cat)
    early = table.assign(period=table["period"].str.replace("2025", "2024"))
    assert failing_units(early, "2024", "district", cat).query(
        "indicator_id == 'resolution_rate'").empty
    late = failing_units(table, "2025", "district", cat).query("indicator_id == 'resolution_rate'")
    assert late["unit_id"].tolist() == ["D2", "D1"]        # 1/3 and 7/8 both below 91.8%
    assert late["gap"].tolist() == pytest.approx([1 / 3 - 0.918, 7 / 8 - 0.918])


# --- failing lists --------------------------------------------------------------------------

def test_failing_grids_for_the_one_full_time_worker_standard():
    # full-time workers G1 1, G2 0, G3 2, G4 1: only G2 fails "≥ 1 per grid", 100 points short
    out = failing_units(compute_indicators(make_dataset()), "2025", "grid")
    staffed = out[out["indicator_id"] == "grid_full_time_staffed_rate"]
    assert staffed["unit_id"].tolist() == ["G2"]
    assert staffed["gap"].tolist() == [-1.0]
    # households 400, 350, 600, unknown: G3 is 100 households above the 300–500 band
    hh = out[out["indicator_id"] == "households_per_grid"]
    assert hh[["unit_id", "gap"]].values.tolist() == [["G3", 500 - 600]]


def test_failing_stations_by_type_minimum():
    # st1 社区 320 (≥ 300), st2 社区 250 (50 short), st3 村 95 (≥ 90), st4 小区站 (no standard),
    # st5 社区 area unknown (listed last, gap unknown)
    out = failing_stations(make_stations())
    assert out["station_id"].tolist() == ["st2", "st5"]
    assert out[["area_m2", "minimum_m2", "gap_m2"]].iloc[0].tolist() == [250.0, 300.0, 50.0]
    stricter = failing_stations(make_stations(),
                                {"standards": {"station_area_min_m2": {"社区党群服务中心": 330}}})
    assert stricter["station_id"].tolist() == ["st2", "st1", "st5"]       # worst first
    assert stricter["gap_m2"].tolist()[:2] == [330 - 250, 330 - 320]
    assert failing_stations(None).empty


def test_failing_stations_of_a_year_use_that_years_register_and_opening():
    st = make_stations()
    st["opened"] = pd.to_datetime(["2020-01-01", "2026-05-01", None, None, None])
    assert failing_stations(st, year=2025)["station_id"].tolist() == ["st5"]   # st2 opens 2026
    assert failing_stations(st, year=2026)["station_id"].tolist() == ["st2", "st5"]
    dated = make_stations()
    dated["year"] = pd.array([2023, 2023, 2025, 2025, 2025], dtype="Int64")
    assert stations_of_year(dated, 2024)["station_id"].tolist() == ["st1", "st2"]
    assert stations_of_year(dated, 2026)["station_id"].tolist() == ["st3", "st4", "st5"]


# --- published benchmarks ------------------------------------------------------------------

def test_shipped_peer_cases_is_the_published_file():
    cases = peer_cases()
    assert len(cases) == 70 and cases["place"].nunique() == 10
    assert (PEER_CASES_PATH.parent / "README.md").is_file()
    if (SHARED / "peer_cases.csv").is_file():
        assert filecmp.cmp(PEER_CASES_PATH, SHARED / "peer_cases.csv", shallow=False)


def test_every_cited_figure_resolves_to_the_catalog_value():
    cases = peer_cases()
    checked = 0
    for ind in CATALOG.values():
        for std in ([ind.standard] if ind.standard else []) + list(ind.references):
            if std.basis == "peer":
                assert std.figure, f"{ind.id}: a peer figure must name its peer_cases.csv row"
            for expression in std.figure:
                got = figure_value(expression, cases)
                if std.comparison == "between":
                    assert got == (std.low, std.high)
                else:
                    assert got == pytest.approx(std.value)
                checked += 1
    assert checked >= 11


def test_benchmarks_join_figures_to_indicators_with_citations():
    b = benchmarks()
    fengxin = b[(b["indicator_id"] == "resolution_rate")].iloc[0]
    assert (fengxin["role"], fengxin["place"], fengxin["published_value"]) == \
        ("standard", "奉新县", 0.918)
    assert fengxin["citation_zh"] == ("奉新县：“码”上办办结率（《“党群会客厅”解难题 服务“码”上办暖民心》，"
                                      "记者报道）")
    huayin = b[b["indicator_id"] == "grid_workers_per_grid"].iloc[0]
    assert huayin["published_value"] == pytest.approx(4149 / 519)
    assert huayin["figure_ids"] == "grid_workers / grids" and huayin["role"] == "reference"
    assert set(b.loc[b["indicator_id"] == "community_workers_per_10k", "place"]) == \
        {"忻州市忻府区", "枣庄市薛城区"}
    # a standard the manifest replaced is no longer the published one: no benchmark row
    cat = catalog_for({"standards": {"resolution_rate": {"value": 0.95}}})
    assert "resolution_rate" not in set(benchmarks(cat)["indicator_id"])


def test_malformed_or_unknown_figure_is_an_error():
    with pytest.raises(KeyError, match="no published figure"):
        figure_value("奉新县:no_such_figure")
    with pytest.raises(ValueError, match="not a figure reference"):
        figure_value("奉新县 resolution_rate")


# --- a published figure reproduced from unit-level data -------------------------------------

def _huayin_dataset() -> Dataset:
    """华阴市 published 4,149 grid workers in 519 grids. A register built to match: district H
    with street A (300 grids × 8 workers = 2,400) and street B (219 grids: 216 with 8 workers and
    3 with 7 = 1,749); 2,400 + 1,749 = 4,149."""
    a = pd.DataFrame({"unit_id": [f"A{i:03d}" for i in range(300)], "full_time_workers": 2.0,
                      "part_time_workers": 6.0})                    # 8 each: 2,400
    b_workers = np.full(219, 7.0)
    b_workers[:216] += 1.0                                         # 216 × 8 + 3 × 7 = 1,749
    b = pd.DataFrame({"unit_id": [f"B{i:03d}" for i in range(219)], "full_time_workers": 2.0,
                      "part_time_workers": b_workers - 2.0})
    grids = pd.concat([a, b], ignore_index=True)
    grids["unit_id"] = grids["unit_id"].astype("string")
    grids["year"] = pd.array([2024] * len(grids), dtype="Int64")
    units = pd.DataFrame({
        "level": ["district", "street", "street"] + ["grid"] * len(grids),
        "unit_id": ["H", "A", "B", *grids["unit_id"]],
        "unit_name": ["华阴", "甲街", "乙街", *grids["unit_id"]],
        "parent_id": [pd.NA, "H", "H", *[u[0] for u in grids["unit_id"]]],
        "depth": [0, 1, 1] + [2] * len(grids)}).astype(
        {"level": "string", "unit_id": "string", "unit_name": "string", "parent_id": "string"})
    return Dataset(name="华阴（复现）", manifest_path=Path("none.yaml"),
                   levels=["district", "street", "grid"], level_names={}, level_names_en={},
                   units=units, tables={"grids": grids}, report=LoadReport(),
                   cutoff=pd.Timestamp("2024-12-31"), config={})


def test_huayin_grid_workers_per_grid_reproduced_across_two_levels():
    table = compute_indicators(_huayin_dataset())
    total = row(table, "grid_workers_per_grid", period="2024")
    assert (total["numerator"], total["denominator"]) == (4149, 519)
    assert total["value"] == pytest.approx(figure_value("华阴市:grid_workers / 华阴市:grids"))
    ind = CATALOG["grid_workers_per_grid"]
    assert format_value(ind, total["value"]) == "8.0 人/网格"
    assert total["value"] == pytest.approx(ind.references[0].value)
    # the district is the sum of its two streets, not the mean of their ratios
    a = row(table, "grid_workers_per_grid", "A", "2024", level="street")
    b = row(table, "grid_workers_per_grid", "B", "2024", level="street")
    assert (a["value"], b["value"]) == (pytest.approx(2400 / 300), pytest.approx(1749 / 219))
    district = row(table, "grid_workers_per_grid", "H", "2024", level="district")
    assert district["value"] == pytest.approx((2400 + 1749) / (300 + 219))
    assert not math.isclose(district["value"], (a["value"] + b["value"]) / 2)


def test_fengxin_resolution_rate_reproduced_from_tickets():
    # 奉新县: 1,364 issues resolved at a 91.8% rate → 1,364 / 91.8% ≈ 1,486 tickets received
    n, closed = 1486, 1364
    received = pd.Timestamp("2024-03-01") + pd.to_timedelta(np.arange(n) % 200, unit="h")
    tickets = pd.DataFrame({
        "ticket_id": pd.array([f"T{i}" for i in range(n)], dtype="string"),
        "unit_level": pd.array(["district"] * n, dtype="string"),
        "unit_id": pd.array(["F"] * n, dtype="string"),
        "received_at": received,
        "closed_at": received.where(np.arange(n) < closed) + pd.Timedelta(hours=5)})
    units = pd.DataFrame({"level": ["district"], "unit_id": ["F"], "unit_name": ["奉新"],
                          "parent_id": [pd.NA], "depth": [0]}).astype(
        {"level": "string", "unit_id": "string", "unit_name": "string", "parent_id": "string"})
    ds = Dataset(name="奉新（复现）", manifest_path=Path("none.yaml"), levels=["district"],
                 level_names={}, level_names_en={}, units=units, tables={"complaints": tickets},
                 report=LoadReport(), cutoff=pd.Timestamp("2024-12-31"), config={})
    r = row(compute_indicators(ds, periods=("year",)), "resolution_rate", "F", "2024")
    assert (r["numerator"], r["denominator"]) == (closed, n)
    published = figure_value("奉新县:resolution_rate")
    assert format_value(CATALOG["resolution_rate"], r["value"]) == \
        format_value(CATALOG["resolution_rate"], published) == "91.8%"
    assert abs(r["value"] - published) < 0.0005            # within the published rounding


def test_uncovered_grids_list_the_distance_beyond_the_radius():
    # centroid → nearest station (test_indicators.make_stations): G1 → st1 556 m, G3 → st2 778 m
    # (covered); G2 → st5 1,000.75 m (0.75 m beyond 1 km); G4 → st3 1,668 m (668 m beyond)
    ds = make_dataset()
    out = uncovered_grids(ds.tables["grids"], ds.tables["stations"], 2025)
    assert out["unit_id"].tolist() == ["G4", "G2"]                       # farthest first
    assert out["gap_m"].tolist() == pytest.approx([0.015 * 111_194.9 - 1000,
                                                   0.009 * 111_194.9 - 1000], abs=1.0)
    assert out["station_id"].tolist() == ["st3", "st5"]
    wider = uncovered_grids(ds.tables["grids"], ds.tables["stations"], 2025,
                            {"settings": {"service_radius_m": 1100}})
    assert wider["unit_id"].tolist() == ["G4"] and wider["radius_m"].iloc[0] == 1100
    assert uncovered_grids(None, ds.tables["stations"], 2025).empty
