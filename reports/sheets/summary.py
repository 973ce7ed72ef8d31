"""汇总: every indicator × (the scope unit + the units one level below it): value, status
against the standard, rank, last year's value and the year-on-year change."""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from openpyxl.styles import Border, Side
from openpyxl.worksheet.worksheet import Worksheet

from reports import formats as fmt
from reports.cells import (GRID_BORDER, TOTAL_FILL, WRAP_TOP, fit_row_heights, fit_width,
                           put_number, put_text, safe_text, set_column_widths)
from reports.frames import NO_STANDARD, evaluate, standard_of
from reports.sheets.common import (HEADER_ROW, Context, sheet_header, header_row, finish,
                                   conditional_pass_fail, conditional_status_text, legend, is_true,
                                   as_float, CENTER, F_BODY, F_BOLD, F_MUTED, F_SMALL, F_PASS,
                                   F_FAIL)

_BLOCK_END_BORDER = Border(left=GRID_BORDER.left, right=GRID_BORDER.right, top=GRID_BORDER.top,
                           bottom=Side(style="medium", color="808080"))

# --------------------------------------------------------------------------- 汇总

_SUMMARY_HEADERS = ["指标（计量单位）", "标准", "单位", "本年值", "达标情况", "同级排名", "上年值",
                    "同比变化", "备注"]


def _summary_rows(ctx: Context, ind: Any) -> pd.DataFrame:
    """Scope row + the units one level below it, ranked, for one indicator."""
    t = ctx.ytab.loc[ctx.ytab["indicator_id"] == ind.id]
    head = t.loc[(t["level"] == ctx.scope.level) & (t["unit_id"].astype("string") == ctx.scope.unit_id)]
    level = ctx.scope.levels[0]
    units = ctx.units[level][["unit_id", "unit_name"]].copy()
    units["_order"] = np.arange(len(units))
    rows = t.loc[t["level"] == level].drop(columns=["unit_name"], errors="ignore")
    if "rank" not in rows.columns:   # a table without indicators.compare's columns
        rows = rows.assign(rank=np.nan)
    rows = rows.assign(unit_id=rows["unit_id"].astype("string"))
    body = units.merge(rows, on="unit_id", how="left")
    body = body.sort_values(["rank", "_order"], na_position="last", kind="stable")
    head = head.assign(unit_name=ctx.scope.unit_name, is_scope_row=True)
    body = body.assign(is_scope_row=False)
    return pd.concat([head, body], ignore_index=True)


