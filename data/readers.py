"""Read one source file (xlsx / xls / csv / csv.gz / geojson) into a frame of TEXT.

Every cell comes back as ``str`` (``""`` for empty), so identifiers keep their leading zeros and
nothing is guessed before the manifest says what a column is. Numbers stored as numbers are
written without a spurious ``.0`` (``101.0`` → ``"101"``); Excel dates become ISO text
(``"2024-03-05 08:00:00"``) for :mod:`data.validate` to parse.

Unlike ``pd.read_excel``/``pd.read_csv`` defaults, headers are never renamed silently: an empty
header becomes ``(列 C)`` and a repeated header ``区县 (列 F)``; :class:`RawSheet` lists the
repeated ones so that mapping a repeated header fails with a clear message.
"""
from __future__ import annotations

import codecs
import csv
import datetime as _dt
import gzip
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .safety import DEFAULT_LIMITS, Limits, UnsafeFileError, check_file_size, check_xlsx_package, sniff
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
    for suffix, fmt in ((".csv.gz", "csv"), (".csv", "csv"), (".txt", "csv"), (".xlsx", "xlsx"),
                        (".xlsm", "xlsx"), (".xls", "xls"), (".geojson", "geojson"),
                        (".json", "geojson")):
        if name.endswith(suffix):
            return fmt
    raise ReadError(f"无法识别文件类型：{path.name}（支持 .xlsx .xls .csv .csv.gz .geojson）")


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
                     excel_row: np.ndarray, warnings: list[str]) -> RawSheet:
    """Name columns (arrays or Series of text, one per position) from the header row without
    silent renaming; drop unnamed columns that are entirely empty."""
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
                labels.append(f"(列 {column_letter(j)})")
                keep.append(j)
                warnings.append(f"第 {column_letter(j)} 列有数据但表头为空，记为「(列 {column_letter(j)})」")
            continue
        seen.setdefault(h, []).append(j)
        labels.append(h)
        keep.append(j)
    duplicates = {h: [f"{h} (列 {column_letter(j)})" for j in js] for h, js in seen.items() if len(js) > 1}
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
                    duplicates=duplicates, warnings=warnings)


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


def _structure_issues(path: Path, sheet: str, header_row: int, labels: dict[int, str],
                      last_row: int) -> tuple[list[tuple[int, str, str, str, str]], list[str]]:
    """Formula cells without a cached value and merged ranges below the header, as cell issues
    (mapped to column labels) and warnings."""
    found = scan_sheet(path, sheet)
    issues, warnings = [], []
    for row, col in found.formulas_without_value:
        if row > header_row and col in labels:
            issues.append((row, labels[col], "", "formula_no_value",
                           f"「{labels[col]}」是公式，但文件中没有保存计算结果（请在 Excel 中打开后保存，或改为数值）"))
    data_merges = [m for m in found.merged if m[2] > header_row]
    for r1, c1, r2, c2, ref in data_merges:
        for col in range(c1, c2 + 1):
            if col not in labels:
                continue
            for row in range(max(r1, header_row + 1), min(r2, last_row) + 1):
                if (row, col) != (r1, c1):
                    issues.append((row, labels[col], "", "merged_cell",
                                   f"「{labels[col]}」在合并单元格 {ref} 中，只有左上角单元格有值，请取消合并并逐行填写"))
    if data_merges:
        shown = "、".join(m[4] for m in data_merges[:20])
        more = f" 等 {len(data_merges)} 处" if len(data_merges) > 20 else ""
        warnings.append(f"数据区有合并单元格：{shown}{more}")
    return issues, warnings


def read_workbook(path: Path, sheet: str | int | None, header_row: int | None,
                  expected: list[str] | None = None, limits: Limits = DEFAULT_LIMITS) -> RawSheet:
    """Read an .xlsx/.xlsm/.xls sheet with python-calamine (values as Excel last saved them).

    header_row: 1-based, or None to find it among the top :data:`HEADER_SCAN_ROWS` rows by the
    ``expected`` headers (a title block above the header is then skipped, with a warning).
    Raises :class:`ReadError` for an unsafe, damaged, empty or header-less workbook.
    """
    from python_calamine import CalamineWorkbook

    if path.suffix.lower() in (".xlsx", ".xlsm"):
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
    try:
        rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except Exception as exc:  # noqa: BLE001 - calamine's CalamineError and friends
        raise ReadError(f"{path.name}「{name}」无法读取（{str(exc).splitlines()[0][:120]}）") from exc
    width = max((len(r) for r in rows), default=0)
    if not rows or width == 0 or all(all(v in ("", None) for v in r) for r in rows[:HEADER_SCAN_ROWS]):
        raise ReadError(f"{path.name}「{name}」是空工作表")
    if header_row is None:
        top = [list(cells_to_text(np.array(r, dtype=object))) for r in rows[:HEADER_SCAN_ROWS]]
        header_row = find_header_row(top, expected or [])
        if header_row > 1:
            warnings.append(f"表头在第 {header_row} 行，上方 {header_row - 1} 行（标题等）未读取；"
                            f"可在清单中写 header_row: {header_row}")
    if len(rows) < header_row:
        raise ReadError(f"{path.name}「{name}」只有 {len(rows)} 行，找不到第 {header_row} 行的表头")
    header = cells_to_text(np.array(rows[header_row - 1] + [""] * (width - len(rows[header_row - 1])), dtype=object))
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
                           excel_row, warnings)
    raw.header_row = header_row
    if path.suffix.lower() in (".xlsx", ".xlsm") and len(data):
        labels = _labels_by_position(list(header), raw)
        raw.cell_issues, more = _structure_issues(path, name, header_row, labels,
                                                  header_row + len(data))
        raw.warnings.extend(more)
    return raw


