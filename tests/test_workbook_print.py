"""The workbook on paper (issue 16 item 7): a unit's 本年 and 同比 rows never split across
pages, no table header repeated above the chart pages, rate axes within 0–100 %, and small
monthly values with enough decimals. Synthetic data of tests/test_workbook.py."""
from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

from indicators.catalog import CATALOG
from reports import write_workbook
from reports.sheets import levels
from reports.sheets.trends import monthly_format, rate_axis_bounds
from tests.test_workbook import make_results


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    return openpyxl.load_workbook(write_workbook(make_results(), 2025,
                                                 tmp_path_factory.mktemp("wb") / "p.xlsx"))


def test_page_breaks_fall_after_a_change_row(tmp_path, monkeypatch):
    """Pages holding 3 units after the first (patched): every break is after a 同比 row, so
    no page starts with an orphan 同比 row; 20 grids → breaks after grids 2, 5, 8 … 17."""
    monkeypatch.setattr(levels, "units_per_page", lambda ws, title, first: (2, 3))
    wb = openpyxl.load_workbook(write_workbook(make_results(), 2025, tmp_path / "b.xlsx"))
    ws = wb["网格"]
    marker = next(c for c in range(1, ws.max_column + 1) if ws.cell(3, c).value == "项目")
    breaks = [b.id for b in ws.row_breaks.brk]
    assert breaks == [5 + 2 * k - 1 for k in (2, 5, 8, 11, 14, 17)]
    assert all(ws.cell(r, marker).value == "同比" for r in breaks)
    assert all(ws.cell(r + 1, marker).value == "本年" for r in breaks)


def test_units_per_page_follows_the_print_scale(book):
    """The grid sheet is fitted to one page wide: its scale is the printable width over the
    columns' width, and the units on a later page follow from the A4 height at that scale."""
    ws = book["网格"]
    on_first, on_later = levels.units_per_page(ws, range(3, 5), range(1, 3))
    widths = sum((7 * (ws.column_dimensions[openpyxl.utils.get_column_letter(c)].width or 8.43)
                  + 5) * 0.75 for c in range(1, ws.max_column + 1))
    scale = min(1.0, 784.0 / widths)
    expected = int((509.0 * 0.95 / scale - (58 + 18)) // 30)
    assert on_later == expected and 1 <= on_first <= on_later


def test_trend_sheet_repeats_no_header_and_rates_stay_within_100_percent(book):
    ws = book["月度趋势"]
    assert ws.print_title_rows is None
    rate_axes = [c.y_axis.scaling for c in ws._charts
                 if str(c.y_axis.number_format.formatCode).endswith("%")]
    assert rate_axes and all(s.max == 1.0 and 0.0 <= s.min < 1.0 for s in rate_axes)


def test_small_monthly_values_get_two_significant_digits():
    hours = CATALOG["volunteer_hours_per_capita"]          # 2 decimals in the catalog
    assert monthly_format(hours, [0.013, 0.02, float("nan")]) == "#,##0.000"
    assert monthly_format(hours, [0.0071, 0.01]) == "#,##0.0000"
    assert monthly_format(hours, [0.13, 1.2]) == "#,##0.00"
    assert monthly_format(CATALOG["resolution_rate"], [0.001]) == "0.0%"
    assert rate_axis_bounds([0.93, 0.97, None]) == (0.8, 1.0)
    assert rate_axis_bounds(pd.Series([0.02, 0.5])) == (0.0, 1.0)
