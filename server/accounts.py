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
```

Passwords are hashed with werkzeug.security (scrypt by default); a plain ``password`` key is
refused so a users file can never hold one.
"""
from __future__ import annotations

import getpass
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from werkzeug.security import check_password_hash, generate_password_hash

WHOLE = "all"


class AccountsError(ValueError):
    """A users file that cannot be used (message in Chinese, naming the entry)."""


@dataclass(frozen=True)
class User:
    """One account. scope: None for the whole dataset, else a frozenset of unit keys."""

    username: str
    name: str
    password_hash: str
    scope: frozenset[str] | None

    # Flask-Login's user protocol
    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return self.username

    @property
    def may_upload(self) -> bool:
        """Only whole-dataset accounts replace data files (a file feeds every unit)."""
        return self.scope is None

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
    ``password``, a hash werkzeug does not produce, or a bad scope; OSError if unreadable.
    """
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
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
        users[name] = User(name, str(entry.get("name") or name), digest,
                           _scope(entry.get("scope"), where))
    return users


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