def write_summary(ws: Worksheet, ctx: Context) -> None:
    first_level = ctx.level_zh(ctx.scope.levels[0])
    has_std = any(standard_of(i) is not None for i in ctx.indicators)
    sheet_header(ws, ctx, f"{ctx.year} 年度指标汇总",
                  f"范围：{ctx.scope_zh}；每项指标首行为{ctx.scope.unit_name}合计，其下为各{first_level}"
                  f"（按排名排列；排名为“名次 / 参与排名的同级单位数”，1 为最好；设有同类组的，为同类组内排名，见备注）。"
                  f"同比变化：比率类为百分点，其余为百分比；"
                  f"蓝色字＝向好，橙色字＝变差。{legend(has_std)}")
    header_row(ws, HEADER_ROW, _SUMMARY_HEADERS)
    row = HEADER_ROW + 1
    name_texts, std_texts, unit_texts, note_texts = [], [], [], []
    for ind in ctx.indicators:
        std = standard_of(ind)
        data = _summary_rows(ctx, ind)
        if data.empty or data["value"].isna().all():
            continue
        status, _ = evaluate(data["value"], std)
        vfmt, cfmt = fmt.value_format(ind), fmt.change_format(ind)
        start = row
        label, std_label = fmt.header_label(ind), fmt.standard_label(std)
        name_texts.append(label)
        std_texts.append(std_label)
        for rec, st in zip(data.itertuples(index=False), status):
            is_scope = bool(rec.is_scope_row)
            small = is_true(getattr(rec, "small_count", None))
            body = F_BOLD if is_scope else (F_SMALL if small else F_BODY)
            fill = TOTAL_FILL if is_scope else None
            put_text(ws, row, 1, label if row == start else "", font=F_BOLD, border=GRID_BORDER,
                     fill=fill)
            put_text(ws, row, 2, std_label if row == start else "", font=F_BODY,
                     alignment=WRAP_TOP, border=GRID_BORDER, fill=fill)
            put_text(ws, row, 3, rec.unit_name, font=body, border=GRID_BORDER, fill=fill)
            put_number(ws, row, 4, as_float(rec.value), vfmt, font=body, border=GRID_BORDER, fill=fill)
            put_text(ws, row, 5, "" if st == NO_STANDARD else st, font=F_BODY,
                     alignment=CENTER, border=GRID_BORDER, fill=fill)
            group = _peer_group(rec)
            rank = as_float(getattr(rec, "peer_rank" if group else "rank", None))
            rank_of = as_float(getattr(rec, "peer_rank_of" if group else "rank_of", None))
            rank_fmt = f'0" / {rank_of:.0f}"' if rank_of is not None else "0"
            put_number(ws, row, 6, None if is_scope else rank, rank_fmt, font=F_BODY,
                       alignment=CENTER, border=GRID_BORDER, fill=fill)
            put_number(ws, row, 7, as_float(getattr(rec, "prev_value", None)), vfmt, font=F_MUTED,
                       border=GRID_BORDER, fill=fill)
            change = as_float(getattr(rec, "change", None))
            shown = None if change is None else fmt.change_for_excel(ind, change)
            good = getattr(rec, "change_good", None)
            # colour only a change that shows: +0.0 stays neutral whatever its sign underneath
            cfont = (F_BODY if not shown or good is None or pd.isna(good)
                     else F_PASS if bool(good) else F_FAIL)
            put_number(ws, row, 8, shown, cfmt, font=cfont, border=GRID_BORDER, fill=fill)
            note = _row_note(rec, ind)
            if group and not is_scope:
                note = "；".join(x for x in (f"同类组“{group}”内排名", note) if x)
            note_texts.append(note)
            put_text(ws, row, 9, note, font=F_MUTED, border=GRID_BORDER, fill=fill)
            unit_texts.append(str(rec.unit_name))
            row += 1
        conditional_pass_fail(ws, f"D{start}:D{row - 1}", std)
        if std is not None:
            conditional_status_text(ws, f"E{start}:E{row - 1}")
        # a thicker rule under each indicator block keeps blocks apart on paper
        for col in range(1, len(_SUMMARY_HEADERS) + 1):
            ws.cell(row - 1, col).border = _BLOCK_END_BORDER
    set_column_widths(ws, {
        1: fit_width(name_texts, 12, 30), 2: fit_width(std_texts, 8, 24),
        3: fit_width(unit_texts, 10, 30), 4: 12, 5: 9, 6: 8, 7: 12, 8: 15,
        9: fit_width(note_texts, 10, 34)})
    fit_row_heights(ws, range(HEADER_ROW + 1, row))
    if row > HEADER_ROW + 1:
        ws.auto_filter.ref = f"A{HEADER_ROW}:I{row - 1}"
    finish(ws, ctx, f"{HEADER_ROW}:{HEADER_ROW}", f"D{HEADER_ROW + 1}")


def _peer_group(rec: Any) -> str:
    """The unit's peer group (indicators.compare.add_peer_rank's ``peer_group``) when the
    dataset configures peer groups and the unit is ranked in one; else ``""``."""
    group = getattr(rec, "peer_group", None)
    if group is None or pd.isna(group) or pd.isna(getattr(rec, "peer_rank_of", np.nan)):
        return ""
    return safe_text(group)


def _row_note(rec: Any, ind: Any) -> str:
    if pd.isna(getattr(rec, "value", np.nan)):
        return "无数据"
    if is_true(getattr(rec, "small_count", None)):
        n = as_float(getattr(rec, "denominator", None))
        size = f"{n:,.0f}" if n is not None else "?"
        need = getattr(ind, "min_count", 0)
        return f"样本量小（{size}，少于 {need}），不参与排名"
    return ""


# --------------------------------------------------------------------------- level sheets
