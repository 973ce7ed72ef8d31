"""One sheet per hierarchy level below the scope (区县, 街道, 社区, 网格 …): two rows per unit
(the year's values, and below them the change on last year), the names of its parent units,
one column per indicator and the number of standards it fails."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from openpyxl.styles import Border
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from reports import formats as fmt
from reports.cells import (FAIL_FONT_COLOR, GRID_BORDER, HEADER_FILL, MUTED_FONT_COLOR,
                           PASS_FONT_COLOR, WRAP_CENTER, fit_width, font, put_label, put_number,
                           put_text, set_column_widths)
from reports.frames import FAIL, evaluate, standard_of, wide_values
from reports.sheets.common import (HEADER_ROW, Context, sheet_header, header_row, finish,
                                   conditional_pass_fail, legend, as_float, indicator_column_width,
                                   ancestor_levels, CENTER, RIGHT, F_BODY, F_BOLD, F_MUTED, F_SMALL)

#: Indicator columns on the level and trend sheets: headers wrap onto up to four lines so that
#: 18 indicators still print one page wide on A4 landscape at a readable scale (≈ 70 %).
_LEVEL_HEADER_HEIGHT = 58
_LEVEL_STANDARD_HEIGHT = 18

#: a unit's two rows on a level sheet read as one block: no rule between them
_TOP_BORDER = Border(left=GRID_BORDER.left, right=GRID_BORDER.right, top=GRID_BORDER.top)
_BOTTOM_BORDER = Border(left=GRID_BORDER.left, right=GRID_BORDER.right, bottom=GRID_BORDER.bottom)

#: First data row of a level sheet (title, note, header, standards above it).
LEVEL_FIRST_ROW = 5
#: Text of the marker column on a level sheet: each unit has a value row and a change row.
_ROW_VALUE, _ROW_CHANGE = "本年", "同比"

_F_CHANGE = font(9, color=MUTED_FONT_COLOR)
_F_CHANGE_GOOD = font(9, color=PASS_FONT_COLOR)
_F_CHANGE_BAD = font(9, color=FAIL_FONT_COLOR)


@dataclass
class LevelData:
    """units × indicators of one level (rows aligned with ``units``): value, change as written
    (percentage points for rates, fractions otherwise), change_good, small_count, failed count."""

    level: str
    units: pd.DataFrame
    inds: list[Any]
    values: pd.DataFrame
    changes: pd.DataFrame
    good: pd.DataFrame
    small: pd.DataFrame
    n_fail: pd.Series
    #: indicators whose values on this sheet are provisional (暂定): marked, never coloured
    provisional: frozenset = frozenset()


def level_data(ctx: Context, level: str) -> LevelData:
    units = ctx.units[level]
    values = wide_values(ctx.ytab, level, units, [i.id for i in ctx.indicators])
    inds = [i for i in ctx.indicators if values[i.id].notna().any()]
    ids_ = [i.id for i in inds]
    values = values[ids_]

    def wide(column: str, default: Any) -> pd.DataFrame:
        if column in ctx.ytab.columns:
            return wide_values(ctx.ytab, level, units, ids_, column)
        return pd.DataFrame(default, index=values.index, columns=ids_)

    small = wide("small_count", False).astype("boolean").fillna(False).astype(bool)
    change = wide("change", np.nan).astype("float64")
    # as written: rates in percentage points, others as fractions, rounded to the decimal shown
    changes = pd.DataFrame({i.id: (change[i.id] * 100).round(1) if fmt.is_rate(i)
                            else change[i.id].round(3) for i in inds}, index=values.index) + 0.0
    good = wide("change_good", pd.NA).astype("boolean")
    # provisional (an open period, the same for every unit of a level and year): not judged
    prov = wide("provisional", False).astype("boolean").fillna(False).astype(bool)
    fails = pd.DataFrame({i.id: evaluate(values[i.id], standard_of(i))[0].eq(FAIL) & ~small[i.id]
                          & ~prov[i.id] for i in inds}, index=values.index)
    n_fail = fails.sum(axis=1) if inds else pd.Series(0, index=values.index)
    return LevelData(level, units, inds, values, changes, good, small, n_fail,
                     frozenset(i.id for i in inds if prov[i.id].any()))


def _level_change_format(ind: Any) -> str:
    """Change under a value on a level sheet: bare percentage points for rates (the note says
    so; “个百分点” would not fit a narrow column), ``+0.0%`` otherwise."""
    return fmt.signed("0.0") if fmt.is_rate(ind) else fmt.signed("0.0%")


def write_level(ws: Worksheet, ctx: Context, data: LevelData, rows: slice,
                 part: tuple[int, int] = (1, 1)) -> None:
    """One level's units (``rows`` of ``data.units``): a value row and a 同比 row per unit."""
    level, inds = data.level, data.inds
    units = data.units.iloc[rows]
    values, changes = data.values.iloc[rows], data.changes.iloc[rows]
    good, small, n_fail = data.good.iloc[rows], data.small.iloc[rows], data.n_fail.iloc[rows]
    n_std = sum(standard_of(i) is not None for i in inds)

    anc = ancestor_levels(ctx, level)
    name = ctx.level_zh(level)
    k, parts = part
    part_note = (f"第 {k} 部分，共 {parts} 部分（第 {rows.start + 1:,}–{rows.start + len(units):,} "
                 f"个）；" if parts > 1 else "")
    sheet_header(ws, ctx, f"{ctx.year} 年度各{name}指标",
                  f"范围：{ctx.scope_zh}；共 {len(data.units):,} 个{name}，{part_note}"
                  f"每个单位两行：本年值，其下为同比变化（比率类为百分点，其余为百分比；蓝色＝向好，"
                  f"橙色＝变差）。第二行表头为标准。{legend(n_std > 0)}")
    fixed = [ctx.level_zh(a) for a in anc] + [f"{name}编号", f"{name}名称", "项目"]
    first_ind = len(fixed) + 1
    headers = fixed + [fmt.header_label_stacked(i) for i in inds] + ["未达标项数"]
    header_row(ws, HEADER_ROW, headers, height=_LEVEL_HEADER_HEIGHT)
    std_row = HEADER_ROW + 1
    for col in range(1, len(headers) + 1):
        put_label(ws, std_row, col, "", font=F_SMALL, fill=HEADER_FILL, border=GRID_BORDER)
    put_label(ws, std_row, len(fixed), "标准 →", font=F_SMALL, fill=HEADER_FILL,
              border=GRID_BORDER, alignment=RIGHT)
    for j, ind in enumerate(inds):
        put_label(ws, std_row, first_ind + j, fmt.standard_short(ind, standard_of(ind))
                  + ("（暂定，不判定）" if ind.id in data.provisional else ""),
                  font=F_SMALL, fill=HEADER_FILL, border=GRID_BORDER, alignment=WRAP_CENTER)
    put_label(ws, std_row, len(headers), f"{n_std} 项有标准", font=F_SMALL, fill=HEADER_FILL,
              border=GRID_BORDER, alignment=WRAP_CENTER)
    ws.row_dimensions[std_row].height = _LEVEL_STANDARD_HEIGHT

    first = std_row + 1
    id_cols = [f"name__{a}" for a in anc] + ["unit_id", "unit_name"]
    text_block = units[id_cols].astype("string").fillna("")
    from reports.sheets.summary import provisional_format
    value_formats = [provisional_format(fmt.value_format(i)) if i.id in data.provisional
                     else fmt.value_format(i) for i in inds]
    change_formats = [_level_change_format(i) for i in inds]
    for r, (texts, vals, chs, goods, smalls, nf) in enumerate(zip(
            text_block.itertuples(index=False), values.itertuples(index=False),
            changes.itertuples(index=False), good.itertuples(index=False),
            small.itertuples(index=False), n_fail.tolist())):
        row = first + 2 * r
        for c, text in enumerate(texts, start=1):
            put_text(ws, row, c, text, font=F_BODY, border=_TOP_BORDER)
            put_label(ws, row + 1, c, "", font=F_BODY, border=_BOTTOM_BORDER)
        put_label(ws, row, len(fixed), _ROW_VALUE, font=F_MUTED, border=_TOP_BORDER)
        put_label(ws, row + 1, len(fixed), _ROW_CHANGE, font=_F_CHANGE, border=_BOTTOM_BORDER)
        for j, (v, ch, g, sm) in enumerate(zip(vals, chs, goods, smalls)):
            put_number(ws, row, first_ind + j, as_float(v), value_formats[j],
                       font=F_SMALL if sm else F_BODY, border=_TOP_BORDER)
            cfont = (_F_CHANGE if pd.isna(ch) or ch == 0 or g is pd.NA or pd.isna(g)
                     else _F_CHANGE_GOOD if bool(g) else _F_CHANGE_BAD)
            put_number(ws, row + 1, first_ind + j, as_float(ch), change_formats[j], font=cfont,
                       border=_BOTTOM_BORDER)
        put_number(ws, row, len(headers), int(nf), "0", font=F_BOLD if nf else F_BODY,
                   border=_TOP_BORDER, alignment=CENTER)
        put_label(ws, row + 1, len(headers), "", font=F_BODY, border=_BOTTOM_BORDER)
    last = first + 2 * len(units) - 1
    if len(units):
        marker = f"${get_column_letter(len(fixed))}{first}=\"{_ROW_VALUE}\""
        for j, ind in enumerate(inds):
            if ind.id in data.provisional:
                continue
            letter = get_column_letter(first_ind + j)
            conditional_pass_fail(ws, f"{letter}{first}:{letter}{last}", standard_of(ind),
                                   guard=marker)

    widths = {c: fit_width(text_block.iloc[:, c - 1].tolist() + [headers[c - 1]], 8, 24)
              for c in range(1, len(fixed))}
    widths[len(fixed)] = 5.5
    for j in range(len(inds)):
        widths[first_ind + j] = indicator_column_width(headers[first_ind - 1 + j])
    widths[len(headers)] = 7
    set_column_widths(ws, widths)
    finish(ws, ctx, f"{HEADER_ROW}:{std_row}", f"{get_column_letter(first_ind)}{first}")
    keep_pairs_together(ws, first, len(units), title_rows=range(HEADER_ROW, std_row + 1))


