"""Columnar fast path for CSV sources: bytes → Arrow columns → the same ``RawSheet``.

``data.readers.read_csv_file`` calls :func:`read_columnar` first; when it returns ``None`` the
file goes down the general path (decode to text, ``pd.read_csv``), which owns every odd case.
This path reads the bytes with ``pyarrow.csv`` (multi-threaded, no decode to a Python string,
no re-encode), so time grows linearly with the file — the general path copies a growing
buffer with 3-byte Chinese characters (FACTS.md: 1M / 2M / 4M rows 7.4 / 14.1 / 67.3 s).

It only takes files where it gives exactly what the general path gives (tests/test_ingest*.py
are the guard), and returns ``None`` for anything else:

- encoding ``auto`` / ``utf-8`` / ``utf-8-sig`` and bytes that are strict UTF-8 (pyarrow checks
  every cell; a GB18030 or UTF-16 file fails and falls back);
- the header on row 1 (found, as before, in the first ``HEADER_SCAN_ROWS`` lines only — the
  head of the file is decoded, not the whole file);
- comma-delimited, ``"`` quotes (quoted line breaks allowed), line ends ``\\n`` or ``\\r\\n``
  only (the head is checked for other Unicode line separators), no NUL byte;
- every row has exactly the header's number of fields and no row is blank (a short, long or
  blank row makes pyarrow stop; the general path then reports them as before), and no row is
  longer than a block (1 MiB).

Output: a ``RawSheet`` whose frame columns are pandas ``str`` (Arrow-backed, no copy per
cell), ``""`` for empty cells, ``excel_row`` = file line numbers, warnings as the general path.
"""
from __future__ import annotations

import codecs
import csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

#: bytes per block handed to pyarrow's parallel CSV reader (None: pyarrow's default, 1 MiB);
#: blocks are cut anywhere in a line or a 3-byte character — the result does not depend on it
BLOCK_SIZE: int | None = None
#: bytes of the file's head decoded to look for the header (whole lines only)
HEAD_BYTES = 1 << 20
#: characters ``str.splitlines`` breaks on besides ``\n`` and ``\r\n``: with any of them in the
#: head the general path decides (its header scan splits on them)
_ODD_BREAKS = ("\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")


def _has_nul(source: bytes | Path, chunk: int = 1 << 24) -> bool:
    """Is there a NUL byte in the bytes, or in the file (read 16 MiB at a time)?"""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return b"\x00" in source
    with open(source, "rb") as f:
        while block := f.read(chunk):
            if b"\x00" in block:
                return True
    return False


def _head_lines(body: bytes, total: int, scan_rows: int) -> list[str] | None:
    """The first ``scan_rows`` lines of the text whose first bytes are ``body`` (``total``
    bytes in all, BOM excluded) decoded as UTF-8, or None when the head is not plain UTF-8
    text with ``\\n`` / ``\\r\\n`` line ends."""
    head = body[:HEAD_BYTES]
    if total > HEAD_BYTES:
        cut = head.rfind(b"\n")
        if cut < 0:
            return None
        head = head[:cut + 1]
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if any(ch in text.replace("\r\n", "\n") for ch in _ODD_BREAKS):
        return None
    lines = text.split("\n")
    if text.endswith("\n"):
        lines = lines[:-1]
    if total > len(head) and len(lines) < scan_rows:
        return None                      # giant lines: let the general path look
    return [line.rstrip("\r") for line in lines[:scan_rows]]


def read_columnar(path: Path, raw: bytes, header_row: int | None, encoding: str,
                  expected: list[str] | None, scan_rows: int, find_header_row, frame_from_grid,
                  sniff_delimiter=None):
    """``RawSheet`` of CSV ``raw`` bytes (already decompressed), or ``None`` when this path
    cannot promise the general path's result (see module docstring).

    header_row: 1-based, or None to find it among the first ``scan_rows`` lines by the
    ``expected`` headers with ``find_header_row``; frame_from_grid: ``readers._frame_from_grid``,
    sniff_delimiter: ``readers.sniff_delimiter`` (passed in to keep the import one-way; a file
    whose sniffed delimiter is not a comma is declined). Never raises for a bad file: any pyarrow error
    means ``None``.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    encoding = (encoding or "auto").lower().replace("_", "-")
    if encoding not in ("auto", "utf-8", "utf8", "utf-8-sig"):
        return None
    if raw is None:                      # read from the file: only its head is held here
        with open(path, "rb") as f:
            raw_head = f.read(HEAD_BYTES + len(codecs.BOM_UTF8))
        size = path.stat().st_size
    else:
        raw_head, size = raw[:HEAD_BYTES + len(codecs.BOM_UTF8)], len(raw)
    if raw_head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None
    bom = len(codecs.BOM_UTF8) if raw_head.startswith(codecs.BOM_UTF8) else 0
    if bom and encoding in ("utf-8", "utf8"):
        return None                      # plain utf-8 keeps the BOM in the first header
    head = raw_head[bom:]
    if re.search(rb"\S", head) is None or _has_nul(path if raw is None else raw):
        return None                      # blank head (or an empty file), or a NUL byte
    lines = _head_lines(head, size - bom, scan_rows)
    if lines is None:
        return None
    warnings: list[str] = []
    if sniff_delimiter is not None and sniff_delimiter(lines[(header_row or 1) - 1:]) != ",":
        return None
    if header_row is None:
        top = list(csv.reader(io.StringIO("\n".join(lines))))
        header_row = find_header_row(top, expected or [])
    if header_row != 1 or not lines or lines[0].count('"') % 2:
        return None                      # title rows above the header, or a multi-line header
    n_fields = len(next(csv.reader([lines[0]]), []))
    if n_fields == 0:
        return None
    try:
        table = pacsv.read_csv(
            str(path) if raw is None else io.BytesIO(raw),      # pyarrow skips a UTF-8 BOM
            read_options=pacsv.ReadOptions(autogenerate_column_names=True,
                                           **({"block_size": BLOCK_SIZE} if BLOCK_SIZE else {})),
            parse_options=pacsv.ParseOptions(delimiter=",", quote_char='"', double_quote=True,
                                             escape_char=False, newlines_in_values=True,
                                             ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                column_types={f"f{i}": pa.large_string() for i in range(n_fields)},
                null_values=[], strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError, OSError):
        return None
    if table.num_columns != n_fields or table.num_rows == 0:
        return None
    if any(not pa.types.is_large_string(t) for t in table.schema.types):
        return None
    header = [str(v) for v in table.slice(0, 1).to_pylist()[0].values()]
    if table.num_rows <= 1:
        warnings.append("只有表头，没有数据行")
    body_table = table.slice(1)
    as_str = {pa.string(): pd.StringDtype("pyarrow", na_value=np.nan),
              pa.large_string(): pd.StringDtype("pyarrow", na_value=np.nan)}.get
    columns = [body_table.column(i).to_pandas(types_mapper=as_str)
               for i in range(body_table.num_columns)]
    excel_row = np.arange(header_row + 1, header_row + table.num_rows, dtype="int64")
    out = frame_from_grid(header, columns, path, None, excel_row, warnings)
    out.header_row = header_row
    return out
