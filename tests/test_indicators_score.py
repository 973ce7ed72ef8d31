"""Composite score (capped scores against standards, configurable weights) and peer-group ranks,
on the hand-made dataset of test_indicators.py; every expected value is worked out below.

2025 totals of the scored indicators (see test_indicators.py for each):
    resolution_rate 8/11 (standard ≥ 0.918)             score 100 × (8/11) / 0.918
    satisfaction_rate 5/7, 7 rated < min_count 10      left out (small count)
    households_per_grid (400+350+600)/3 = 450 in 300–500 score 100
    grid_full_time_staffed_rate 3/4 (≥ 1.0)              score 75
    party_branch_coverage 2/4 (≥ 1.0)                    score 50
    community_workers_per_10k 6/4000 × 10⁴ = 15 (≥ 18)   score 100 × 15/18
    station_area_compliance 2/3 (≥ 1.0)                  score 100 × 2/3
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from indicators.catalog import CATALOG, catalog_for
from indicators.compare import add_peer_rank, add_rank
from indicators.peer import peer_groups, population_bands
from indicators.score import indicator_scores
from indicators.table import compute_indicators
from tests.test_indicators import make_dataset, make_grids, row
from tests.test_indicators_compare import tidy

SCORES = {"resolution_rate": 100 * (8 / 11) / 0.918, "households_per_grid": 100.0,
          "grid_full_time_staffed_rate": 75.0, "party_branch_coverage": 50.0,
          "community_workers_per_10k": 100 * 15 / 18, "station_area_compliance": 100 * 2 / 3}


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return compute_indicators(make_dataset())


def test_scores_are_capped_shares_of_the_standard():
    t = tidy([
        ("grid", "a", "2025", "resolution_rate", 0.459, False),      # half of 0.918
        ("grid", "b", "2025", "resolution_rate", 0.99, False),       # beyond: capped
        ("grid", "c", "2025", "households_per_grid", 150.0, False),  # half of the low end
        ("grid", "d", "2025", "households_per_grid", 1000.0, False), # twice the high end
        ("grid", "e", "2025", "households_per_grid", 420.0, False),  # inside
        ("grid", "f", "2025", "repeat_complaint_rate", 0.1, False),  # no standard
        ("grid", "g", "2025", "resolution_rate", np.nan, False),
        ("grid", "h", "2025", "community_workers_per_10k", -3.0, False),
    ])
    got = indicator_scores(t, CATALOG)
    assert got[:5].tolist() == pytest.approx([50.0, 100.0, 50.0, 50.0, 100.0])
    assert np.isnan(got[5]) and np.isnan(got[6])
    assert got[7] == 0.0
    at_most = catalog_for({"standards": {"repeat_complaint_rate": {"comparison": "<=",
                                                                   "value": 0.05}}})
    assert indicator_scores(t.iloc[[5]], at_most).tolist() == pytest.approx([100 * 0.05 / 0.1])


def test_composite_is_weighted_mean_of_available_scores(table):
    r = row(table, "composite_score")
    expected = sum(SCORES.values()) / len(SCORES)              # weights 1; satisfaction left out
    assert r["value"] == pytest.approx(expected)
    assert (r["numerator"], r["denominator"]) == (pytest.approx(sum(SCORES.values())), 6)
    assert r["excluded"] == 1
    assert r["excluded_reason"] == "未计入评分的指标：满意率（样本量不足）"
    assert not bool(r["small_count"])                          # 6 of 7 weight ≥ half
    assert not (table["indicator_id"].eq("composite_score") & table["period"].str.len().gt(4)).any()


def test_weights_come_from_the_manifest(table):
    cat = catalog_for({"settings": {"score_weights": {"resolution_rate": 3,
                                                      "households_per_grid": 0}}})
    r = row(compute_indicators(make_dataset(), catalog=cat), "composite_score")
    w = {**{k: 1.0 for k in SCORES}, "resolution_rate": 3.0, "households_per_grid": 0.0}
    expected = sum(w[k] * SCORES[k] for k in SCORES) / sum(w.values())
    assert r["value"] == pytest.approx(expected)
    assert r["denominator"] == 3 + 4
    for bad, match in (({"no_such": 1}, "unknown indicator"), ({"resolution_rate": -1}, "≥ 0"),
                       ({"repeat_complaint_rate": 1}, "no standard"),
                       ({"resolution_rate": "x"}, "not a number")):
        with pytest.raises(ValueError, match=match):
            catalog_for({"settings": {"score_weights": bad}})


def test_composite_of_a_district_scores_its_own_ratios(table):
    # D2 = street S3 = grid G4: 3 tickets (small count: resolution left out), households unknown,
    # 1 full-time worker (100), no branch (0), 0 community workers / 600 residents (0),
    # station st3 村 95 m² ≥ 90 (100): mean of 100, 0, 0, 100 over weight 4 of 7
    r = row(table, "composite_score", "D2", level="district")
    assert r["value"] == pytest.approx((100 + 0 + 0 + 100) / 4)
    assert r["denominator"] == 4 and r["excluded"] == 3
    assert r["excluded_reason"] == ("未计入评分的指标：办结率（样本量不足）、满意率（样本量不足）、"
                                    "网格平均户数")
    # a unit with less than half the scored weight is flagged, not ranked
    thin = compute_indicators(make_dataset(), catalog=catalog_for(
        {"settings": {"score_weights": {"grid_full_time_staffed_rate": 5}}}))
    d2 = row(thin, "composite_score", "D2", level="district")
    assert d2["denominator"] == 5 + 1 + 1 + 1 and not bool(d2["small_count"])   # 8 ≥ 11/2
    heavy = compute_indicators(make_dataset(), catalog=catalog_for(
        {"settings": {"score_weights": {"resolution_rate": 10}}}))
    d2 = row(heavy, "composite_score", "D2", level="district")
    assert d2["denominator"] == 4 and bool(d2["small_count"])          # 4 < (10 + 6) / 2
    g = row(thin, "composite_score", "G2", level="grid")
    # G2: households 350 (in band: 100), 0 full-time (weight 5, score 0), no branch (0),
    # 1 community worker / 900 residents (the register has no street_id, so workers stay on grid
    # rows) = 11.1 per 10⁴ (score 100 × 11.1 / 18); its only station has no area standard;
    # 1 ticket (small count) → weight 1 + 5 + 1 + 1 = 8
    assert g["denominator"] == 8
    assert g["value"] == pytest.approx((100 + 0 + 0 + 100 * (1 / 900 * 10_000) / 18) / 8)


# --- peer groups ---------------------------------------------------------------------------

def _with_types(config: dict) -> object:
    grids = make_grids()
    grids["community_type"] = pd.array(["老旧小区", "老旧小区", "村改居", "老旧小区"], dtype="string")
    ds = make_dataset(config=config)
    ds.tables["grids"] = grids
    return ds


def test_peer_group_from_a_register_column():
    ds = _with_types({"settings": {"peer_group": "community_type"}})
    groups = peer_groups(ds).set_index(["level", "unit_id"])["peer_group"].to_dict()
    assert groups == {("street", "S1"): "老旧小区", ("street", "S2"): "村改居",
                      ("street", "S3"): "老旧小区", ("district", "D2"): "老旧小区",
                      ("grid", "G1"): "老旧小区", ("grid", "G2"): "老旧小区",
                      ("grid", "G3"): "村改居", ("grid", "G4"): "老旧小区"}   # D1 mixed: none
    with pytest.raises(ValueError, match="no column"):
        peer_groups(_with_types({"settings": {"peer_group": "no_such_column"}}))
    assert peer_groups(make_dataset()) is None


def test_ranks_within_peer_groups():
    ds = _with_types({"settings": {"peer_group": "community_type"}})
    table = add_rank(compute_indicators(ds))
    out = add_peer_rank(table, peer_groups(ds))
    sel = out[(out["indicator_id"] == "grid_workers_per_grid") & (out["level"] == "grid")
              & (out["period"] == "2025")].set_index("unit_id")
    # workers per grid: G1 3, G2 3, G3 2, G4 2 (full + part time)
    assert sel["rank"].to_dict() == {"G1": 1, "G2": 1, "G3": 3, "G4": 3}
    assert sel["peer_rank"].to_dict() == {"G1": 1, "G2": 1, "G3": 1, "G4": 3}
    assert sel["peer_rank_of"].to_dict() == {"G1": 3, "G2": 3, "G3": 1, "G4": 3}
    assert sel["peer_group"].to_dict() == {"G1": "老旧小区", "G2": "老旧小区", "G3": "村改居",
                                          "G4": "老旧小区"}
    d1 = out[(out["unit_id"] == "D1") & (out["indicator_id"] == "grid_workers_per_grid")]
    assert d1["peer_group"].isna().all() and d1["peer_rank"].isna().all()
    none = add_peer_rank(table, None)
    assert none["peer_rank"].isna().all() and none["peer_group"].dtype == "string"


def test_population_bands_given_and_by_terciles():
    pop = pd.Series([1000.0, 900.0, 1500.0, 600.0, np.nan])
    assert population_bands(pop, [1000, 1500]).tolist() == \
        ["1,000–1,500 人", "< 1,000 人", "≥ 1,500 人", "< 1,000 人", None]
    # terciles of 600 900 1000 1500 by percentile rank .25 .5 .75 1
    assert population_bands(pop, None).tolist() == ["人口较多", "人口中等", "人口较多", "人口较少", None]


def test_population_band_groups_come_from_the_table():
    ds = make_dataset(config={"settings": {"peer_group": "population_band",
                                           "population_bands": [1000, 1500]}})
    table = compute_indicators(ds)
    groups = peer_groups(ds, table)
    grid = groups[(groups["level"] == "grid") & (groups["period"] == "2025")] \
        .set_index("unit_id")["peer_group"].to_dict()
    assert grid == {"G1": "1,000–1,500 人", "G2": "< 1,000 人", "G3": "≥ 1,500 人",
                    "G4": "< 1,000 人"}
    with pytest.raises(ValueError, match="increasing"):
        peer_groups(make_dataset(config={"settings": {"peer_group": "population_band",
                                                      "population_bands": [5, 1]}}), table)
