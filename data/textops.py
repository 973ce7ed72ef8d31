"""Whole-column text operations that stay in Arrow when the column is Arrow-backed.

pandas' ``Series.isin`` on an Arrow string column converts the values one by one (80 ms for a
million grid ids against 16,000 ids, where ``pyarrow.compute.is_in`` takes 14 ms); these
helpers give the same answers through ``pyarrow.compute`` and fall back to pandas for any other
column (object, numpy ``str``), so callers need not care which reader built the frame.
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
import pandas as pd


def arrow_of(s: pd.Series):
    """The ``pyarrow.ChunkedArray`` behind an Arrow-backed string Series, or None."""
    arr = getattr(s.array, "_pa_array", None)
    if arr is None:
        return None
    import pyarrow as pa
    return arr if (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)) else None


def isin(s: pd.Series, values: Iterable) -> np.ndarray:
    """bool array: is each cell one of ``values`` (compared as text; a missing cell never
    is)? Same result as ``s.isin(values).to_numpy()`` for a text column."""
    arr = arrow_of(s)
    values = [v for v in values if isinstance(v, str)] if arr is not None else list(values)
    if arr is None:
        return s.isin(values).to_numpy(dtype=bool)
    import pyarrow as pa
    import pyarrow.compute as pc
    hit = pc.is_in(arr, value_set=pa.array(values, type=arr.type))
    return hit.to_numpy(zero_copy_only=False).astype(bool, copy=False)


#: id(raw Arrow column) → (weak reference to it, its stripped column or None when it is its own)
_STRIPPED: dict[int, tuple] = {}


def strip(s: pd.Series) -> pd.Series:
    """``s.str.strip()``, computed once per Arrow column.

    One file's columns are stripped by several steps (row kinds, required cells, each kind's
    parser, unit lookup); for an Arrow-backed column the stripped text is remembered for as long
    as the column itself lives (a weak reference), and a column that is already stripped is
    known as such, so each column is trimmed once. A column with nothing to trim is its own
    stripped text (no second copy is kept). Same values, dtype, index and name as
    ``s.str.strip()``; any other column is simply stripped.
    """
    arr = arrow_of(s)
    if arr is None:
        return s.str.strip()
    hit = _STRIPPED.get(id(arr))
    if hit is not None and hit[0]() is arr:
        done = arr if hit[1] is None else hit[1]
    else:
        done = s.str.strip().array._pa_array if _needs_trim(arr) else arr
        _remember(arr, None if done is arr else done)
        if done is not arr:
            _remember(done, None)
    return pd.Series(type(s.array)(done, dtype=s.dtype), index=s.index, name=s.name, copy=False)


def _needs_trim(arr) -> bool:
    """Does any cell of the Arrow column start or end with white space? Trimmed and compared
    chunk by chunk (a reader's chunk is about 1 MiB), so a clean column — the usual one —
    costs no column-sized copy."""
    import pyarrow.compute as pc
    for chunk in arr.chunks:
        if len(chunk) and pc.all(pc.equal(chunk, pc.utf8_trim_whitespace(chunk))).as_py() is False:
            return True
    return False


def _remember(arr, stripped) -> None:
    import weakref
    key = id(arr)
    try:
        ref = weakref.ref(arr, lambda _r, key=key: _STRIPPED.pop(key, None))
    except TypeError:                    # not weak-referenceable: do not remember
        return
    _STRIPPED[key] = (ref, stripped)


_POOL = None


class _Inline:
    """An executor that runs each call at once, in the caller's thread (``WORKER_THREADS=1``:
    no second thread, and a profiler sees every call)."""

    def submit(self, fn, *args, **kwargs) -> Future:
        done: Future = Future()
        try:
            done.set_result(fn(*args, **kwargs))
        except BaseException as exc:     # raised again by .result(), as a pool would
            done.set_exception(exc)
        return done


def pool():
    """One process-wide thread pool for whole-column kernels that release the GIL (Arrow casts
    and hashing, numpy sorts): a large file's columns are worked on side by side. One worker
    per core, or ``WORKER_THREADS`` (environment) workers; ``WORKER_THREADS=1`` runs every job
    in the calling thread."""
    global _POOL
    if _POOL is None:
        try:
            workers = int(os.environ.get("WORKER_THREADS") or 0) or (os.cpu_count() or 1)
        except ValueError:
            workers = os.cpu_count() or 1
        _POOL = _Inline() if workers <= 1 else ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="columns")
    return _POOL


#: below this many rows columns are worked on one after another (a thread costs more than it saves)
PARALLEL_MIN_ROWS = 100_000


def side_by_side(jobs: dict, rows: int) -> dict:
    """``{key: (function, *args)}`` → ``{key: function(*args)}`` in the same key order, run on
    :func:`pool` when the columns have at least :data:`PARALLEL_MIN_ROWS` rows (and there are two
    or more), one after another otherwise. An exception is raised as if the calls were serial."""
    if rows < PARALLEL_MIN_ROWS or len(jobs) < 2:
        return {key: job[0](*job[1:]) for key, job in jobs.items()}
    futures = {key: pool().submit(*job) for key, job in jobs.items()}
    return {key: f.result() for key, f in futures.items()}


#: rows from which a file's kept raw text holds its low-cardinality columns as categories
#: (1M rows: some 60 ms for 100 MB; 10M rows: the 500 MB that matter)
CATEGORY_MIN_ROWS = 2_000_000


def as_categories(frame: pd.DataFrame, share: float = 0.05) -> tuple[pd.DataFrame, dict]:
    """``frame`` with its low-cardinality text columns held as categories, and the original
    dtypes of those columns (for :func:`from_categories`).

    A file's raw text is kept for its rejected rows' report until the load ends; a status,
    score or yes/no column of ten million cells holds a handful of distinct values, and as
    categories it takes one byte per cell instead of some fifteen. A column counts as
    low-cardinality when at most ``share`` of 4,096 evenly spaced cells are distinct. Frames
    under :data:`CATEGORY_MIN_ROWS` rows are returned as they are (their text is small, and
    the conversion would cost more time than the memory is worth).
    """
    n = len(frame)
    if n < CATEGORY_MIN_ROWS:
        return frame, {}
    step = max(n // 4096, 1)
    jobs = {}
    for col in frame.columns:
        s = frame[col]
        if arrow_of(s) is None and s.dtype != object:
            continue
        probe = s.iloc[::step]
        if probe.nunique(dropna=False) <= share * len(probe):
            jobs[col] = (s.astype, "category")
    if not jobs:
        return frame, {}
    dtypes = {col: frame[col].dtype for col in jobs}
    return frame.assign(**side_by_side(jobs, n)), dtypes


def from_categories(frame: pd.DataFrame, dtypes: dict) -> pd.DataFrame:
    """Undo :func:`as_categories` on (a few rows of) its frame: the same values and dtypes as
    before."""
    if not dtypes:
        return frame
    return frame.assign(**{col: frame[col].astype(dtype) for col, dtype in dtypes.items()
                           if col in frame.columns})
