"""Read one source file (xlsx / xls / csv / txt / tsv, optionally .gz / geojson) into a frame of TEXT.

Every cell comes back as ``str`` (``""`` for empty), so identifiers keep their leading zeros and
nothing is guessed before the manifest says what a column is. Numbers stored as numbers are
written without a spurious ``.0`` (``101.0`` → ``"101"``); Excel dates become ISO text
(``"2024-03-05 08:00:00"``) for :mod:`data.validate` to parse.

Unlike ``pd.read_excel``/``pd.read_csv`` defaults, headers are never renamed silently: an empty
header becomes ``(列 C)`` and a repeated header ``区县 (列 F)``; :class:`RawSheet` lists the
repeated ones so that mapping a repeated header fails with a clear message.

Layout options of a manifest source (:class:`ReadOptions`): a multi-row header joined into
paths, a column range, the delimiter of a text source and its ``na_values``. An .xlsx sheet's
extent is checked before calamine allocates it; a text source is decoded strictly as a whole
first and line by line only when that fails (a faster reader can sit in front of both).
"""
from __future__ import annotations

import codecs
import csv
import datetime as _dt
import gzip
import io
import json
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .safety import (DEFAULT_LIMITS, Limits, UnsafeFileError, check_extent, check_file_size,
                     check_xlsx_package, require_defusedxml, sniff)
from .xlsx_structure import scan_sheet

#: when the manifest gives no header_row, the header is looked for in this many top rows
HEADER_SCAN_ROWS = 30


class ReadError(Exception):
    """A file (or sheet) cannot be read at all; the message is Chinese and names the file."""


