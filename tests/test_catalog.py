"""The indicator catalog itself: every entry complete and consistent, standards cited, formatting."""
from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest

from indicators.catalog import (CATALOG, COMPARISONS, DIRECTIONS, KINDS, PERIOD_KINDS,
                                catalog_for, format_change, format_value,
                                station_area_minimums, load_catalog, status)
from indicators.measures import MEASURES
from indicators.table import HISTOGRAM, PREV_YEAR

PEER_CASES = Path("/work/shared/data/published/peer_cases.csv")

REQUIRED = {"resolution_rate", "on_time_rate", "median_handling_days", "satisfaction_rate",
            "repeat_complaint_rate", "complaint_rate_per_1k", "complaints_yoy",
            "households_per_grid", "grid_full_time_staffed_rate", "grid_workers_per_grid",
            "party_branch_coverage", "community_workers_per_10k", "station_area_compliance",
            "stations_per_10k", "volunteer_hours_per_capita", "volunteer_participations",
            "composite_score"}


def test_every_required_indicator_is_registered():
    assert REQUIRED <= set(CATALOG)


@pytest.mark.parametrize("ind_id", list(CATALOG))
def test_entry_is_complete(ind_id):
    ind = CATALOG[ind_id]
    assert ind.id == ind_id
    for text in (ind.name_zh, ind.name_en, ind.formula_zh, ind.formula_en, ind.unit_zh,
                 ind.unit_en):
        assert text.strip()
    assert any("\u4e00" <= ch <= "\u9fff" for ch in ind.name_zh)
    assert ind.name_en.isascii()
    assert ind.kind in KINDS and ind.direction in DIRECTIONS
    assert set(ind.periods) <= set(PERIOD_KINDS) and ind.periods
    assert 0 <= ind.decimals <= 3 and ind.min_count >= 0


@pytest.mark.parametrize("ind_id", [i for i, ind in CATALOG.items() if ind.kind != "score"])
def test_measures_exist_and_come_from_the_indicator_table(ind_id):
    ind = CATALOG[ind_id]
    assert ind.numerator in MEASURES
    if ind.kind == "median":
        assert ind.numerator == HISTOGRAM
    if ind.denominator and ind.denominator != PREV_YEAR:
        assert ind.denominator in MEASURES
    for exclusion in ind.excluded:
        assert MEASURES[exclusion.measure].table == ind.table
        assert exclusion.reason_zh and exclusion.reason_en and exclusion.unit_zh
    assert MEASURES[ind.numerator].table == ind.table
    if ind.kind == "count":      # a count's denominator is the records it sums (for reference)
        assert MEASURES[ind.denominator].table == ind.table


def test_composite_score_is_derived_from_scored_indicators():
    composite = [ind for ind in CATALOG.values() if ind.kind == "score"]
    assert [ind.id for ind in composite] == ["composite_score"]
    assert list(CATALOG)[-1] == "composite_score"        # computed from the rows above it
    scored = {i for i, ind in CATALOG.items() if ind.score_weight > 0}
    assert scored == {i for i, ind in CATALOG.items()
                      if ind.standard is not None and i != "composite_score"}
    assert composite[0].periods == ("year",)


@pytest.mark.parametrize("ind_id", list(CATALOG))
def test_standards_and_references_carry_sources(ind_id):
    ind = CATALOG[ind_id]
    for std in ([ind.standard] if ind.standard else []) + list(ind.references):
        assert std.comparison in COMPARISONS
        assert std.label_zh and std.label_en
        assert "peer_cases.csv" in std.source_zh or "设计文档" in std.source_zh
        assert std.source_en
        assert std.basis in ("standard", "peer")
    if ind.direction == "band":
        assert ind.standard is not None and ind.standard.comparison == "between"


