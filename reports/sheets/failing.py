"""不达标清单: per indicator with a standard, the units failing it and by how much."""
from __future__ import annotations

from typing import Any, Sequence

import pandas as pd
from openpyxl.worksheet.worksheet import Worksheet

from reports import formats as fmt
from reports.cells import GRID_BORDER, fit_width, put_label, put_number, put_text, set_column_widths
from reports.frames import FAIL, evaluate, standard_of, wide_values
from reports.sheets.common import (HEADER_ROW, Context, sheet_header, header_row, finish, is_true,
                                   as_float, ancestor_levels, F_BODY, F_MUTED, F_FAIL)

# --------------------------------------------------------------------------- 不达标清单

_FAILING_HEADERS = ["指标", "标准", "层级", "上级单位", "编号", "单位名称", "本年值", "差距",
                    "说明", "备注"]


def failing_frame(ctx: Context, levels: Sequence[str]) -> list[tuple[Any, str, pd.DataFrame]]:
    """(indicator, level, failing units with value, gap, small_count, parents) in print order."""
    out = []
    for ind in ctx.indicators:
        std = standard_of(ind)
        if std is None:
            continue
        for level in levels:
            if level not in ctx.units:
                continue
            units = ctx.units[level]
            vals = wide_values(ctx.ytab, level, units, [ind.id])[ind.id]
            status, gap = evaluate(vals, std)
            mask = status.eq(FAIL).to_numpy()
            if "provisional" in ctx.ytab.columns:   # an open period is not judged (暂定)
                prov = wide_values(ctx.ytab, level, units, [ind.id], "provisional")[ind.id]
                mask = mask & ~prov.astype("boolean").fillna(False).to_numpy(dtype=bool)
            if not mask.any():
                continue
            sel = units.loc[mask].copy()
            sel["value"] = vals[mask].to_numpy()
            sel["gap"] = gap[mask].to_numpy()
            if "small_count" in ctx.ytab.columns:
                sel["small_count"] = wide_values(ctx.ytab, level, units, [ind.id],
                                                 "small_count")[ind.id][mask].to_numpy()
                sel["denominator"] = wide_values(ctx.ytab, level, units, [ind.id],
                                                 "denominator")[ind.id][mask].to_numpy()
            anc = [f"name__{a}" for a in ancestor_levels(ctx, level)]
            sel["parents"] = (sel[anc].astype("string").fillna("").agg(" / ".join, axis=1)
                              if anc else "")
            sel = sel.assign(_abs=sel["gap"].abs()).sort_values("_abs", ascending=False,
                                                                kind="stable")
            out.append((ind, level, sel.reset_index(drop=True)))
    return out


def write_failing(ws: Worksheet, ctx: Context, levels: Sequence[str],
                   groups: list[tuple[Any, str, pd.DataFrame]], rows: slice = slice(0, None),
                   part: tuple[int, int] = (1, 1)) -> None:
    """Rows ``rows`` of the failing units of ``groups`` (see :func:`failing_frame`), counted
    across groups in print order."""
    level_list = "、".join(ctx.level_zh(lv) for lv in levels)
    left_out = [ctx.level_zh(lv) for lv in ctx.scope.levels if lv not in levels]
    left_note = (f"{'、'.join(left_out)}层级未列入本清单，其不达标单位见对应工作表中的橙色单元格。"
                 if left_out else "")
    sheet_header(ws, ctx, f"{ctx.year} 年度不达标清单",
                  f"范围：{ctx.scope_zh}；层级：{level_list}。按指标、层级排列，差距大的在前；"
                  f"差距＝本年值 − 标准（比率类为百分点）。样本量小的单位照常列出并在备注中说明。"
                  f"{left_note}" + (f"第 {part[0]} 部分，共 {part[1]} 部分。" if part[1] > 1 else ""))
    header_row(ws, HEADER_ROW, _FAILING_HEADERS)
    row = HEADER_ROW + 1
    texts: dict[int, list[str]] = {c: [] for c in range(1, len(_FAILING_HEADERS) + 1)}
    if not groups:
        put_label(ws, row, 1, "所有单位均达到有标准指标的要求。", font=F_BODY)
        row += 1
    offset = 0
    stop = rows.stop if rows.stop is not None else sum(len(g[2]) for g in groups)
    for ind, level, sel in groups:
        lo, hi = max(rows.start - offset, 0), min(stop - offset, len(sel))
        offset += len(sel)
        if lo >= hi:
            continue
        std = standard_of(ind)
        vfmt, gfmt = fmt.value_format(ind), fmt.gap_format(ind)
        name, std_label, level_zh = ind.name_zh, fmt.standard_label(std), ctx.level_zh(level)
        for rec in sel.iloc[lo:hi].itertuples(index=False):
            small = is_true(getattr(rec, "small_count", None))
            note = ""
            if small:
                n = as_float(getattr(rec, "denominator", None))
                note = f"样本量小（{n:,.0f}）" if n is not None else "样本量小"
            words = fmt.gap_words(ind, rec.gap, std.comparison)
            cells = [name, std_label, level_zh, rec.parents, rec.unit_id, rec.unit_name]
            for c, text in enumerate(cells, start=1):
                put_text(ws, row, c, text, font=F_BODY, border=GRID_BORDER)
                texts[c].append(str(text))
            put_number(ws, row, 7, as_float(rec.value), vfmt, font=F_FAIL, border=GRID_BORDER)
            put_number(ws, row, 8, fmt.gap_for_excel(ind, rec.gap), gfmt, font=F_FAIL,
                       border=GRID_BORDER)
            put_text(ws, row, 9, words, font=F_BODY, border=GRID_BORDER)
            put_text(ws, row, 10, note, font=F_MUTED, border=GRID_BORDER)
            texts[9].append(words)
            texts[10].append(note)
            row += 1
    set_column_widths(ws, {1: fit_width(texts[1] + ["指标"], 10, 20),
                           2: fit_width(texts[2] + ["标准"], 8, 26),
                           3: fit_width(texts[3] + ["层级"], 6, 10),
                           4: fit_width(texts[4] + ["上级单位"], 10, 36),
                           5: fit_width(texts[5] + ["编号"], 8, 20),
                           6: fit_width(texts[6] + ["单位名称"], 10, 28),
                           7: 12, 8: 18, 9: fit_width(texts[9], 12, 26),
                           10: fit_width(texts[10] + ["备注"], 8, 20)})
    if row > HEADER_ROW + 1 and groups:
        ws.auto_filter.ref = f"A{HEADER_ROW}:J{row - 1}"
    finish(ws, ctx, f"{HEADER_ROW}:{HEADER_ROW}", f"A{HEADER_ROW + 1}")


# --------------------------------------------------------------------------- 月度趋势

#: Line charts on 月度趋势: size (cm) and how many side by side.
