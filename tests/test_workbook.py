"""Tests of the annual review workbook (reports.write_workbook).

A tiny synthetic Results (total → 2 districts → 4 streets → 8 communities → 20 grids, five
indicators, years 2024 and 2025 plus the months of 2025) is written to tmp_path and read back
with openpyxl.  Expected values are stated by hand below, next to the fixture rows they come from.
"""
from __future__ import annotations

import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from data.model import Dataset, LoadReport, RowError, SourceReport
from indicators.catalog import Indicator, Standard
from reports import write_workbook
from reports.cells import (EXCEL_MAX_CELL_CHARS, TRUNCATION_MARKER, display_width, put_number,
                           safe_text, sheet_title)

HERE = Path(__file__).parent

EVIL_NAMES = ['=HYPERLINK("http://x","y")', "+1", "-1", "@SUM(A1)"]
LONG_ID = "110101199003074518"   # 18 digits: would lose digits as a number


@dataclass
class FakeResults:
    """Stands in for indicators.pipeline.Results (dataset, table, catalog, register_years)."""

    dataset: Dataset
    table: pd.DataFrame
    catalog: dict
    register_years: pd.DataFrame | None = None


# ---------------------------------------------------------------- fixture: the catalog

CATALOG = {
    "resolution_rate": Indicator(
        id="resolution_rate", name_zh="办结率", name_en="Resolution rate", unit_zh="%",
        unit_en="%", kind="rate", decimals=1, direction="higher", formula_zh="已办结 ÷ 受理",
        formula_en="closed / received", table="complaints", min_count=10,
        standard=Standard(comparison=">=", value=0.9, label_zh="≥ 90%", label_en="≥ 90%",
                          source_zh="测试来源甲", source_en="test source A")),
    "median_handling_days": Indicator(
        id="median_handling_days", name_zh="办结时长中位数", name_en="Median handling time",
        unit_zh="天", unit_en="days", kind="median", decimals=1, direction="lower",
        formula_zh="办结时长中位数", formula_en="median", table="complaints", min_count=10),
    "households_per_grid": Indicator(
        id="households_per_grid", name_zh="网格平均户数", name_en="Households per grid",
        unit_zh="户", unit_en="households", kind="ratio", decimals=0, direction="band",
        formula_zh="户数 ÷ 网格数", formula_en="households / grids", table="grids",
        standard=Standard(comparison="between", low=300, high=500, label_zh="300–500 户",
                          source_zh="测试来源乙")),
    "complaint_rate_per_1k": Indicator(
        id="complaint_rate_per_1k", name_zh="每千人诉求量", name_en="Complaints per 1,000",
        unit_zh="件/千人", unit_en="per 1,000", kind="per_capita", decimals=1,
        direction="lower", formula_zh="受理 ÷ 人口 × 1000", formula_en="received / pop × 1000",
        table="complaints",
        standard=Standard(comparison="<=", value=5.0, label_zh="≤ 5 件/千人",
                          source_zh="测试来源丙")),
    "volunteer_participations": Indicator(
        id="volunteer_participations", name_zh="志愿服务人次", name_en="Volunteer participations",
        unit_zh="人次", unit_en="participations", kind="count", decimals=0, direction="higher",
        formula_zh="Σ 人次", formula_en="sum of participations", table="volunteer_hours"),
}

# ---------------------------------------------------------------- fixture: the hierarchy

DISTRICTS = [("D1", "东城区"), ("D2", "西城区")]
STREETS = [("S11", "和平街道", "D1"), ("S12", "安定街道", "D1"),
           ("S21", "新华街道", "D2"), ("S22", "长安街道", "D2")]
COMMUNITIES = [("C111", "+1", "S11"), ("C112", "春风社区", "S11"),
               ("C121", "-1", "S12"), ("C122", "夏雨社区", "S12"),
               ("C211", "秋实社区", "S21"), ("C212", "冬青社区", "S21"),
               ("C221", "明月社区", "S22"), ("C222", "清泉社区", "S22")]
GRID_COUNTS = [3, 3, 2, 2, 3, 3, 2, 2]   # 20 grids


def _grids() -> list[tuple[str, str, str]]:
    out, n = [], 0
    for (cid, _, _), k in zip(COMMUNITIES, GRID_COUNTS):
        for _ in range(k):
            n += 1
            out.append((f"{n:04d}", f"第{n}网格", cid))
    # data-born hostile names and ids (DESIGN: text from input files is never a formula)
    out[0] = ("0001", EVIL_NAMES[0], out[0][2])
    out[1] = ("0002", EVIL_NAMES[3], out[1][2])
    out[2] = (LONG_ID, "响\x07铃网格", out[2][2])
    return out


GRIDS = _grids()


def make_units() -> pd.DataFrame:
    rows = [("district", i, n, pd.NA, 0) for i, n in DISTRICTS]
    rows += [("street", i, n, p, 1) for i, n, p in STREETS]
    rows += [("community", i, n, p, 2) for i, n, p in COMMUNITIES]
    rows += [("grid", i, n, p, 3) for i, n, p in GRIDS]
    df = pd.DataFrame(rows, columns=["level", "unit_id", "unit_name", "parent_id", "depth"])
    for c in ("level", "unit_id", "unit_name", "parent_id"):
        df[c] = df[c].astype("string")
    return df


# ---------------------------------------------------------------- fixture: indicator table
#
# Hand-set values (the ones the tests check):
#   resolution_rate 2025: total 85/100 = 0.85; D1 45/50 = 0.90 (meets ≥ 90% exactly, rank 1);
#                         D2 40/50 = 0.80 (fails by −10.0 pp, rank 2).
#                   2024: D1 0.88 → change +0.02 (+2.0 pp, good); D2 0.82 → −0.02 (−2.0 pp, bad).
#   households_per_grid 2025: D1 550 (fails 300–500 by +50 户), D2 400 (meets).
#   complaint_rate_per_1k 2025: D1 4.0 (meets ≤ 5), D2 6.5 (fails by +1.5).
#   median_handling_days 2025: D1 3.25 days, D2 4.5 days.
#   volunteer_participations 2025: D1 12,340, D2 8,000; 2024: D1 10,000 → change +23.4 %.
# Streets, communities and grids get generated values (see _generated) except:
#   street S22 resolution 0.95 with only 8 tickets → small_count (not ranked).

