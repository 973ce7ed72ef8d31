"""Auto-narrative (自动述评): one or two sentences per indicator for a unit and year.

``narrate(table, unit_id, year)`` → ``{indicator_id: sentence}``, built only from the indicator
table and the catalog, e.g.::

    办结率 91.8%，同比提高 1.3 个百分点，在 12 个街道中排名第 3，达到标准“≥ 91.8%”。
    按时办结率 88.0%，同比下降 2.0 个百分点，在 12 个街道中排名第 7。未计入：截至数据截止日未办结 3 件。

Rates change in percentage points, everything else in per cent (``indicators.compare.add_yoy``);
a change across a change of definition is called not comparable; a unit below the minimum count is
said to be left out of the ranking; a failed standard says by how much; records a rate left out
are named with their reason (``excluded_reason``). ``complaints_yoy`` is itself a change: it is
given with its sign and without a change of the change.
"""
from __future__ import annotations

import math
from typing import Mapping

import pandas as pd

from indicators.catalog import CATALOG, Indicator, format_value, status
from indicators.compare import add_rank, add_yoy
from indicators.table import PREV_YEAR

_TEXT = {
    "zh": {"sep": "，", "end": "。", "up_pp": "同比提高 {x} 个百分点", "down_pp": "同比下降 {x} 个百分点",
           "up_pct": "同比增长 {x}%", "down_pct": "同比下降 {x}%", "flat": "与上年持平",
           "not_comparable": "统计口径有调整，不与上年比较",
           "rank": "在 {n} 个{level}中排名第 {k}",
           "peer_rank": "在同类（{group}）{n} 个{level}中排名第 {k}",
           "small": "样本量不足（{den} < {min}），不参与排名",
           "meets": "达到标准“{label}”", "fails": "未达到标准“{label}”，差 {gap}",
           "excluded": "未计入：{reason}", "pp": " 个百分点",
           "provisional": "（暂定：数据截止日前 30 天内受理的工单仍可能办结，不判定达标与否）",
           "provisional_change": "（含暂定值）"},
    "en": {"sep": ", ", "end": ".", "up_pp": "up {x} pp year on year",
           "down_pp": "down {x} pp year on year", "up_pct": "up {x}% year on year",
           "down_pct": "down {x}% year on year", "flat": "unchanged year on year",
           "not_comparable": "definition changed, not compared with last year",
           "rank": "ranked {k} of {n} {level}", "peer_rank": "{k} of {n} {level} in {group}",
           "small": "too few records ({den} < {min}) to be ranked",
           "meets": "meets the standard ({label})", "fails": "below the standard ({label}) by {gap}",
           "excluded": "Left out: {reason}", "pp": " pp",
           "provisional": " (provisional: tickets received within 30 days of the cut-off may "
                          "still close; not judged against the standard)",
           "provisional_change": " (includes a provisional value)"},
}


def _plural(noun: str) -> str:
    """'community' → 'communities', 'street' → 'streets' (English level names)."""
    if noun.endswith("y") and noun[-2:-1] not in ("a", "e", "o", "u"):
        return noun[:-1] + "ies"
    return noun if noun.endswith("s") else noun + "s"


def _num(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.1f}"


def _change(ind: Indicator, r: pd.Series, t: dict[str, str]) -> str | None:
    if not bool(r.get("comparable", True)):
        return t["not_comparable"]
    change = r.get("change")
    if change is None or pd.isna(change):
        return None
    x = round(abs(float(change)) * 100, 1)
    marked = t["provisional_change"] if _flag(r.get("provisional_change")) else ""
    if x == 0:
        return t["flat"] + marked
    unit = "pp" if ind.kind == "rate" else "pct"
    return t[("up_" if change > 0 else "down_") + unit].format(x=f"{x:.1f}") + marked


def _flag(value) -> bool:
    """A boolean cell that may be missing or NA."""
    return value is not None and not pd.isna(value) and bool(value)


def _gap_text(ind: Indicator, gap: float, lang: str, t: dict[str, str]) -> str:
    if ind.kind == "rate":
        return f"{abs(gap) * 100:.1f}{t['pp']}"
    return format_value(ind, abs(gap), lang)


