"""数据质量: the load report per file, the records each rate left out (and why), the rejected
rows counted per rule and listed, and 导出处理说明 — every control character removed, every text
cut at 32,767 characters and every level split across sheets."""
from __future__ import annotations

from collections import Counter
from typing import Any

import pandas as pd
from openpyxl.worksheet.worksheet import Worksheet

from reports.cells import (EXCEL_MAX_CELL_CHARS, TRUNCATION_MARKER, CellNote, GRID_BORDER,
                           TOTAL_FILL, WRAP_TOP, cell_notes, display_width, fit_row_heights,
                           fit_width, put_label,
                           put_number, put_text, set_column_widths)
from reports.sheets.common import (RULE_NAMES_ZH, HEADER_ROW, Context, sheet_header, header_row, finish, as_float,
                                   TABLE_NAMES_ZH, F_BODY, F_BOLD, F_MUTED, F_FAIL, F_SECTION)

MAX_ERROR_DETAILS = 500

# --------------------------------------------------------------------------- 数据质量

def not_data(counts) -> int:
    """Rows read that are not data: blank + summary (合计) + notes (表尾) + template (only zeros)."""
    return (counts.blank + getattr(counts, "summary", 0) + getattr(counts, "notes", 0)
            + getattr(counts, "template", 0))