HAND_2025 = {
    ("total", "total"): {"resolution_rate": (85, 100, 0.85), "households_per_grid": (9500, 20, 475.0),
                         "complaint_rate_per_1k": (100, 20000, 5.0),
                         "median_handling_days": (3.8, 100, 3.8),
                         "volunteer_participations": (20340, None, 20340.0)},
    ("district", "D1"): {"resolution_rate": (45, 50, 0.90), "households_per_grid": (5500, 10, 550.0),
                         "complaint_rate_per_1k": (40, 10000, 4.0),
                         "median_handling_days": (3.25, 50, 3.25),
                         "volunteer_participations": (12340, None, 12340.0)},
    ("district", "D2"): {"resolution_rate": (40, 50, 0.80), "households_per_grid": (4000, 10, 400.0),
                         "complaint_rate_per_1k": (65, 10000, 6.5),
                         "median_handling_days": (4.5, 50, 4.5),
                         "volunteer_participations": (8000, None, 8000.0)},
}
HAND_2024 = {("district", "D1"): {"resolution_rate": 0.88, "volunteer_participations": 10000.0},
             ("district", "D2"): {"resolution_rate": 0.82, "volunteer_participations": 8000.0}}


def _generated(ind_id: str, k: int) -> tuple[float, float, float]:
    """Deterministic values for street/community/grid number k (0-based)."""
    if ind_id == "resolution_rate":
        return 18 + k % 3, 20, (18 + k % 3) / 20          # 0.90, 0.95, 1.00
    if ind_id == "households_per_grid":
        return 280 + 30 * k, 1, 280 + 30 * k              # 280, 310, …
    if ind_id == "complaint_rate_per_1k":
        return 3 + k % 4, 1000, 3.0 + k % 4               # 3 … 6
    if ind_id == "median_handling_days":
        return 2 + k / 10, 20, 2 + k / 10
    return 100 * (k + 1), None, 100.0 * (k + 1)


def make_table() -> pd.DataFrame:
    rows = []
    level_units = {"street": STREETS, "community": COMMUNITIES, "grid": GRIDS}
    for period, factor in (("2024", 0.98), ("2025", 1.0)):
        for ind_id in CATALOG:
            for key, vals in HAND_2025.items():
                num, den, val = vals[ind_id]
                if period == "2024":
                    val = HAND_2024.get(key, {}).get(ind_id, val * factor)
                rows.append(dict(level=key[0], unit_id=key[1],
                                 unit_name="全市" if key[0] == "total" else dict(DISTRICTS)[key[1]],
                                 period=period, indicator_id=ind_id, numerator=num,
                                 denominator=den, value=val, small_count=False))
            for level, units in level_units.items():
                for k, (uid, name, _) in enumerate(units):
                    num, den, val = _generated(ind_id, k)
                    small = False
                    if (level, uid, ind_id) == ("street", "S22", "resolution_rate"):
                        num, den, val, small = 7.6, 8, 0.95, True
                    rows.append(dict(level=level, unit_id=uid, unit_name=name, period=period,
                                     indicator_id=ind_id, numerator=num, denominator=den,
                                     value=val * (factor if period == "2024" else 1),
                                     small_count=small))
    for m in range(1, 13):   # monthly values of the whole dataset: 2025 0.81 … 0.92
        for year, base in ((2025, 0.8), (2024, 0.7)):        # 2024 0.71 … 0.82
            rows.append(dict(level="total", unit_id="total", unit_name="全市",
                             period=f"{year}-{m:02d}", indicator_id="resolution_rate",
                             numerator=8, denominator=10, value=base + m / 100, small_count=False))
    t = pd.DataFrame(rows)
    t["excluded"] = float("nan")
    # the indicators.compare columns: YoY and rank within level (small counts unranked)
    prev = t.loc[t["period"] == "2024", ["level", "unit_id", "indicator_id", "value"]]
    t = t.merge(prev.rename(columns={"value": "prev_value"}), how="left",
                on=["level", "unit_id", "indicator_id"])
    t.loc[t["period"] != "2025", "prev_value"] = float("nan")
    is_rate = t["indicator_id"].eq("resolution_rate")
    t["change"] = (t["value"] - t["prev_value"]).where(is_rate, t["value"] / t["prev_value"] - 1)
    t["change_unit"] = is_rate.map({True: "pp", False: "pct"})
    lower = t["indicator_id"].isin(["complaint_rate_per_1k", "median_handling_days"])
    t["change_good"] = ((t["change"] > 0) ^ lower).astype("boolean").mask(t["change"].isna())
    rankable = t.loc[~t["small_count"] & (t["level"] != "total")]
    asc = rankable["indicator_id"].isin(["complaint_rate_per_1k", "median_handling_days"])
    r_desc = rankable.groupby(["level", "period", "indicator_id"])["value"].rank(
        ascending=False, method="min")
    r_asc = rankable.groupby(["level", "period", "indicator_id"])["value"].rank(method="min")
    t["rank"] = r_asc.where(asc, r_desc)
    t["rank_of"] = t.groupby(["level", "period", "indicator_id"])["rank"].transform("count")
    t["rank_of"] = t["rank_of"].where(t["rank"].notna())
    for c in ("level", "unit_id", "unit_name", "period", "indicator_id", "change_unit"):
        t[c] = t[c].astype("string")
    return t


def make_report() -> LoadReport:
    grids = SourceReport(table="grids", file="grids_2025.xlsx", sheet="网格台账",
                         sha256="a" * 64, rows_read=23, accepted=20, rejected=2, blank=1,
                         errors=[RowError(5, "户数", "abc", "not_a_number", "不是数字"),
                                 RowError(9, "户数", "-3", "out_of_range", "超出范围")])
    complaints = SourceReport(table="complaints", file="=cmd|' /C calc'!A0.csv", sheet=None,
                              sha256="b" * 64, rows_read=105, accepted=100, rejected=5, blank=0,
                              errors=[RowError(10 + i, "办结时间", "2025-01-01",
                                               "closed_before_received", "办结早于受理")
                                      for i in range(3)]
                              + [RowError(20 + i, "网格编号", "9999", "unknown_unit", "未知")
                                 for i in range(2)])
    return LoadReport(sources=[grids, complaints],
                      fatal=[{"file": "stations.xlsx", "message": "文件已损坏"}])


def make_results(is_sample: bool = True) -> FakeResults:
    ds = Dataset(name="示例市 2023–2025（示例数据）", manifest_path=HERE / "dataset.yaml",
                 levels=["district", "street", "community", "grid"],
                 level_names={"district": "区县", "street": "街道", "community": "社区",
                              "grid": "网格"},
                 level_names_en={}, units=make_units(), tables={}, report=make_report(),
                 is_sample=is_sample, cutoff=pd.Timestamp("2025-12-31"))
    registers = pd.DataFrame({"period": ["2025", "2025"], "table": ["grids", "stations"],
                              "register_year": pd.array([2024, pd.NA], dtype="Int64"),
                              "fallback": [True, True]})
    return FakeResults(dataset=ds, table=make_table(), catalog=dict(CATALOG),
                       register_years=registers)


