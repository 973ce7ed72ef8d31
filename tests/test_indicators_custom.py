"""A dataset's own indicators (manifest ``indicators:``), by hand on the small register of
tests/test_indicators.py (2024 register, 2025 falls back to it)::

    grid  street  district  full-time  part-time
    G1    S1      D1        1          2
    G2    S1      D1        0          3
    G3    S2      D1        2          0
    G4    S3      D2        1          1
"""
from __future__ import annotations

import pytest

from data.manifest import ManifestError
from indicators.catalog import CATALOG, catalog_for, format_value
from indicators.table import compute_indicators
from tests.test_indicators import make_dataset, make_grids, row

OWN = {
    "full_time_share": {"name_zh": "专职网格员占比", "name_en": "Full-time share",
                        "numerator": "full_time_workers",
                        "denominator": ["full_time_workers", "part_time_workers"],
                        "scale": "percent", "decimals": 1,
                        "standard": {"comparison": ">=", "value": 0.5, "label_zh": "≥ 50%",
                                     "source_zh": "本市文件（示例）"}},
    "full_time_per_grid": {"name_zh": "专职网格员每网格", "numerator": "full_time_workers",
                           "denominator": "grids", "scale": "ratio", "unit_zh": "人/网格"},
    "grids_per_street": {"name_zh": "每街道网格数", "numerator": "grids",
                         "denominator": {"units": "street"}, "scale": "ratio", "decimals": 2},
}


@pytest.fixture(scope="module")
def table():
    return compute_indicators(make_dataset({"grids": make_grids()}, {"indicators": OWN}))


def test_manifest_share_of_full_time_workers_equals_the_hand_count(table):
    r = row(table, "full_time_share", period="2024")
    assert (r["numerator"], r["denominator"]) == (1 + 0 + 2 + 1, 10)     # 4 of 4 + 6
    assert r["value"] == pytest.approx(0.4)
    assert row(table, "full_time_share", "G1", "2024", "grid")["value"] == pytest.approx(1 / 3)
    assert row(table, "full_time_share", "S1", "2024", "street")["value"] == \
        pytest.approx(1 / 6)
    assert not r["provisional"]                         # a register figure
    cat = catalog_for({"indicators": OWN})
    assert format_value(cat["full_time_share"], r["value"]) == "40.0%"
    assert list(cat)[-1] == "composite_score"           # own indicators come before it


def test_sum_and_unit_count_denominators(table):
    assert row(table, "full_time_per_grid", period="2024")["value"] == pytest.approx(4 / 4)
    assert row(table, "grids_per_street", period="2024")["value"] == pytest.approx(4 / 3)
    d1 = row(table, "grids_per_street", "D1", "2024", "district")
    assert (d1["numerator"], d1["denominator"]) == (3, 2)                # G1 G2 G3 / S1 S2
    assert row(table, "grids_per_street", "S2", "2024", "street")["value"] == 1


def test_own_indicator_standard_is_used(table):
    from indicators.catalog import status
    cat = catalog_for({"indicators": OWN})
    assert status(cat["full_time_share"], 0.4, "2024") == "fails"
    assert cat["full_time_share"].standard.source_zh == "本市文件（示例）"


@pytest.mark.parametrize("spec, key, words", [
    ({"x": {**OWN["full_time_share"], "denominator": "grid_worker"}},
     "indicators.x.denominator", "未知的度量「grid_worker」"),
    ({"x": {**OWN["full_time_share"], "denominator": ["grids", "nope"]}},
     "indicators.x.denominator[1]", "未知的度量「nope」"),
    ({"x": {**OWN["full_time_share"], "scale": "percentage"}}, "indicators.x.scale", "percent"),
    ({"x": {**OWN["full_time_share"], "formula": "a/b"}}, "indicators.x", "未知的字段"),
    ({"resolution_rate": OWN["full_time_share"]}, "indicators.resolution_rate", "重名"),
    ({"x": {"name_zh": "缺分母", "numerator": "grids", "scale": "ratio"}},
     "indicators.x.denominator", "必填"),
    ({"x": {**OWN["full_time_share"], "denominator": "__import__('os')"}},
     "indicators.x.denominator", "未知的度量"),
])
def test_wrong_reference_is_a_chinese_error_naming_the_key(spec, key, words):
    with pytest.raises(ManifestError) as err:
        catalog_for({"indicators": spec})
    assert f"清单错误（{key}）" in str(err.value) and words in str(err.value)
    assert "x" not in CATALOG


def test_unit_count_of_an_unknown_level_is_an_error():
    own = {"x": {"name_zh": "每社区网格数", "numerator": "grids",
                 "denominator": {"units": "community"}, "scale": "ratio"}}
    with pytest.raises(ManifestError, match="没有层级「community」"):
        compute_indicators(make_dataset({"grids": make_grids()}, {"indicators": own}))
