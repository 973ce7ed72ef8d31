"""Accounts: a YAML users file with hashed passwords and a scope per user.

```yaml
users:
  - username: city
    name: 市委组织部               # shown in the page header
    password_hash: "scrypt:32768:8:1$..."   # python -m server.accounts hash
    scope: all                    # the whole dataset; may upload files
  - username: east
    name: 示例区委组织部
    password_hash: "scrypt:..."
    scope: [district:511602]      # unit keys (level:unit_id): these units and all below them
    role: analyst                 # admin | data_manager | analyst | viewer (default analyst)
    disabled: false               # true: cannot sign in, open sessions end at once
session:                          # optional (defaults shown)
  idle_minutes: 30                # signed out after this long without a request
  absolute_hours: 12              # signed out this long after signing in, active or not
lockout:                          # optional (defaults shown)
  free_failures: 3                # wrong passwords before delays start (1 s, 2 s, 4 s, … ≤ 60 s)
  lock_after: 10                  # consecutive failures that lock the account until an admin
                                  # unlocks it (or lock_minutes pass; 0 = only an admin)
  lock_minutes: 0
```

Roles (:data:`ROLES`): ``admin`` manages accounts (unlock) and reads the audit log;
``data_manager`` uploads files and reloads data; ``analyst`` views and exports within the scope;
``viewer`` views only. Every role views pages within its scope.

:class:`UsersFile` re-reads the file when it changes (checked at most once a second per worker):
a removed, disabled or re-passworded user's sessions end at the next request in every worker.

Passwords are hashed with werkzeug.security (scrypt by default); a plain ``password`` key is
refused so a users file can never hold one.
"""
from __future__ import annotations

import getpass
import hashlib
import logging
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from werkzeug.security import check_password_hash, generate_password_hash

WHOLE = "all"
#: role → what it may do (``view`` pages, ``export`` workbooks and downloads, ``upload`` data
#: files, ``reload`` data, ``admin`` accounts and the audit log)
ROLES: dict[str, frozenset[str]] = {
    "admin": frozenset({"view", "export", "admin"}),
    "data_manager": frozenset({"view", "export", "upload", "reload"}),
    "analyst": frozenset({"view", "export"}),
    "viewer": frozenset({"view"}),
}
#: role names shown in the page header
ROLE_NAMES = {"admin": "系统管理员", "data_manager": "数据管理员", "analyst": "分析员",
              "viewer": "只读用户"}
DEFAULT_ROLE = "analyst"


@dataclass(frozen=True)
class Policy:
    """Session and sign-in limits from the users file (minutes, hours, counts)."""

    idle_minutes: float = 30
    absolute_hours: float = 12
    free_failures: int = 3
    lock_after: int = 10
    lock_minutes: float = 0


class AccountsError(ValueError):
    """A users file that cannot be used (message in Chinese, naming the entry)."""


@dataclass(frozen=True)
class User:
    """One account. scope: None for the whole dataset, else a frozenset of unit keys."""

    username: str
    name: str
    password_hash: str
    scope: frozenset[str] | None
    role: str = DEFAULT_ROLE
    disabled: bool = False

    # Flask-Login's user protocol
    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return self.username

    def may(self, action: str) -> bool:
        """Whether the role allows ``action`` (see :data:`ROLES`)."""
        return action in ROLES.get(self.role, frozenset())

    @property
    def may_upload(self) -> bool:
        """Data managers of the whole dataset replace data files (a file feeds every unit)."""
        return self.scope is None and self.may("upload")

    @property
    def fingerprint(self) -> str:
        """Changes when the password, role, scope or disabled flag change: a session made
        before such a change is no longer valid (server.sessions)."""
        text = "|".join([self.password_hash, self.role, str(self.disabled),
                         ",".join(sorted(self.scope)) if self.scope is not None else "*"])
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)


def hash_password(password: str) -> str:
    """A werkzeug.security hash (scrypt) of ``password`` for the users file."""
    return generate_password_hash(password)


def _scope(value: Any, where: str) -> frozenset[str] | None:
    if value == WHOLE:
        return None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(
            isinstance(v, str) and ":" in v for v in value):
        raise AccountsError(f"用户文件错误（{where}.scope）：应为 all 或单位编号列表，如 [district:511602]")
    return frozenset(value)


def load_users(path: str | Path) -> dict[str, User]:
    """Read a users file: ``{username: User}``.

    Raises AccountsError for a missing ``users`` list, a repeated username, a plain-text
    ``password``, a hash werkzeug does not produce, a bad scope or role; OSError if unreadable.
    """
    return load_users_file(path)[0]