def _labels_by_position(header: list[str], raw: RawSheet) -> dict[int, str]:
    """0-based column position → the frame's column label (as given by _frame_from_grid)."""
    out = {}
    for j, h in enumerate(header):
        h = str(h).strip()
        letter = column_letter(j)
        for label in (f"{h} (列 {letter})", h, f"(列 {letter})"):
            if label in raw.frame.columns:
                out[j] = label
                break
    return out


def read_csv_file(path: Path, header_row: int | None, encoding: str = "auto",
                  expected: list[str] | None = None, limits: Limits = DEFAULT_LIMITS) -> RawSheet:
    """Read a .csv or .csv.gz as text (encoding per :func:`decode_text`); header_row None means
    "find it by the expected headers" as in :func:`read_workbook`."""
    check_file_size(path, limits)
    raw = path.read_bytes()
    if path.name.lower().endswith(".gz"):
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise ReadError(f"{path.name} 不是有效的 gzip 压缩文件：{exc}") from exc
    kind = sniff(raw[:8])
    if kind in ("zip", "ole"):
        raise ReadError(f"{path.name} 其实是 Excel 工作簿，不是 CSV 文本，请把扩展名改为 "
                        f"{'.xlsx' if kind == 'zip' else '.xls'}")
    from .csv_columnar import read_columnar      # columnar fast path; None = not applicable
    fast = read_columnar(path, raw, header_row, encoding, expected, HEADER_SCAN_ROWS,
                         find_header_row, _frame_from_grid)
    if fast is not None:
        return fast
    text, used = decode_text(raw, encoding, path.name)
    if not text.strip():
        raise ReadError(f"{path.name} 是空文件")
    warnings = [] if used in ("utf-8", "utf-8-sig") else [f"按 {used.upper()} 编码读取"]
    if header_row is None:
        top = list(csv.reader(io.StringIO("\n".join(text.splitlines()[:HEADER_SCAN_ROWS]))))
        header_row = find_header_row(top, expected or [])
        if header_row > 1:
            warnings.append(f"表头在第 {header_row} 行，上方 {header_row - 1} 行（标题等）未读取；"
                            f"可在清单中写 header_row: {header_row}")
    try:
        grid = pd.read_csv(io.StringIO(text), header=None, dtype=str, keep_default_na=False,
                           na_filter=False, skip_blank_lines=False, skiprows=header_row - 1,
                           engine="c")
    except pd.errors.EmptyDataError as exc:
        raise ReadError(f"{path.name} 第 {header_row} 行之后没有内容") from exc
    except pd.errors.ParserError as exc:
        raise ReadError(f"{path.name} 的 CSV 格式有误（某行的列数多于表头）：{exc}") from exc
    grid = grid.fillna("")
    if len(grid) <= 1:
        warnings.append("只有表头，没有数据行")
    excel_row = np.arange(header_row + 1, header_row + len(grid), dtype="int64")
    body = grid.iloc[1:]
    out = _frame_from_grid(list(grid.iloc[0]), [body[c] for c in body.columns], path, None,
                           excel_row, warnings)
    out.header_row = header_row
    return out


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
                     limits: Limits = DEFAULT_LIMITS) -> RawSheet:
    """Dispatch on format. header_row None = detect by ``expected`` headers (workbooks, CSV).
    Raises :class:`ReadError` (one Chinese line) when the file cannot or must not be read."""
    fmt = detect_format(path, fmt)
    if not path.exists():
        raise ReadError(f"找不到文件：{path}")
    try:
        if fmt in ("xlsx", "xls"):
            return read_workbook(path, sheet, header_row, expected, limits)
        if fmt == "csv":
            return read_csv_file(path, header_row, encoding, expected, limits)
        check_file_size(path, limits)
        return read_geojson(path)
    except UnsafeFileError as exc:
        raise ReadError(str(exc)) from exc
