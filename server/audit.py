"""The audit log: one JSON object per line, appended, rotated by size.

Each record: ``time`` (ISO 8601, UTC, seconds), ``user``, ``role``, ``client`` (address),
``action``, ``scope`` (the user's unit keys or ``all``), ``object`` (what was acted on: a
year and unit, a file, an account) and ``result`` (``ok``, ``refused``, ``failed``, …).

Actions: ``sign_in``, ``sign_in_failed``, ``lockout``, ``sign_out``, ``session_ended``,
``export``, ``download``, ``upload``, ``reload``, ``scope_refused``, ``permission_refused``,
``unlock``, ``audit_download``.

Writes from every worker process go through one ``flock``-ed lock file, so lines never
interleave and rotation (``audit.jsonl`` → ``audit.jsonl.1`` … ``.N``) happens once. The file is
opened in append mode for each record; nothing in the application rewrites or deletes a line
(only rotation drops the oldest file after ``backups`` rotations).
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

log = logging.getLogger(__name__)

FIELDS = ("time", "user", "role", "client", "action", "scope", "object", "result")
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_BACKUPS = 10


class AuditLog:
    """Append-only JSON lines at ``path``, rotated past ``max_bytes`` keeping ``backups``."""

    def __init__(self, path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES,
                 backups: int = DEFAULT_BACKUPS) -> None:
        self.path = Path(path)
        self.max_bytes = max_bytes
        self.backups = backups
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with self._lock, open(self.path.with_suffix(".lock"), "a") as handle:
            try:
                import fcntl
                fcntl.flock(handle, fcntl.LOCK_EX)
            except ImportError:          # Windows (waitress): one process, the thread lock
                pass
            yield

    def _rotate(self) -> None:
        for n in range(self.backups - 1, 0, -1):
            older = self.path.with_name(f"{self.path.name}.{n}")
            if older.exists():
                os.replace(older, self.path.with_name(f"{self.path.name}.{n + 1}"))
        os.replace(self.path, self.path.with_name(f"{self.path.name}.1"))

    def write(self, action: str, *, user: str = "", role: str = "", client: str = "",
              scope: str = "", object: Any = "", result: str = "ok") -> dict[str, Any]:
        """Append one record (and return it). A failing write is logged, never raised: the
        audit log must not take the dashboard down."""
        record = {"time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                  "user": user, "role": role, "client": client, "action": action,
                  "scope": scope, "object": object, "result": result}
        line = json.dumps(record, ensure_ascii=False, default=str) + "\n"
        try:
            with self._locked():
                if self.path.exists() and self.path.stat().st_size + len(line) > self.max_bytes:
                    self._rotate()
                with open(self.path, "a", encoding="utf-8") as handle:
                    handle.write(line)
        except OSError as exc:
            log.error("audit record not written (%s): %s", exc, line.strip())
        return record

    def files(self) -> list[Path]:
        """The log and its rotated files, oldest first."""
        rotated = sorted((p for p in self.path.parent.glob(self.path.name + ".*")
                          if p.suffix[1:].isdigit()), key=lambda p: -int(p.suffix[1:]))
        return rotated + ([self.path] if self.path.exists() else [])

    def read(self, *, user: str = "", action: str = "", since: str = "", until: str = "",
             result: str = "", limit: int | None = None) -> list[dict[str, Any]]:
        """Records matching every filter given (exact user, action, result; ``since``/``until``
        compare the ISO time as text, so ``2026-12-04`` works), newest last; the last
        ``limit`` of them when given. Unreadable lines are skipped."""
        found: list[dict[str, Any]] = []
        for path in self.files():
            with open(path, encoding="utf-8", errors="replace") as handle:
                for line in handle:
                    try:
                        record = json.loads(line)
                    except ValueError:
                        continue
                    if not isinstance(record, dict):
                        continue
                    if (user and record.get("user") != user) or \
                            (action and record.get("action") != action) or \
                            (result and record.get("result") != result) or \
                            (since and str(record.get("time", "")) < since) or \
                            (until and str(record.get("time", ""))[:len(until)] > until):
                        continue
                    found.append(record)
        return found[-limit:] if limit else found


_installed: AuditLog | None = None


def install(audit: AuditLog | None) -> None:
    """Make ``audit`` the log :func:`record` writes to (None: records are dropped)."""
    global _installed
    _installed = audit


def installed() -> AuditLog | None:
    """The installed AuditLog, or None."""
    return _installed


def who() -> dict[str, str]:
    """user, role, client and scope of the current request (empty strings outside one)."""
    import flask
    if not flask.has_request_context():
        return {"user": "", "role": "", "client": "", "scope": ""}
    from flask_login import current_user
    user = None
    if hasattr(flask.current_app, "login_manager") and \
            getattr(current_user, "is_authenticated", False):
        user = current_user
    scope = "" if user is None else ("all" if user.scope is None else ",".join(sorted(user.scope)))
    return {"user": user.username if user else "", "role": user.role if user else "",
            "client": flask.request.remote_addr or "", "scope": scope}


def record(action: str, object: Any = "", result: str = "ok", **fields: str) -> None:
    """Append a record for the current request's user (``fields`` override who they are);
    nothing happens when no audit log is installed (tests of pages alone, local mode)."""
    if _installed is None:
        return
    info = {**who(), **fields}
    _installed.write(action, object=object, result=result, **info)