def _number(raw: dict, section: str, key: str, default: float, low: float, high: float) -> float:
    block = raw.get(section) or {}
    if not isinstance(block, dict):
        raise AccountsError(f"用户文件错误（{section}）：应为键值表")
    value = block.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise AccountsError(f"用户文件错误（{section}.{key}）：应为 {low:g}–{high:g} 之间的数")
    return value


def load_users_file(path: str | Path) -> tuple[dict[str, User], Policy]:
    """Read a users file: ``({username: User}, Policy)``; errors as :func:`load_users`."""
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    if not isinstance(raw, dict):
        raise AccountsError("用户文件错误：缺少 users 列表")
    policy = Policy(
        idle_minutes=_number(raw, "session", "idle_minutes", 30, 1, 24 * 60),
        absolute_hours=_number(raw, "session", "absolute_hours", 12, 0.1, 24 * 30),
        free_failures=int(_number(raw, "lockout", "free_failures", 3, 0, 100)),
        lock_after=int(_number(raw, "lockout", "lock_after", 10, 1, 1000)),
        lock_minutes=_number(raw, "lockout", "lock_minutes", 0, 0, 24 * 60 * 365))
    entries = raw.get("users") if isinstance(raw, dict) else None
    if not isinstance(entries, list) or not entries:
        raise AccountsError("用户文件错误：缺少 users 列表")
    users: dict[str, User] = {}
    for i, entry in enumerate(entries):
        where = f"users[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("username"), str):
            raise AccountsError(f"用户文件错误（{where}）：缺少 username")
        if "password" in entry:
            raise AccountsError(f"用户文件错误（{where}）：不得保存明文密码，请用 "
                                "python -m server.accounts hash 生成 password_hash")
        digest = entry.get("password_hash")
        if not isinstance(digest, str) or not digest.startswith(("scrypt:", "pbkdf2:")):
            raise AccountsError(f"用户文件错误（{where}.password_hash）：不是 werkzeug 生成的哈希")
        name = entry["username"]
        if name in users:
            raise AccountsError(f"用户文件错误（{where}）：用户名 {name} 重复")
        role = entry.get("role", DEFAULT_ROLE)
        if role not in ROLES:
            raise AccountsError(f"用户文件错误（{where}.role）：应为 {' / '.join(ROLES)} 之一")
        users[name] = User(name, str(entry.get("name") or name), digest,
                           _scope(entry.get("scope"), where), role,
                           bool(entry.get("disabled", False)))
    return users, policy


class UsersFile:
    """The users file as the server sees it now: re-read when its modification time or size
    changes (checked at most every ``check_s`` seconds), so edits apply without a restart in
    every worker. A file that no longer reads keeps the last good accounts (logged)."""

    def __init__(self, path: str | Path, check_s: float = 1.0) -> None:
        self.path = Path(path)
        self.check_s = check_s
        self._lock = threading.Lock()
        self._stamp = self._stat()
        self.users, self.policy = load_users_file(self.path)
        self._checked = _now()

    def _stat(self) -> tuple[int, int]:
        try:
            info = self.path.stat()
        except OSError:
            return (0, 0)
        return (info.st_mtime_ns, info.st_size)

    def refresh(self) -> None:
        """Re-read the file if it changed since the last read."""
        now = _now()
        if now - self._checked < self.check_s:
            return
        with self._lock:
            self._checked = now
            stamp = self._stat()
            if stamp == self._stamp:
                return
            self._stamp = stamp
            try:
                self.users, self.policy = load_users_file(self.path)
            except (AccountsError, OSError, yaml.YAMLError) as exc:
                logging.getLogger(__name__).error("users file not re-read, keeping the last "
                                                  "good accounts: %s", exc)

    def __getitem__(self, username: str) -> User:
        """The account named ``username`` as last read (KeyError if none)."""
        return self.users[username]

    def get(self, username: Any) -> User | None:
        """The current, enabled account named ``username`` (None otherwise)."""
        self.refresh()
        user = self.users.get(username) if isinstance(username, str) else None
        return None if user is None or user.disabled else user


def _now() -> float:
    return time.monotonic()


def main(argv: list[str]) -> int:
    """``python -m server.accounts hash``: read a password (twice, not echoed), print its hash."""
    if argv != ["hash"]:
        print("用法：python -m server.accounts hash", file=sys.stderr)
        return 2
    first = getpass.getpass("密码：")
    if first != getpass.getpass("再输入一次：") or len(first) < 8:
        print("两次输入不一致或少于 8 个字符。", file=sys.stderr)
        return 1
    print(hash_password(first))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