def write_quality(ws: Worksheet, ctx: Context) -> None:
    report = ctx.dataset.report
    sources = list(report.sources)
    sheet_header(ws, ctx, "数据质量",
                  "每个文件（工作表）均满足：读取行数 ＝ 接受 ＋ 拒绝 ＋ 未读作数据的行（空行、合计行、表尾说明行、"
                  "只有 0 的模板行）。被拒绝的行不参与计算，"
                  "可在看板“数据质量”页下载明细。")
    headers = ["数据表", "文件", "工作表", "读取行数", "接受", "拒绝", "空行/合计/模板行", "核对"]
    header_row(ws, HEADER_ROW, headers)
    row = HEADER_ROW + 1
    text_cols: dict[int, list[str]] = {1: [], 2: [], 3: []}
    for s in sources:
        cells = [TABLE_NAMES_ZH.get(s.table, s.table), s.file, s.sheet or ""]
        for c, text in enumerate(cells, start=1):
            put_text(ws, row, c, text, font=F_BODY, border=GRID_BORDER)
            text_cols[c].append(str(text))
        for c, n in enumerate([s.rows_read, s.accepted, s.rejected, not_data(s)], start=4):
            put_number(ws, row, c, n, "#,##0", font=F_FAIL if c == 6 and n else F_BODY,
                       border=GRID_BORDER)
        put_label(ws, row, 8, "平衡" if s.reconciles else "不平衡", border=GRID_BORDER,
                  font=F_BODY if s.reconciles else F_FAIL)
        row += 1
    put_label(ws, row, 1, "合计", font=F_BOLD, fill=TOTAL_FILL, border=GRID_BORDER)
    for c in (2, 3, 8):
        put_label(ws, row, c, "", fill=TOTAL_FILL, border=GRID_BORDER)
    for c, n in enumerate([report.rows_read, report.accepted, report.rejected, not_data(report)],
                          start=4):
        put_number(ws, row, c, n, "#,##0", font=F_BOLD, fill=TOTAL_FILL, border=GRID_BORDER)
    row += 2
    row = _write_excluded(ws, ctx, row) + 1
    findings_start = row
    row = _write_findings(ws, ctx, row) + 1
    findings_end = row

    # rejected rows counted per rule (file × sheet × rule), with one example
    counts: Counter[tuple[int, str]] = Counter()
    example: dict[tuple[int, str], Any] = {}
    for k, s in enumerate(sources):
        for e in s.errors:
            counts[(k, e.rule)] += 1
            example.setdefault((k, e.rule), e)
    put_label(ws, row, 1, "问题按规则统计", font=F_SECTION)
    row += 1
    header_row(ws, row, ["数据表", "文件", "工作表", "问题数", "问题", "", "示例（行 / 列 / 值）", ""])
    _merge_pairs(ws, row)
    row += 1
    if not counts:
        put_label(ws, row, 1, "未发现问题。", font=F_MUTED)
        row += 1
    rule_names = rule_names_zh()
    for (k, rule), n in sorted(counts.items(), key=lambda kv: (kv[0][0], -kv[1])):
        s, e = sources[k], example[(k, rule)]
        for c, text in enumerate([TABLE_NAMES_ZH.get(s.table, s.table), s.file, s.sheet or ""],
                                 start=1):
            put_text(ws, row, c, text, font=F_BODY, border=GRID_BORDER)
        put_number(ws, row, 4, n, "#,##0", font=F_FAIL, border=GRID_BORDER)
        put_text(ws, row, 5, rule_names.get(rule) or e.message or rule, font=F_BODY,
                 border=GRID_BORDER)
        put_text(ws, row, 7, f"第 {e.row} 行 / {e.column} / {e.value}", font=F_BODY,
                 border=GRID_BORDER)
        _merge_pairs(ws, row)
        row += 1

    extra = [(f.get("file", ""), f.get("message", ""), "无法读取") for f in report.fatal]
    extra += [(s.file, w, "警告") for s in sources for w in s.warnings]
    if extra:
        row += 1
        put_label(ws, row, 1, "无法读取的文件与警告", font=F_SECTION)
        row += 1
        header_row(ws, row, ["类别", "文件", "说明", "", "", "", "", ""])
        ws.merge_cells(start_row=row, start_column=3, end_row=row, end_column=8)
        row += 1
        for file, message, kind in extra:
            put_label(ws, row, 1, kind, font=F_FAIL if kind == "无法读取" else F_BODY,
                      border=GRID_BORDER)
            put_text(ws, row, 2, file, font=F_BODY, border=GRID_BORDER)
            put_text(ws, row, 3, message, font=F_BODY, border=GRID_BORDER)
            ws.merge_cells(start_row=row, start_column=3, end_row=row, end_column=8)
            row += 1

    # the first problems one by one, to hand back to the offices that sent the files
    details = [(s, e) for s in sources for e in s.errors]
    if details:
        row += 1
        shown = details[:MAX_ERROR_DETAILS]
        more = (f"（共 {len(details):,} 条，列出前 {len(shown):,} 条；完整明细可在看板“数据质量”页下载）"
                if len(details) > len(shown) else f"（共 {len(details):,} 条）")
        put_label(ws, row, 1, f"问题明细{more}", font=F_SECTION)
        row += 1
        header_row(ws, row, ["数据表", "文件", "工作表", "行号", "列", "", "原始值", "问题"])
        ws.merge_cells(start_row=row, start_column=5, end_row=row, end_column=6)
        row += 1
        rule_names = rule_names_zh()
        for s, e in shown:
            for c, text in enumerate([TABLE_NAMES_ZH.get(s.table, s.table), s.file,
                                      s.sheet or ""], start=1):
                put_text(ws, row, c, text, font=F_BODY, border=GRID_BORDER)
            put_number(ws, row, 4, e.row, "0", font=F_BODY, border=GRID_BORDER)
            put_text(ws, row, 5, e.column, font=F_BODY, border=GRID_BORDER)
            ws.cell(row, 6).border = GRID_BORDER
            ws.merge_cells(start_row=row, start_column=5, end_row=row, end_column=6)
            put_text(ws, row, 7, e.value, font=F_BODY, border=GRID_BORDER)
            put_text(ws, row, 8, rule_names.get(e.rule) or e.message or e.rule, font=F_BODY,
                     border=GRID_BORDER)
            row += 1
    row = _write_export_notes(ws, ctx, row + 1)
    set_column_widths(ws, {1: 18, 2: fit_width(text_cols[2] + ["文件"], 12, 40),
                           3: fit_width(text_cols[3] + ["工作表"], 8, 20), 4: 11, 5: 11,
                           6: 11, 7: 14, 8: 36})
    # the findings' reasons wrap in column 8: rows as tall as their text (after the widths)
    fit_row_heights(ws, range(findings_start + 3, findings_end))
    finish(ws, ctx, f"{HEADER_ROW}:{HEADER_ROW}", f"A{HEADER_ROW + 1}")


MAX_FINDINGS = 500


def scope_findings(ctx: Context) -> pd.DataFrame:
    """Data-quality findings over time (``indicators.quality.quality_findings``) of the review
    year for the units in scope (the grid register's residents-per-household rows for the grids
    in scope)."""
    from indicators.quality import quality_findings

    levels = list(ctx.dataset.levels)
    catalog = {i.id: i for i in ctx.indicators}
    found = quality_findings(ctx.table, catalog, ctx.dataset.tables.get("grids"),
                             levels[:-1] if len(levels) > 1 else levels)
    if found.empty:
        return found
    found = found.loc[found["period"].astype(str).str.startswith(str(ctx.year))]
    keep = pd.Series(False, index=found.index)
    for level, units in ctx.units.items():
        ids_ = set(units["unit_id"].astype(str))
        keep |= found["unit_id"].astype(str).isin(ids_) & (found["level"] == level)
    if levels and levels[-1] in ctx.units:
        grids = set(ctx.units[levels[-1]]["unit_id"].astype(str))
        keep |= (found["level"] == "grid_register") & found["unit_id"].astype(str).isin(grids)
    if ctx.scope.level == "total":
        keep |= found["level"] == "grid_register"
    return found.loc[keep].reset_index(drop=True)