def _sentence(ind: Indicator, r: pd.Series, level_name: str, lang: str) -> str:
    t = _TEXT[lang]
    value = format_value(ind, r["value"], lang)
    if ind.denominator == PREV_YEAR:      # itself a change: signed, and no change of a change
        parts = [f"{ind.name(lang)} {'+' if r['value'] > 0 else ''}{value}"]
        change = None
    else:
        parts = [f"{ind.name(lang)} {value}"
                 + (t["provisional"] if _flag(r.get("provisional")) else "")]
        change = _change(ind, r, t)
    if change:
        parts.append(change)
    if r["level"] != "total":
        if bool(r["small_count"]):
            parts.append(t["small"].format(den=_num(r["denominator"]) if pd.notna(
                r["denominator"]) else "0", min=ind.min_count))
        elif pd.notna(r.get("rank", pd.NA)):
            parts.append(t["rank"].format(n=int(r["rank_of"]), k=int(r["rank"]),
                                          level=level_name))
            group = r.get("peer_group")
            if pd.notna(r.get("peer_rank", pd.NA)) and group is not None and pd.notna(group):
                parts.append(t["peer_rank"].format(group=group, n=int(r["peer_rank_of"]),
                                                   k=int(r["peer_rank"]), level=level_name))
    verdict = status(ind, r["value"], r["period"], _flag(r.get("provisional")))
    if verdict in ("meets", "fails"):
        label = ind.standard.label_en if lang == "en" else ind.standard.label_zh
        if verdict == "meets":
            parts.append(t["meets"].format(label=label))
        else:
            gap = ind.standard.gap(float(r["value"]))
            parts.append(t["fails"].format(label=label, gap=_gap_text(ind, gap, lang, t)))
    text = t["sep"].join(parts) + t["end"]
    reason = r.get("excluded_reason", "")
    if lang == "zh" and isinstance(reason, str) and reason:
        text += t["excluded"].format(reason=reason) + t["end"]
    elif lang == "en" and ind.excluded and pd.notna(r.get("excluded")) and r["excluded"] > 0:
        text += " " + t["excluded"].format(reason=f"{_num(r['excluded'])} "
                                           f"({'; '.join(e.reason_en for e in ind.excluded)})") \
            + t["end"]
    return text


def narrate(table: pd.DataFrame, unit_id: str, year: int | str,
            catalog: Mapping[str, Indicator] | None = None, lang: str = "zh",
            level: str | None = None, level_names: Mapping[str, str] | None = None
            ) -> dict[str, str]:
    """One or two sentences per indicator for one unit and year.

    table: the tidy indicator table, ideally ``Results.table`` (with add_yoy's change,
    change_unit, comparable and add_rank's rank, rank_of; peer_group / peer_rank are used when
    present); a table without them gets ``add_yoy`` and ``add_rank`` here (it must then hold the
    previous year's rows and the other units of the level). unit_id: ``'total'`` for the whole
    dataset; level: needed only when the id occurs at several levels. year: 2025 or ``'2025'``.
    catalog: default ``CATALOG`` (pass ``Results.catalog`` for the dataset's standards).
    lang: ``'zh'`` (default) or ``'en'``. level_names: display names of levels (default
    ``data.model.LEVEL_NAMES_ZH`` / ``_EN``), as in "在 12 个街道中排名第 3".
    Returns ``{indicator_id: sentence}`` in catalog order, for the indicators with a value;
    empty when the unit has no row that year. Raises ``ValueError`` for an unknown ``lang`` or
    a unit id found at several levels without ``level``.
    """
    if lang not in _TEXT:
        raise ValueError(f"lang must be one of {sorted(_TEXT)}: {lang!r}")
    cat = CATALOG if catalog is None else catalog
    if "change" not in table.columns:
        table = add_yoy(table, cat)
    if "rank" not in table.columns:
        table = add_rank(table, cat)
    rows = table.loc[(table["unit_id"].astype(str) == str(unit_id))
                     & (table["period"].astype(str) == str(year))]
    if level is not None:
        rows = rows.loc[rows["level"].astype(str) == level]
    if rows["level"].nunique() > 1:
        raise ValueError(f"unit {unit_id!r} exists at levels {sorted(rows['level'].unique())}: "
                         f"name the level")
    if level_names is None:
        from data.model import LEVEL_NAMES_EN, LEVEL_NAMES_ZH
        level_names = LEVEL_NAMES_EN if lang == "en" else LEVEL_NAMES_ZH
    by_id = {r["indicator_id"]: r for _, r in rows.iterrows()}
    out = {}
    for ind_id, ind in cat.items():
        r = by_id.get(ind_id)
        if r is None or r["value"] is None or (isinstance(r["value"], float)
                                                and math.isnan(r["value"])):
            continue
        name = level_names.get(str(r["level"]), str(r["level"]))
        out[ind_id] = _sentence(ind, r, name if lang == "zh" else _plural(name.lower()), lang)
    return out
