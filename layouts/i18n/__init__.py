"""UI strings in per-language YAML files (``zh.yaml`` default, ``en.yaml``).

``t(key, lang, **fields)`` returns the string for ``key`` in ``lang`` with ``str.format`` fields
filled in. An unknown language falls back to Chinese; an unknown key raises ``KeyError`` (a typo
must fail in tests, not show a blank label to a user).
"""
from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

LANGS: tuple[str, ...] = ("zh", "en")
DEFAULT_LANG = "zh"
_DIR = Path(__file__).parent


@cache
def strings(lang: str) -> dict[str, str]:
    """All UI strings of one language as a read-only-by-convention dict (cached; do not mutate).

    Raises ValueError if a key is not a string (e.g. a bare ``no:`` that YAML reads as False).
    """
    with open(_DIR / f"{lang}.yaml", encoding="utf-8") as f:
        data = yaml.safe_load(f)
    bad = [k for k in data if not isinstance(k, str)]
    if bad:  # YAML reads a bare yes/no/on/off key as a boolean
        raise ValueError(f"{lang}.yaml: keys must be strings, got {bad!r}")
    return {k: str(v) for k, v in data.items()}


def normalise_lang(lang: str | None) -> str:
    """``lang`` if it is a supported language code, else the default (``zh``)."""
    return lang if lang in LANGS else DEFAULT_LANG


def t(key: str, lang: str | None = DEFAULT_LANG, **fields: object) -> str:
    """The UI string ``key`` in ``lang``, formatted with ``fields``.

    Raises KeyError if ``key`` is not in the language file.
    """
    text = strings(normalise_lang(lang))[key]
    return text.format(**fields) if fields else text
