"""Uploads: this year's files, validated with the full load report before they replace anything.

An upload names a **target**, one source of the manifest (:func:`targets`). A plain path is
replaced; a glob (``complaints/*.xlsx``) gets a new file whose name the server generates
(``complaints/upload-20251231-8f3a9c1e.xlsx``). The file travels as follows:

1. the bytes are checked (size, extension of the target) and written under a generated name in
   ``<dataset>/.uploads/`` — the user's file name is kept only in the JSON metadata beside it
   (``投诉.xlsx`` preserved; it is never part of a path, and the pages show it as text);
2. a staging folder mirrors the dataset with symlinks, the upload placed at its target path,
   and the whole dataset is built from it (ingest with its hostile-file checks, the load report,
   the indicators): a fatal file or no indicators refuses the upload, nothing is replaced;
3. only then is the target written with ``write_atomic`` (temporary file + ``os.replace``)
   and the served data reloaded (server.reload).

One upload at a time per dataset (a lock file, so gunicorn's workers queue too).
"""
from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import os
import re
import shutil
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from server import audit
from server.reload import SKIPPED_DIRS, refusal, write_atomic

UPLOAD_DIR = ".uploads"
ALLOWED_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv", ".csv.gz")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_thread_lock = threading.Lock()


class UploadRefused(ValueError):
    """An upload that was not applied; the message (Chinese) says why."""


@dataclass(frozen=True)
class Target:
    """One manifest source an upload may feed: key ``"<table>:<index>"``, its path pattern."""

    key: str
    table: str
    path: str

    @property
    def is_glob(self) -> bool:
        return glob.has_magic(self.path)


def targets(manifest_path: str | Path) -> list[Target]:
    """The sources of a manifest an upload may replace or add to, one per distinct path (join
    sources reading the same workbook are one target). Raises ManifestError as load_manifest."""
    from data.manifest import load_manifest

    manifest = load_manifest(manifest_path)
    seen: dict[str, Target] = {}
    for table, sources in manifest.tables.items():
        for index, source in enumerate(sources):
            if source.path not in seen and "**" not in source.path:
                seen[source.path] = Target(f"{table}:{index}", table, source.path)
    return list(seen.values())


def _suffix(name: str) -> str:
    lower = name.lower()
    return next((s for s in sorted(ALLOWED_SUFFIXES, key=len, reverse=True)
                 if lower.endswith(s)), "")


def clean_name(name: Any) -> str:
    """The user's file name as metadata: a string, control characters removed, the last path
    component only, at most 255 characters (``投诉.xlsx`` stays ``投诉.xlsx``)."""
    text = _CONTROL.sub("", str(name or ""))
    return re.split(r"[\\/]", text)[-1][:255]


def destination(target: Target, stamp: str) -> str:
    """Where an accepted upload goes, relative to the manifest: the target path itself, or for
    a glob every ``*`` replaced by ``upload-<stamp>`` (``complaints/*_511602_*.xlsx`` →
    ``complaints/upload-<stamp>_511602_upload-<stamp>.xlsx``, which the glob matches). Raises
    UploadRefused for ``?`` or ``[…]`` wildcards (no generated name surely matches them)."""
    if not target.is_glob:
        return target.path
    if "?" in target.path or "[" in target.path:
        raise UploadRefused(f"无法为来源 {target.path} 生成文件名，请由管理员放置文件")
    return target.path.replace("*", f"upload-{stamp}")


@contextlib.contextmanager
def _dataset_lock(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    with _thread_lock, open(folder / ".lock", "w") as handle:
        try:
            import fcntl
            fcntl.flock(handle, fcntl.LOCK_EX)
        except ImportError:         # Windows (waitress): one process, the thread lock suffices
            pass
        yield


def _mirror(root: Path, stage: Path, replace: str, content_path: Path, manifest: str) -> None:
    """A staging copy of the dataset folder: a symlink per file, ``replace`` (relative) pointing
    at the uploaded file instead, and the manifest itself copied (data.manifest resolves the
    manifest's path: a symlinked manifest would read the live folder, not the stage)."""
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS and not d.startswith(".")]
        rel = Path(folder).relative_to(root)
        (stage / rel).mkdir(parents=True, exist_ok=True)
        for name in files:
            relative = (rel / name).as_posix()
            if relative == manifest:
                shutil.copy2(Path(folder) / name, stage / rel / name)
            elif not name.startswith(".") and relative != replace:
                os.symlink(Path(folder) / name, stage / rel / name)
    final = stage / replace
    final.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(content_path, final)


