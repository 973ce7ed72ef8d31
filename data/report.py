"""Human-readable load report (for the ``validate`` command and logs).

``format_report(report, lang='zh')`` renders a :class:`data.model.LoadReport` as plain text: one
block per file × sheet with rows read / accepted / rejected / blank (and summary, note and template rows when there are any), whether it reconciles, errors
counted by rule and column, the first few errors with their Excel row, then fatal problems.
"""
from __future__ import annotations

from collections import Counter

from .model import LoadReport
from .validate import RULE_ZH

RULE_EN = {
    "missing_required": "required value missing", "not_a_number": "not a number",
    "bad_date": "invalid date", "out_of_range": "out of range", "duplicate_key": "duplicate id",
    "unknown_unit": "unknown unit", "closed_before_received": "closed before received",
    "bad_value": "value not allowed", "id_stored_as_number": "long id stored as a number",
    "formula_no_value": "formula without a saved result", "merged_cell": "merged cell",
    "encoding": "line not decodable",
}
_TEXT = {
    "zh": {"title": "数据载入报告", "read": "读取", "accepted": "接收", "rejected": "拒收",
           "blank": "空行", "ok": "行数核对一致", "bad": "行数核对不一致！", "rows": "行",
           "row": "第 {row} 行", "more": "…… 另有 {n} 条问题", "fatal": "无法读取的文件",
           "warn": "提示", "total": "合计", "sheet": "工作表", "summary": "合计行", "notes": "表尾说明行",
           "template": "空白模板行"},
    "en": {"title": "Load report", "read": "read", "accepted": "accepted", "rejected": "rejected",
           "blank": "blank", "ok": "reconciles", "bad": "DOES NOT RECONCILE!", "rows": "rows",
           "row": "row {row}", "more": "… and {n} more problems", "fatal": "Files that could not be read",
           "warn": "note", "total": "Total", "sheet": "sheet", "summary": "summary rows",
           "notes": "note rows", "template": "template rows"},
}


def _other_kinds(counts, t: dict[str, str]) -> str:
    """" + 合计行 1 + 空白模板行 364" for the kinds that occur (summary, notes, template)."""
    return "".join(f" + {t[k]} {getattr(counts, k):,}" for k in ("summary", "notes", "template")
                   if getattr(counts, k))


def format_report(report: LoadReport, lang: str = "zh", max_errors: int = 10) -> str:
    """Plain-text report in Chinese (``lang='zh'``) or English (``'en'``); at most
    ``max_errors`` individual errors are listed per file × sheet (all are counted)."""
    t = _TEXT["en" if lang == "en" else "zh"]
    rule_name = RULE_EN if lang == "en" else RULE_ZH
    lines = [t["title"], "=" * 40]
    for src in report.sources:
        where = src.file + (f"  [{t['sheet']}: {src.sheet}]" if src.sheet else "")
        lines.append(f"[{src.table}] {where}")
        lines.append(f"  {t['read']} {src.rows_read:,} = {t['accepted']} {src.accepted:,} + "
                     f"{t['rejected']} {src.rejected:,} + {t['blank']} {src.blank:,}{_other_kinds(src, t)}  "
                     f"({t['ok'] if src.reconciles else t['bad']})")
        counts = Counter((e.rule, e.column) for e in src.errors)
        for (rule, column), n in counts.most_common():
            lines.append(f"  - {rule_name.get(rule, rule)} ({rule}) · {column}: {n:,}")
        for e in src.errors[:max_errors]:
            lines.append(f"    {t['row'].format(row=e.row)} · {e.column} · 「{e.value}」 · {e.message}")
        if len(src.errors) > max_errors:
            lines.append("    " + t["more"].format(n=len(src.errors) - max_errors))
        for w in src.warnings:
            lines.append(f"  {t['warn']}: {w}")
    lines.append("-" * 40)
    lines.append(f"{t['total']}: {t['read']} {report.rows_read:,} = {t['accepted']} {report.accepted:,}"
                 f" + {t['rejected']} {report.rejected:,} + {t['blank']} {report.blank:,}{_other_kinds(report, t)}")
    if report.fatal:
        lines.append(t["fatal"] + ":")
        lines += [f"  {f['file']}: {f['message']}" for f in report.fatal]
    return "\n".join(lines)
