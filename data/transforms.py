"""The manifest's declarative text transforms, applied per canonical column to raw text.

Every transform maps a pandas ``str`` Series to a ``str`` Series (``""`` = empty) and leaves empty
cells empty. A value a transform cannot handle is left unchanged, so that the validation rule that
follows (``bad_date``, ``not_a_number``, ``unknown_unit`` …) reports it with its original text
instead of it disappearing silently.

=================  ==========================================================================
``strip``          remove leading/trailing whitespace (including the full-width space U+3000)
``upper/lower``    change case
``{zfill: N}``     left-pad with zeros to N characters (``"101"`` → ``"0101"``)
``{regex: P}``     keep the first capture group of the first match of P, or the whole match;
                   empty when P does not match (the one transform that does not keep the text)
``{replace: [A, B]}``  replace every literal A by B
``{map: {A: B}}``  replace whole values found in the map; others unchanged
``{date_format: F}``  parse with the strftime format F and write ISO ``YYYY-MM-DD HH:MM:SS``
``{number: true}`` full-width digits → ASCII; drop thousands separators (, ，) and spaces
=================  ==========================================================================
"""
from __future__ import annotations

import re
import warnings

import pandas as pd

from .textops import strip

#: full-width digits, point, signs and comma (typed with a Chinese input method) → ASCII
FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９．－＋，", "0123456789.-+,")
ISO_FORMAT = "%Y-%m-%d %H:%M:%S"


def _nonempty(s: pd.Series) -> pd.Series:
    return s != ""


def apply_transform(s: pd.Series, name: str, arg: object) -> pd.Series:
    """Apply one transform (see module docstring) to a ``str`` Series; returns a new Series."""
    if name == "strip":
        return strip(s)
    if name == "upper":
        return s.str.upper()
    if name == "lower":
        return s.str.lower()
    if name == "zfill":
        return s.where(~_nonempty(s), s.str.zfill(int(arg)))
    if name == "regex":
        pattern = str(arg)
        if re.compile(pattern).groups == 0:
            pattern = f"({pattern})"
        # Replace the whole value by group 1 of the first match: vectorised in Arrow (RE2); a
        # value the pattern does not match becomes empty (issue 12: "A2区…" → "A2区", a subject
        # naming no district → no district). Patterns RE2 cannot run fall back to Python re.
        try:
            with warnings.catch_warnings():  # "has match groups": only the match is wanted here
                warnings.simplefilter("ignore", UserWarning)
                hit = s.str.contains(pattern, regex=True)
            return s.str.replace(f"(?s)^.*?(?:{pattern}).*$", r"\1", regex=True).where(hit, "")
        except Exception:  # noqa: BLE001 - pyarrow raises ArrowInvalid/NotImplemented variants
            got = s.astype(object).str.extract(pattern, expand=True)[0]
            return got.fillna("").astype("str")
    if name == "replace":
        old, new = arg
        return s.str.replace(old, new, regex=False)
    if name == "map":
        mapping = dict(arg)
        mapped = s.map(mapping)
        return mapped.where(mapped.notna(), s).astype("str")
    if name == "date_format":
        ts = pd.to_datetime(s.where(_nonempty(s)), format=str(arg), errors="coerce")
        return ts.dt.strftime(ISO_FORMAT).where(ts.notna(), s).astype("str")
    if name == "number":
        return (s.str.translate(FULLWIDTH_DIGITS)
                .str.replace(r"[,\s\u3000\u2009]", "", regex=True))
    raise ValueError(f"unknown transform {name!r}")


def apply_transforms(s: pd.Series, steps: tuple) -> pd.Series:
    """Apply ``steps`` — a tuple of ``(name, argument)`` pairs from the manifest — in order."""
    for name, arg in steps:
        s = apply_transform(s, name, arg)
    return s
