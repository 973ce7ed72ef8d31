"""Sign-in throttling: growing delays per account and per client, and an account lockout an
admin lifts — kept in the SQLite state file every worker shares (server.sessions.connect).

After ``free_failures`` wrong passwords in a row (users file ``lockout:``, default 3) the next
attempt is accepted only after 1 s, then 2 s, 4 s, … (at most :data:`MAX_DELAY_S`); after
``lock_after`` (default 10) the account is locked until an admin unlocks it on the admin page
(or ``lock_minutes`` pass, when set). A client address gets the same delays after
:data:`CLIENT_FREE_FAILURES` failures over any accounts, but is never locked (an office behind
one NAT address must not lock itself out). Refused attempts are not checked against the password
(no scrypt work) and answer exactly like a wrong password; they do not count as failures.

Flask-Limiter adds a coarse per-client request rate on the sign-in form (server.auth).
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from server.accounts import Policy
from server.sessions import connect

MAX_DELAY_S = 60.0
CLIENT_FREE_FAILURES = 10
_SCHEMA = """
CREATE TABLE IF NOT EXISTS failures (
    kind TEXT NOT NULL, key TEXT NOT NULL, count INTEGER NOT NULL, last REAL NOT NULL,
    PRIMARY KEY (kind, key));
"""


def delay_after(failures: int, free: int) -> float:
    """Seconds to wait after ``failures`` consecutive failures: 0 up to ``free``, then
    1, 2, 4, … capped at MAX_DELAY_S."""
    if failures < free or failures <= 0:
        return 0.0
    return min(MAX_DELAY_S, 2.0 ** (failures - free))


@dataclass(frozen=True)
class Verdict:
    """Whether a sign-in attempt may be checked; ``reason``: "", "delay" or "locked"."""

    allowed: bool
    reason: str = ""
    failures: int = 0


class Throttle:
    """Failure counters in ``path`` (SQLite, shared by every worker)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self._db()

    def _db(self):
        db, pid = getattr(self._local, "db", None), getattr(self._local, "pid", None)
        if db is None or pid != os.getpid():     # never use a connection across a fork
            db = self._local.db = connect(self.path, _SCHEMA)
            self._local.pid = os.getpid()
        return db

    def _row(self, kind: str, key: str) -> tuple[int, float]:
        row = self._db().execute("SELECT count, last FROM failures WHERE kind = ? AND key = ?",
                                 (kind, key)).fetchone()
        return (row[0], row[1]) if row else (0, 0.0)

    def check(self, username: str, client: str, policy: Policy) -> Verdict:
        """May this attempt be checked against the password now?"""
        now = time.time()
        count, last = self._row("account", username[:64])
        if count >= policy.lock_after:
            if not policy.lock_minutes or now - last < policy.lock_minutes * 60:
                return Verdict(False, "locked", count)
        elif now - last < delay_after(count, policy.free_failures):
            return Verdict(False, "delay", count)
        client_count, client_last = self._row("client", client)
        if now - client_last < delay_after(client_count, CLIENT_FREE_FAILURES):
            return Verdict(False, "delay", count)
        return Verdict(True, "", count)

    def failed(self, username: str, client: str, policy: Policy) -> bool:
        """Count a wrong password; returns True when this failure locked the account."""
        db, now = self._db(), time.time()
        for kind, key in (("account", username[:64]), ("client", client)):
            db.execute("INSERT INTO failures VALUES (?, ?, 1, ?) ON CONFLICT(kind, key) DO "
                       "UPDATE SET count = count + 1, last = excluded.last", (kind, key, now))
        return self._row("account", username[:64])[0] == policy.lock_after

    def succeeded(self, username: str, client: str) -> None:
        """A correct password clears the account's and the client's counters."""
        db = self._db()
        db.execute("DELETE FROM failures WHERE (kind = 'account' AND key = ?) OR "
                   "(kind = 'client' AND key = ?)", (username[:64], client))

    def unlock(self, username: str) -> bool:
        """Lift an account's lockout and delays (admin); True if there was anything to lift."""
        return self._db().execute("DELETE FROM failures WHERE kind = 'account' AND key = ?",
                                  (username[:64],)).rowcount > 0

    def accounts(self) -> dict[str, tuple[int, float]]:
        """``{username: (consecutive failures, time of the last one)}`` (the admin page)."""
        return {k: (c, t) for k, c, t in self._db().execute(
            "SELECT key, count, last FROM failures WHERE kind = 'account'").fetchall()}

    def purge(self, older_than_s: float = 7 * 24 * 3600) -> None:
        """Forget counters untouched for ``older_than_s`` (unknown names an attacker tried)."""
        self._db().execute("DELETE FROM failures WHERE last < ?", (time.time() - older_than_s,))
