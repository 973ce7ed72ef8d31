"""Auto-narrative: sentences built from a small hand-made indicator table."""
from __future__ import annotations

import numpy as np
import pytest

from indicators.catalog import catalog_for
from indicators.compare import add_peer_rank, add_rank, add_yoy
from indicators.narrative import narrate
from tests.test_indicators_compare import tidy

# twelve streets; S03 has the third-best resolution rate in 2025 (0.95 and 0.93 are better)
RATES = [0.95, 0.93, 0.918, 0.91, 0.90, 0.89, 0.88, 0.87, 0.86, 0.85, 0.84, 0.83]
ROWS = [("street", f"S{i + 1:02d}", "2025", "resolution_rate", v, False)
        for i, v in enumerate(RATES)]
ROWS += [
    ("street", "S03", "2024", "resolution_rate", 0.905, False),
    ("street", "S03", "2024", "complaint_rate_per_1k", 4.0, False),
    ("street", "S03", "2025", "complaint_rate_per_1k", 3.0, False),
    ("street", "S03", "2024", "satisfaction_rate", 0.93, False),
    ("street", "S03", "2025", "satisfaction_rate", 0.86, True),       # few rated tickets
    ("street", "S03", "2025", "households_per_grid", 560.0, False),
    ("street", "S03", "2025", "repeat_complaint_rate", np.nan, False),
    ("street", "S03", "2025", "complaints_yoy", -0.25, False),
    ("total", "total", "2025", "resolution_rate", 0.90, False),
    ("total", "total", "2024", "resolution_rate", 0.90, False),
]


@pytest.fixture()
def table():
    t = tidy(ROWS)
    sat = (t["unit_id"] == "S03") & (t["indicator_id"] == "satisfaction_rate") & \
        (t["period"] == "2025")
    t.loc[sat, ["denominator", "excluded", "excluded_reason"]] = [7.0, 12.0, "未评价 12 件"]
    return t


def test_the_sentence_of_the_issue(table):
    out = narrate(add_rank(add_yoy(table)), "S03", 2025)
    assert out["resolution_rate"] == \
        "办结率 91.8%，同比提高 1.3 个百分点，在 12 个街道中排名第 3，达到标准“≥ 91.8%”。"


def test_counts_change_in_per_cent_small_counts_and_failed_standards(table):
    out = narrate(table, "S03", "2025")          # yoy and rank added on the fly
    assert out["complaint_rate_per_1k"] == "每千人诉求量 3.0 件/千人，同比下降 25.0%，在 1 个街道中排名第 1。"
    assert out["satisfaction_rate"] == (
        "满意率 86.0%，同比下降 7.0 个百分点，样本量不足（7 < 10），不参与排名，"
        "未达到标准“≥ 90%”，差 4.0 个百分点。未计入：未评价 12 件。")
    assert out["households_per_grid"] == \
        "网格平均户数 560 户，在 1 个街道中排名第 1，未达到标准“300–500 户”，差 60 户。"
    assert out["complaints_yoy"].startswith("诉求量同比 -25.0%，在 1 个街道中排名第 1")
    assert "repeat_complaint_rate" not in out                 # no value, no sentence
    assert list(out) == ["resolution_rate", "satisfaction_rate", "complaint_rate_per_1k",
                         "complaints_yoy", "households_per_grid"]     # catalog order


def test_not_comparable_flat_total_peer_and_english(table):
    cat = catalog_for({"settings": {"definition_changes": {"resolution_rate": [2025]}}})
    out = narrate(add_rank(add_yoy(table, cat), cat), "S03", 2025, cat)
    assert out["resolution_rate"].startswith("办结率 91.8%，统计口径有调整，不与上年比较，在 12 个街道")
    total = narrate(table, "total", 2025)["resolution_rate"]
    assert total == "办结率 90.0%，与上年持平，未达到标准“≥ 91.8%”，差 1.8 个百分点。"
    groups = tidy(ROWS)[["level", "unit_id"]].drop_duplicates().assign(
        peer_group=lambda f: np.where(f["unit_id"] <= "S06", "老旧小区", "商品房小区"))
    peer = add_peer_rank(add_rank(add_yoy(table)), groups)
    assert "在同类（老旧小区）6 个街道中排名第 3" in narrate(peer, "S03", 2025)["resolution_rate"]
    en = narrate(table, "S03", 2025, lang="en", level_names={"street": "Street"})
    assert en["resolution_rate"] == ("Resolution rate 91.8%, up 1.3 pp year on year, ranked 3 of "
                                     "12 streets, meets the standard (≥ 91.8%).")
    communities = tidy(ROWS).assign(level=lambda f: f["level"].replace("street", "community"))
    assert "ranked 3 of 12 communities" in narrate(communities, "S03", 2025, lang="en")[
        "resolution_rate"]                                  # default English level names
    assert narrate(table, "S99", 2025) == {}
    with pytest.raises(ValueError, match="lang"):
        narrate(table, "S03", 2025, lang="fr")
