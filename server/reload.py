"""Atomic reload: a changed dataset is validated before it replaces the served snapshot.

The **data version** is a fingerprint of the manifest and every file under its folder (relative
path, size, modification time in ns; ``.cache``, ``.uploads`` and dot files skipped). It depends
on the files only, so every worker process of a production server computes the same version for
the same files. :class:`DataWatcher` checks it at most every ``interval_s`` seconds (from a
request hook, non-blocking); on a change it builds the new Results in a background thread and
swaps it into ``layouts.store`` only if the build succeeded and the load report has no fatal
file. Otherwise the last good snapshot keeps being served and :attr:`DataWatcher.status` says
why (the Upload page shows it).
"""
from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from layouts import store
from server import audit

log = logging.getLogger(__name__)

SKIPPED_DIRS = {".cache", ".uploads", "__pycache__"}


def data_version(manifest_path: str | Path) -> str:
    """16 hex digits fingerprinting the manifest's folder (see module docstring). Raises
    OSError if the manifest cannot be read."""
    manifest = Path(manifest_path).resolve()
    root = manifest.parent
    digest = hashlib.sha256(manifest.read_bytes())
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = Path(folder) / name
            try:
                st = path.stat()
            except OSError:         # removed while walking: the next check sees the new state
                continue
            digest.update(f"{path.relative_to(root)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def write_atomic(path: str | Path, content: bytes) -> Path:
    """Write ``content`` to ``path`` through a temporary file in the same folder and
    ``os.replace`` (readers see the old file or the new one, never half of one). Returns path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def fatal_files(results: Any) -> set[str]:
    """Names (last path component) of the files a Results' load report could not read."""
    return {Path(f["file"]).name for f in results.dataset.report.fatal}


def refusal(results: Any, known_fatal: set[str] | frozenset[str] = frozenset()) -> str | None:
    """Why a freshly built Results must not replace the served one (Chinese), or None: a file
    that could not be read at all and was readable before (not in ``known_fatal``, the served
    version's :func:`fatal_files`), or no indicator rows."""
    fatal = [f for f in results.dataset.report.fatal if Path(f["file"]).name not in known_fatal]
    if fatal:
        return "；".join(f"{Path(f['file']).name}：{f['message']}" for f in fatal)
    if results.table.empty:
        return "没有算出任何指标"
    return None


@dataclass
class Status:
    """What the watcher knows: the version served and when it was loaded, and the last failed
    version with the reason (empty when the last attempt succeeded)."""

    version: str = ""
    loaded_at: float = 0.0
    failed_version: str = ""
    failed_reason: str = ""
    failed_at: float = 0.0
    building: bool = False
    history: list[str] = field(default_factory=list)


class DataWatcher:
    """Keeps ``layouts.store`` on the newest *valid* version of one dataset.

    build: ``manifest_path → Results`` (indicators.pipeline.build). Call :meth:`load_initial`
    once (raises as build does; files it cannot read are listed in its load report, as
    ``app.py serve`` always did), then :meth:`poll` from a request hook.
    """

    def __init__(self, manifest_path: str | Path, build: Callable[[Path], Any],
                 interval_s: float = 2.0) -> None:
        self.manifest_path = Path(manifest_path)
        self.build = build
        self.interval_s = interval_s
        self.status = Status()
        self._checked = 0.0
        self._lock = threading.Lock()
        #: files the served version could not read either (not a reason to refuse a reload)
        self.known_fatal: set[str] = set()

    def load_initial(self) -> Any:
        version = data_version(self.manifest_path)
        results = self.build(self.manifest_path)
        for fatal in results.dataset.report.fatal:
            log.warning("cannot read %s: %s", fatal["file"], fatal["message"])
        self.known_fatal = fatal_files(results)
        self.status.version, self.status.loaded_at = version, time.time()
        return results

    def poll(self) -> None:
        """Start a reload in the background if the files changed (at most every interval_s;
        never blocks the caller, never two builds at once)."""
        now = time.monotonic()
        if now - self._checked < self.interval_s:
            return
        self._checked = now
        try:
            version = data_version(self.manifest_path)
        except OSError:
            return
        if version in (self.status.version, self.status.failed_version):
            return
        if not self._lock.acquire(blocking=False):
            return
        self.status.building = True
        threading.Thread(target=self._reload, args=(version,), daemon=True,
                         name="data-reload").start()

    def reload_now(self) -> bool:
        """Check and rebuild in the caller's thread (the Upload page after a replace, tests).
        Returns True when a new version is now served."""
        version = data_version(self.manifest_path)
        if version == self.status.version:
            return False
        with self._lock:
            self.status.building = True
            return self._reload(version, locked=False)

    def _reload(self, version: str, locked: bool = True) -> bool:
        try:
            try:
                results = self.build(self.manifest_path)
                reason = refusal(results, self.known_fatal)
            except Exception as exc:  # noqa: BLE001 - a bad file must not stop the server
                log.exception("reload of %s failed", self.manifest_path)
                reason = f"{type(exc).__name__}: {exc}"
            if reason:
                audit.record("reload", object={"version": version, "reason": reason[:200]},
                             result="refused", **_system())
                self.status.failed_version, self.status.failed_reason = version, reason
                self.status.failed_at = time.time()
                log.warning("data version %s refused, still serving %s: %s", version,
                            self.status.version, reason)
                return False
            # the files may have changed again while building: the next poll sees that
            store.set_results(results, version)
            self.known_fatal = fatal_files(results)
            self.status.history.append(self.status.version)
            self.status.version, self.status.loaded_at = version, time.time()
            self.status.failed_version = self.status.failed_reason = ""
            log.info("serving data version %s", version)
            audit.record("reload", object={"version": version}, **_system())
            release_memory()
            return True
        finally:
            self.status.building = False
            if locked:
                self._lock.release()


def release_memory() -> None:
    """After a swap: collect the previous bundle's cycles and hand freed heap pages back to the
    system (glibc ``malloc_trim``; elsewhere nothing), so a worker's resident memory returns
    near one dataset's size after each upload instead of keeping every build's high-water mark
    (bench/upload_memory.py)."""
    import ctypes
    import ctypes.util
    import gc

    gc.collect()
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _system() -> dict[str, str]:
    """Audit fields of a reload: the signed-in user when a request triggered it (an upload),
    else ``system`` (a background thread after files changed on disk)."""
    import flask
    return {} if flask.has_request_context() else {"user": "system", "role": "", "client": "",
                                                   "scope": ""}


_watcher: DataWatcher | None = None


def install(app: Any, watcher: DataWatcher) -> None:
    """Poll ``watcher`` before every request of ``app`` (a Dash app) and answer
    ``GET /_version`` with the served version (JSON; behind sign-in like every route)."""
    global _watcher
    _watcher = watcher
    server = app.server

    @server.before_request
    def poll_data():
        watcher.poll()

    @server.route("/_version")
    def served_version():
        s = watcher.status
        return {"version": s.version, "failed_version": s.failed_version,
                "building": s.building, "pid": os.getpid()}


def watcher() -> DataWatcher | None:
    """The DataWatcher installed by :func:`install` (None when the app has none)."""
    return _watcher