GENERATED_AT = datetime(2026, 1, 5, 9, 30)


@pytest.fixture(scope="module")
def workbook_path(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wb") / "review.xlsx"
    return write_workbook(make_results(), 2025, out, generated_at=GENERATED_AT)


@pytest.fixture(scope="module")
def wb(workbook_path):
    return openpyxl.load_workbook(workbook_path)


def find_row(ws, column: int, text: str, start: int = 1, after: tuple[int, str] | None = None):
    """First row ≥ start whose cell in ``column`` equals ``text``."""
    for row in range(start, ws.max_row + 1):
        if ws.cell(row, column).value == text:
            return row
    raise AssertionError(f"{text!r} not found in column {column} of {ws.title}")


def summary_block(ws, label: str) -> tuple[int, int]:
    """First and last row of an indicator's block on 汇总."""
    start = find_row(ws, 1, label)
    end = start
    while end + 1 <= ws.max_row and ws.cell(end + 1, 1).value is None \
            and ws.cell(end + 1, 3).value is not None:
        end += 1
    return start, end


# ---------------------------------------------------------------- structure

def test_sheet_names(wb):
    assert wb.sheetnames == ["封面", "汇总", "区县", "街道", "社区", "网格", "不达标清单", "月度趋势",
                             "对标参考", "指标说明", "数据质量"]


def test_cover_title_scope_cutoff_sources(wb):
    ws = wb["封面"]
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert ws["A1"].value == "示例市 2025 年度党建引领基层治理指标评议"
    assert any("示例数据" in t for t in texts[1:3])
    assert "2025-12-31" in texts and "2026-01-05 09:30" in texts
    assert "a" * 64 in texts and "b" * 64 in texts
    assert "网格台账 2024 年（无 2025 年台账，沿用最近一期）；党群服务阵地 未注明年份的台账" in texts
    link = ws.cell(find_row(ws, 1, "汇总"), 1).hyperlink
    assert link.location == "'汇总'!A1" and not link.target          # internal jump
    row = find_row(ws, 2, "grids_2025.xlsx")
    assert [ws.cell(row, c).value for c in range(5, 9)] == [23, 20, 2, 1]
    assert ws.cell(row, 5).number_format == "#,##0"


def test_cover_without_sample_flag(tmp_path):
    path = write_workbook(make_results(is_sample=False), 2025, tmp_path / "real.xlsx")
    texts = [c.value for row in openpyxl.load_workbook(path)["封面"].iter_rows()
             for c in row if isinstance(c.value, str)]
    assert not any("示例数据】" in t for t in texts)


# ---------------------------------------------------------------- values and formats

def test_summary_values_status_rank_change(wb):
    ws = wb["汇总"]
    start, end = summary_block(ws, "办结率（%）")
    rows = {ws.cell(r, 3).value: r for r in range(start, end + 1)}
    assert list(rows) == ["示例市", "东城区", "西城区"]    # scope total first, then by rank
    total, d1, d2 = rows["示例市"], rows["东城区"], rows["西城区"]
    assert ws.cell(total, 4).value == pytest.approx(0.85)
    assert ws.cell(d1, 4).value == pytest.approx(0.90)
    assert ws.cell(d2, 4).value == pytest.approx(0.80)
    assert ws.cell(d1, 4).number_format == "0.0%"
    assert ws.cell(d1, 2).value is None and ws.cell(start, 2).value == "≥ 90%"
    assert (ws.cell(d1, 5).value, ws.cell(d2, 5).value) == ("达标", "未达标")
    assert (ws.cell(d1, 6).value, ws.cell(d2, 6).value) == (1, 2)
    assert ws.cell(d1, 6).number_format == '0" / 2"'                  # shown as “1 / 2”
    assert ws.cell(d1, 7).value == pytest.approx(0.88)
    # rate change in percentage points: 0.90 − 0.88 = +2.0 pp; 0.80 − 0.82 = −2.0 pp
    assert ws.cell(d1, 8).value == pytest.approx(2.0)
    assert ws.cell(d2, 8).value == pytest.approx(-2.0)
    assert "个百分点" in ws.cell(d1, 8).number_format
    assert ws.cell(d1, 8).font.color.rgb.endswith("1F4E79")       # good change: blue
    assert ws.cell(d2, 8).font.color.rgb.endswith("B4470B")       # bad change: orange


def test_summary_count_change_is_percent(wb):
    ws = wb["汇总"]
    start, end = summary_block(ws, "志愿服务人次（人次）")
    d1 = find_row(ws, 3, "东城区", start)
    assert ws.cell(d1, 4).value == 12340 and ws.cell(d1, 4).number_format == "#,##0"
    assert ws.cell(d1, 8).value == pytest.approx(0.234)                  # 12,340 / 10,000 − 1
    assert ws.cell(d1, 8).number_format.startswith("+0.0%")
    assert ws.cell(d1, 5).value is None                                  # no standard


def test_level_sheet_values_and_formats(wb):
    ws = wb["区县"]
    headers = [ws.cell(3, c).value for c in range(1, ws.max_column + 1)]
    assert headers[:2] == ["区县编号", "区县名称"]
    col = {h: i + 1 for i, h in enumerate(headers)}
    d2 = find_row(ws, 2, "西城区")
    assert ws.cell(d2, col["办结率\n（%）"]).value == pytest.approx(0.80)
    assert ws.cell(d2, col["办结率\n（%）"]).number_format == "0.0%"
    assert ws.cell(4, col["办结率\n（%）"]).value == "≥ 90%"          # standard under the header
    assert ws.cell(4, col["网格平均户数\n（户）"]).value == "300–500"
    assert ws.cell(d2, col["办结时长中位数\n（天）"]).value == pytest.approx(4.5)
    assert ws.cell(d2, col["办结时长中位数\n（天）"]).number_format == '0.0" 天"'
    assert ws.cell(d2, col["网格平均户数\n（户）"]).number_format == "#,##0"
    # D2 fails resolution (0.80 < 0.90) and complaints (6.5 > 5); meets households (400)
    assert ws.cell(d2, col["未达标项数"]).value == 2
    d1 = find_row(ws, 2, "东城区")
    # D1 meets resolution (0.90) and complaints (4.0); fails households (550 > 500)
    assert ws.cell(d1, col["未达标项数"]).value == 1


def test_grid_sheet_parents_and_text_ids(wb):
    ws = wb["网格"]
    assert [ws.cell(3, c).value for c in range(1, 7)] == ["区县", "街道", "社区", "网格编号",
                                                          "网格名称", "项目"]
    assert ws.max_row - 4 == 2 * 20                       # 20 grids × (value + 同比) below 2 header rows
    row = find_row(ws, 4, LONG_ID)
    assert ws.cell(row, 4).data_type == "s"                       # every digit kept, as text
    assert [ws.cell(row, c).value for c in (1, 2, 3, 5)] == ["东城区", "和平街道", "+1", "响铃网格"]
    assert ws.cell(find_row(ws, 5, EVIL_NAMES[0]), 4).value == "0001"


def test_failing_list_gaps(wb):
    ws = wb["不达标清单"]
    rows = [[ws.cell(r, c).value for c in range(1, 11)] for r in range(4, ws.max_row + 1)]
    by_key = {(r[0], r[2], r[5]): r for r in rows}
    d2 = by_key[("办结率", "区县", "西城区")]
    assert d2[6] == pytest.approx(0.80) and d2[7] == pytest.approx(-10.0)    # 0.80 − 0.90 → −10 pp
    assert d2[8] == "低于标准 10.0 个百分点"
    hh = by_key[("网格平均户数", "区县", "东城区")]
    assert hh[7] == pytest.approx(50) and hh[8] == "高于上限 50 户"
    cr = by_key[("每千人诉求量", "区县", "西城区")]
    assert cr[7] == pytest.approx(1.5)
    assert ("办结率", "区县", "东城区") not in by_key                        # 0.90 meets ≥ 90%
    assert not any(r[0] == "办结时长中位数" for r in rows)                   # no standard
    # by default the finest level (grids) is left out; its failures show on the 网格 sheet
    assert {r[2] for r in rows} == {"区县", "街道", "社区"}


def test_failing_list_with_grids(tmp_path):
    path = write_workbook(make_results(), 2025, tmp_path / "g.xlsx",
                          failing_levels=["district", "grid"])
    ws = openpyxl.load_workbook(path)["不达标清单"]
    rows = [[ws.cell(r, c).value for c in range(1, 11)] for r in range(4, ws.max_row + 1)]
    assert {r[2] for r in rows} == {"区县", "网格"}
    # grid 1 has 280 households (< 300 by 20) and a formula-like name: listed, as text
    g1 = next(r for r in rows if r[0] == "网格平均户数" and r[5] == EVIL_NAMES[0])
    assert g1[3] == "东城区 / 和平街道 / +1" and g1[7] == pytest.approx(-20)
    # households 280, 310, …, 850 by grid: 280 fails low; 520 … 850 (12 grids) fail high
    assert sum(r[0] == "网格平均户数" for r in rows) == 1 + 12 + 1      # + district D1 (550)


def test_small_count_flagged_not_ranked(wb):
    st = wb["街道"]
    col = [st.cell(3, c).value for c in range(1, st.max_column + 1)].index("办结率\n（%）") + 1
    s22 = find_row(st, 3, "长安街道")
    assert st.cell(s22, col).value == pytest.approx(0.95)
    assert st.cell(s22, col).font.i is True                      # grey italic = small count


def test_trends_months(wb, workbook_path):
    ws = wb["月度趋势"]
    assert ws.cell(3, 2).value == "办结率\n（%）"
    assert "B3:C3" in {str(r) for r in ws.merged_cells.ranges}     # the name spans both years
    assert (ws.cell(4, 2).value, ws.cell(4, 3).value) == ("2025 年", "2024 年")
    assert ws.cell(5, 1).value == "1 月" and ws.cell(16, 1).value == "12 月"
    assert ws.cell(5, 2).value == pytest.approx(0.81) and ws.cell(16, 2).value == pytest.approx(0.92)
    assert ws.cell(5, 3).value == pytest.approx(0.71) and ws.cell(16, 3).value == pytest.approx(0.82)
    assert ws.cell(5, 3).number_format == "0.0%"
    # 2025's months are judged against ≥ 90%; last year's column is not coloured
    ranges = {str(cf.sqref) for cf in ws.conditional_formatting}
    assert "B5:B16" in ranges and not any(r.startswith("C") for r in ranges)
    # one native line chart per monthly indicator: two series (2025, 2024) over the 12 months
    charts = ws._charts
    assert len(charts) == 1
    chart = charts[0]
    assert chart.tagname == "lineChart"
    refs = [s.val.numRef.f for s in chart.series]
    assert refs == ["'月度趋势'!$B$5:$B$16", "'月度趋势'!$C$5:$C$16"]
    assert [s.tx.strRef.f for s in chart.series] == ["'月度趋势'!B4", "'月度趋势'!C4"]
    assert chart.series[0].cat.numRef is None or chart.series[0].cat.numRef.f.endswith("$A$5:$A$16")
    with zipfile.ZipFile(workbook_path) as z:
        xml = z.read("xl/charts/chart1.xml").decode("utf-8")
    assert "<lineChart>" in xml
    assert 'prstDash val="dash"' in xml                       # last year dashed, not only grey


def test_definitions_and_quality(wb):
    ws = wb["指标说明"]
    row = find_row(ws, 2, "resolution_rate")
    assert [ws.cell(row, c).value for c in (3, 4, 6, 7, 8)] == ["办结率", "%", "越高越好", "≥ 90%",
                                                                 "标准：测试来源甲"]
    assert ws.cell(row, 9).value == 10
    q = wb["数据质量"]
    assert [q.cell(4, c).value for c in range(4, 9)] == [23, 20, 2, 1, "平衡"]
    total = find_row(q, 1, "合计")
    assert [q.cell(total, c).value for c in range(4, 8)] == [128, 120, 7, 1]
    rule_row = find_row(q, 5, "办结时间早于受理时间")
    assert q.cell(rule_row, 4).value == 3
    assert q.cell(rule_row, 2).value == "=cmd|' /C calc'!A0.csv"
    assert q.cell(rule_row, 2).data_type == "s"
    assert find_row(q, 2, "stations.xlsx")
    # problem details: 2 + 5 rows, raw values as text, Excel row numbers as numbers
    first = find_row(q, 4, "行号") + 1
    end = find_row(q, 1, "导出处理说明") - 1
    detail = [[q.cell(r, c).value for c in (2, 4, 5, 7, 8)] for r in range(first, end)]
    assert len(detail) == 7
    assert detail[1] == ["grids_2025.xlsx", 9, "户数", "-3", "超出合理范围"]
    assert q.cell(first + 1, 7).data_type == "s"


# ---------------------------------------------------------------- conditional formats, print

def test_conditional_formatting_on_summary(wb):
    ws = wb["汇总"]
    ranges = {str(cf.sqref): [r.formula[0] for r in cf.rules] for cf in ws.conditional_formatting}
    start, end = summary_block(ws, "办结率（%）")
    value_rules = ranges[f"D{start}:D{end}"]
    assert any("<0.9" in f for f in value_rules) and any(">=0.9" in f for f in value_rules)
    assert f"E{start}:E{end}" in ranges                          # 达标 / 未达标 text colours
    mstart, mend = summary_block(ws, "办结时长中位数（天）")
    assert f"D{mstart}:D{mend}" not in ranges                     # no standard, no colours
    hstart, hend = summary_block(ws, "网格平均户数（户）")
    assert any("300" in f and "500" in f for f in ranges[f"D{hstart}:D{hend}"])


def test_print_setup_and_frozen_panes(wb):
    for ws in wb.worksheets:
        assert ws.page_setup.orientation == "landscape", ws.title
        assert int(ws.page_setup.paperSize) == 9, ws.title
        assert int(ws.page_setup.fitToWidth) == 1
        assert int(ws.page_setup.fitToHeight) == (1 if ws.title == "封面" else 0), ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage is True
        assert ws.oddFooter.center.text == "第 &P 页，共 &N 页"
    assert wb["汇总"].print_title_rows == "$3:$3"
    assert wb["网格"].print_title_rows == "$3:$4"
    assert wb["汇总"].freeze_panes == "D4"
    assert wb["网格"].freeze_panes == "G5"                  # after 区县 街道 社区 编号 名称 项目
    assert wb["区县"].freeze_panes == "D5"
    assert wb["月度趋势"].print_title_rows is None   # never a table header above the charts


def test_every_cell_uses_the_cjk_font(wb):
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.value is not None:
                    assert c.font.name == "等线", (ws.title, c.coordinate)


# ---------------------------------------------------------------- safety

def test_formula_like_names_are_text_never_formulas(workbook_path, wb):
    ws = wb["网格"]
    for name in (EVIL_NAMES[0], EVIL_NAMES[3]):
        cell = ws.cell(find_row(ws, 5, name), 5)
        assert cell.data_type == "s" and cell.value == name
    com = wb["社区"]
    for name in ("+1", "-1"):
        cell = com.cell(find_row(com, 4, name), 4)
        assert cell.data_type == "s" and cell.quotePrefix      # stays text when edited in Excel
    with zipfile.ZipFile(workbook_path) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        assert len(sheets) == 11
        for name in sheets:
            xml = z.read(name).decode("utf-8")
            assert "<f>" not in xml and "<f " not in xml, name
        grid_xml = "".join(z.read(n).decode("utf-8") for n in sheets)
    assert 't="inlineStr"><is><t>=HYPERLINK("http://x","y")</t></is>' in grid_xml


def test_safe_text_cleans_and_truncates():
    assert safe_text("a\x00b\x08c\x0bd\x0ce\x0ef\x1fg\th\ni") == "abcdefg\th\ni"
    long = "长" * (EXCEL_MAX_CELL_CHARS + 10)
    out = safe_text(long)
    assert len(out) == EXCEL_MAX_CELL_CHARS and out.endswith(TRUNCATION_MARKER)
    assert safe_text(None) == "" and safe_text(float("nan")) == "" and safe_text(pd.NA) == ""
    assert display_width("网格a1") == 6


def test_sheet_title_rules():
    taken: set[str] = {"汇总"}
    assert sheet_title("汇总", taken) == "汇总(2)"
    assert sheet_title("a/b:c", taken) == "a_b_c"
    assert len(sheet_title("长" * 40, taken)) == 31


def test_put_number_refuses_text(tmp_path):
    ws = openpyxl.Workbook().active
    with pytest.raises(TypeError):
        put_number(ws, 1, 1, "12", "0")
    assert put_number(ws, 1, 1, float("nan"), "0").value is None


# ---------------------------------------------------------------- scope and errors

def test_scope_district_covers_only_its_units(tmp_path):
    path = write_workbook(make_results(), 2025, tmp_path / "d1.xlsx", scope="D1")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["封面", "汇总", "街道", "社区", "网格", "不达标清单", "月度趋势",
                             "对标参考", "指标说明", "数据质量"]
    assert wb["封面"]["A1"].value == "示例市 东城区 2025 年度党建引领基层治理指标评议"
    ws = wb["汇总"]
    start, end = summary_block(ws, "办结率（%）")
    assert [ws.cell(r, 3).value for r in range(start, end + 1)][0] == "东城区"
    assert {ws.cell(r, 3).value for r in range(start + 1, end + 1)} == {"和平街道", "安定街道"}
    assert ws.cell(start, 4).value == pytest.approx(0.90)
    assert wb["网格"].max_row - 4 == 2 * 10                  # communities C111..C122: 3+3+2+2
    assert [wb["网格"].cell(3, c).value for c in (1, 2)] == ["街道", "社区"]
    failing = wb["不达标清单"]
    names = {failing.cell(r, 6).value for r in range(4, failing.max_row + 1)}
    assert "西城区" not in names and "新华街道" not in names


def test_errors(tmp_path):
    res = make_results()
    with pytest.raises(ValueError, match="2030"):
        write_workbook(res, 2030, tmp_path / "x.xlsx")
    with pytest.raises(ValueError, match="找不到"):
        write_workbook(res, 2025, tmp_path / "x.xlsx", scope="NOPE")
    with pytest.raises(ValueError, match="最细层级"):
        write_workbook(res, 2025, tmp_path / "x.xlsx", scope="0004")


def test_gap_words_round_like_excel():
    from reports.formats import gap_words
    households = CATALOG["households_per_grid"]          # 0 decimals, 户
    assert gap_words(households, -88.5, "between") == "低于下限 89 户"   # Python's round() gives 88
    assert gap_words(households, 50.0, "between") == "高于上限 50 户"
    assert gap_words(CATALOG["resolution_rate"], -0.0125) == "低于标准 1.3 个百分点"


# ---------------------------------------------------------------- as a user sees it

REPO = HERE.parent
SAMPLE_MANIFEST = REPO / "data" / "sample" / "dataset.yaml"


@pytest.mark.skipif(shutil.which("libreoffice") is None or shutil.which("pdftoppm") is None,
                    reason="needs LibreOffice calc and poppler (apt-get install -y "
                           "libreoffice-calc-nogui poppler-utils)")
def test_renders_to_pdf_without_hash_marks(workbook_path, tmp_path):
    """LibreOffice prints every sheet, page numbers in the footer, no ``###`` (a number too
    wide for its column), Chinese text present (not boxes).  Here every sheet fits one page
    except 网格 (20 grids × 2 rows), 月度趋势 (its chart starts a page of its own) and 数据质量."""
    subprocess.run(["libreoffice", "--headless", "--convert-to", "pdf", "--outdir",
                    str(tmp_path), str(workbook_path)], check=True, capture_output=True,
                   timeout=180)
    pdf = tmp_path / "review.pdf"
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    pages = text.split("\f")[:-1]
    sheet_of_page = [p.strip().splitlines()[0].split()[-1] for p in pages]   # header: &A
    assert sheet_of_page[:12] == ["封面", "汇总", "区县", "街道", "社区", "网格", "网格",
                                  "不达标清单", "月度趋势", "月度趋势", "对标参考", "指标说明"]
    # 数据质量: load report, excluded records, data-quality findings, export notes
    assert set(sheet_of_page[12:]) == {"数据质量"} and len(pages) in (14, 15, 16)
    n = len(pages)
    assert f"第 1 页，共 {n} 页" in pages[0] and f"第 {n} 页，共 {n} 页" in pages[-1]
    assert "折线图" in pages[9] and "1 月" in pages[9]                 # the chart's own page
    assert "###" not in text
    assert "示例市 2025 年度党建引领基层治理指标评议" in pages[0]
    assert "低于标准 10.0 个百分点" in text
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "2", str(pdf),
                    str(tmp_path / "page")], check=True, timeout=120)
    assert len(list(tmp_path.glob("page-*.png"))) == 2


