"""Text for people: catalog texts (formulas, standard sources, reference labels) without the
developer's bookkeeping — file names (``peer_cases.csv``), setting keys
(``settings.score_weights``), document names (``DESIGN.md §4``) — before they reach a screen,
a workbook or a report.

The catalog (indicators/catalog.yaml) keeps these notes for maintainers; :func:`plain_text` drops
them for display and :func:`plain_indicator` returns an ``Indicator`` whose texts are all plain.
"""
from __future__ import annotations

import dataclasses
import re
from typing import Any

#: ``；peer_cases.csv`` / ``, DESIGN.md §4`` / `` (peer_cases.csv)`` — a separator, then a file
#: name with a developer's extension and an optional section mark
_FILE = re.compile(r"(?:\s*[；;，,、]\s*|\s+)?[\w./-]+\.(?:csv|tsv|xlsx|xls|yaml|yml|json|py|md|txt)"
                   r"(?:\s*§\s*\d+)?(?![\w])", re.I)
#: ``settings.score_weights`` → the words a user sees in the dataset's settings
_SETTING = re.compile(r"\s*(?:the\s+manifest\s+sets\s+)?settings\.[A-Za-z_][\w.]*\s*")
_EMPTY_BRACKETS = re.compile(r"[（(]\s*[）)]")
_DANGLING = re.compile(r"[（(]\s*[；;，,、]\s*|\s*[；;，,、]\s*(?=[）)])")

SETTING_WORDS = {"zh": "的权重设置", "en": " the dataset's weight settings change them"}
#: ``设计文档 §4 所引`` — a pointer into the developers' design document
_DESIGN_DOC = re.compile(r"设计文档\s*§\s*\d+\s*所引")


def plain_text(text: Any, lang: str = "zh") -> str:
    """``text`` without file names, setting keys and document names (see module doc).

    ``"奉新县办结率 91.8%（记者报道；peer_cases.csv）"`` → ``"奉新县办结率 91.8%（记者报道）"``;
    ``"可在数据集清单 settings.score_weights 中修改"`` → ``"可在数据集清单的权重设置中修改"``.
    None and NaN give ``""``."""
    if text is None or (isinstance(text, float) and text != text):
        return ""
    out = str(text)
    out = _SETTING.sub(SETTING_WORDS["en" if lang == "en" else "zh"], out)
    out = _DESIGN_DOC.sub("", out)
    out = _FILE.sub("", out)
    out = _DANGLING.sub(lambda m: m.group(0).strip()[0] if m.group(0).strip()[0] in "（(" else "",
                        out)
    out = _EMPTY_BRACKETS.sub("", out)
    return re.sub(r"\s{2,}", " ", out).strip()


_TEXT_FIELDS = ("formula_zh", "formula_en", "source_zh", "source_en", "label_zh", "label_en")


def _plain_fields(obj: Any) -> Any:
    if obj is None or not dataclasses.is_dataclass(obj):
        return obj
    changes = {f: plain_text(getattr(obj, f), "en" if f.endswith("_en") else "zh")
               for f in _TEXT_FIELDS if isinstance(getattr(obj, f, None), str)}
    return dataclasses.replace(obj, **changes) if changes else obj


def plain_indicator(ind: Any) -> Any:
    """A copy of an ``indicators.catalog.Indicator`` whose formula and whose standard's and
    references' labels and sources are :func:`plain_text`; anything else is returned as is."""
    if not dataclasses.is_dataclass(ind):
        return ind
    out = _plain_fields(ind)
    changes: dict[str, Any] = {}
    if getattr(ind, "standard", None) is not None:
        changes["standard"] = _plain_fields(ind.standard)
    if getattr(ind, "references", None):
        changes["references"] = tuple(_plain_fields(r) for r in ind.references)
    return dataclasses.replace(out, **changes) if changes else out
