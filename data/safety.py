"""Guards against hostile or broken workbook files, checked before any parser sees them.

An .xlsx/.xlsm file is a zip archive of XML parts. Three attacks matter for a server that reads
uploaded or e-mailed workbooks (see /work/shared/FACTS.md, "Reading spreadsheets"):

* **zip bomb** — a 1 MB file whose parts inflate to gigabytes. :func:`check_xlsx_package` reads
  only the archive's central directory (declared sizes, no decompression) and refuses a file whose
  parts add up to more than :attr:`Limits.max_unzipped_mb` or whose large parts are compressed
  more than :attr:`Limits.max_ratio` times. Cost: microseconds, no memory growth.
* **billion laughs / external entities (XXE)** — XML parts with a ``<!DOCTYPE`` declaring
  entities. No genuine Office/WPS part has a DOCTYPE, so any part whose prolog contains one is
  refused (only the prolog is decompressed, at most :data:`PROLOG_BYTES`).
* **XML parsers in this process** — openpyxl parses through defusedxml when it is installed;
  :func:`require_defusedxml` asserts that before any workbook is read (a CSV-only load does
  not import openpyxl at all).

* **hostile declared sizes** — a sheet declaring ``<dimension ref="A1:XFD1048576"/>`` or one cell at
  XFD1048576 makes the reader allocate the whole rectangle (exit 134, "memory allocation of
  549755813888 bytes failed"). :func:`check_extent` refuses it from the streamed scan of
  :mod:`data.xlsx_structure`, before any reader runs.

Limits come from the manifest (``settings: {limits: {max_file_mb, max_unzipped_mb, max_ratio, max_cells}}``)
or the defaults below.
"""
from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: how much of each XML part is decompressed to find its root element (DOCTYPE must precede it)
PROLOG_BYTES = 64 * 1024
_ROOT_START = re.compile(rb"<[A-Za-z_]")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class UnsafeFileError(Exception):
    """The file is refused before parsing; the message is one Chinese line naming the file."""


@dataclass(frozen=True)
class Limits:
    """Size limits for one input file.

    max_file_mb: size on disk (MB, 2**20 bytes). max_unzipped_mb: sum of the declared
    uncompressed sizes of an .xlsx archive's parts. max_ratio: largest allowed
    uncompressed/compressed ratio of any part bigger than ``ratio_floor_mb`` (small parts such as
    styles compress very well and are harmless). Defaults allow a 1,000,000-row sheet (≈ 200 MB
    of XML, ratio ≈ 10–30) and refuse the classic 1 MB → 1 GB bomb (ratio ≈ 1,000).
    """

    max_file_mb: float = 500
    max_unzipped_mb: float = 2048
    max_ratio: float = 200
    ratio_floor_mb: float = 10
    #: cells of the rectangle from A1 to the last cell a sheet declares (``<dimension ref>``) or
    #: references (``<c r="XFD1048576">``): python-calamine allocates that whole rectangle, so a
    #: 6 KB file naming XFD1048576 would ask for 512 GB. 50 M cells ≈ 4.5 M rows × 11 columns.
    max_cells: float = 50_000_000

    @classmethod
    def from_settings(cls, settings: dict[str, Any] | None) -> "Limits":
        """Limits from a manifest's ``settings.limits`` mapping (missing keys keep defaults).
        Raises ValueError naming a key that is unknown or not a positive number."""
        raw = (settings or {}).get("limits") or {}
        if not isinstance(raw, dict):
            raise ValueError("settings.limits 应写成 {max_file_mb: 500, max_unzipped_mb: 2048, max_ratio: 200}")
        known = {"max_file_mb", "max_unzipped_mb", "max_ratio", "ratio_floor_mb", "max_cells"}
        unknown = set(raw) - known
        if unknown:
            raise ValueError(f"settings.limits 中未知的键 {sorted(unknown)}；可用：{sorted(known)}")
        for key, value in raw.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ValueError(f"settings.limits.{key} 应是正数")
        return cls(**{k: float(v) for k, v in raw.items()})


DEFAULT_LIMITS = Limits()


def require_defusedxml() -> None:
    """Raise RuntimeError unless openpyxl parses XML through defusedxml (called before a workbook is read)."""
    try:
        import defusedxml  # noqa: F401
        import openpyxl
    except ImportError as exc:  # pragma: no cover - both are pinned in requirements.txt
        raise RuntimeError("缺少 defusedxml：请 pip install -r requirements.txt") from exc
    if not getattr(openpyxl, "DEFUSEDXML", False):
        raise RuntimeError("openpyxl 没有启用 defusedxml，拒绝启动（安装 defusedxml 后重试）")


def sniff(head: bytes) -> str:
    """What the first bytes of a file look like: 'zip', 'ole' (legacy .xls), 'empty' or 'text'."""
    if not head:
        return "empty"
    if head.startswith(b"PK"):
        return "zip"
    if head.startswith(_OLE_MAGIC):
        return "ole"
    return "text"