def test_sample_dataset_workbook(sample_results, tmp_path):
    """The real pipeline's Results: every district's value on 区县 equals the indicator table's."""
    res = sample_results
    path = write_workbook(res, 2025, tmp_path / "sample.xlsx")
    wb = openpyxl.load_workbook(path)
    levels = [res.dataset.level_names[lv] for lv in res.dataset.levels]
    assert wb.sheetnames[2:2 + len(levels)] == levels
    t = res.table
    expected = t.loc[(t["period"] == "2025") & (t["level"] == "district")
                     & (t["indicator_id"] == "resolution_rate")].set_index("unit_id")["value"]
    ws = wb[levels[0]]
    col = [ws.cell(3, c).value for c in range(1, ws.max_column + 1)].index("办结率\n（%）") + 1
    seen = {ws.cell(r, 1).value: ws.cell(r, col).value for r in range(5, ws.max_row + 1, 2)}
    assert seen.keys() == set(expected.index)
    for unit_id, value in seen.items():
        assert value == pytest.approx(expected[unit_id])
    grid_ws = wb[levels[-1]]
    assert grid_ws.max_row - 4 == 2 * (res.dataset.units["level"] == res.dataset.levels[-1]).sum()
    # a district-scoped workbook holds only that district's streets
    district = str(expected.index[0])
    scoped = openpyxl.load_workbook(write_workbook(res, 2025, tmp_path / "d.xlsx", scope=district))
    units = res.dataset.units
    streets = units.loc[(units["level"] == res.dataset.levels[1])
                        & (units["parent_id"] == district), "unit_id"]
    st = scoped[levels[1]]
    assert {st.cell(r, 1).value for r in range(5, st.max_row + 1, 2)} == set(streets)


