"""对标参考: every standard and reference value used, the scope's value against the
standards, and the published figure each comes from (place, figure, article, author)."""
from __future__ import annotations


import pandas as pd
from openpyxl.worksheet.worksheet import Worksheet

from reports import formats as fmt
from reports.benchmarks import benchmark_rows
from reports.cells import (GRID_BORDER, WRAP_TOP, fit_row_heights, put_label, put_number, put_text,
                           set_column_widths)
from reports.frames import FAIL, PASS, evaluate
from reports.sheets.common import (HEADER_ROW, Context, sheet_header, header_row, finish, as_float,
                                   TOP, F_BODY, F_MUTED, F_PASS, F_FAIL)

# --------------------------------------------------------------------------- 对标参考

_BENCH_HEADERS = ["指标", "用途", "对标值", "本年值", "对照", "出处（指标目录）", "公开地区",
                  "公开口径", "公开数值", "计量单位", "原文标题", "发布单位"]
_ROLE_ZH = {("standard", "peer"): "判定标准（取自公开案例）",
            ("standard", "standard"): "判定标准（政策文件）",
            ("reference", "peer"): "参考值（公开案例，不判定达标）",
            ("reference", "standard"): "参考值（不判定达标）"}


def _scope_values(ctx: Context) -> dict[str, float]:
    """indicator id → the scope unit's value in the review year."""
    t = ctx.ytab
    rows = t.loc[(t["level"] == ctx.scope.level)
                 & (t["unit_id"].astype("string") == ctx.scope.unit_id)]
    return dict(zip(rows["indicator_id"].astype(str), rows["value"].astype("float64")))


def write_benchmarks(ws: Worksheet, ctx: Context) -> None:
    """Every standard and reference value used, the scope unit's value against it, and the
    published figure it comes from (place, figure, value, article, author)."""
    rows = benchmark_rows(ctx.indicators)
    by_id = {i.id: i for i in ctx.indicators}
    values = _scope_values(ctx)
    sheet_header(ws, ctx, "对标参考：判定标准与公开案例",
                  f"本工作簿判定达标所用的标准及图表中的参考值，逐项注明出处；“本年值”为{ctx.scope.unit_name}"
                  f"{ctx.year} 年的值。公开案例数据为各地整体的公开数字，"
                  "仅作对照；口径可能与本表指标不同（如工作日与自然日），请结合出处说明使用。")
    header_row(ws, HEADER_ROW, _BENCH_HEADERS)
    row = HEADER_ROW + 1
    if rows.empty:
        put_label(ws, row, 1, "本工作簿的指标均未设标准或参考值。", font=F_MUTED)
    for rec in rows.itertuples(index=False):
        ind = by_id[rec.indicator_id]
        std = ind.standard if rec.role == "standard" else next(
            r for r in ind.references if (r.label_zh or "") == rec.label)
        value = values.get(ind.id, float("nan"))
        if rec.role == "standard":
            status, _ = evaluate(pd.Series([value]), std)
            verdict = {PASS: "达到", FAIL: "未达到"}.get(status.iloc[0], "无数据")
        else:   # a reference may be in another unit or definition (working days, one category)
            verdict = "仅作参考"
        texts = [fmt.header_label(ind), _ROLE_ZH.get((rec.role, rec.basis), rec.role),
                 fmt.standard_label(std)]
        for c, text in enumerate(texts, start=1):
            put_text(ws, row, c, text, font=F_BODY, alignment=WRAP_TOP, border=GRID_BORDER)
        put_number(ws, row, 4, as_float(value), fmt.value_format(ind), font=F_BODY,
                   alignment=TOP, border=GRID_BORDER)
        put_label(ws, row, 5, verdict, alignment=TOP, border=GRID_BORDER,
                  font=F_FAIL if verdict == "未达到" else F_PASS if verdict == "达到" else F_MUTED)
        for c, text in zip((6, 7, 8), (rec.source, rec.place, rec.figure)):
            put_text(ws, row, c, text, font=F_BODY, alignment=WRAP_TOP, border=GRID_BORDER)
        unit = "" if pd.isna(rec.published_unit) else str(rec.published_unit)
        ratio = unit.startswith("比例")
        put_number(ws, row, 9, as_float(rec.published_value), "0.0%" if ratio else "#,##0.###",
                   font=F_BODY, alignment=TOP, border=GRID_BORDER)
        for c, text in zip((10, 11, 12), (unit, rec.article, rec.author)):
            put_text(ws, row, c, text, font=F_BODY, alignment=WRAP_TOP, border=GRID_BORDER)
        row += 1
    set_column_widths(ws, {1: 16, 2: 14, 3: 14, 4: 10, 5: 7, 6: 40, 7: 12, 8: 16, 9: 9, 10: 9,
                           11: 22, 12: 16})
    fit_row_heights(ws, range(HEADER_ROW + 1, row))
    finish(ws, ctx, f"{HEADER_ROW}:{HEADER_ROW}", f"B{HEADER_ROW + 1}")