def check_file_size(path: Path, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse an empty file or one larger than ``limits.max_file_mb``."""
    size = path.stat().st_size
    if size == 0:
        raise UnsafeFileError(f"{path.name} 是空文件（0 字节）")
    if size > limits.max_file_mb * 2 ** 20:
        raise UnsafeFileError(f"{path.name} 有 {size / 2 ** 20:.0f} MB，超过上限 {limits.max_file_mb:.0f} MB"
                              "（可在清单 settings.limits.max_file_mb 中调整）")


def check_xlsx_package(path: Path, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse an .xlsx/.xlsm that is not a zip, is a zip bomb, or has an XML part with a DOCTYPE.

    Raises :class:`UnsafeFileError` (one Chinese line). Reads the central directory and at most
    :data:`PROLOG_BYTES` of each XML part; never inflates a whole part.
    """
    check_file_size(path, limits)
    with open(path, "rb") as fh:
        kind = sniff(fh.read(8))
    if kind == "ole":
        raise UnsafeFileError(f"{path.name} 实际是旧版 .xls 文件，请把扩展名改为 .xls 或另存为 .xlsx")
    if kind == "text":
        raise UnsafeFileError(f"{path.name} 不是 Excel 工作簿（内容是文本，可能是改了扩展名的 CSV），"
                              "请把扩展名改为 .csv 或在 Excel 中另存为 .xlsx")
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnsafeFileError(f"{path.name} 已损坏或不完整（无法作为 .xlsx 打开），请重新导出") from exc
    with zf:
        infos = zf.infolist()
        total = sum(i.file_size for i in infos)
        if total > limits.max_unzipped_mb * 2 ** 20:
            raise UnsafeFileError(f"{path.name} 解压后达 {total / 2 ** 20:,.0f} MB，超过上限 "
                                  f"{limits.max_unzipped_mb:,.0f} MB，疑似压缩炸弹，已拒绝读取")
        for info in infos:
            big = info.file_size > limits.ratio_floor_mb * 2 ** 20
            ratio = info.file_size / max(info.compress_size, 1)
            if big and ratio > limits.max_ratio:
                raise UnsafeFileError(f"{path.name} 中的 {info.filename} 压缩比达 {ratio:,.0f} 倍"
                                      f"（上限 {limits.max_ratio:,.0f}），疑似压缩炸弹，已拒绝读取")
        names = {i.filename for i in infos}
        if "[Content_Types].xml" not in names:
            raise UnsafeFileError(f"{path.name} 是 zip 压缩包但不是 Excel 工作簿（缺少 [Content_Types].xml）")
        for info in infos:
            if info.filename.endswith((".xml", ".rels", ".vml")):
                _check_prolog(zf, info, path.name)


def _check_prolog(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> None:
    try:
        with zf.open(info) as part:
            head = part.read(PROLOG_BYTES)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
        raise UnsafeFileError(f"{name} 已损坏或不完整（{info.filename} 无法解压），请重新导出") from exc
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head.decode("utf-16", errors="ignore").encode("utf-8")
    root = _ROOT_START.search(head)
    prolog = (head[:root.start()] if root else head).upper()
    if b"<!DOCTYPE" in prolog or b"<!ENTITY" in prolog:
        raise UnsafeFileError(f"{name} 的 {info.filename} 含有 DOCTYPE/实体声明（正常工作簿不会有），"
                              "可能是恶意文件，已拒绝读取")
    if root is None and len(head) == PROLOG_BYTES:
        raise UnsafeFileError(f"{name} 的 {info.filename} 开头 {PROLOG_BYTES // 1024} KB 内没有 XML 元素，已拒绝读取")


def check_extent(name: str, sheet: str, max_row: int, max_col: int, dimension: str | None,
                 dim_rows: int, dim_cols: int, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse a sheet whose declared dimension or farthest cell reference spans more than
    ``limits.max_cells`` cells (rows × columns from A1). max_col and dim_cols are counts
    (1-based). Raises :class:`UnsafeFileError` naming the file, sheet and reference."""
    from .readers import column_letter  # local: readers imports this module

    if dimension and dim_rows * dim_cols > limits.max_cells:
        raise UnsafeFileError(f"{name}「{sheet}」声明的区域 {dimension} 达 {dim_rows * dim_cols:,} 个单元格，"
                              f"超过上限 {limits.max_cells:,.0f}，疑似恶意文件，已拒绝读取"
                              "（如确为正常文件，请在 Excel 中删除多余的行列后另存）")
    if max_row * max_col > limits.max_cells:
        ref = f"{column_letter(max_col - 1)}{max_row}"
        raise UnsafeFileError(f"{name}「{sheet}」中有单元格引用到 {ref}，表格范围达 {max_row * max_col:,} 个单元格，"
                              f"超过上限 {limits.max_cells:,.0f}，疑似恶意文件，已拒绝读取"
                              "（如确为正常文件，请在 Excel 中删除多余的行列后另存）")
