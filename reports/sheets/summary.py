"""汇总: every indicator × (the scope unit + the units one level below it): value, status
against the standard, rank, last year's value and the year-on-year change."""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from openpyxl.styles import Border, Side
from openpyxl.utils import get_column_letter
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


#: Earlier years (before last year) shown beside this year's value, at most this many.
EARLIER_YEARS = 2
PROVISIONAL = "暂定"


def provisional_format(number_format: str, suffix: str = "（暂定）") -> str:
    """``number_format`` with a literal suffix on every section: the cell stays a number."""
    return ";".join(f'{part}"{suffix}"' for part in number_format.split(";"))


def _earlier_values(ctx: Context) -> tuple[list[int], dict]:
    """Years before last year that the table holds (oldest first, at most EARLIER_YEARS) and
    {(indicator_id, level, unit_id, year): value}."""
    t = ctx.table
    period = t["period"].astype("string")
    wanted = [y for y in range(ctx.year - 1 - EARLIER_YEARS, ctx.year - 1)
              if (period == str(y)).any()]
    if not wanted:
        return [], {}
    rows = t.loc[period.isin([str(y) for y in wanted]).fillna(False).to_numpy()
                 & t["level"].isin([ctx.scope.level, ctx.scope.levels[0]]).to_numpy()]
    lookup = {(i, lv, str(u), int(p)): v for i, lv, u, p, v in zip(
        rows["indicator_id"], rows["level"], rows["unit_id"], rows["period"], rows["value"])}
    return wanted, lookup


def write_summary(ws: Worksheet, ctx: Context) -> None:
    first_level = ctx.level_zh(ctx.scope.levels[0])
    has_std = any(standard_of(i) is not None for i in ctx.indicators)
    earlier, earlier_values = _earlier_values(ctx)
    headers = (_SUMMARY_HEADERS[:7] + [f"{y} 年值" for y in earlier] + _SUMMARY_HEADERS[7:])
    c_change, c_note = 8 + len(earlier), 9 + len(earlier)
    sheet_header(ws, ctx, f"{ctx.year} 年度指标汇总",
                  f"范围：{ctx.scope_zh}；每项指标首行为{ctx.scope.unit_name}合计，其下为各{first_level}"
                  f"（按排名排列；排名为“名次 / 参与排名的同级单位数”，1 为最好；设有同类组的，为同类组内排名，见备注）。"
                  f"同比变化：比率类为百分点，其余为百分比；"
                  f"蓝色字＝向好，橙色字＝变差。{legend(has_std)}"
                  "标“（暂定）”的值所在期间截至数据截止日仍有工单可能办结，数值还会变化，不判定达标与否。")
    header_row(ws, HEADER_ROW, headers)
    row = HEADER_ROW + 1
    name_texts, std_texts, unit_texts, note_texts = [], [], [], []
    any_prov_change = False
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
            prov = is_true(getattr(rec, "provisional", None))
            put_number(ws, row, 4, as_float(rec.value), provisional_format(vfmt) if prov else vfmt,
                       font=body, border=GRID_BORDER, fill=fill)
            shown_st = "" if st == NO_STANDARD else (PROVISIONAL if prov else st)
            put_text(ws, row, 5, shown_st, font=F_BODY,
                     alignment=CENTER, border=GRID_BORDER, fill=fill)
            group = _peer_group(rec)
            rank = as_float(getattr(rec, "peer_rank" if group else "rank", None))
            rank_of = as_float(getattr(rec, "peer_rank_of" if group else "rank_of", None))
            rank_fmt = f'0" / {rank_of:.0f}"' if rank_of is not None else "0"
            put_number(ws, row, 6, None if is_scope else rank, rank_fmt, font=F_BODY,
                       alignment=CENTER, border=GRID_BORDER, fill=fill)
            put_number(ws, row, 7, as_float(getattr(rec, "prev_value", None)), vfmt, font=F_MUTED,
                       border=GRID_BORDER, fill=fill)
            level = ctx.scope.level if is_scope else ctx.scope.levels[0]
            unit_id = ctx.scope.unit_id if is_scope else str(rec.unit_id)
            for k, y in enumerate(earlier):
                put_number(ws, row, 8 + k,
                           as_float(earlier_values.get((ind.id, level, str(unit_id), y))), vfmt,
                           font=F_MUTED, border=GRID_BORDER, fill=fill)
            change = as_float(getattr(rec, "change", None))
            shown = None if change is None else fmt.change_for_excel(ind, change)
            good = getattr(rec, "change_good", None)
            prov_change = is_true(getattr(rec, "provisional_change", None))
            any_prov_change = any_prov_change or (prov_change and shown is not None)
            # colour only a change that shows: +0.0 stays neutral whatever its sign underneath;
            # a change involving a provisional value is not judged either
            cfont = (F_BODY if not shown or good is None or pd.isna(good) or prov_change
                     else F_PASS if bool(good) else F_FAIL)
            put_number(ws, row, c_change, shown,
                       provisional_format(cfmt, "（暂定）") if prov_change else cfmt,
                       font=cfont, border=GRID_BORDER, fill=fill)
            note = _row_note(rec, ind)
            if prov:
                days = getattr(ind, "maturity_days", None) or 0
                note = "；".join(x for x in (
                    f"暂定：数据截止日前 {days} 天内受理的工单仍可能办结" if days
                    else "暂定：统计期截至数据截止日尚未结束", note) if x)
            if group and not is_scope:
                note = "；".join(x for x in (f"同类组“{group}”内排名", note) if x)
            note_texts.append(note)
            put_text(ws, row, c_note, note, font=F_MUTED, border=GRID_BORDER, fill=fill)
            unit_texts.append(str(rec.unit_name))
            row += 1
        # a provisional value (status 暂定) is never coloured as failing
        conditional_pass_fail(ws, f"D{start}:D{row - 1}", std, guard=f'$E{start}<>"{PROVISIONAL}"')
        if std is not None:
            conditional_status_text(ws, f"E{start}:E{row - 1}")
        # a thicker rule under each indicator block keeps blocks apart on paper
        for col in range(1, len(headers) + 1):
            ws.cell(row - 1, col).border = _BLOCK_END_BORDER
    set_column_widths(ws, {
        1: fit_width(name_texts, 12, 30), 2: fit_width(std_texts, 8, 24),
        3: fit_width(unit_texts, 10, 30), 4: 12, 5: 9, 6: 8, 7: 12,
        **{8 + k: 12 for k in range(len(earlier))}, c_change: 21 if any_prov_change else 15,
        c_note: fit_width(note_texts, 10, 34)})
    fit_row_heights(ws, range(HEADER_ROW + 1, row))
    if row > HEADER_ROW + 1:
        ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(c_note)}{row - 1}"
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