def test_small_count_note_in_scoped_summary(tmp_path):
    """Street S22 has 8 tickets (< min_count 10): shown with a note, not ranked, not hidden."""
    ws = openpyxl.load_workbook(write_workbook(make_results(), 2025, tmp_path / "d2.xlsx",
                                               scope="D2"))["汇总"]
    start, end = summary_block(ws, "办结率（%）")
    s22 = find_row(ws, 3, "长安街道", start)
    assert s22 == end                                            # unranked units come last
    assert ws.cell(s22, 4).value == pytest.approx(0.95)
    assert ws.cell(s22, 6).value is None
    assert ws.cell(s22, 9).value == "样本量小（8，少于 10），不参与排名"
    assert ws.cell(find_row(ws, 3, "新华街道", start), 6).value is not None


def test_header_footer_text_is_escaped_and_short():
    from reports.cells import HEADER_FOOTER_MAX_CHARS, header_footer_text
    assert header_footer_text("A&B") == "A&&B"
    assert len(header_footer_text("长" * 300)) == HEADER_FOOTER_MAX_CHARS


@pytest.mark.parametrize("name, place", [("示例市 2023–2025（示例数据）", "示例市"),
                                         ("波士顿 2015（真实公开数据）", "波士顿"),
                                         ("Boston 2015 (real public data)", "Boston"),
                                         ("某某区", "某某区"), ("2025", "2025")])