def _finding_number(ind: Any, value: Any) -> str:
    from indicators.catalog import format_value
    v = as_float(value)
    if v is None:
        return "—"
    if ind is not None and ind.kind != "count":
        return format_value(ind, v)
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}"


def _write_findings(ws: Worksheet, ctx: Context, row: int) -> int:
    """数据质量核查: each finding of the review year with unit, period, value, expected range and
    why (completeness, outliers, consistency over time and between tables)."""
    found = scope_findings(ctx)
    shown = found.head(MAX_FINDINGS)
    more = (f"（共 {len(found):,} 条，列出前 {len(shown):,} 条；完整列表见看板“数据质量”页）"
            if len(found) > len(shown) else f"（共 {len(found):,} 条）")
    put_label(ws, row, 1, f"数据质量核查（{ctx.year} 年）{more}", font=F_SECTION)
    row += 1
    put_text(ws, row, 1, "报送完整性：此前有记录的单位某月无记录；异常值：修正 z 分数绝对值大于 3.5"
             "（与本单位各月或同期同级单位相比）；跨年一致性：本年为前几年平均的 ±33% 以外；"
             "表间一致性：诉求量与登记人口、户均人口。暂定值与样本不足的值不参与核查。",
             font=F_MUTED, alignment=WRAP_TOP)
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=8)
    ws.row_dimensions[row].height = 30
    row += 1
    header_row(ws, row, ["核查项", "层级", "单位", "期间", "核查内容", "数值", "预期范围", "原因"])
    row += 1
    if found.empty:
        put_label(ws, row, 1, "未发现问题。", font=F_MUTED)
        return row + 1
    catalog = {i.id: i for i in ctx.indicators}
    for r in shown.itertuples(index=False):
        ind = catalog.get(r.indicator_id) if r.check in ("outlier_peer",
                                                         "consistency_internal") else None
        low, high = _finding_number(ind, r.expected_low), _finding_number(ind, r.expected_high)
        level = "网格台账" if r.level == "grid_register" else ctx.level_zh(r.level)
        cells = [r.check_zh, level, r.unit_name, r.period, r.item_zh,
                 _finding_number(ind, r.value), f"≥ {low}" if high == "—" else f"{low} – {high}"]
        for c, text in enumerate(cells, start=1):
            put_text(ws, row, c, text, font=F_BODY, border=GRID_BORDER, alignment=WRAP_TOP)
        put_text(ws, row, 8, r.reason_zh, font=F_BODY, border=GRID_BORDER, alignment=WRAP_TOP)
        row += 1
    return row


def _excluded_reason(ind: Any, row: pd.Series) -> str:
    """Why an indicator leaves records out: the table's ``excluded_reason`` when it has one,
    else the catalog's reasons (``Indicator.excluded``: Exclusion objects with ``reason_zh``, or
    the name of a measure described in indicators.measures.MEASURES)."""
    given = row.get("excluded_reason")
    if isinstance(given, str) and given.strip():
        return given
    excluded = getattr(ind, "excluded", "") or ""
    if isinstance(excluded, str):
        try:
            from indicators.measures import MEASURES
            return getattr(MEASURES.get(excluded), "description_zh", "") or excluded
        except ImportError:  # pragma: no cover - indicators/ is part of the project
            return excluded
    return "；".join(getattr(e, "reason_zh", "") or str(getattr(e, "measure", e))
                    for e in excluded)


