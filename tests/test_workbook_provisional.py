"""The annual review workbook of the sample (cut-off 2025-12-31): provisional values (暂定) are
marked and never judged, 汇总 carries 2023 beside 2025 and 2024, 数据质量 lists the
data-quality findings of the year, and the dataset's own indicators appear."""
from __future__ import annotations

import openpyxl
import pytest

from reports import write_workbook


@pytest.fixture(scope="module")
def book(sample_results, tmp_path_factory):
    path = tmp_path_factory.mktemp("wb") / "review.xlsx"
    return openpyxl.load_workbook(write_workbook(sample_results, 2025, path))


def _row(ws, column: int, text: str, start: int = 1) -> int:
    for r in range(start, ws.max_row + 1):
        if ws.cell(r, column).value == text:
            return r
    raise AssertionError(f"{text!r} not in column {column} of {ws.title}")


def test_summary_marks_provisional_rates_and_keeps_final_ones(book, sample_results):
    ws = book["汇总"]
    headers = [ws.cell(3, c).value for c in range(1, ws.max_column + 1)]
    assert headers[:8] == ["指标（计量单位）", "标准", "单位", "本年值", "达标情况", "同级排名",
                           "上年值", "2023 年值"]
    res = _row(ws, 1, "办结率（%）")
    assert ws.cell(res, 5).value == "暂定"                       # never 未达标
    assert "暂定" in ws.cell(res, 4).number_format
    assert ws.cell(res, 4).value == pytest.approx(_value(sample_results, "resolution_rate", "2025"))
    assert ws.cell(res, 8).value == pytest.approx(_value(sample_results, "resolution_rate", "2023"))
    final = _row(ws, 1, "30日办结率（%）")
    assert "暂定" not in ws.cell(final, 4).number_format        # censoring-aware: final
    rules = {str(cf.sqref): [r.formula[0] for r in cf.rules] for cf in ws.conditional_formatting}
    block = next(v for k, v in rules.items() if k.startswith(f"D{res}:"))
    assert all('<>"暂定"' in f for f in block)                   # not coloured when 暂定
    assert _row(ws, 1, "专职网格员占比（%）")                       # the manifest's own indicator


def test_failing_list_has_no_provisional_values(book):
    ws = book["不达标清单"]
    listed = {ws.cell(r, 1).value for r in range(4, ws.max_row + 1)}
    assert "办结率" not in listed and "满意率" not in listed


def test_monthly_sheet_marks_december(book):
    ws = book["月度趋势"]
    col = next(c for c in range(1, ws.max_column + 1)
               if str(ws.cell(3, c).value or "").startswith("办结率"))
    dec, nov = _row(ws, 1, "12 月"), _row(ws, 1, "11 月")
    assert "暂定" in ws.cell(dec, col).number_format
    assert "暂定" not in ws.cell(nov, col).number_format
    rules = [str(cf.sqref) for cf in ws.conditional_formatting]
    letter = openpyxl.utils.get_column_letter(col)
    assert f"{letter}{dec - 11}:{letter}{nov}" in rules          # January–November only


def test_quality_sheet_lists_the_findings_of_the_year(book, sample_results):
    ws = book["数据质量"]
    top = _row(ws, 1, "核查项")
    assert [ws.cell(top, c).value for c in range(1, 9)] == \
        ["核查项", "层级", "单位", "期间", "核查内容", "数值", "预期范围", "原因"]
    found = sample_results.quality_findings()
    of_year = found[found["period"].str.startswith("2025")]
    rows = [r for r in range(top + 1, ws.max_row + 1) if ws.cell(r, 1).value in
            set(of_year["check_zh"])]
    assert len(rows) == min(len(of_year), 500) > 0
    assert all(str(ws.cell(r, 4).value).startswith("2025") for r in rows)


def _value(results, indicator: str, period: str) -> float:
    t = results.table
    return float(t.loc[(t["level"] == "total") & (t["indicator_id"] == indicator)
                       & (t["period"] == period), "value"].iloc[0])
