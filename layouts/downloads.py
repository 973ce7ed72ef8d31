"""Files a user downloads from the dashboard: the compare table as shown (CSV and Excel) and the
problem rows of the load report (CSV).

Pure functions of DataFrames (no Dash, no store). Text born from input files is defused before
it reaches a spreadsheet: a CSV cell Excel would run as a formula gets a leading apostrophe
(OWASP "CSV injection"), an Excel cell is written as a string cell (reports.cells.put_text).
"""
from __future__ import annotations

import io
import re
from typing import Any

import pandas as pd

from layouts.i18n import t

#: A cell Excel would run as a formula (=, +, -, @, or a tab/CR first) unless it is a number.
_FORMULA_START = re.compile(r"^[=+\-@\t\r]")
_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")

#: Columns of the compare table, in the order the grid shows them; then PEER_COLUMNS when the
#: dataset defines peer groups.
TABLE_COLUMNS = ("rank", "unit_name", "value", "numerator", "denominator", "change")
PEER_COLUMNS = ("peer_group", "peer_rank")
CSV_ENCODING = "utf-8-sig"  # the BOM makes Excel read UTF-8 Chinese correctly


def defuse_text(values: pd.Series) -> pd.Series:
    """Text cells for CSV: a value Excel would evaluate as a formula gets a leading apostrophe;
    plain numbers such as ``-120`` are left as they are. NaN becomes ``""``."""
    text = values.astype("string").fillna("")
    risky = text.str.match(_FORMULA_START.pattern) & ~text.str.fullmatch(_NUMBER.pattern)
    return text.mask(risky.fillna(False), "'" + text)


def shown_rows(virtual_rows: list[dict] | None) -> pd.DataFrame:
    """The rows an AG Grid shows (its ``virtualRowData``: after the user's filter and sort, in
    display order) as a frame with TABLE_COLUMNS: rank (float, NaN = not ranked), unit_name
    (str), value, numerator, denominator, change (float), plus peer_group (str) and peer_rank
    (float) when any row has a peer group, and provisional (bool) when any row is provisional
    (an open period, 暂定). Missing columns are NaN."""
    frame = pd.DataFrame.from_records(list(virtual_rows or []))
    peer = "peer_group" in frame and bool(frame["peer_group"].notna().any())
    out = pd.DataFrame(index=frame.index)
    for col in TABLE_COLUMNS + (PEER_COLUMNS if peer else ()):
        source = frame[col] if col in frame else pd.Series(pd.NA, index=frame.index)
        out[col] = (source.astype("string").fillna("") if col in ("unit_name", "peer_group")
                    else pd.to_numeric(source, errors="coerce").astype("float64"))
    if "provisional" in frame and bool(frame["provisional"].fillna(False).astype(bool).any()):
        out["provisional"] = frame["provisional"].fillna(False).astype(bool)   # 暂定
    return out.reset_index(drop=True)


def _headers(indicator: Any, lang: str) -> dict[str, str]:
    rate = indicator.kind == "rate"
    unit = indicator.unit(lang)
    value = t("col_value_pct", lang) if rate else (
        t("col_value_unit", lang, unit=unit) if unit else t("value", lang))
    return {"rank": t("rank", lang), "unit_name": t("unit_name", lang), "value": value,
            "numerator": t("numerator", lang), "denominator": t("denominator", lang),
            "change": t("col_change_pp" if rate else "col_change_pct", lang),
            "peer_group": t("col_peer_group", lang), "peer_rank": t("col_peer_rank", lang)}


def table_csv(rows: pd.DataFrame, indicator: Any, lang: str = "zh") -> bytes:
    """The compare table (``shown_rows``) as CSV bytes (UTF-8 with BOM, CRLF), one line per row
    in the order given, numbers as shown on screen without thousands separators: rates in per
    cent (93.2), their change in percentage points (+0.5), other changes in per cent; the
    indicator's decimals. Unranked units (too few cases) read 样本不足 in the rank column.
    """
    rate = indicator.kind == "rate"
    d = int(indicator.decimals)
    value = rows["value"] * 100 if rate else rows["value"]
    out = pd.DataFrame({
        "rank": rows["rank"].map(lambda r: t("small_count", lang) if pd.isna(r) else f"{r:.0f}"),
        "unit_name": defuse_text(rows["unit_name"]),
        "value": value.round(d),
        "numerator": rows["numerator"].round(4),
        "denominator": rows["denominator"].round(4),
        "change": (rows["change"] * 100).round(1),
    })
    if "peer_group" in rows:
        out["peer_group"] = defuse_text(rows["peer_group"])
        out["peer_rank"] = rows["peer_rank"].map(lambda r: "" if pd.isna(r) else f"{r:.0f}")
    if "provisional" in rows:
        out["provisional"] = rows["provisional"].map(
            lambda p: t("provisional", lang) if p else "")
    out = out.rename(columns={**_headers(indicator, lang), "provisional": t("provisional", lang)})
    return out.to_csv(index=False, lineterminator="\r\n").encode(CSV_ENCODING)


