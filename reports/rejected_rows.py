"""The rejected-rows workbook (被拒收的数据行): what a street office gets back to fix and resend.

Moved here from ``data/report.py`` so that ingest knows no workbook: ``data`` produces the
:class:`data.model.LoadReport`; this module only renders it with the shared cell writers of
:mod:`reports.cells` (text never becomes a formula, control characters removed).
"""
from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment

from data.model import LoadReport

from .cells import (EXCEL_MAX_ROWS, HEADER_FILL, fit_row_heights, fit_width, font, put_label,
                    put_number, put_text, set_column_widths, setup_print, sheet_title)

#: table → Chinese name, for the rejected-rows workbook (the UI has its own translations)
TABLE_ZH = {"grids": "网格台账", "stations": "党群服务阵地", "volunteer_hours": "志愿服务记录",
            "complaints": "12345 工单"}
ROW_HEADER = "原文件行号"
REASON_HEADER = "问题（请按此修改）"


def rejected_rows_workbook(report: LoadReport) -> bytes:
    """The rejected rows as an .xlsx that a street office can fix and send back.

    One sheet per file × sheet that has rejected rows: ``原文件行号`` (the 1-based row as seen
    in the original file), then the original columns with their original headers and values,
    then ``问题（请按此修改）`` (every rule and message of the row, joined by ``；``). A first
    sheet ``说明`` lists, for every file × sheet, rows read / rejected, and the files that could
    not be read at all. Every value from the input is written as a text cell (never a formula:
    ``=1+1`` stays the text ``=1+1``; control characters are removed, see
    :func:`reports.cells.put_text`); row numbers are numbers. Header row frozen, auto-filter on.

    report: a :class:`data.model.LoadReport` as returned in ``Dataset.report`` (its sources'
    ``rejected_rows`` frames: ``excel_row``, original columns, ``reasons``). Returns the bytes of
    the workbook. Sheets longer than Excel's 1,048,576 rows are cut, and the cut is noted.
    """
    bold, plain = font(bold=True), font()
    wrap = Alignment(wrap_text=True, vertical="top")
    wb = Workbook()
    guide = wb.active
    taken = {"说明"}
    guide.title = "说明"
    put_label(guide, 1, 1, "被拒收的数据行（请修改后发回）", font=font(size=14, bold=True))
    put_label(guide, 2, 1, "每个工作表对应一个原文件：「原文件行号」是该行在原文件中的行号，"
                           "「问题」列写明每一处需要修改的内容。请在原文件中改正后重新报送。",
              font=plain)
    heads = ["数据表", "文件", "工作表", "读取行数", "拒收行数", "本工作簿中的工作表"]
    for j, text in enumerate(heads, start=1):
        put_label(guide, 4, j, text, font=bold, fill=HEADER_FILL)
    row = 5
    for src in report.sources:
        rejected = src.rejected_rows
        target = ""
        if rejected is not None and len(rejected):
            stem = src.file.rsplit("/", 1)[-1].rsplit(".", 1)[0] + (f"-{src.sheet}" if src.sheet else "")
            ws = wb.create_sheet(sheet_title(stem, taken))
            target = ws.title
            _write_rejected(ws, rejected, put_label, put_text, put_number, bold, plain, wrap,
                            HEADER_FILL, EXCEL_MAX_ROWS)
            set_column_widths(ws, {j + 1: fit_width([str(c), *map(str, rejected.iloc[:200, j])],
                                                    maximum=60 if j == rejected.shape[1] - 1 else 30)
                                   for j, c in enumerate(rejected.columns)})
            fit_row_heights(ws, range(2, min(len(rejected), 5000) + 2))
            setup_print(ws, "1:1", f"{src.file} 被拒收的行")
        for j, value in enumerate([TABLE_ZH.get(src.table, src.table), src.file, src.sheet or "",
                                   None, None, target], start=1):
            if value is not None:
                put_text(guide, row, j, value, font=plain)
        put_number(guide, row, 4, src.rows_read, "#,##0", font=plain)
        put_number(guide, row, 5, src.rejected, "#,##0", font=plain)
        row += 1
    if report.fatal:
        row += 1
        put_label(guide, row, 1, "无法读取的文件", font=bold)
        for item in report.fatal:
            row += 1
            put_text(guide, row, 2, item.get("file", ""), font=plain)
            put_text(guide, row, 3, item.get("message", ""), font=plain)
    set_column_widths(guide, {1: 14, 2: 40, 3: 16, 4: 10, 5: 10, 6: 30})
    guide.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(heads))
    guide["A2"].alignment = wrap
    guide.row_dimensions[2].height = 32
    setup_print(guide, "4:4", "被拒收的数据行")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _write_rejected(ws, rejected, put_label, put_text, put_number, bold, plain, wrap, fill,
                    max_rows: int) -> None:
    """Header + rows of one rejected-rows sheet (see :func:`rejected_rows_workbook`)."""
    originals = [c for c in rejected.columns if c not in ("excel_row", "reasons")]
    heads = [ROW_HEADER, *originals, REASON_HEADER]
    for j, text in enumerate(heads, start=1):
        put_label(ws, 1, j, text, font=bold, fill=fill)
    shown = rejected.iloc[: max_rows - 2]
    rows = shown["excel_row"].to_numpy()
    values = shown[originals].astype("string").fillna("").to_numpy(dtype=object)
    reasons = shown["reasons"].astype("string").fillna("").to_numpy(dtype=object)
    for i in range(len(shown)):
        r = i + 2
        put_number(ws, r, 1, int(rows[i]), "0", font=plain)
        for j, value in enumerate(values[i], start=2):
            if value:
                put_text(ws, r, j, value, font=plain)
        put_text(ws, r, len(heads), reasons[i], font=plain, alignment=wrap)
    if len(rejected) > len(shown):
        put_label(ws, len(shown) + 2, 1, f"另有 {len(rejected) - len(shown):,} 行超出 Excel 行数上限，未列出",
                  font=bold)
    ws.freeze_panes = "B2"
    ws.auto_filter.ref = ws.dimensions