def test_place_name(name, place):
    from reports.sheets.common import place_name as _place_name
    assert _place_name(name) == place


def test_sample_failing_list_agrees_with_compare(sample_results, tmp_path):
    """不达标清单 names exactly the units indicators.compare.failing_units names (the dashboard's
    list), at every level."""
    from indicators.compare import failing_units
    res = sample_results
    levels = list(res.dataset.levels)
    ws = openpyxl.load_workbook(write_workbook(res, 2025, tmp_path / "f.xlsx",
                                               failing_levels=levels))["不达标清单"]
    listed = {(ws.cell(r, 3).value, ws.cell(r, 5).value, ws.cell(r, 1).value)
              for r in range(4, ws.max_row + 1)}
    expected = set()
    for level in levels:
        f = failing_units(res.table, "2025", level, res.catalog)
        expected |= {(res.dataset.level_names[level], u, n) for u, n in zip(f["unit_id"],
                                                                             f["indicator"])}
    assert expected and listed == expected


def test_number_formats_and_changes():
    from reports.formats import change_for_excel, change_format, value_format
    rate, days = CATALOG["resolution_rate"], CATALOG["median_handling_days"]
    count, ratio = CATALOG["volunteer_participations"], CATALOG["complaint_rate_per_1k"]
    assert [value_format(i) for i in (rate, days, count, ratio)] == \
        ["0.0%", '0.0" 天"', "#,##0", "#,##0.0"]
    assert change_for_excel(rate, 0.013) == pytest.approx(1.3)        # +1.3 个百分点
    assert change_for_excel(rate, -0.0003) == 0.0                      # never "-0.0"
    assert str(change_for_excel(rate, -0.0003)) == "0.0"
    assert change_for_excel(count, 0.23449) == 0.234                   # shown as +23.4%
    assert change_format(rate).startswith('+0.0" 个百分点"')


def test_scope_street(tmp_path):
    wb = openpyxl.load_workbook(write_workbook(make_results(), 2025, tmp_path / "s.xlsx",
                                               scope="S11"))
    assert wb.sheetnames[2:4] == ["社区", "网格"]
    assert wb["封面"]["A1"].value == "示例市 东城区和平街道 2025 年度党建引领基层治理指标评议"
    grids = wb["网格"]
    assert [grids.cell(3, c).value for c in (1, 2, 3)] == ["社区", "网格编号", "网格名称"]
    assert grids.max_row - 4 == 2 * 6                           # C111 and C112: 3 + 3 grids
    # the finest level is the only one left out of 不达标清单 by default
    failing = wb["不达标清单"]
    assert {failing.cell(r, 3).value for r in range(4, failing.max_row + 1)} == {"社区"}