def table_xlsx(rows: pd.DataFrame, indicator: Any, lang: str = "zh", title: str = "") -> bytes:
    """The compare table (``shown_rows``) as an .xlsx workbook: a title line, the header, one row
    per unit in the order given. Numbers stay numbers with native formats (rates 0.0%, changes
    +0.0 percentage points or +0.0%); unit names are string cells, never formulas."""
    # imported here: openpyxl and the workbook package cost ≈ 1 s, not needed to start the app
    from openpyxl import Workbook

    from reports.cells import font, put_label, put_number, put_text, set_column_widths
    from reports.formats import change_for_excel, signed, value_format
    wb = Workbook()
    ws = wb.active
    ws.title = t("sheet_compare", lang)
    put_label(ws, 1, 1, title, font=font(12, bold=True))
    headers = _headers(indicator, lang)
    peer = "peer_group" in rows
    for col, key in enumerate(TABLE_COLUMNS + (PEER_COLUMNS if peer else ()), start=1):
        put_label(ws, 2, col, headers[key], font=font(10, bold=True))
    change_fmt = signed("0.0") if indicator.kind == "rate" else signed("0.0%")
    small = t("small_count", lang)
    for r, rec in enumerate(rows.itertuples(index=False), start=3):  # display: rows on screen
        if pd.isna(rec.rank):
            put_text(ws, r, 1, small)
        else:
            put_number(ws, r, 1, int(rec.rank), "0")
        put_text(ws, r, 2, rec.unit_name)
        vfmt = value_format(indicator)
        if bool(getattr(rec, "provisional", False)):      # an open period: 91.8%（暂定）
            vfmt = ";".join(f'{p}"{t("provisional_suffix", lang)}"' for p in vfmt.split(";"))
        put_number(ws, r, 3, rec.value, vfmt)
        put_number(ws, r, 4, rec.numerator, "#,##0.####")
        put_number(ws, r, 5, rec.denominator, "#,##0.####")
        change = None if pd.isna(rec.change) else change_for_excel(indicator, rec.change)
        put_number(ws, r, 6, change, change_fmt)
        if peer:
            put_text(ws, r, 7, rec.peer_group)
            put_number(ws, r, 8, rec.peer_rank, "0")
    set_column_widths(ws, {1: 10, 2: 28, 3: 14, 4: 14, 5: 14, 6: 16, 7: 16, 8: 10})
    ws.freeze_panes = "A3"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def rule_name(rule: Any, lang: str) -> str:
    """A validation rule's name for people: ``out_of_range`` → 超出合理范围 (data.validate.RULE_ZH)
    in Chinese, "out of range" in English; an unknown rule in Chinese is 其他问题 (its code never
    reaches the Chinese page)."""
    from data.validate import RULE_ZH

    code = "" if rule is None or pd.isna(rule) else str(rule)
    if lang == "zh":
        return RULE_ZH.get(code, t("rule_other", lang))
    return code.replace("_", " ")


def errors_csv(errors: pd.DataFrame, table_names: dict[str, str], lang: str = "zh") -> bytes:
    """The problem rows of a load report (layouts.store.ERROR_COLUMNS) as CSV bytes (UTF-8 with
    BOM) with translated headers and rule names (:func:`rule_name`); ``table_names`` maps table
    ids to display names. Text Excel
    would run as a formula is defused (see :func:`defuse_text`)."""
    out = errors.copy()
    out["table"] = out["table"].map(lambda name: table_names.get(name, name))
    out["rule"] = out["rule"].map(lambda rule: rule_name(rule, lang))
    for col in ("file", "sheet", "column", "value", "message"):
        out[col] = defuse_text(out[col])
    out = out.rename(columns={c: t(f"col_{c}", lang) for c in out.columns})
    return out.to_csv(index=False, lineterminator="\r\n").encode(CSV_ENCODING)


