"""封面: title, scope, year, data cut-off, generation time, contents, and every source file
with its SHA-256 and rows read / accepted / rejected / blank."""
from __future__ import annotations


import pandas as pd
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from reports.cells import (GRID_BORDER, LEFT_CENTER, WRAP_TOP, fit_width, font, put_label,
                           put_number, put_text, set_column_widths, setup_print)
from reports.frames import standard_of
from reports.sheets.quality import not_data
from reports.sheets.common import (Context, header_row, TABLE_NAMES_ZH, F_BODY, F_BOLD, F_MUTED,
                                   F_SECTION, F_SAMPLE, F_MONO, F_LINK)

# --------------------------------------------------------------------------- 封面

def _register_text(register_years: pd.DataFrame | None, year: int) -> str:
    """Which register (台账) each table used for ``year``: ``网格台账 2025 年；党群服务阵地
    未注明年份（沿用）`` — from ``Results.register_years`` (period, table, register_year,
    fallback)."""
    if register_years is None or register_years.empty:
        return "—"
    rows = register_years.loc[register_years["period"].astype("string") == str(year)]
    parts = []
    for table, ry, fallback in zip(rows["table"], rows["register_year"], rows["fallback"]):
        name = TABLE_NAMES_ZH.get(str(table), str(table))
        if pd.isna(ry):
            parts.append(f"{name} 未注明年份的台账")
        elif bool(fallback):
            parts.append(f"{name} {int(ry)} 年（无 {year} 年台账，沿用最近一期）")
        else:
            parts.append(f"{name} {int(ry)} 年")
    return "；".join(parts) or "—"


def write_cover(ws: Worksheet, ctx: Context, sheets: list[tuple[str, str]]) -> None:
    ds = ctx.dataset
    put_label(ws, 1, 1, ctx.title, font=font(18, bold=True))
    ws.merge_cells("A1:H1")
    ws.row_dimensions[1].height = 36
    row = 2
    if getattr(ds, "is_sample", False):
        put_label(ws, row, 1, "【示例数据】本工作簿由示例数据生成，仅供演示，不代表任何地区的真实情况。",
                  font=F_SAMPLE)
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=8)
    row += 1
    cutoff = getattr(ds, "cutoff", None)
    levels_zh = " → ".join(ctx.level_zh(lv) for lv in ds.levels)
    counts = "，".join(f"{ctx.level_zh(lv)} {len(df):,} 个" for lv, df in ctx.units.items())
    facts = [("评议范围", ctx.scope_zh), ("评议年度", f"{ctx.year} 年"),
             ("数据截止日期", pd.Timestamp(cutoff).strftime("%Y-%m-%d") if cutoff is not None
              and not pd.isna(cutoff) else "未指定"),
             ("生成时间", ctx.generated_at.strftime("%Y-%m-%d %H:%M")),
             ("数据集", ds.name), ("层级", levels_zh), ("单位数", counts),
             ("台账年份", _register_text(ctx.register_years, ctx.year)),
             ("指标数", f"{len(ctx.indicators)} 项（{sum(standard_of(i) is not None for i in ctx.indicators)} 项有标准）")]
    for label, value in facts:
        row += 1
        put_label(ws, row, 1, label, font=F_BOLD, alignment=LEFT_CENTER)
        put_text(ws, row, 2, value, font=F_BODY)
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=8)

    row += 2
    put_label(ws, row, 1, "工作簿内容", font=F_SECTION)
    for name, what in sheets:
        row += 1
        cell = put_text(ws, row, 1, name, font=F_LINK)
        # an internal link (location), not an external target: Excel jumps to the sheet
        cell.hyperlink = Hyperlink(ref=cell.coordinate,
                                   location="'{}'!A1".format(name.replace("'", "''")))
        put_text(ws, row, 2, what, font=F_BODY)
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=8)

    row += 2
    put_label(ws, row, 1, "数据来源", font=F_SECTION)
    row += 1
    header_row(ws, row, ["数据表", "文件", "工作表", "SHA-256（文件指纹）", "读取行数", "接受",
                          "拒绝", "空行/合计/模板行"])
    files, sheets_txt = [], []
    for s in ds.report.sources:
        row += 1
        put_text(ws, row, 1, TABLE_NAMES_ZH.get(s.table, s.table), font=F_BODY, border=GRID_BORDER)
        put_text(ws, row, 2, s.file, font=F_BODY, border=GRID_BORDER, alignment=WRAP_TOP)
        put_text(ws, row, 3, s.sheet or "", font=F_BODY, border=GRID_BORDER)
        put_text(ws, row, 4, s.sha256, font=F_MONO, border=GRID_BORDER)
        for c, n in enumerate([s.rows_read, s.accepted, s.rejected, not_data(s)], start=5):
            put_number(ws, row, c, n, "#,##0", font=F_BODY, border=GRID_BORDER)
        files.append(str(s.file))
        sheets_txt.append(str(s.sheet or ""))
    if not ds.report.sources:
        row += 1
        put_label(ws, row, 1, "（无来源文件记录）", font=F_MUTED)
    set_column_widths(ws, {1: 14, 2: fit_width(files, 14, 34), 3: fit_width(sheets_txt, 8, 16),
                           4: 66, 5: 10, 6: 10, 7: 10, 8: 10})
    ws.sheet_view.showGridLines = False
    setup_print(ws, "", ctx.title)
    ws.page_setup.fitToHeight = 1          # the cover is one sheet of paper, however many files