#: A4 landscape as setup_print lays it out: the printable width and height in points (297 ×
#: 210 mm less 0.4 in side and 0.6 in top and bottom margins), and a safety margin for the
#: renderer's own rounding (LibreOffice and Excel differ by a few points a page).
_PRINT_WIDTH_PT, _PRINT_HEIGHT_PT, _PRINT_SAFETY = 784.0, 509.0, 0.95
_DEFAULT_ROW_PT = 15.0


def units_per_page(ws: Worksheet, title_rows: range, first_page_rows: range) -> tuple[int, int]:
    """How many two-row units fit on the first and on every later printed page of a level
    sheet: the sheet is fitted to one page wide, so its scale is the printable width over the
    columns' width; the repeated title rows are on every page, ``first_page_rows`` (title and
    note) on the first only."""
    width_pt = sum((7 * (ws.column_dimensions[get_column_letter(c)].width or 8.43) + 5) * 0.75
                   for c in range(1, ws.max_column + 1))
    scale = min(1.0, _PRINT_WIDTH_PT / max(width_pt, 1.0))

    def height(rows: range) -> float:
        return sum(ws.row_dimensions[r].height or _DEFAULT_ROW_PT for r in rows)

    page = _PRINT_HEIGHT_PT * _PRINT_SAFETY / scale - height(title_rows)
    first = page - height(first_page_rows)
    per_unit = 2 * _DEFAULT_ROW_PT
    return max(1, int(first // per_unit)), max(1, int(page // per_unit))


def keep_pairs_together(ws: Worksheet, first_row: int, n_units: int, title_rows: range) -> None:
    """Manual page breaks between units so that a unit's 本年 row and its 同比 row are always
    printed on the same page (Excel's own breaks fell between them, leaving an orphan 同比 row
    at the top of a page). The breaks are computed for Excel's column widths (7 px a
    character); a renderer with wider columns prints a smaller scale and leaves room at the
    foot of each page, never an orphan."""
    # explicit heights: Excel (15 pt) and LibreOffice (12.8 pt) differ on the default
    for r in range(first_row, first_row + 2 * n_units):
        ws.row_dimensions[r].height = _DEFAULT_ROW_PT
    on_first, on_later = units_per_page(ws, title_rows, range(1, title_rows.start))
    k = on_first
    while k < n_units:
        ws.row_breaks.append(Break(id=first_row + 2 * k - 1))
        k += on_later