def _indicator_headers(indicator: Any, lang: str) -> dict[str, str]:
    rate = indicator.kind == "rate"
    unit = indicator.unit(lang)
    value = t("col_value_pct", lang) if rate else (
        t("col_value_unit", lang, unit=unit) if unit else t("value", lang))
    return {"period": t("label_year", lang), "level": t("label_level", lang),
            "unit_id": t("col_unit_id", lang), "unit_name": t("unit_name", lang),
            "value": value, "numerator": t("numerator", lang),
            "denominator": t("denominator", lang), "status": t("standard", lang),
            "small_count": t("small_count", lang)}


def indicator_csv(frame: pd.DataFrame, indicator: Any, meta: list[tuple[str, str]],
                  lang: str = "zh") -> bytes:
    """An indicator's data (layouts.pages.indicator.data_frame: period, level, unit_id,
    unit_name, value, numerator, denominator, status, small_count) as CSV bytes (UTF-8 with
    BOM, CRLF) with its metadata first: one ``# 标签：内容`` line per (label, text) of ``meta``,
    then a blank line, then the table (rates in per cent with the catalog's decimals; text
    defused against formulas)."""
    rate = indicator.kind == "rate"
    d = int(indicator.decimals)
    out = frame.assign(
        value=(frame["value"] * 100 if rate else frame["value"]).round(d + (0 if rate else 2)),
        unit_name=defuse_text(frame["unit_name"]), unit_id=defuse_text(frame["unit_id"]),
        small_count=frame["small_count"].map({True: t("answer_yes", lang), False: ""}))
    out = out.rename(columns=_indicator_headers(indicator, lang))
    sep = "：" if lang == "zh" else ": "
    head = "".join(f"# {label}{sep}{' '.join(str(text).split())}\r\n" for label, text in meta)
    return (head + "\r\n" + out.to_csv(index=False, lineterminator="\r\n")).encode(CSV_ENCODING)


def indicator_xlsx(frame: pd.DataFrame, indicator: Any, meta: list[tuple[str, str]],
                   lang: str = "zh") -> bytes:
    """The same as :func:`indicator_csv` as an .xlsx workbook: sheet 指标说明 with the
    metadata (label, text) and sheet 数据 with the table; numbers stay numbers with native
    formats, text cells never become formulas."""
    wb = Workbook()
    about = wb.active
    about.title = t("ind_meta_title", lang)
    put_label(about, 1, 1, indicator.name(lang), font=font(14, bold=True))
    for r, (label, text) in enumerate(meta, start=3):
        put_label(about, r, 1, label, font=font(10, bold=True))
        put_text(about, r, 2, text)
    set_column_widths(about, {1: 16, 2: 100})
    ws = wb.create_sheet(t("ind_data_title", lang))
    headers = _indicator_headers(indicator, lang)
    columns = list(headers)
    for c, key in enumerate(columns, start=1):
        put_label(ws, 1, c, headers[key], font=font(10, bold=True))
    vfmt = value_format(indicator)
    yes = t("answer_yes", lang)
    for r, rec in enumerate(frame.itertuples(index=False), start=2):
        put_text(ws, r, 1, rec.period)
        put_text(ws, r, 2, rec.level)
        put_text(ws, r, 3, rec.unit_id)
        put_text(ws, r, 4, rec.unit_name)
        put_number(ws, r, 5, None if pd.isna(rec.value) else float(rec.value), vfmt)
        put_number(ws, r, 6, None if pd.isna(rec.numerator) else float(rec.numerator),
                   "#,##0.####")
        put_number(ws, r, 7, None if pd.isna(rec.denominator) else float(rec.denominator),
                   "#,##0.####")
        put_text(ws, r, 8, rec.status)
        put_text(ws, r, 9, yes if rec.small_count else "")
    set_column_widths(ws, {1: 8, 2: 8, 3: 18, 4: 24, 5: 14, 6: 14, 7: 14, 8: 10, 9: 10})
    ws.freeze_panes = "A2"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
