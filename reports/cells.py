"""Low-level helpers for writing cells safely and laying out printable sheets with openpyxl.

Every piece of text that comes from an input file (unit names and ids, file names, raw values,
manifest names) goes through :func:`put_text`, which makes sure it is stored as a *string* cell and
never interpreted as a formula by Excel or LibreOffice.  Numbers go through :func:`put_number`,
which stores real numbers (never text) with a native Excel number format, and blanks for NaN.
"""
from __future__ import annotations

import math
import re
from copy import copy
from dataclasses import dataclass
import unicodedata
from numbers import Real
from typing import Any, Iterable

import pandas as pd
from openpyxl.cell.cell import Cell
from openpyxl.styles.cell_style import StyleArray
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

#: Excel's hard limit on the characters in one cell.
EXCEL_MAX_CELL_CHARS = 32_767
#: Excel's hard limit on the rows of one worksheet (Excel 2007+, .xlsx).
EXCEL_MAX_ROWS = 1_048_576
TRUNCATION_MARKER = "…【内容过长，已截断】"

#: XML 1.0 forbids these; openpyxl raises IllegalCharacterError on them.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
#: A string starting with one of these is read as a formula when typed into Excel.
_FORMULA_TRIGGERS = ("=", "+", "-", "@")
#: Excel sheet names: at most 31 characters, none of these.
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")

#: The CJK font used on every cell.  等线 ships with Office 2016+ on Windows; the GB2312 charset
#: (134) tells Excel and LibreOffice to substitute a Chinese font (宋体, Noto Sans CJK …) where
#: 等线 is missing, so Chinese never renders as empty boxes.
FONT_NAME = "等线"
FONT_CHARSET = 134

# Colour-blind-safe pass/fail palette (blue / orange, after Okabe–Ito), always paired with text.
PASS_FILL = PatternFill("solid", start_color="DDEBF7", end_color="DDEBF7")
PASS_FONT_COLOR = "1F4E79"
FAIL_FILL = PatternFill("solid", start_color="FCE4D6", end_color="FCE4D6")
FAIL_FONT_COLOR = "B4470B"
HEADER_FILL = PatternFill("solid", start_color="D9E1F2", end_color="D9E1F2")
TOTAL_FILL = PatternFill("solid", start_color="F2F2F2", end_color="F2F2F2")
MUTED_FONT_COLOR = "7F7F7F"
_THIN = Side(style="thin", color="BFBFBF")
GRID_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


def font(size: float = 10, bold: bool = False, color: str | None = None,
         italic: bool = False) -> Font:
    """The workbook's CJK font at a given size (pt)."""
    return Font(name=FONT_NAME, charset=FONT_CHARSET, size=size, bold=bold, italic=italic,
                color=color)


def clean_text(value: Any) -> tuple[str, int, int]:
    """:func:`safe_text` plus what it changed: ``(text, control characters removed, characters
    cut)`` — the counts are 0 when the value was already safe (``chars cut`` counts characters of
    the original text that were dropped, the marker aside)."""
    if value is None or value is pd.NA or value is pd.NaT \
            or (isinstance(value, float) and math.isnan(value)):
        return "", 0, 0
    raw = str(value)
    text, removed = _CONTROL_CHARS.subn("", raw)
    cut = 0
    if len(text) > EXCEL_MAX_CELL_CHARS:
        keep = EXCEL_MAX_CELL_CHARS - len(TRUNCATION_MARKER)
        cut = len(text) - keep
        text = text[:keep] + TRUNCATION_MARKER
    return text, removed, cut


def safe_text(value: Any) -> str:
    """Turn any value into text that is safe to store in a cell.

    Control characters \\x00–\\x08, \\x0b, \\x0c, \\x0e–\\x1f are removed (they are illegal in
    XML); text longer than Excel's 32,767-character limit is cut and ends with
    :data:`TRUNCATION_MARKER`.  ``None`` and NaN become the empty string.
    """
    return clean_text(value)[0]