@dataclass
class UploadResult:
    """What happened to one upload (also written as ``.uploads/<id>.json``)."""

    id: str
    original_name: str
    target: str
    stored_as: str
    size: int
    sha256: str
    uploaded_by: str
    accepted: bool
    message: str
    sources: list[dict[str, Any]]

    def to_json(self) -> str:
        return json.dumps(self.__dict__, ensure_ascii=False, indent=1)


def _check_template(manifest: Path, table: str, suffix: str, content: bytes) -> None:
    """A fill-in template of another dataset or table is refused (data.submissions)."""
    if suffix not in (".xlsx", ".xlsm"):
        return
    import io

    from data.manifest import load_manifest
    from data.submissions import SubmissionsError, check_template
    try:
        check_template(io.BytesIO(content), load_manifest(manifest).name, table)
    except SubmissionsError as exc:
        raise UploadRefused(str(exc)) from exc


def apply_upload(manifest_path: str | Path, target_key: str, original_name: Any,
                 content: bytes, uploaded_by: str, build: Callable[[Path], Any],
                 max_bytes: int, known_fatal: set[str] | frozenset[str] = frozenset()
                 ) -> UploadResult:
    """Validate an uploaded file as part of the whole dataset; apply it only if the dataset
    still builds. Returns the UploadResult (accepted or not, with the uploaded file's load-report
    rows: file, rows_read, accepted, rejected, blank).

    target_key: a :func:`targets` key (anything else is refused). build: ``manifest → Results``
    (indicators.pipeline.build). known_fatal: files the served data cannot read either
    (server.reload.fatal_files) — any other unreadable file refuses the upload. Raises UploadRefused before anything is staged for an unknown
    target, an empty or oversize file, or an extension the target does not read.
    """
    manifest = Path(manifest_path).resolve()
    root = manifest.parent
    found = {t.key: t for t in targets(manifest)}
    if not isinstance(target_key, str) or target_key not in found:
        raise UploadRefused("请选择要更新的数据来源")
    target = found[target_key]
    name = clean_name(original_name)
    if not content:
        raise UploadRefused("文件为空")
    if len(content) > max_bytes:
        raise UploadRefused(f"文件超过 {max_bytes / 1024 / 1024:g} MB 的上限")
    suffix = _suffix(target.path)
    if not suffix or _suffix(name) != suffix:
        raise UploadRefused(f"来源 {target.path} 需要 {suffix or '表格'} 文件，收到的是「{name}」")
    _check_template(manifest, target.table, suffix, content)
    upload_id = time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:8]
    relative = destination(target, upload_id)
    folder = root / UPLOAD_DIR
    with _dataset_lock(folder):
        stored = write_atomic(folder / f"{upload_id}{suffix}", content)
        stage = folder / f"stage-{upload_id}"
        try:
            _mirror(root, stage, relative, stored, manifest.name)
            try:
                results = build(stage / manifest.name)
                reason = refusal(results, known_fatal)
                sources = [dict(file=s.file, sheet=s.sheet or "", rows_read=s.rows_read,
                                accepted=s.accepted, rejected=s.rejected, blank=s.blank)
                           for s in results.dataset.report.sources
                           if Path(s.file).name == Path(relative).name]
            except Exception as exc:  # noqa: BLE001 - any failure refuses the upload
                reason, sources = f"{type(exc).__name__}: {exc}", []
        finally:
            shutil.rmtree(stage, ignore_errors=True)
        if reason is None and not sources:
            reason = "清单没有读到这个文件"
        elif reason is None and sum(x["accepted"] for x in sources) == 0:
            reason = f"文件中没有一行被接收（拒收 {sum(x['rejected'] for x in sources):,} 行）"
        result = UploadResult(upload_id, name, target.key, relative, len(content),
                              hashlib.sha256(content).hexdigest(), uploaded_by,
                              reason is None, reason or "", sources)
        if result.accepted:
            write_atomic(root / relative, content)
        else:
            stored.unlink(missing_ok=True)     # a refused file is not kept (personal data)
        write_atomic(folder / f"{upload_id}.json", result.to_json().encode("utf-8"))
    audit.record("upload", object={"file": name, "target": target.path, "id": upload_id,
                                   "sha256": result.sha256, "reason": result.message[:200]},
                 result="accepted" if result.accepted else "refused")
    return result
