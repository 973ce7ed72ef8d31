"""The indicator table cut into the slices the dashboard reads, in memory or from one file.

Pages read one (year, level) slice — every indicator of every unit of one level in one year —
or one (level, indicator) slice of the monthly rows. :func:`slice_rows` finds those groups'
row positions on integer codes; :func:`write_slices` writes the table once, grouped that way,
as an Arrow IPC file (LZ4) with one record batch per slice and the keys in the schema's
metadata; :class:`SliceFile` opens that file memory-mapped and reads one batch when a page
first asks for it. A warm start therefore reads a few kilobytes of keys, not the 4–6 million
rows of a province's table, and each slice read from the file equals the same slice taken
from the whole table (same rows in the same order, same columns and dtypes).
"""
from __future__ import annotations

import json
import os
import re
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

YEAR = re.compile(r"^\d{4}$")
MONTH = re.compile(r"^\d{4}-\d{2}$")
#: schema metadata key holding the slice keys (JSON)
META_KEY = b"indicator_slices"
FORMAT = 1


@dataclass
class SliceRows:
    """Row positions of the table's slices.

    by_year_level: ``{(year "2025", level): int64 positions}``; monthly: ``{(level,
    indicator_id): positions}`` of the rows whose period is a month (``"2025-03"``); positions
    ascend (table order). month_years: years with monthly rows, latest first;
    year_indicator_ids: indicator ids with at least one yearly row (any order)."""

    by_year_level: dict[tuple[str, str], np.ndarray]
    monthly: dict[tuple[str, str], np.ndarray]
    month_years: list[str]
    year_indicator_ids: set[str]


def slice_rows(table: pd.DataFrame) -> SliceRows:
    """Group the rows of an indicator table (columns period, level, indicator_id; str) by
    (year, level) and, for monthly rows, by (level, indicator_id). Rows with a missing key or a
    period that is neither a year nor a month are in no slice."""
    period, periods = pd.factorize(table["period"])
    level, levels = pd.factorize(table["level"])
    indicator, indicators = pd.factorize(table["indicator_id"])
    periods = pd.Index(periods).astype(str)
    keyed = (period >= 0) & (level >= 0) & (indicator >= 0)       # -1: a missing key
    is_year = keyed & np.asarray(periods.str.fullmatch(YEAR.pattern), dtype=bool)[period]
    is_month = keyed & np.asarray(periods.str.fullmatch(MONTH.pattern), dtype=bool)[period]

    def split(mask, first, second) -> dict[tuple[str, str], np.ndarray]:
        rows = np.flatnonzero(mask)
        if not len(rows):
            return {}
        code = first[0][rows].astype(np.int64) * len(second[1]) + second[0][rows]
        order = np.argsort(code, kind="stable")
        rows, code = rows[order], code[order]
        starts = np.flatnonzero(np.r_[True, code[1:] != code[:-1]])
        ends = np.r_[starts[1:], len(code)]
        return {(str(first[1][c // len(second[1])]), str(second[1][c % len(second[1])])):
                rows[a:b] for c, a, b in zip(code[starts], starts, ends)}

    levels, indicators = pd.Index(levels), pd.Index(indicators)
    return SliceRows(
        by_year_level=split(is_year, (period, periods), (level, levels)),
        monthly=split(is_month, (level, levels), (indicator, indicators)),
        month_years=sorted({p[:4] for p in periods[np.unique(period[is_month])]}, reverse=True),
        year_indicator_ids={str(i) for i in indicators[np.unique(indicator[is_year])]})


def write_slices(table: pd.DataFrame, path: Path) -> None:
    """Write ``table`` grouped by :func:`slice_rows` to ``path`` (Arrow IPC, LZ4, one record
    batch per slice, written atomically). Raises OSError when the folder cannot be written."""
    import pyarrow as pa

    rows = slice_rows(table)
    groups = [("year", k, r) for k, r in rows.by_year_level.items()]
    groups += [("month", k, r) for k, r in rows.monthly.items()]
    arrow = pa.Table.from_pandas(table, preserve_index=False)
    meta = {"format": FORMAT, "rows": len(table), "columns": [str(c) for c in table.columns],
            "month_years": rows.month_years,
            "year_indicator_ids": sorted(rows.year_indicator_ids),
            "year": [], "month": []}
    for i, (kind, key, _) in enumerate(groups):
        meta[kind].append([key[0], key[1], i])
    schema = arrow.schema.with_metadata({**(arrow.schema.metadata or {}),
                                         META_KEY: json.dumps(meta, ensure_ascii=False).encode()})
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    os.close(fd)
    try:
        options = pa.ipc.IpcWriteOptions(compression="lz4")
        with pa.OSFile(tmp, "wb") as sink, pa.ipc.new_file(sink, schema, options=options) as out:
            for _, _, positions in groups:
                part = arrow.take(pa.array(positions)).combine_chunks()
                out.write_batch(pa.RecordBatch.from_arrays(
                    [column.chunk(0) for column in part.columns], schema=schema))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


class SliceFile:
    """A file of :func:`write_slices`, opened memory-mapped; reads one slice per call.

    by_year_level / monthly: ``{key: batch number}``; month_years, year_indicator_ids, rows,
    columns: as written. Raises OSError / pyarrow.ArrowInvalid / KeyError / ValueError for a
    missing, damaged or foreign file."""

    def __init__(self, path: Path) -> None:
        import pyarrow as pa
        self._pa = pa
        self._reader = pa.ipc.open_file(pa.memory_map(str(path), "r"))
        meta = json.loads(self._reader.schema.metadata[META_KEY])
        if meta.get("format") != FORMAT:
            raise ValueError(f"slice file format {meta.get('format')!r}")
        self.rows: int = int(meta["rows"])
        self.columns: list[str] = list(meta["columns"])
        self.month_years: list[str] = list(meta["month_years"])
        self.year_indicator_ids: set[str] = set(meta["year_indicator_ids"])
        self.by_year_level = {(a, b): int(i) for a, b, i in meta["year"]}
        self.monthly = {(a, b): int(i) for a, b, i in meta["month"]}
        self._lock = threading.Lock()

    def frame(self, batch: int) -> pd.DataFrame:
        """Record batch ``batch`` as a DataFrame (RangeIndex, the table's dtypes)."""
        with self._lock:                       # the reader is not documented as thread-safe
            part = self._reader.get_batch(batch)
        return self._pa.Table.from_batches([part]).to_pandas()
