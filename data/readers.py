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
import datetime as _dt
import gzip
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

#: refuse xlsx whose parts inflate beyond this (zip-bomb guard; see FACTS.md)
MAX_UNZIPPED_BYTES = 2 * 1024 ** 3
MAX_ZIP_RATIO = 200


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
    is_other = ~((kinds == str) | (kinds == float)).to_numpy()
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
    header = [str(h).strip() for h in header] + [""] * (len(columns) - len(header))
    labels: list[str] = []
    keep: list[int] = []
    seen: dict[str, list[int]] = {}
    for j, h in enumerate(header[:len(columns)]):
        if not h:
            if (np.asarray(columns[j], dtype=object) != "").any():
                labels.append(f"(列 {column_letter(j)})")
                keep.append(j)
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


def _check_zip(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except zipfile.BadZipFile as exc:
        raise ReadError(f"{path.name} 不是有效的 .xlsx 文件（可能已损坏，或其实是 .xls/.csv）") from exc
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if total > MAX_UNZIPPED_BYTES or (total > 100 * 1024 ** 2 and total / packed > MAX_ZIP_RATIO):
        raise ReadError(f"{path.name} 解压后达 {total / 1024 ** 2:.0f} MB，疑似异常文件，已拒绝读取")


def read_workbook(path: Path, sheet: str | int | None, header_row: int) -> RawSheet:
    """Read an .xlsx/.xls sheet with python-calamine (values as Excel last saved them)."""
    from python_calamine import CalamineWorkbook

    if path.suffix.lower() in (".xlsx", ".xlsm"):
        _check_zip(path)
    try:
        wb = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises several private error types
        raise ReadError(f"无法打开工作簿 {path.name}：{exc}") from exc
    names = list(wb.sheet_names)
    try:
        if sheet is None:
            visible = [m.name for m in wb.sheets_metadata if str(m.visible).endswith("Visible")
                       and "Hidden" not in str(m.visible)]
            name = (visible or names)[0]
        elif isinstance(sheet, int):
            name = names[sheet]
        else:
            matches = [n for n in names if n == sheet] or [n for n in names if n.strip() == sheet.strip()]
            if not matches:
                raise ReadError(f"{path.name} 中没有工作表「{sheet}」；现有：{'、'.join(names)}")
            name = matches[0]
    except IndexError as exc:
        raise ReadError(f"{path.name} 没有第 {sheet} 个工作表（共 {len(names)} 个，从 0 开始计）") from exc
    rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
    if len(rows) < header_row:
        raise ReadError(f"{path.name}「{name}」只有 {len(rows)} 行，找不到第 {header_row} 行的表头")
    width = max(len(r) for r in rows)
    header = cells_to_text(np.array(rows[header_row - 1] + [""] * (width - len(rows[header_row - 1])), dtype=object))
    data = rows[header_row:]
    if data:
        body = np.empty((len(data), width), dtype=object)
        body[:] = data if all(len(r) == width for r in data) else [r + [""] * (width - len(r)) for r in data]
        body = np.column_stack([cells_to_text(body[:, j]) for j in range(width)]) if width else body
    else:
        body = np.empty((0, width), dtype=object)
    excel_row = np.arange(header_row + 1, header_row + 1 + len(data), dtype="int64")
    return _frame_from_grid(list(header), [body[:, j] for j in range(width)], path, name,
                            excel_row, [])


def read_csv_file(path: Path, header_row: int, encoding: str = "auto") -> RawSheet:
    """Read a .csv or .csv.gz as text (encoding per :func:`decode_text`)."""
    raw = path.read_bytes()
    if path.name.lower().endswith(".gz"):
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise ReadError(f"{path.name} 不是有效的 gzip 压缩文件：{exc}") from exc
    text, used = decode_text(raw, encoding, path.name)
    try:
        grid = pd.read_csv(io.StringIO(text), header=None, dtype=str, keep_default_na=False,
                           na_filter=False, skip_blank_lines=False, skiprows=header_row - 1,
                           engine="c")
    except pd.errors.EmptyDataError as exc:
        raise ReadError(f"{path.name} 是空文件，或第 {header_row} 行之后没有内容") from exc
    except pd.errors.ParserError as exc:
        raise ReadError(f"{path.name} 的 CSV 格式有误（某行的列数多于表头）：{exc}") from exc
    grid = grid.fillna("")
    warnings = [] if used in ("utf-8", "utf-8-sig") else [f"按 {used.upper()} 编码读取"]
    excel_row = np.arange(header_row + 1, header_row + len(grid), dtype="int64")
    body = grid.iloc[1:]
    return _frame_from_grid(list(grid.iloc[0]), [body[c] for c in body.columns], path, None,
                            excel_row, warnings)


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


def read_source_file(path: Path, fmt: str | None, sheet: str | int | None, header_row: int,
                     encoding: str = "auto") -> RawSheet:
    """Dispatch on format. Raises :class:`ReadError` when the file cannot be read at all."""
    fmt = detect_format(path, fmt)
    if not path.exists():
        raise ReadError(f"找不到文件：{path}")
    if fmt in ("xlsx", "xls"):
        return read_workbook(path, sheet, header_row)
    if fmt == "csv":
        return read_csv_file(path, header_row, encoding)
    return read_geojson(path)