# ---------------------------------------------------------------- issue 6 additions

def test_level_sheet_change_rows(wb):
    """Each unit has a value row and a 同比 row below it: rates in percentage points (bare),
    counts as a fraction with a % format, coloured by direction; conditional formats judge the
    value rows only."""
    ws = wb["区县"]
    headers = [ws.cell(3, c).value for c in range(1, ws.max_column + 1)]
    col = {h: i + 1 for i, h in enumerate(headers)}
    d1 = find_row(ws, 2, "东城区")
    assert ws.cell(d1, col["项目"]).value == "本年" and ws.cell(d1 + 1, col["项目"]).value == "同比"
    rate, count = col["办结率\n（%）"], col["志愿服务人次\n（人次）"]
    assert ws.cell(d1 + 1, rate).value == pytest.approx(2.0)          # 0.90 − 0.88 = +2.0 pp
    assert ws.cell(d1 + 1, rate).number_format == "+0.0;-0.0;0.0"
    assert ws.cell(d1 + 1, rate).font.color.rgb.endswith("1F4E79")    # better: blue
    d2 = find_row(ws, 2, "西城区")
    assert ws.cell(d2 + 1, rate).value == pytest.approx(-2.0)
    assert ws.cell(d2 + 1, rate).font.color.rgb.endswith("B4470B")    # worse: orange
    assert ws.cell(d1 + 1, count).value == pytest.approx(0.234)       # 12,340 / 10,000 − 1
    assert ws.cell(d1 + 1, count).number_format == "+0.0%;-0.0%;0.0%"
    assert ws.cell(d2 + 1, col["未达标项数"]).value is None           # counted once, on the value row
    letter = openpyxl.utils.get_column_letter(rate)
    rules = {str(cf.sqref): [r.formula[0] for r in cf.rules] for cf in ws.conditional_formatting}
    formulas = rules[f"{letter}5:{letter}8"]
    assert all('$C5="本年"' in f for f in formulas)                  # 同比 rows never coloured


def test_level_split_across_sheets(tmp_path, monkeypatch):
    """More units than a sheet holds continue on further sheets, nothing lost, and the split is
    reported.  Limit patched to 4 header rows + 6 rows = 3 grids (2 rows each) per sheet."""
    import reports.workbook as workbook
    monkeypatch.setattr(workbook, "MAX_SHEET_ROWS", 10)
    wb = openpyxl.load_workbook(write_workbook(make_results(), 2025, tmp_path / "split.xlsx"))
    grid_sheets = [n for n in wb.sheetnames if n.startswith("网格")]
    assert grid_sheets == ["网格"] + [f"网格（续{k}）" for k in range(2, 8)]   # ⌈20 / 3⌉ = 7
    seen = [wb[n].cell(r, 4).value for n in grid_sheets for r in range(5, wb[n].max_row + 1, 2)]
    assert seen == [g[0] for g in GRIDS]                                   # every grid, in order
    assert all(wb[n].max_row <= 10 for n in grid_sheets)
    assert "第 7 部分，共 7 部分（第 19–20 个）" in wb["网格（续7）"]["A2"].value
    q = wb["数据质量"]
    splits = {q.cell(r, 1).value: q.cell(r, 3).value for r in range(1, q.max_row + 1)
              if q.cell(r, 2).value == "拆分工作表"}
    assert {"街道", "社区", "网格"} <= splits.keys()          # 4, 8, 20 units; 区县 (2) fits
    assert "区县" not in splits
    assert splits["网格"].startswith("20 个网格（每个占 2 行）超出") and "7 个工作表" in splits["网格"]
    assert "社区（续3）" in wb.sheetnames and "区县（续2）" not in wb.sheetnames
    assert wb["封面"].cell(find_row(wb["封面"], 1, "网格（续7）"), 1).hyperlink is not None


def test_control_characters_and_truncation_are_reported(tmp_path):
    """A grid name with a bell character loses it and says where; a 40,000-character raw value
    is cut at 32,767 characters with the marker, and that too is listed."""
    res = make_results()
    res.dataset.report.sources[0].errors.append(
        RowError(12, "备注", "长" * 40_000, "bad_value", "过长"))
    wb = openpyxl.load_workbook(write_workbook(res, 2025, tmp_path / "notes.xlsx"))
    grid_ws = wb["网格"]
    cell = grid_ws.cell(find_row(grid_ws, 5, "响铃网格"), 5)
    q = wb["数据质量"]
    notes = {(q.cell(r, 1).value, q.cell(r, 2).value): q.cell(r, 3).value
             for r in range(find_row(q, 1, "导出处理说明") + 2, q.max_row + 1)}
    control = notes[("网格", "删除控制字符")]
    assert control.startswith("1 个单元格删除了 1 个") and control.endswith(cell.coordinate)
    long_cell = next(c for row in q.iter_rows() for c in row
                     if isinstance(c.value, str) and c.value.endswith(TRUNCATION_MARKER))
    assert len(long_cell.value) == EXCEL_MAX_CELL_CHARS
    # the value shows twice (example of its rule, and the problem details): both cells listed
    truncated = notes[("数据质量", "超长文本截断")]
    assert truncated.startswith("2 个单元格") and long_cell.coordinate in truncated
    cut = 40_000 - (EXCEL_MAX_CELL_CHARS - len(TRUNCATION_MARKER))     # the detail cell alone
    prefix = len("第 12 行 / 备注 / ")                                 # the example's own text
    assert f"共截去 {2 * cut + prefix:,} 个字符" in truncated


def test_no_notes_when_nothing_changed(tmp_path):
    res = make_results()
    res.dataset.units["unit_name"] = res.dataset.units["unit_name"].str.replace("\x07", "")
    q = openpyxl.load_workbook(write_workbook(res, 2025, tmp_path / "clean.xlsx"))["数据质量"]
    assert q.cell(find_row(q, 1, "导出处理说明") + 2, 1).value.startswith("无：")


def test_benchmarks_sheet_cites_sources(wb):
    """Every standard and reference on its own row with the catalog's citation; the scope's
    value is judged against standards only (a reference may use another definition)."""
    ws = wb["对标参考"]
    rows = {(ws.cell(r, 1).value, ws.cell(r, 2).value): r for r in range(4, ws.max_row + 1)}
    assert len(rows) == 3                     # the fixture's three standards, no references
    r = rows[("办结率（%）", "判定标准（政策文件）")]
    assert ws.cell(r, 3).value == "≥ 90%" and ws.cell(r, 6).value == "测试来源甲"
    assert ws.cell(r, 4).value == pytest.approx(0.85) and ws.cell(r, 5).value == "未达到"
    r = rows[("网格平均户数（户）", "判定标准（政策文件）")]
    assert ws.cell(r, 4).value == pytest.approx(475.0) and ws.cell(r, 5).value == "达到"