@pytest.mark.skipif(not PEER_CASES.is_file(), reason="shared published figures not on this machine")
def test_cited_figures_match_peer_cases():
    with open(PEER_CASES, encoding="utf-8") as fh:
        fig = {(r["place"], r["figure_id"]): float(r["value"]) for r in csv.DictReader(fh)}
    assert CATALOG["resolution_rate"].standard.value == fig[("奉新县", "resolution_rate")]
    assert CATALOG["satisfaction_rate"].standard.value == fig[("忻州市忻府区", "resident_approval_rate")]
    assert CATALOG["community_workers_per_10k"].standard.value == \
        fig[("忻州市忻府区", "community_workers_per_10k_standard")] == \
        fig[("枣庄市薛城区", "community_workers_per_10k_standard")]
    hh = CATALOG["households_per_grid"].standard
    assert (hh.low, hh.high) == (fig[("池州市", "households_per_grid_min")],
                                 fig[("池州市", "households_per_grid_max")])
    workers = CATALOG["grid_workers_per_grid"].references[0].value
    assert workers == pytest.approx(fig[("华阴市", "grid_workers")] / fig[("华阴市", "grids")])
    assert CATALOG["complaints_yoy"].references[0].value == \
        fig[("忻州市忻府区", "property_complaint_change_yoy")]
    assert CATALOG["volunteer_participations"].references[0].value == \
        fig[("奉新县", "volunteer_participations")]
    assert station_area_minimums(None) == {
        "社区党群服务中心": fig[("广安市", "min_area_community_center")],
        "村党群服务中心": fig[("广安市", "min_area_village_center")]}


def test_status_against_standard():
    assert status(CATALOG["resolution_rate"], 0.95) == "meets"
    assert status(CATALOG["resolution_rate"], 0.918) == "meets"      # ≥ is inclusive
    assert status(CATALOG["resolution_rate"], 0.90) == "fails"
    assert status(CATALOG["households_per_grid"], 300) == "meets"
    assert status(CATALOG["households_per_grid"], 501) == "fails"
    assert status(CATALOG["households_per_grid"], 299) == "fails"
    assert status(CATALOG["resolution_rate"], math.nan) == "none"
    assert status(CATALOG["repeat_complaint_rate"], 0.1) == "none"   # no standard


def test_format_value():
    assert format_value(CATALOG["resolution_rate"], 0.918) == "91.8%"
    assert format_value(CATALOG["volunteer_participations"], 1234) == "1,234"
    assert format_value(CATALOG["median_handling_days"], 3.21) == "3.2 天"
    assert format_value(CATALOG["median_handling_days"], 3.21, "en") == "3.2 days"
    assert format_value(CATALOG["households_per_grid"], 412.4) == "412 户"
    assert format_value(CATALOG["resolution_rate"], math.nan) == "—"
    assert format_value(CATALOG["resolution_rate"], None) == "—"


def test_format_change():
    assert format_change(CATALOG["resolution_rate"], 0.013) == "+1.3 个百分点"
    assert format_change(CATALOG["resolution_rate"], -0.013, "en") == "-1.3 pp"
    assert format_change(CATALOG["complaint_rate_per_1k"], -0.27) == "-27.0%"
    assert format_change(CATALOG["complaint_rate_per_1k"], math.nan) == "—"


def test_dataset_overrides_standards():
    cat = catalog_for({"standards": {
        "resolution_rate": {"comparison": ">=", "value": 0.95, "label_zh": "≥ 95%",
                            "source_zh": "本市考核办法"},
        "satisfaction_rate": None,
        "station_area_min_m2": {"社区党群服务中心": 400}}})
    assert status(cat["resolution_rate"], 0.93) == "fails"
    assert cat["satisfaction_rate"].standard is None
    assert CATALOG["resolution_rate"].standard.value == 0.918          # built-in untouched
    assert station_area_minimums({"standards": {"station_area_min_m2": {"社区党群服务中心": 400}}}) \
        == {"社区党群服务中心": 400.0}
    with pytest.raises(ValueError, match="unknown indicator"):
        catalog_for({"standards": {"no_such_indicator": None}})
    with pytest.raises(ValueError, match="comparison"):
        catalog_for({"standards": {"resolution_rate": {"comparison": ">", "value": 1}}})


def test_broken_catalog_files_are_rejected(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("x:\n  name_zh: 甲\n  name_en: x\n  unit_zh: a\n  unit_en: a\n  kind: rate\n"
                   "  decimals: 1\n  direction: sideways\n  formula_zh: a\n  formula_en: a\n"
                   "  table: complaints\n", encoding="utf-8")
    with pytest.raises(ValueError, match="direction"):
        load_catalog(bad)
    bad.write_text("x:\n  nmae_zh: 甲\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown fields"):
        load_catalog(bad)
