"""What python-calamine does not tell: merged cells and formula cells without a cached value.

calamine (like ``pd.read_excel``) returns the values Excel last saved. A formula written by a
script and never opened in Excel has no saved value and would read as an empty cell; a merged
range keeps its value in the top-left cell only, so the cells below it read as empty. Both are
found here by streaming the sheet's XML part once (decompressed in 1 MB chunks, never held whole):
cells are only examined when a chunk contains a formula at all, so an ordinary sheet costs one
regex scan per chunk.

The package must have passed :func:`data.safety.check_xlsx_package` first.
"""
from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from defusedxml import ElementTree as SafeET

_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_REF = re.compile(rb'\br="([A-Z]+)(\d+)"')
_FORMULA = re.compile(rb"<(?:\w+:)?f\b")
_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]+)</(?:\w+:)?v>")
_VALUE_TAG = re.compile(rb"<(?:\w+:)?v\b")
_TEXT_RESULT = re.compile(rb'\bt="str"')
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')
_ROW_END = rb"</row>"
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\b[^>]*?\bref="([A-Z]*)(\d*)(?::([A-Z]+)(\d+))?"')
#: cell references with a column of two or more letters (AA…XFD): narrow sheets have none, so
#: the scan costs one failed match per cell
#: patterns start with a literal (Python's re then skips ahead fast); attributes separated by a
#: tab or newline instead of a space (legal XML, never written by Excel) switch to _ANY_SPACE
_WIDE_REF = re.compile(rb' r="([A-Z]{2,})')
_ODD_SPACE = (b'\tr="', b'\nr="', b'\rr="')
_LAST_REF = re.compile(rb'<(?:\w+:)?c\b[^>]*?\br="[A-Z]+(\d+)"')
_long_ref: dict[int, re.Pattern] = {}


def _longer_rows(digits: int) -> re.Pattern:
    """Cell references whose row number has more than ``digits`` digits (out of order rows)."""
    if digits not in _long_ref:
        _long_ref[digits] = re.compile(rb' r="[A-Z]+(\d{%d,})"' % (digits + 1))
    return _long_ref[digits]


def _any_space(pattern: re.Pattern) -> re.Pattern:
    """The same pattern with any XML whitespace before ``r=``."""
    return re.compile(rb"[ \t\r\n]" + pattern.pattern[1:])
CHUNK = 1 << 20


@dataclass
class SheetStructure:
    """merged: (first row, first column index, last row, last column index, "A5:B7"), 1-based
    rows and 0-based columns. formulas_without_value: (row, column index) of formula cells with
    no cached value."""

    merged: list[tuple[int, int, int, int, str]] = field(default_factory=list)
    formulas_without_value: list[tuple[int, int]] = field(default_factory=list)
    #: farthest cell referenced: last row (1-based) and column count (1 = column A)
    max_row: int = 0
    max_col: int = 0
    #: the sheet's own ``<dimension ref>`` ("A1:XFD1048576") and its rows × columns
    dimension: str | None = None
    dim_rows: int = 0
    dim_cols: int = 0


def column_index(letters: bytes | str) -> int:
    """Excel column letters → 0-based index (A → 0, AA → 26)."""
    n = 0
    for ch in letters.decode() if isinstance(letters, bytes) else letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def _sheet_part(zf: zipfile.ZipFile, sheet_name: str) -> str | None:
    """The zip member holding ``sheet_name`` (via workbook.xml and its relationships)."""
    try:
        book = SafeET.fromstring(zf.read("xl/workbook.xml"))
        rels = SafeET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, SafeET.ParseError):
        return None
    rid = next((s.get(f"{_NS_REL}id") for s in book.iter(f"{_NS_MAIN}sheet")
                if s.get("name") == sheet_name), None)
    target = next((r.get("Target") for r in rels.iter(f"{_NS_PKG_REL}Relationship")
                   if r.get("Id") == rid), None)
    if target is None:
        return None
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))


def _extent(done: bytes, out: SheetStructure) -> None:
    """Farthest row and column referenced in ``done`` (whole rows of the sheet XML)."""
    if out.dimension is None and b"dimension" in done[:65536]:
        m = _DIMENSION.search(done[:65536])
        if m:
            c1, r1, c2, r2 = m.groups()
            last_c, last_r = (c2, r2) if c2 else (c1, r1)
            out.dimension = m.group(0).split(b'ref="')[1].rstrip(b'"').decode()
            out.dim_rows = int(last_r or b"1")
            out.dim_cols = column_index(last_c or b"A") + 1
    odd = any(sep in done for sep in _ODD_SPACE)
    wide = set((_any_space(_WIDE_REF) if odd else _WIDE_REF).findall(done))
    if wide:
        out.max_col = max(out.max_col, max(column_index(w) for w in wide) + 1)
    elif out.max_col < 26 and (b'r="' in done):
        out.max_col = max(out.max_col, 26 if b"<c" in done or b":c" in done else 0)
    tail = _LAST_REF.findall(done[-8192:])
    if tail:
        out.max_row = max(out.max_row, int(tail[-1]))
    longer = _longer_rows(len(str(out.max_row)))
    for m in (_any_space(longer) if odd else longer).findall(done):
        out.max_row = max(out.max_row, int(m))


def _scan(done: bytes, out: SheetStructure) -> None:
    _extent(done, out)
    # ``bytes in`` (memchr speed) first: most chunks have neither formulas nor merged cells
    if (b"<f" in done or b":f" in done) and _FORMULA.search(done):
        for m in _CELL.finditer(done):
            body = m.group(2) or b""
            # an empty <v></v> is a saved empty-text result only in a text-typed cell (Excel
            # writes t="str" for =IF(…,"",…)); openpyxl writes it untyped for "not computed"
            if _FORMULA.search(body) and not _VALUE.search(body) and (
                    not _VALUE_TAG.search(body) or not _TEXT_RESULT.search(m.group(1))):
                ref = _REF.search(m.group(1))
                if ref:
                    out.formulas_without_value.append((int(ref.group(2)), column_index(ref.group(1))))
    for m in _MERGE.finditer(done) if b"mergeCell" in done else ():
        c1, r1, c2, r2 = m.groups()
        out.merged.append((int(r1), column_index(c1), int(r2), column_index(c2),
                           f"{c1.decode()}{r1.decode()}:{c2.decode()}{r2.decode()}"))


def scan_sheet(path: Path, sheet_name: str) -> SheetStructure:
    """Merged ranges, value-less formula cells and the extent (dimension, farthest cell
    reference) of one sheet of an .xlsx/.xlsm, streamed before any reader allocates the sheet.

    Returns an empty :class:`SheetStructure` when the sheet's part cannot be located (the values
    calamine read are still used). Raises ``zipfile.BadZipFile`` for a damaged archive.
    """
    out = SheetStructure()
    with zipfile.ZipFile(path) as zf:
        member = _sheet_part(zf, sheet_name)
        if member is None or member not in zf.namelist():
            return out
        with zf.open(member) as part:
            tail = b""
            while block := part.read(CHUNK):
                data = tail + block
                cut = data.rfind(_ROW_END)
                if cut < 0 and len(data) < 64 * CHUNK:
                    tail = data
                    continue
                cut = cut + len(_ROW_END) if cut >= 0 else len(data)
                _scan(data[:cut], out)
                tail = data[cut:]
            _scan(tail, out)
    return out
