"""The yearly cycle in the annual review workbook (issue 17): the 已锁定 mark on the cover, the
锁定后变动 sheet (figures whose current value differs from the frozen one) and the 区划调整 sheet
(units redrawn this year and how their year-on-year change was made comparable).

``add_yearly_sheets(wb, results, year, cover, scope=None)`` is called by ``write_workbook`` after
every other sheet is written; it adds nothing for a year that is neither frozen nor redrawn.
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from reports.cells import (HEADER_FILL, WRAP_TOP, font, put_label, put_number, put_text,
                           set_column_widths, setup_print, sheet_title)

MARK_ROW = 3          # the cover's empty row between the sample note and the facts


def _in_scope(results: Any, scope: str | None) -> set[str]:
    """Unit ids the workbook may show: the results' own units (already restricted for a scoped
    account), within ``scope`` when one is given, and ``total``."""
    from reports.template import scope_units
    units = scope_units(results.dataset.units, results.dataset.levels, scope)
    return set(units["unit_id"].astype(str)) | {"total"}


def _level_zh(results: Any, level: str) -> str:
    if level == "total":
        return "全部"
    return (results.dataset.level_names or {}).get(level, level)


def add_yearly_sheets(wb: Any, results: Any, year: int, cover: Any, scope: str | None = None) -> list[str]:
    """Add the 已锁定 mark and the two sheets when they apply; returns the titles added."""
    from indicators.freeze import frozen_label, published_state

    added: list[str] = []
    taken = set(wb.sheetnames)
    keep = _in_scope(results, scope)
    frozen, diffs = published_state(results.dataset.manifest_path)
    meta = frozen.get(int(year))
    if meta:
        diff = diffs.get(int(year), pd.DataFrame())
        if len(diff):
            diff = diff[diff["unit_id"].astype(str).isin(keep)]
        text = (f"本年度数据{frozen_label(meta)}，工作簿中的数字均为锁定时的数字"
                + (f"；锁定后有 {len(diff):,} 项指标值因文件更正而不同，见「锁定后变动」工作表。"
                   if len(diff) else "；锁定后文件没有变化。"))
        put_label(cover, MARK_ROW, 1, text, font=font(11, bold=True, color="B4470B"))
        cover.merge_cells(start_row=MARK_ROW, start_column=1, end_row=MARK_ROW, end_column=8)
        if len(diff):
            ws = wb.create_sheet(sheet_title("锁定后变动", taken))
            _write_differences(ws, results, diff, meta, year)
            added.append(ws.title)
    table = results.table
    if "boundary_note" in table.columns:
        rows = table[(table["period"].astype(str) == str(year)) & (table["boundary_note"].fillna("").astype(str) != "")]
        rows = rows[rows["unit_id"].astype(str).isin(keep)]
        if len(rows):
            ws = wb.create_sheet(sheet_title("区划调整", taken))
            _write_boundaries(ws, results, rows, year)
            added.append(ws.title)
    return added


def _value_cell(ws, r: int, c: int, value: Any, indicator: Any) -> None:
    if value is None or pd.isna(value):
        put_text(ws, r, c, "—", font=font())
        return
    decimals = int(getattr(indicator, "decimals", 1))
    if getattr(indicator, "kind", "") == "rate":
        put_number(ws, r, c, float(value), "0." + "0" * decimals + "%" if decimals else "0%", font=font())
    else:
        put_number(ws, r, c, float(value), "#,##0" + ("." + "0" * decimals if decimals else ""), font=font())


def _write_differences(ws, results: Any, diff: pd.DataFrame, meta: dict, year: int) -> None:
    put_label(ws, 1, 1, f"{year} 年锁定后变动（锁定于 {str(meta.get('frozen_at', ''))[:10]}）",
              font=font(14, bold=True))
    put_label(ws, 2, 1, "本工作簿显示锁定时的数字；下列指标的当前值因文件更正而不同，仅供核对，不改变已发布的数字。",
              font=font())
    heads = ["层级", "单位", "指标", "锁定值", "当前值", "变动的文件"]
    for j, h in enumerate(heads, start=1):
        put_label(ws, 4, j, h, font=font(bold=True), fill=HEADER_FILL)
    order = {lv: i for i, lv in enumerate(["total", *results.dataset.levels])}
    diff = diff.assign(_o=diff["level"].map(order)).sort_values(["_o", "unit_id", "indicator_id"], kind="stable")
    for r, row in enumerate(diff.itertuples(), start=5):
        ind = results.catalog.get(row.indicator_id)
        put_text(ws, r, 1, _level_zh(results, row.level), font=font())
        put_text(ws, r, 2, row.unit_name, font=font())
        put_text(ws, r, 3, row.indicator_name, font=font())
        _value_cell(ws, r, 4, row.frozen_value, ind)
        _value_cell(ws, r, 5, row.current_value, ind)
        put_text(ws, r, 6, row.changed_files, font=font(), alignment=WRAP_TOP)
    set_column_widths(ws, {1: 8, 2: 20, 3: 18, 4: 11, 5: 11, 6: 50})
    ws.freeze_panes = "A5"
    setup_print(ws, "4:4", f"{year} 年锁定后变动")


def _write_boundaries(ws, results: Any, rows: pd.DataFrame, year: int) -> None:
    put_label(ws, 1, 1, f"{year} 年区划调整与同比口径", font=font(14, bold=True))
    put_label(ws, 2, 1, "下列单位在本年度拆分、合并、更名或调整隶属：上年值按调整说明折算到现区划后计算同比；"
                        "无法折算的标为不可比。", font=font())
    heads = ["层级", "单位", "指标", "本年值", "上年（折算）", "同比可比", "说明"]
    for j, h in enumerate(heads, start=1):
        put_label(ws, 4, j, h, font=font(bold=True), fill=HEADER_FILL)
    order = {lv: i for i, lv in enumerate(["total", *results.dataset.levels])}
    rows = rows.assign(_o=rows["level"].map(order)).sort_values(["_o", "unit_id", "indicator_id"], kind="stable")
    for r, row in enumerate(rows.itertuples(), start=5):
        ind = results.catalog.get(row.indicator_id)
        put_text(ws, r, 1, _level_zh(results, row.level), font=font())
        put_text(ws, r, 2, row.unit_name, font=font())
        put_text(ws, r, 3, getattr(ind, "name_zh", row.indicator_id), font=font())
        _value_cell(ws, r, 4, row.value, ind)
        _value_cell(ws, r, 5, row.prev_value, ind)
        put_text(ws, r, 6, "是" if bool(row.comparable) else "否", font=font())
        put_text(ws, r, 7, row.boundary_note, font=font(), alignment=WRAP_TOP)
    set_column_widths(ws, {1: 8, 2: 20, 3: 18, 4: 11, 5: 12, 6: 9, 7: 44})
    ws.freeze_panes = "A5"
    setup_print(ws, "4:4", f"{year} 年区划调整")
