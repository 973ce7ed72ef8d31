"""Parquet cache of parsed sources, so that reloading unchanged files is near-instant.

One entry per (file content, source spec): the key is the SHA-256 of the file's bytes, the source's
manifest entry, the manifest settings that affect parsing (levels, crs, cutoff, date range,
calendar), the table name and :data:`CODE_VERSION` — bump it whenever parsing changes. An entry is
a folder ``<cache_dir>/ingest/<key>/`` holding ``data.parquet`` (typed canonical rows),
``errors.parquet`` (row errors), ``raw.parquet`` (the rows as read, for rejected-row downloads) and
``meta.json``. Entries are written to a temporary folder and renamed, so a crash never leaves a
half-written entry; an unreadable entry is treated as a miss.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import pandas as pd

CODE_VERSION = "ingest-2026-11-21.5"
DEFAULT_CACHE_DIR = Path(__file__).resolve().parents[1] / ".cache"
PARTS = ("data", "errors", "raw")


def file_sha256(path: Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def cache_key(sha256: str, *parts: str) -> str:
    """Key of one cache entry: hash of the file hash, the given strings and CODE_VERSION."""
    h = hashlib.sha256(CODE_VERSION.encode())
    for p in (sha256, *parts):
        h.update(b"\x00" + p.encode("utf-8"))
    return h.hexdigest()


def entry_dir(cache_dir: Path, key: str) -> Path:
    return Path(cache_dir) / "ingest" / key


def load_entry(cache_dir: Path, key: str, parts: tuple[str, ...] = ("data", "errors")
               ) -> tuple[dict[str, pd.DataFrame], dict] | None:
    """Read ``parts`` and meta of an entry, or None on a miss (or a damaged entry). A hit
    refreshes the entry's modification time (see :func:`prune`)."""
    folder = entry_dir(cache_dir, key)
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        frames = {p: pd.read_parquet(folder / f"{p}.parquet") for p in parts}
        os.utime(folder / "meta.json")
    except (OSError, ValueError):
        return None
    return frames, meta


def prune(cache_dir: Path, max_age_days: float = 30) -> int:
    """Delete entries not used for ``max_age_days`` (old file versions, old CODE_VERSIONs).
    Returns the number of entries removed."""
    root = Path(cache_dir) / "ingest"
    if not root.is_dir():
        return 0
    limit = time.time() - max_age_days * 86_400
    removed = 0
    for folder in root.iterdir():
        meta = folder / "meta.json"
        try:
            stale = meta.stat().st_mtime < limit if meta.exists() else folder.stat().st_mtime < limit
        except OSError:
            continue
        if stale:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


def load_part(cache_dir: Path, key: str, part: str, positions=None) -> pd.DataFrame:
    """Read one part of an entry known to exist (e.g. the raw rows, only when needed); with
    ``positions``, only the rows whose ``_pos`` is listed (filtered before conversion to pandas)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = pq.read_table(entry_dir(cache_dir, key) / f"{part}.parquet")
    if positions is not None:
        table = table.filter(pc.is_in(table["_pos"], value_set=pa.array(positions, type=pa.int64())))
    return table.to_pandas()


def save_entry(cache_dir: Path, key: str, frames: dict[str, pd.DataFrame], meta: dict) -> None:
    """Write an entry atomically; failures to write (read-only disk …) are ignored."""
    folder = entry_dir(cache_dir, key)
    if folder.exists():
        return
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=".tmp-"))
        for name, frame in frames.items():
            frame.to_parquet(tmp / f"{name}.parquet", index=False)
        (tmp / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, folder)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True) if "tmp" in locals() else None


def fingerprint(paths) -> dict[str, list[int] | None]:
    """{path: [size, mtime_ns]} of each path (``None`` when it does not exist): what a warm
    start compares to know that no source, manifest or folder changed since it was saved,
    without reading any file's content (a folder's mtime changes when a file is added to it,
    so a new file matching a source's glob is seen too)."""
    out: dict[str, list[int] | None] = {}
    for path in paths:
        try:
            st = os.stat(path)
            out[str(path)] = [int(st.st_size) if not os.path.isdir(path) else 0,
                              int(st.st_mtime_ns)]
        except OSError:
            out[str(path)] = None
    return out