@dataclass(frozen=True)
class CellNote:
    """One change :func:`put_text` made to a piece of text so it could be stored.

    sheet / cell: where (``"网格"``, ``"E7"``); kind: ``"control"`` (control characters removed;
    ``count`` = how many) or ``"truncated"`` (cut to Excel's 32,767-character limit; ``count`` =
    characters dropped).
    """

    sheet: str
    cell: str
    kind: str
    count: int


_NOTES_KEY = "_reports_cell_notes"


def cell_notes(workbook: Any) -> list[CellNote]:
    """Every :class:`CellNote` recorded while writing ``workbook`` (an openpyxl Workbook), in
    writing order (the live list: notes recorded later appear in it too)."""
    return workbook.__dict__.setdefault(_NOTES_KEY, [])


def put_text(ws: Worksheet, row: int, column: int, value: Any, **style: Any) -> Cell:
    """Write ``value`` as a string cell — never a formula, never a number.

    Use this for every cell whose text is born from input data.  ``value`` is cleaned with
    :func:`safe_text`, and each removal of control characters or truncation is recorded as a
    :class:`CellNote` (see :func:`cell_notes`) so the workbook can report it; the cell's data type is forced to ``'s'`` after assignment (openpyxl would
    otherwise turn ``=…`` into a formula), and text starting with ``=``, ``+``, ``-`` or ``@``
    also gets Excel's quote prefix so that editing the cell in Excel keeps it as text.  Long
    numeric ids (身份证号, 网格编号 ``0001``) stay text with every digit.  ``style`` keyword
    arguments (font, fill, alignment, border, number_format) are set on the cell.
    """
    text, removed, cut = clean_text(value)
    cell = ws.cell(row=row, column=column)
    if removed or cut:
        notes = cell_notes(ws.parent)
        if removed:
            notes.append(CellNote(ws.title, cell.coordinate, "control", removed))
        if cut:
            notes.append(CellNote(ws.title, cell.coordinate, "truncated", cut))
    cell.value = text if text else None
    if text:
        cell.data_type = "s"
        if text.startswith(_FORMULA_TRIGGERS):
            style = {**style, "quotePrefix": True}
    _apply(cell, style)
    return cell


def put_label(ws: Worksheet, row: int, column: int, text: str, **style: Any) -> Cell:
    """Write a label of our own (sheet titles, headers); same safety as :func:`put_text`."""
    return put_text(ws, row, column, text, **style)


def put_number(ws: Worksheet, row: int, column: int, value: Any, number_format: str,
               **style: Any) -> Cell:
    """Write a real number (int/float) with a native Excel number format; NaN/None → blank.

    Raises TypeError if ``value`` is not a number (text must go through :func:`put_text`).
    """
    cell = ws.cell(row=row, column=column)
    if value is None or _is_missing(value):
        cell.value = None
    elif isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"put_number expects a number, got {type(value).__name__}: {value!r}")
    else:
        number = float(value)
        cell.value = int(number) if number.is_integer() and abs(number) < 2**53 else number
    _apply(cell, {**style, "number_format": number_format})
    return cell


def _is_missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):   # array-likes: not a scalar number either
        return False


def _apply(cell: Cell, style: dict[str, Any]) -> None:
    """Give ``cell`` exactly the given style attributes (font, fill, border, alignment,
    number_format, quotePrefix; the rest default).

    openpyxl hashes every style object on assignment, which dominated the run time (≈ 1 s per
    10,000 cells).  The resulting style array is cached per workbook, keyed by the identity of
    the style objects (kept alive by the cache, so an id is never reused) and the values of
    strings and flags; a cell with the same style then gets a copy of the cached array.
    """
    items = tuple((k, v) for k, v in style.items() if v is not None)
    workbook = cell.parent.parent
    cache = workbook.__dict__.setdefault("_reports_style_cache", {})
    key = tuple((k, v if isinstance(v, (str, bool, int, float)) else id(v)) for k, v in items)
    hit = cache.get(key)
    if hit is not None:
        cell._style = copy(hit[0])
        return
    cell._style = StyleArray()
    for k, v in items:
        setattr(cell, k, v)
    cache[key] = (copy(cell._style), items)