@dataclass
class RawSheet:
    """One file × sheet read as text.

    frame: one column per header (pandas ``str`` dtype, ``""`` when empty), one row per data row
    in file order, blank rows included. excel_row: 1-based row number of each frame row as the
    user sees it (header rows counted; for GeoJSON, the feature number). duplicates: header text
    → column labels under which it appears more than once.
    """

    file: Path
    sheet: str | None
    frame: pd.DataFrame
    excel_row: np.ndarray
    duplicates: dict[str, list[str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    #: 1-based row of the header as used (given by the manifest or detected)
    header_row: int = 1
    #: cell problems found in the file's structure: (excel_row, column label, value, rule, message)
    cell_issues: list[tuple[int, str, str, str, str]] = field(default_factory=list)
    #: frame column label → its Excel column letters ("AC")
    letters: dict[str, str] = field(default_factory=dict)
    #: merged ranges that start below the header: (first row, first column index, last row,
    #: last column index, "D3:D5"), 1-based rows, 0-based columns of the sheet
    merges: list[tuple[int, int, int, int, str]] = field(default_factory=list)


@dataclass(frozen=True)
class ReadOptions:
    """What a manifest source says about the file's layout beyond ``header_row``.

    header_rows: (first, last) 1-based rows of a multi-row header; merged header cells are
    spread over their span and the levels joined with ``/`` (``志愿者服务人数及时长统计/合计/人数``).
    column_range: (first, last) 0-based columns of the data area (a lookup list beside the table
    is left out). delimiter: a text source's field separator (None = ``,`` for .csv, tab for .tsv,
    else sniffed). na_values: cell texts read as empty (``NA``, ``NULL`` …; none by default).
    """

    header_rows: tuple[int, int] | None = None
    column_range: tuple[int, int] | None = None
    delimiter: str | None = None
    na_values: tuple[str, ...] = ()


def normalise_header(text: str) -> str:
    """Header text compared loosely: all whitespace (incl. full-width) removed, case folded."""
    return "".join(str(text).split()).casefold()


def find_header_row(top_rows: list[list[str]], expected: list[str]) -> int:
    """1-based row among ``top_rows`` that holds the most ``expected`` headers (loosely
    compared, see :func:`normalise_header`); 1 when no row holds any or row 1 holds as many."""
    want = {normalise_header(h) for h in expected if h}
    if not want:
        return 1
    scores = [len(want & {normalise_header(c) for c in row if c}) for row in top_rows]
    best = max(scores, default=0)
    return 1 if best == 0 or scores[0] == best else scores.index(best) + 1


def column_letter(index: int) -> str:
    """0-based column index → Excel letters (0 → A, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def detect_format(path: Path, declared: str | None = None) -> str:
    """Return 'xlsx', 'xls', 'csv' or 'geojson' from ``declared`` or the file name."""
    if declared:
        return declared
    name = path.name.lower()
    for suffix, fmt in ((".csv.gz", "csv"), (".csv", "csv"), (".txt", "csv"), (".tsv", "csv"),
                        (".tsv.gz", "csv"), (".txt.gz", "csv"), (".xlsx", "xlsx"),
                        (".xlsm", "xlsx"), (".xls", "xls"), (".geojson", "geojson"),
                        (".json", "geojson")):
        if name.endswith(suffix):
            return fmt
    raise ReadError(f"无法识别文件类型：{path.name}（支持 .xlsx .xls .csv .txt .tsv .csv.gz .geojson）")


def decode_text(data: bytes, encoding: str = "auto", name: str = "") -> tuple[str, str]:
    """Decode CSV bytes; return ``(text, encoding used)``.

    ``auto``: a byte-order mark wins; else strict UTF-8; else strict GB18030 (a superset of GBK
    and GB2312 that also holds 䶮 and 𠮷); else :class:`ReadError`. Any other value is a codec
    name applied strictly.
    """
    if encoding and encoding != "auto":
        try:
            return data.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError) as exc:
            raise ReadError(f"{name} 不能按编码 {encoding} 读取：{exc}") from exc
    for bom, codec in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                       (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(codec), codec
    for codec in ("utf-8", "gb18030"):
        try:
            return data.decode(codec), codec
        except UnicodeDecodeError:
            continue
    raise ReadError(f"{name} 既不是 UTF-8 也不是 GB18030/GBK 编码，请另存为 UTF-8 CSV 后重试")


def cells_to_text(values: np.ndarray) -> np.ndarray:
    """Object array of calamine cell values → object array of str.

    float integral → ``"101"``, other float → shortest repr; bool → ``"TRUE"``/``"FALSE"``;
    datetime/date/time → ISO text; None → ``""``.
    """
    s = pd.Series(values, dtype=object)
    kinds = s.map(type)
    out = s.copy()
    is_float = (kinds == float).to_numpy()
    if is_float.any():
        f = s[is_float].astype(float)
        integral = (np.floor(f) == f) & (f.abs() < 1e15)
        text = f.map(repr)
        text[integral] = f[integral].astype("int64").astype(str)
        text[f.isna()] = ""
        out[is_float] = text
    is_datetime = (kinds == _dt.datetime).to_numpy().copy()
    if is_datetime.sum() > 1000:  # vectorised; per-cell isoformat cost ≈ 1.5 µs
        stamps = pd.Series(pd.to_datetime(s[is_datetime].to_numpy(), errors="coerce"), dtype="datetime64[us]")
        whole = (stamps.dt.microsecond == 0).to_numpy() & stamps.notna().to_numpy()
        text = np.empty(len(stamps), dtype=object)
        text[whole] = stamps[whole].dt.strftime("%Y-%m-%d %H:%M:%S").to_numpy(dtype=object)
        text[~whole] = s[is_datetime][~whole].map(_other_to_text).to_numpy(dtype=object)
        out[is_datetime] = text
    else:
        is_datetime[:] = False
    is_other = ~((kinds == str) | (kinds == float)).to_numpy() & ~is_datetime
    if is_other.any():
        out[is_other] = s[is_other].map(_other_to_text)
    return out.to_numpy()


def _other_to_text(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (_dt.datetime, _dt.date, _dt.time)):
        return v.isoformat(sep=" ") if isinstance(v, _dt.datetime) else v.isoformat()
    return str(v)


def _frame_from_grid(header: list[str], columns: list, file: Path, sheet: str | None,
                     excel_row: np.ndarray, warnings: list[str], first_col: int = 0) -> RawSheet:
    """Name columns (arrays or Series of text, one per position) from the header row without
    silent renaming; drop unnamed columns that are entirely empty. ``first_col``: 0-based sheet
    column of ``columns[0]`` (when the data area starts right of column A)."""
    padded = [str(h) for h in header if str(h) != str(h).strip() and str(h).strip()]
    if padded:
        warnings.append("表头两端有空格（已去除）：" + "、".join(f"「{h}」" for h in padded))
    header = [str(h).strip() for h in header] + [""] * (len(columns) - len(header))
    labels: list[str] = []
    keep: list[int] = []
    seen: dict[str, list[int]] = {}
    for j, h in enumerate(header[:len(columns)]):
        if not h:
            if (np.asarray(columns[j], dtype=object) != "").any():
                letter = column_letter(first_col + j)
                labels.append(f"(列 {letter})")
                keep.append(j)
                warnings.append(f"第 {letter} 列有数据但表头为空，记为「(列 {letter})」")
            continue
        seen.setdefault(h, []).append(j)
        labels.append(h)
        keep.append(j)
    duplicates = {h: [f"{h} (列 {column_letter(first_col + j)})" for j in js]
                  for h, js in seen.items() if len(js) > 1}
    for h, js in seen.items():
        if len(js) > 1:
            for j, label in zip(js, duplicates[h]):
                labels[keep.index(j)] = label
    frame = pd.DataFrame({lab: pd.Series(np.asarray(columns[j], dtype=object), dtype="str")
                          if not isinstance(columns[j], pd.Series)
                          else columns[j].reset_index(drop=True).astype("str")
                          for lab, j in zip(labels, keep)})
    frame.index = pd.RangeIndex(len(excel_row))
    if duplicates:
        warnings.append("表头重复：" + "；".join(f"「{h}」出现 {len(v)} 次" for h, v in duplicates.items()))
    return RawSheet(file=file, sheet=sheet, frame=frame, excel_row=excel_row,
                    duplicates=duplicates, warnings=warnings,
                    letters={lab: column_letter(first_col + j) for lab, j in zip(labels, keep)})


def _pick_sheet(wb, path: Path, sheet: str | int | None) -> tuple[str, list[str]]:
    """The sheet to read and warnings naming the hidden sheets (never read by default)."""
    names = list(wb.sheet_names)
    hidden = [m.name for m in wb.sheets_metadata if str(m.visible).split(".")[-1] != "Visible"]
    try:
        if sheet is None:
            visible = [n for n in names if n not in hidden]
            if not visible:
                raise ReadError(f"{path.name} 的工作表全部是隐藏的（{'、'.join(names)}），请取消隐藏或在清单中写明 sheet")
            name = visible[0]
        elif isinstance(sheet, int):
            name = names[sheet]
        else:
            matches = [n for n in names if n == sheet] or [n for n in names if n.strip() == sheet.strip()]
            if not matches:
                raise ReadError(f"{path.name} 中没有工作表「{sheet}」；现有：{'、'.join(names)}")
            name = matches[0]
    except IndexError as exc:
        raise ReadError(f"{path.name} 没有第 {sheet} 个工作表（共 {len(names)} 个，从 0 开始计）") from exc
    others = [n for n in hidden if n != name]
    warnings = [f"隐藏的工作表未读取：{'、'.join(f'「{n}」' for n in others)}"] if others else []
    if name in hidden:
        warnings.append(f"读取的工作表「{name}」在 Excel 中是隐藏的")
    return name, warnings


def _formula_issues(found, header_row: int, labels: dict[int, str]
                    ) -> list[tuple[int, str, str, str, str]]:
    """Formula cells without a cached value below the header, as cell issues (column labels)."""
    issues = []
    for row, col in found.formulas_without_value:
        if row > header_row and col in labels:
            issues.append((row, labels[col], "", "formula_no_value",
                           f"「{labels[col]}」是公式，但文件中没有保存计算结果（请在 Excel 中打开后保存，或改为数值）"))
    return issues


def _xls_merges(path: Path, sheet: str) -> list[tuple[int, int, int, int, str]]:
    """Merged ranges of a legacy .xls sheet (xlrd with formatting_info; calamine does not give
    them): (first row 1-based, first column 0-based, last row, last column, "A5:K5")."""
    try:
        import xlrd

        book = xlrd.open_workbook(str(path), formatting_info=True, on_demand=True)
        try:
            ranges = book.sheet_by_name(sheet).merged_cells
        finally:
            book.release_resources()
    except Exception:  # noqa: BLE001 - xlrd raises many types; merges are then unknown
        return []
    return [(rlo + 1, clo, rhi, chi - 1, f"{column_letter(clo)}{rlo + 1}:{column_letter(chi - 1)}{rhi}")
            for rlo, rhi, clo, chi in ranges if rhi - rlo > 1 or chi - clo > 1]


def _multi_header(rows: list[list], first: int, last: int, merges: list, c0: int,
                  width: int) -> list[str]:
    """One label per column from header rows ``first``..``last`` (1-based): merged cells are
    spread over their span, empty parts dropped, repeated consecutive parts (a cell merged down)
    kept once, and the levels joined by ``/``."""
    grid = []
    for r in range(first - 1, last):
        row = rows[r] if r < len(rows) else []
        cells = [row[c] if c < len(row) else "" for c in range(c0, c0 + width)]
        grid.append([str(v).strip() for v in cells_to_text(np.array(cells, dtype=object))])
    for r1, c1, r2, c2, _ref in merges:
        if r2 < first or r1 > last or c2 < c0 or c1 >= c0 + width:
            continue
        src = rows[r1 - 1][c1] if r1 - 1 < len(rows) and c1 < len(rows[r1 - 1]) else ""
        value = str(cells_to_text(np.array([src], dtype=object))[0]).strip()
        for r in range(max(r1, first), min(r2, last) + 1):
            for c in range(max(c1, c0), min(c2, c0 + width - 1) + 1):
                grid[r - first][c - c0] = value
    labels = []
    for j in range(width):
        parts: list[str] = []
        for i in range(len(grid)):
            part = grid[i][j]
            if part and (not parts or parts[-1] != part):
                parts.append(part)
        labels.append("/".join(parts))
    return labels


def read_workbook(path: Path, sheet: str | int | None, header_row: int | None,
                  expected: list[str] | None = None, limits: Limits = DEFAULT_LIMITS,
                  options: ReadOptions | None = None) -> RawSheet:
    """Read an .xlsx/.xlsm/.xls sheet with python-calamine (values as Excel last saved them).

    header_row: 1-based, or None to find it among the top :data:`HEADER_SCAN_ROWS` rows by the
    ``expected`` headers (a title block above the header is then skipped, with a warning).
    ``options.header_rows`` (first, last) reads a multi-row header instead, and
    ``options.column_range`` limits the data area to a range of columns (see
    :class:`ReadOptions`). An .xlsx sheet's declared dimension and farthest cell reference are
    checked (:func:`data.safety.check_extent`) before calamine allocates anything.
    Raises :class:`ReadError` for an unsafe, damaged, empty or header-less workbook.
    """
    from python_calamine import CalamineWorkbook

    options = options or ReadOptions()
    is_xlsx = path.suffix.lower() in (".xlsx", ".xlsm")
    if is_xlsx:
        check_xlsx_package(path, limits)
    else:
        check_file_size(path, limits)
        with open(path, "rb") as fh:
            kind = sniff(fh.read(8))
        if kind == "text":
            raise ReadError(f"{path.name} 不是 Excel 工作簿（内容是文本，可能是改了扩展名的 CSV），请把扩展名改为 .csv")
    try:
        wb = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises several private error types
        raise ReadError(f"{path.name} 已损坏或不完整，无法打开（{str(exc).splitlines()[0][:120]}）") from exc
    name, warnings = _pick_sheet(wb, path, sheet)
    found = None
    if is_xlsx:
        try:
            found = scan_sheet(path, name)
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
            raise ReadError(f"{path.name}「{name}」已损坏或不完整，无法读取") from exc
        check_extent(path.name, name, found.max_row, found.max_col, found.dimension,
                     found.dim_rows, found.dim_cols, limits)
    try:
        rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except Exception as exc:  # noqa: BLE001 - calamine's CalamineError and friends
        raise ReadError(f"{path.name}「{name}」无法读取（{str(exc).splitlines()[0][:120]}）") from exc
    merges = found.merged if found is not None else _xls_merges(path, name)
    width = max((len(r) for r in rows), default=0)
    c0 = 0
    all_rows = rows
    if options.column_range is not None:
        c0, c_last = options.column_range
        rows = [r[c0:c_last + 1] for r in rows]
        width = max((len(r) for r in rows), default=0)
        merges_local = [(r1, c1 - c0, r2, c2 - c0, ref) for r1, c1, r2, c2, ref in merges]
    else:
        merges_local = list(merges)
    if not rows or width == 0 or all(all(v in ("", None) for v in r) for r in rows[:HEADER_SCAN_ROWS]):
        raise ReadError(f"{path.name}「{name}」是空工作表" + ("（或所给列范围内没有内容）" if c0 else ""))
    if options.header_rows is not None:
        first, header_row = options.header_rows
        if len(rows) < header_row:
            raise ReadError(f"{path.name}「{name}」只有 {len(rows)} 行，找不到第 {first}–{header_row} 行的表头")
        header = _multi_header(all_rows, first, header_row, merges, c0, width)
    else:
        if header_row is None:
            top = [list(cells_to_text(np.array(r, dtype=object))) for r in rows[:HEADER_SCAN_ROWS]]
            header_row = find_header_row(top, expected or [])
            if header_row > 1:
                warnings.append(f"表头在第 {header_row} 行，上方 {header_row - 1} 行（标题等）未读取；"
                                f"可在清单中写 header_row: {header_row}")
        if len(rows) < header_row:
            raise ReadError(f"{path.name}「{name}」只有 {len(rows)} 行，找不到第 {header_row} 行的表头")
        header = list(cells_to_text(np.array(rows[header_row - 1] + [""] * (width - len(rows[header_row - 1])),
                                              dtype=object)))
    data = rows[header_row:]
    if data:
        body = np.empty((len(data), width), dtype=object)
        body[:] = data if all(len(r) == width for r in data) else [r + [""] * (width - len(r)) for r in data]
        body = np.column_stack([cells_to_text(body[:, j]) for j in range(width)]) if width else body
    else:
        body = np.empty((0, width), dtype=object)
        warnings.append("只有表头，没有数据行")
    excel_row = np.arange(header_row + 1, header_row + 1 + len(data), dtype="int64")
    raw = _frame_from_grid(list(header), [body[:, j] for j in range(width)], path, name,
                           excel_row, warnings, first_col=c0)
    raw.header_row = header_row
    raw.merges = [(r1, c1 + c0, r2, c2 + c0, ref) for r1, c1, r2, c2, ref in merges_local
                  if r1 > header_row and c2 >= 0 and c1 < width]
    if raw.merges:
        shown = "、".join(m[4] for m in raw.merges[:20])
        more = f" 等 {len(raw.merges)} 处" if len(raw.merges) > 20 else ""
        raw.warnings.append(f"数据区有合并单元格：{shown}{more}")
    if found is not None and len(data) and found.formulas_without_value:
        labels = {j + c0: lab for j, lab in _labels_by_position(list(header), raw, c0).items()}
        raw.cell_issues = _formula_issues(found, header_row, labels)
    _apply_na_values(raw, options.na_values)
    return raw


def _labels_by_position(header: list[str], raw: RawSheet, first_col: int = 0) -> dict[int, str]:
    """0-based column position (within the read area) → the frame's column label (as given by
    _frame_from_grid)."""
    out = {}
    for j, h in enumerate(header):
        h = str(h).strip()
        letter = column_letter(first_col + j)
        for label in (f"{h} (列 {letter})", h, f"(列 {letter})"):
            if label in raw.frame.columns:
                out[j] = label
                break
    return out


#: the common spellings of "no value" a manifest may opt into with ``na_values: common``
COMMON_NA = ("NA", "N/A", "n/a", "NULL", "null", "None", "NaN", "nan", "#N/A", "—", "-", "/", "无")
#: delimiters a text source is sniffed for (tab, comma, semicolon, vertical bar)
DELIMITERS = ("\t", ",", ";", "|")
_DELIMITER_ZH = {"\t": "制表符", ",": "逗号", ";": "分号", "|": "竖线"}
#: a mostly-UTF-8 file is read line by line when at most this share of its non-ASCII lines fail
MIXED_SHARE = 0.5


def _utf16_without_bom(data: bytes) -> str | None:
    """'utf-16-le' / 'utf-16-be' when the bytes look like UTF-16 text without a byte-order
    mark (many NUL bytes, all on odd or all on even positions), else None."""
    head = data[:4096]
    if len(head) < 4 or head.count(0) < len(head) // 4:
        return None
    odd, even = head[1::2].count(0), head[0::2].count(0)
    if odd > 3 * max(even, 1) and odd >= len(head) // 4:
        return "utf-16-le"
    if even > 3 * max(odd, 1) and even >= len(head) // 4:
        return "utf-16-be"
    return None


def decode_rows(data: bytes, encoding: str = "auto", name: str = "") -> tuple[str, str, bool]:
    """Decode a text source; return ``(text, encoding used, mixed)``.

    The whole file is decoded strictly first (:func:`decode_text`: BOM → UTF-8 → GB18030, plus
    UTF-16 without a BOM); only when that fails is it decoded line by line: the lines that do
    not decode keep their place with U+FFFD where the bad bytes were, ``mixed`` is True, and
    the reader reports each such row as one rejected row (rule ``encoding``). A file that is
    mostly UTF-8 (at most :data:`MIXED_SHARE` of its non-ASCII lines fail) is read as UTF-8
    with a few bad lines — not as GB18030 mojibake. Raises :class:`ReadError` for an unknown
    codec name.
    """
    if encoding and encoding != "auto":
        try:
            return data.decode(encoding), encoding, False
        except LookupError as exc:
            raise ReadError(f"{name} 的编码「{encoding}」无法识别（可写 utf-8、gbk、gb18030、utf-16）") from exc
        except UnicodeDecodeError:
            return data.decode(encoding, errors="replace"), encoding, True
    for bom, codec in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                       (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(codec), codec, False
            except UnicodeDecodeError:
                return data.decode(codec, errors="replace"), codec, True
    wide = _utf16_without_bom(data)
    if wide:
        try:
            return data.decode(wide), wide, False
        except UnicodeDecodeError:
            return data.decode(wide, errors="replace"), wide, True
    try:
        return data.decode("utf-8"), "utf-8", False
    except UnicodeDecodeError:
        pass
    lines = data.split(b"\n")
    non_ascii = bad = 0
    for line in lines:
        if not line.isascii():
            non_ascii += 1
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                bad += 1
    if bad <= MIXED_SHARE * non_ascii:
        return data.decode("utf-8", errors="replace"), "utf-8", True
    try:
        return data.decode("gb18030"), "gb18030", False
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace"), "gb18030", True


def sniff_delimiter(lines: list[str]) -> str:
    """The field separator of a text source from its first non-blank line: the candidate of
    :data:`DELIMITERS` found most often there (outside quotes); ``,`` on a tie or when none."""
    first = next((ln for ln in lines if ln.strip()), "")
    unquoted = "".join(part for i, part in enumerate(first.split('"')) if i % 2 == 0)
    counts = {d: unquoted.count(d) for d in DELIMITERS}
    best = max(counts.values())
    if best == 0 or counts[","] == best:
        return ","
    return next(d for d in DELIMITERS if counts[d] == best)


def read_csv_file(path: Path, header_row: int | None, encoding: str = "auto",
                  expected: list[str] | None = None, limits: Limits = DEFAULT_LIMITS,
                  options: ReadOptions | None = None) -> RawSheet:
    """Read a text source (.csv / .txt / .tsv, optionally .gz) as text.

    Encoding per :func:`decode_rows` (a line that does not decode becomes one ``encoding``
    cell issue on its row, the rest of the file is read); the delimiter is
    ``options.delimiter``, a tab for .tsv, else sniffed (:func:`sniff_delimiter`); header_row
    None means "find it by the expected headers" as in :func:`read_workbook`;
    ``options.header_rows`` joins several header rows with ``/``; ``options.column_range``
    keeps a range of columns; ``options.na_values`` cells become empty.
    """
    options = options or ReadOptions()
    check_file_size(path, limits)
    gz = path.name.lower().endswith(".gz")
    raw = None                            # a plain file is read by pyarrow from disk if it can
    if gz:
        try:
            raw = gzip.decompress(path.read_bytes())
        except (OSError, EOFError, zlib.error) as exc:
            raise ReadError(f"{path.name} 不是有效的 gzip 压缩文件：{exc}") from exc
    if gz:
        first = raw[:8]
    else:
        with open(path, "rb") as f:
            first = f.read(8)
    kind = sniff(first)
    if kind in ("zip", "ole"):
        raise ReadError(f"{path.name} 其实是 Excel 工作簿，不是 CSV 文本，请把扩展名改为 "
                        f"{'.xlsx' if kind == 'zip' else '.xls'}")
    bare = path.name.lower().removesuffix(".gz")
    if (options.delimiter in (None, ",") and options.header_rows is None
            and options.column_range is None and not bare.endswith(".tsv")):
        from .csv_columnar import read_columnar   # columnar fast path; None = not applicable
        fast = read_columnar(path, raw, header_row, encoding, expected, HEADER_SCAN_ROWS,
                             find_header_row, _frame_from_grid, sniff_delimiter)
        if fast is not None:
            _apply_na_values(fast, options.na_values)
            return fast
    if raw is None:
        raw = path.read_bytes()
    text, used, mixed = decode_rows(raw, encoding, path.name)
    if not text.strip():
        raise ReadError(f"{path.name} 是空文件")
    warnings = [] if used in ("utf-8", "utf-8-sig") else [f"按 {used.upper()} 编码读取"]
    head_lines = text[:1 << 20].splitlines()[:HEADER_SCAN_ROWS]
    bare = path.name.lower().removesuffix(".gz")
    delimiter = options.delimiter or ("\t" if bare.endswith(".tsv") else sniff_delimiter(
        head_lines[(options.header_rows[0] if options.header_rows else header_row or 1) - 1:]))
    if delimiter != "," and not options.delimiter:
        warnings.append(f"按{_DELIMITER_ZH.get(delimiter, delimiter)}分隔读取（可在清单中写 delimiter）")
    first = None
    if options.header_rows is not None:
        first, header_row = options.header_rows
    elif header_row is None:
        top = list(csv.reader(io.StringIO("\n".join(head_lines)), delimiter=delimiter))
        header_row = find_header_row(top, expected or [])
        if header_row > 1:
            warnings.append(f"表头在第 {header_row} 行，上方 {header_row - 1} 行（标题等）未读取；"
                            f"可在清单中写 header_row: {header_row}")
    start = first or header_row
    try:
        grid = pd.read_csv(io.StringIO(text), header=None, dtype=str, keep_default_na=False,
                           na_filter=False, skip_blank_lines=False, skiprows=start - 1,
                           engine="c", sep=delimiter)
    except pd.errors.EmptyDataError as exc:
        raise ReadError(f"{path.name} 第 {header_row} 行之后没有内容") from exc
    except pd.errors.ParserError as exc:
        raise ReadError(f"{path.name} 的 CSV 格式有误（某行的列数多于表头）：{exc}") from exc
    grid = grid.fillna("")
    c0 = 0
    if options.column_range is not None:
        c0, c_last = options.column_range
        grid = grid.iloc[:, c0:c_last + 1]
    n_head = header_row - start + 1
    if len(grid) <= n_head:
        warnings.append("只有表头，没有数据行")
    if n_head > 1:
        parts = grid.iloc[:n_head].to_numpy(dtype=object)
        header = []
        for j in range(parts.shape[1]):
            seq: list[str] = []
            for p in (str(v).strip() for v in parts[:, j]):
                if p and (not seq or seq[-1] != p):
                    seq.append(p)
            header.append("/".join(seq))
    else:
        header = list(grid.iloc[0])
    excel_row = np.arange(header_row + 1, header_row + 1 + max(len(grid) - n_head, 0), dtype="int64")
    body = grid.iloc[n_head:]
    out = _frame_from_grid(header, [body[c] for c in body.columns], path, None,
                           excel_row, warnings, first_col=c0)
    out.header_row = header_row
    if mixed:
        out.cell_issues = _encoding_issues(out, used)
        if out.cell_issues:
            out.warnings.append(f"有 {len(out.cell_issues)} 行不能按 {used.upper()} 解码，"
                                "这些行已拒收，其余行照常读取")
    _apply_na_values(out, options.na_values)
    return out


def _encoding_issues(raw: RawSheet, used: str) -> list[tuple[int, str, str, str, str]]:
    """One ``encoding`` issue per row holding U+FFFD (bytes that did not decode): its first
    such column and the text as far as it could be read."""
    bad = np.zeros(len(raw.frame), dtype=bool)
    first_col = np.full(len(raw.frame), "", dtype=object)
    for col in raw.frame.columns:
        hit = raw.frame[col].str.contains("\ufffd", regex=False).to_numpy()
        first_col[hit & ~bad] = col
        bad |= hit
    issues = []
    for i in np.flatnonzero(bad):
        col = first_col[i]
        issues.append((int(raw.excel_row[i]), col, raw.frame[col].iat[i], "encoding",
                       f"第 {int(raw.excel_row[i])} 行不能按 {used.upper()} 解码（可能混入了其他编码的文字），"
                       "请在原文件中检查这一行"))
    return issues


def _apply_na_values(raw: RawSheet, na_values: tuple[str, ...]) -> None:
    """Cells whose stripped text is one of ``na_values`` become empty (in place)."""
    if not na_values:
        return
    wanted = list(dict.fromkeys(na_values))
    for col in raw.frame.columns:
        s = raw.frame[col]
        hit = s.isin(wanted) | s.str.strip().isin(wanted)
        if hit.any():
            raw.frame[col] = s.mask(hit, "")


def read_geojson(path: Path) -> RawSheet:
    """GeoJSON FeatureCollection → one row per feature: properties as columns, a Point's
    coordinates as ``lon`` and ``lat`` (other geometries leave them blank, with a warning).
    Row numbers are feature numbers (1-based)."""
    try:
        doc = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReadError(f"{path.name} 不是有效的 GeoJSON：{exc}") from exc
    features = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(features, list):
        raise ReadError(f"{path.name} 不是 GeoJSON FeatureCollection（缺少 features）")
    props = pd.DataFrame([f.get("properties") or {} for f in features])
    coords = [((f.get("geometry") or {}).get("coordinates") or [None, None])
              if (f.get("geometry") or {}).get("type") == "Point" else [None, None] for f in features]
    warnings = []
    n_other = sum(c[0] is None for c in coords)
    if n_other:
        warnings.append(f"{n_other} 个要素不是点（Point），没有经纬度")
    cols = {c: cells_to_text(props[c].to_numpy(dtype=object)) for c in props.columns}
    for i, axis in enumerate(("lon", "lat")):
        name = axis if axis not in cols else f"geometry.{axis}"
        cols[name] = cells_to_text(np.array([c[i] for c in coords], dtype=object))
    header = list(cols)
    return _frame_from_grid(header, [cols[c] for c in header], path, None, np.arange(1, len(features) + 1, dtype="int64"),
                            warnings)


def read_source_file(path: Path, fmt: str | None, sheet: str | int | None, header_row: int | None,
                     encoding: str = "auto", expected: list[str] | None = None,
                     limits: Limits = DEFAULT_LIMITS, options: ReadOptions | None = None) -> RawSheet:
    """Dispatch on format. header_row None = detect by ``expected`` headers (workbooks, CSV).
    Raises :class:`ReadError` (one Chinese line) when the file cannot or must not be read."""
    fmt = detect_format(path, fmt)
    if not path.exists():
        raise ReadError(f"找不到文件：{path}")
    try:
        if fmt in ("xlsx", "xls"):
            require_defusedxml()    # openpyxl must parse XML through defusedxml in this process
            return read_workbook(path, sheet, header_row, expected, limits, options)
        if fmt == "csv":
            return read_csv_file(path, header_row, encoding, expected, limits, options)
        check_file_size(path, limits)
        return read_geojson(path)
    except UnsafeFileError as exc:
        raise ReadError(str(exc)) from exc