def test_benchmark_rows_join_published_figures():
    """Each standard or reference once per published figure it names (indicators.benchmarks),
    a ratio of two figures computed; one naming no figure still listed, figure columns empty."""
    from reports.benchmarks import benchmark_rows
    cases = pd.DataFrame([
        ["奉新县", "江西省", "县", "resolution_rate", "办结率", 0.918, "比例", "文章甲", "记者报道"],
        ["华阴市", "陕西省", "县级市", "grid_workers", "网格员总数", 4149.0, "人", "文章乙", "华阴组织部"],
        ["华阴市", "陕西省", "县级市", "grids", "网格数", 519.0, "个", "文章乙", "华阴组织部"],
        ["某县", "某省", "县", "resolution_rate", "办结率", 0.918, "比例", "文章丙", "某县组织部"],
    ], columns=["place", "province", "place_type", "figure_id", "figure_zh", "value", "unit",
                "source_title_zh", "source_author_zh"])
    two_places = Indicator(**{**CATALOG["resolution_rate"].__dict__, "standard": Standard(
        comparison=">=", value=0.918, label_zh="≥ 91.8%", source_zh="奉新县等", basis="peer",
        figure=("奉新县:resolution_rate", "某县:resolution_rate"))})
    ratio = Indicator(**{**CATALOG["complaint_rate_per_1k"].__dict__, "id": "workers",
                         "standard": None, "references": (Standard(
                             comparison=">=", value=8.0, label_zh="华阴", source_zh="华阴市",
                             basis="peer", figure=("华阴市:grid_workers / 华阴市:grids",)),)})
    out = benchmark_rows([two_places, ratio, CATALOG["households_per_grid"]], cases)
    assert list(zip(out["indicator_id"], out["role"])) == [
        ("resolution_rate", "standard"), ("resolution_rate", "standard"),
        ("workers", "reference"), ("households_per_grid", "standard")]
    assert list(out["article"][:2]) == ["文章甲", "文章丙"]
    assert out.loc[2, "published_value"] == pytest.approx(4149 / 519)
    assert out.loc[3, "source"] == "测试来源乙" and pd.isna(out.loc[3, "article"])


def test_excluded_records_on_quality_sheet(tmp_path):
    """The scope unit's excluded records per indicator, with the reason and the share."""
    res = make_results()
    t = res.table
    at = (t["level"] == "total") & (t["period"] == "2025") & (t["indicator_id"] == "resolution_rate")
    t.loc[at, "excluded"] = 25.0
    t["excluded_reason"] = pd.Series(pd.NA, index=t.index, dtype="string")
    t.loc[at, "excluded_reason"] = "无受理时间"
    res.catalog["resolution_rate"] = Indicator(**{**CATALOG["resolution_rate"].__dict__,
                                                  "excluded": "untimed"})
    q = openpyxl.load_workbook(write_workbook(res, 2025, tmp_path / "ex.xlsx"))["数据质量"]
    row = find_row(q, 1, "办结率", find_row(q, 1, "计算中排除的记录（示例市，2025 年）"))
    assert [q.cell(row, c).value for c in (2, 4, 5)] == ["无受理时间", 100, 25]
    assert q.cell(row, 6).value == pytest.approx(25 / 125) and q.cell(row, 6).number_format == "0.0%"


def test_progress_reports_every_sheet(tmp_path):
    calls = []
    write_workbook(make_results(), 2025, tmp_path / "p.xlsx",
                   progress=lambda done, total, name: calls.append((done, total, name)))
    total = calls[0][1]                     # 11 sheets + saving the file
    assert total == 12 and [c[0] for c in calls] == list(range(1, 13)) and calls[-1][2] == ""
    assert {c[2] for c in calls[:-1]} == set(openpyxl.load_workbook(tmp_path / "p.xlsx").sheetnames)


def test_summary_ranks_within_peer_groups(tmp_path):
    """Where the dataset configures peer groups (indicators.compare.add_peer_rank), 汇总 ranks a
    unit among its group and says which; without a group the level-wide rank stays."""
    res = make_results()
    t = res.table
    t["peer_group"] = pd.Series(pd.NA, index=t.index, dtype="string")
    t["peer_rank"] = pd.Series(pd.NA, index=t.index, dtype="Int64")
    t["peer_rank_of"] = pd.Series(pd.NA, index=t.index, dtype="Int64")
    d2 = (t["level"] == "district") & (t["unit_id"] == "D2") & (t["period"] == "2025")
    t.loc[d2, "peer_group"] = "新城区"                  # D2 alone in its group: 1 / 1
    t.loc[d2, "peer_rank"] = 1
    t.loc[d2, "peer_rank_of"] = 1
    ws = openpyxl.load_workbook(write_workbook(res, 2025, tmp_path / "peer.xlsx"))["汇总"]
    start, end = summary_block(ws, "办结率（%）")
    d2_row, d1_row = find_row(ws, 3, "西城区", start), find_row(ws, 3, "东城区", start)
    assert ws.cell(d2_row, 6).value == 1 and ws.cell(d2_row, 6).number_format == '0" / 1"'
    assert ws.cell(d2_row, 9).value == "同类组“新城区”内排名"
    assert ws.cell(d1_row, 6).value == 1 and ws.cell(d1_row, 6).number_format == '0" / 2"'
    assert ws.cell(d1_row, 9).value is None


def test_failing_list_split_across_sheets(tmp_path, monkeypatch):
    """不达标清单 longer than a sheet continues on 不达标清单（续2）…: the same rows, in order."""
    import reports.workbook as workbook
    whole = openpyxl.load_workbook(write_workbook(make_results(), 2025, tmp_path / "a.xlsx"))
    expected = [r for r in whole["不达标清单"].iter_rows(min_row=4, values_only=True)]
    assert len(expected) > 7
    monkeypatch.setattr(workbook, "MAX_SHEET_ROWS", 10)          # 3 header rows + 7 rows
    wb = openpyxl.load_workbook(write_workbook(make_results(), 2025, tmp_path / "b.xlsx"))
    parts = [n for n in wb.sheetnames if n.startswith("不达标清单")]
    assert len(parts) == -(-len(expected) // 7) and parts[1] == "不达标清单（续2）"
    seen = [r for n in parts for r in wb[n].iter_rows(min_row=4, values_only=True)]
    assert seen == expected
    q = wb["数据质量"]
    note = next(q.cell(r, 3).value for r in range(1, q.max_row + 1)
                if q.cell(r, 1).value == "不达标清单" and q.cell(r, 2).value == "拆分工作表")
    assert note.startswith(f"{len(expected)} 行不达标记录超出")
