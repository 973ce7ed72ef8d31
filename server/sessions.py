"""Server-side sessions: a row per signed-in session in a small SQLite file every worker shares.

The browser's cookie (Flask's signed cookie) carries only a random session id (``sid``); the
row holds the user, the account's fingerprint (server.accounts.User.fingerprint), when the
session started and when it was last used. Every request looks its row up (one indexed read,
≈ 0.1 ms), so:

- logout deletes the row: a copy of the cookie taken before is refused in every worker at once;
- a password, role or scope change, or a disabled or removed account, no longer matches the
  fingerprint or the user: the session ends at the next request;
- idle timeout (``session.idle_minutes``, default 30) and absolute lifetime
  (``session.absolute_hours``, default 12) from the users file.

``last_seen`` is written at most every :data:`TOUCH_EVERY_S` seconds per session (the idle
timeout is exact to that). SQLite in WAL mode with a busy timeout serialises the workers' writes.
"""
from __future__ import annotations

import os
import secrets
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

#: how often a session's last-use time is written (seconds)
TOUCH_EVERY_S = 30.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    sid TEXT PRIMARY KEY, username TEXT NOT NULL, fingerprint TEXT NOT NULL,
    created REAL NOT NULL, last_seen REAL NOT NULL, client TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS sessions_user ON sessions(username);
"""


def connect(path: Path, schema: str) -> sqlite3.Connection:
    """A connection to the shared state file (WAL, 5 s busy timeout), ``schema`` applied."""
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(str(path), timeout=5.0, isolation_level=None,
                                 check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.executescript(schema)
    return connection


class SessionStore:
    """Sessions in ``path`` (SQLite). Thread-safe: one connection per thread."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self._db()                                   # create the file and table now

    def _db(self) -> sqlite3.Connection:
        db, pid = getattr(self._local, "db", None), getattr(self._local, "pid", None)
        if db is None or pid != os.getpid():     # never use a connection across a fork
            db = self._local.db = connect(self.path, _SCHEMA)
            self._local.pid = os.getpid()
        return db

    def create(self, username: str, fingerprint: str, client: str = "") -> str:
        """A new session for ``username``: its random id (43 URL-safe characters)."""
        sid = secrets.token_urlsafe(32)
        now = time.time()
        self._db().execute("INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?)",
                           (sid, username, fingerprint, now, now, client[:64]))
        return sid

    def check(self, sid: Any, user: Any, idle_s: float, absolute_s: float) -> bool:
        """Whether session ``sid`` is valid for ``user`` (server.accounts.User or None) now:
        the row exists, names this user with the same fingerprint, and neither timeout has
        passed. An invalid session's row is deleted."""
        if not isinstance(sid, str) or not sid:
            return False
        db = self._db()
        row = db.execute("SELECT username, fingerprint, created, last_seen FROM sessions "
                         "WHERE sid = ?", (sid,)).fetchone()
        if row is None:
            return False
        username, fingerprint, created, last_seen = row
        now = time.time()
        valid = (user is not None and username == user.username
                 and fingerprint == user.fingerprint
                 and now - last_seen <= idle_s and now - created <= absolute_s)
        if not valid:
            db.execute("DELETE FROM sessions WHERE sid = ?", (sid,))
        elif now - last_seen >= TOUCH_EVERY_S:
            db.execute("UPDATE sessions SET last_seen = ? WHERE sid = ?", (now, sid))
        return valid

    def username(self, sid: Any) -> str | None:
        """The user a session row names (no validity check), or None."""
        if not isinstance(sid, str):
            return None
        row = self._db().execute("SELECT username FROM sessions WHERE sid = ?",
                                 (sid,)).fetchone()
        return row[0] if row else None

    def revoke(self, sid: Any) -> None:
        """End one session (logout)."""
        if isinstance(sid, str):
            self._db().execute("DELETE FROM sessions WHERE sid = ?", (sid,))

    def revoke_user(self, username: str) -> int:
        """End every session of ``username``; returns how many there were."""
        return self._db().execute("DELETE FROM sessions WHERE username = ?",
                                  (username,)).rowcount

    def active(self) -> dict[str, int]:
        """``{username: number of session rows}`` (expired rows included until next used)."""
        return dict(self._db().execute(
            "SELECT username, COUNT(*) FROM sessions GROUP BY username").fetchall())

    def purge(self, absolute_s: float) -> int:
        """Delete rows older than ``absolute_s``; returns how many."""
        return self._db().execute("DELETE FROM sessions WHERE created < ?",
                                  (time.time() - absolute_s,)).rowcount
