"""指标说明: definitions, formulas, direction, standards and their sources."""
from __future__ import annotations


from openpyxl.worksheet.worksheet import Worksheet

from reports import formats as fmt
from reports.cells import (GRID_BORDER, WRAP_TOP, fit_row_heights, fit_width, put_number, put_text,
                           set_column_widths)
from reports.frames import DIRECTION_ZH, standard_of
from reports.sheets.common import (HEADER_ROW, Context, sheet_header, header_row, finish, TOP,
                                   F_BODY, F_SMALL_PLAIN)

# --------------------------------------------------------------------------- 指标说明

_DEF_HEADERS = ["序号", "指标编号", "指标名称", "计量单位", "计算公式（口径）", "方向", "标准",
                "标准来源与参考值", "最小样本量"]


def write_definitions(ws: Worksheet, ctx: Context) -> None:
    sheet_header(ws, ctx, "指标说明",
                  "比率类指标均为分子合计 ÷ 分母合计（不对下级比率取平均）；中位数由逐小时直方图汇总求得。"
                  "样本量低于最小样本量的单位标记为样本量小，不参与排名。参考值为同行公开数据，仅作对照，不用于判定达标。")
    header_row(ws, HEADER_ROW, _DEF_HEADERS)
    for r, ind in enumerate(ctx.indicators):
        row = HEADER_ROW + 1 + r
        std = standard_of(ind)
        sources = [f"标准：{std.source_zh}"] if std is not None and getattr(std, "source_zh", "") \
            else []
        sources += [f"参考：{getattr(x, 'label_zh', '')}（{getattr(x, 'source_zh', '')}）"
                    for x in (getattr(ind, "references", ()) or ())]
        texts = [str(r + 1), ind.id, ind.name_zh, getattr(ind, "unit_zh", ""),
                 getattr(ind, "formula_zh", ""), DIRECTION_ZH.get(ind.direction, ind.direction),
                 fmt.standard_label(std), "\n".join(sources)]
        for c, text in enumerate(texts, start=1):
            put_text(ws, row, c, text, font=F_SMALL_PLAIN if c == 2 else F_BODY, alignment=WRAP_TOP,
                     border=GRID_BORDER)
        put_number(ws, row, 9, getattr(ind, "min_count", None) or None, "#,##0", font=F_BODY,
                   alignment=TOP, border=GRID_BORDER)
    set_column_widths(ws, {1: 5, 2: fit_width([i.id for i in ctx.indicators], 12, 28), 3: 14,
                           4: 8, 5: 38, 6: 9, 7: 16, 8: 46, 9: 8})
    fit_row_heights(ws, range(HEADER_ROW + 1, HEADER_ROW + 1 + len(ctx.indicators)))
    finish(ws, ctx, f"{HEADER_ROW}:{HEADER_ROW}", f"D{HEADER_ROW + 1}")