def _write_excluded(ws: Worksheet, ctx: Context, row: int) -> int:
    """Records each rate of the scope unit left out in the review year (the table's
    ``excluded`` column: tickets without a due date, unrated tickets …), with the reason.
    Returns the next free row."""
    t = ctx.ytab
    here = t.loc[(t["level"] == ctx.scope.level)
                 & (t["unit_id"].astype("string") == ctx.scope.unit_id)]
    if "excluded" not in here.columns:
        return row
    here = here.set_index(here["indicator_id"].astype(str))
    put_label(ws, row, 1, f"计算中排除的记录（{ctx.scope.unit_name}，{ctx.year} 年）", font=F_SECTION)
    row += 1
    header_row(ws, row, ["指标", "排除原因", "", "计入记录数", "排除记录数", "排除占比", "", ""])
    ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=3)
    row += 1
    shown = 0
    for ind in ctx.indicators:
        if not getattr(ind, "excluded", "") or ind.id not in here.index:
            continue
        rec = here.loc[ind.id]
        excluded, counted = as_float(rec["excluded"]), as_float(rec["denominator"])
        if excluded is None:
            continue
        put_text(ws, row, 1, ind.name_zh, font=F_BODY, border=GRID_BORDER, alignment=WRAP_TOP)
        put_text(ws, row, 2, _excluded_reason(ind, rec), font=F_BODY, border=GRID_BORDER,
                 alignment=WRAP_TOP)
        ws.cell(row, 3).border = GRID_BORDER
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=3)
        put_number(ws, row, 4, counted, "#,##0", font=F_BODY, border=GRID_BORDER)
        put_number(ws, row, 5, excluded, "#,##0", font=F_FAIL if excluded else F_BODY,
                   border=GRID_BORDER)
        whole = (counted or 0) + excluded
        put_number(ws, row, 6, excluded / whole if whole else None, "0.0%", font=F_BODY,
                   border=GRID_BORDER)
        row += 1
        shown += 1
    if not shown:
        put_label(ws, row, 1, "各项指标均未排除记录。", font=F_MUTED)
        row += 1
    return row


#: Cells listed by address per sheet and kind on 导出处理说明 (the count is always complete).
MAX_NOTE_CELLS = 20
_NOTE_KIND_ZH = {"control": "删除控制字符", "truncated": "超长文本截断"}


def _write_export_notes(ws: Worksheet, ctx: Context, row: int) -> int:
    """导出处理说明: every text the workbook had to change to store it (control characters
    removed, text cut at 32,767 characters) by sheet with the cells' addresses, and every level
    that continued on further sheets.  Returns the next free row."""
    put_label(ws, row, 1, "导出处理说明", font=F_SECTION)
    row += 1
    header_row(ws, row, ["工作表", "处理", "说明", "", "", "", "", ""])
    ws.merge_cells(start_row=row, start_column=3, end_row=row, end_column=8)
    row += 1
    notes: dict[tuple[str, str], list[CellNote]] = {}
    for note in list(cell_notes(ws.parent)):
        notes.setdefault((note.sheet, note.kind), []).append(note)
    lines = []
    for (sheet, kind), group in notes.items():
        cells = "、".join(n.cell for n in group[:MAX_NOTE_CELLS])
        more = f" 等（共 {len(group):,} 个单元格）" if len(group) > MAX_NOTE_CELLS else ""
        chars = sum(n.count for n in group)
        what = (f"删除了 {chars:,} 个无法写入 Excel 的控制字符（\\x00–\\x1f）" if kind == "control"
                else f"文本超过单元格上限 {EXCEL_MAX_CELL_CHARS:,} 字符，共截去 {chars:,} 个字符，"
                     f"截断处以“{TRUNCATION_MARKER.strip('…')}”标明")
        lines.append((sheet, _NOTE_KIND_ZH.get(kind, kind),
                      f"{len(group):,} 个单元格{what}：{cells}{more}"))
    lines += [(sheet, "拆分工作表", text) for sheet, text in ctx.split_notes]
    if not lines:
        put_label(ws, row, 1, "无：所有文本均原样写入，没有拆分工作表。", font=F_MUTED)
        return row + 1
    for sheet, kind, text in lines:
        put_text(ws, row, 1, sheet, font=F_BODY, border=GRID_BORDER, alignment=WRAP_TOP)
        put_label(ws, row, 2, kind, font=F_FAIL, border=GRID_BORDER, alignment=WRAP_TOP)
        put_text(ws, row, 3, text, font=F_BODY, border=GRID_BORDER, alignment=WRAP_TOP)
        for col in range(4, 9):
            ws.cell(row, col).border = GRID_BORDER
        ws.merge_cells(start_row=row, start_column=3, end_row=row, end_column=8)
        # merged wrapped text: Excel does not grow the row, so size it for ~70 characters a line
        ws.row_dimensions[row].height = 14 * max(1, -(-display_width(text) // 140)) + 3
        row += 1
    return row


def _merge_pairs(ws: Worksheet, row: int) -> None:
    """Merge columns E:F and G:H of a row (the wide text cells of the rule table)."""
    for first in (5, 7):
        for col in (first, first + 1):
            ws.cell(row, col).border = GRID_BORDER
        ws.merge_cells(start_row=row, start_column=first, end_row=row, end_column=first + 1)


def rule_names_zh() -> dict[str, str]:
    """Chinese rule names, shared with the dashboard's load report when data/ provides them."""
    try:
        from data.validate import RULE_ZH
        return {**RULE_NAMES_ZH, **RULE_ZH}
    except ImportError:  # pragma: no cover - data/ is part of the project
        return dict(RULE_NAMES_ZH)