def display_width(text: str) -> int:
    """Width of ``text`` in Excel column units: CJK / full-width characters count 2, others 1."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def sheet_title(name: str, taken: set[str]) -> str:
    """A legal, unique Excel sheet name from ``name`` (which may come from a manifest).

    Forbidden characters ``[]:*?/\\`` become ``_``, control characters are dropped, the name is cut
    to 31 characters and made unique (case-insensitively, like Excel) with a numeric suffix.
    ``taken`` is updated with the returned name.
    """
    base = _SHEET_NAME_FORBIDDEN.sub("_", _CONTROL_CHARS.sub("", name)).strip("' ") or "Sheet"
    base = base[:31]
    candidate, n = base, 2
    lowered = {t.lower() for t in taken}
    while candidate.lower() in lowered:
        suffix = f"({n})"
        candidate = base[: 31 - len(suffix)] + suffix
        n += 1
    taken.add(candidate)
    return candidate


#: Excel refuses (and "repairs") a header/footer longer than 255 characters in all; keep each
#: section well below that.
HEADER_FOOTER_MAX_CHARS = 80


def header_footer_text(text: str) -> str:
    """Escape text for an Excel page header/footer (``&`` starts a control code there) and cut
    it to :data:`HEADER_FOOTER_MAX_CHARS`."""
    text = safe_text(text).replace("\n", " ")
    if len(text) > HEADER_FOOTER_MAX_CHARS:
        text = text[: HEADER_FOOTER_MAX_CHARS - 1] + "…"
    return text.replace("&", "&&")


def set_column_widths(ws: Worksheet, widths: dict[int, float]) -> None:
    """Set column widths (Excel units) by 1-based column index."""
    for col, width in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = width


def fit_width(texts: list[str], minimum: float = 6, maximum: float = 40,
              padding: float = 2) -> float:
    """A column width that fits the widest of ``texts`` (CJK counted double), within bounds."""
    widest = max((display_width(t) for t in texts if t), default=0)
    return float(min(max(widest + padding, minimum), maximum))


def fit_row_heights(ws: Worksheet, rows: Iterable[int], line_height: float = 13.5) -> None:
    """Set each row's height to fit its wrapped text (Excel and LibreOffice do not re-measure
    rows written by a script, so wrapped text would otherwise be clipped on screen and paper).

    Lines are estimated per wrapping cell from its text (explicit newlines + CJK-aware width)
    and its column's width; call after the column widths are set.  Merged cells are skipped.
    """
    merged = {c.coordinate for rng in ws.merged_cells.ranges for row in ws[rng.coord]
              for c in row} if ws.merged_cells.ranges else set()
    for r in rows:
        lines = 1
        for cell in ws[r]:
            if not isinstance(cell.value, str) or not cell.alignment.wrap_text \
                    or cell.coordinate in merged:
                continue
            width = ws.column_dimensions[cell.column_letter].width or 8.43
            usable = max(width - 1.0, 1.0)
            n = sum(max(1, math.ceil(display_width(part) / usable))
                    for part in cell.value.split("\n"))
            lines = max(lines, n)
        ws.row_dimensions[r].height = line_height * lines + 3


def setup_print(ws: Worksheet, title_rows: str, header_left: str, landscape: bool = True) -> None:
    """A4 landscape, fit to one page wide, ``title_rows`` (e.g. ``"3:3"``) repeated on every
    page, the sheet's title top-left, and ``第 &P 页，共 &N 页`` in the footer."""
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.page_margins.header = ws.page_margins.footer = 0.25
    if title_rows:
        ws.print_title_rows = title_rows
    ws.oddHeader.left.text = header_footer_text(header_left)
    ws.oddHeader.left.size = 8
    ws.oddHeader.left.font = FONT_NAME
    ws.oddHeader.right.text = "&A"
    ws.oddHeader.right.size = 8
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    ws.oddFooter.center.size = 8
    ws.oddFooter.center.font = FONT_NAME


WRAP_TOP = Alignment(wrap_text=True, vertical="top")
WRAP_CENTER = Alignment(wrap_text=True, vertical="center", horizontal="center")
LEFT_CENTER = Alignment(vertical="center", horizontal="left")
