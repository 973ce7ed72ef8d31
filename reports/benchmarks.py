"""The published benchmarks a workbook uses (对标参考), with their citations.

Every standard and reference value in the indicator catalog already names its source
(``Standard.source_zh``).  For those taken from figures that Chinese cities and districts
published (``peer_cases.csv``: place, figure, value, unit, article title, author unit), this module
finds the published row, so the workbook can cite the article by title and author.

The project's copy of ``peer_cases.csv`` is expected at ``indicators/published/peer_cases.csv``
(shipped with the indicator catalog); until it is there, the shared copy the design names
(``../shared/data/published/peer_cases.csv``) is read.  No file: no article columns, the
catalog's own citation still shows.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Iterable

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent

#: Where peer_cases.csv is looked for, first match wins.
PEER_CASES_PATHS = (ROOT / "indicators" / "published" / "peer_cases.csv",
                    ROOT.parent / "shared" / "data" / "published" / "peer_cases.csv")

PEER_COLUMNS = ["place", "province", "place_type", "figure_id", "figure_zh", "value", "unit",
                "source_title_zh", "source_author_zh"]

#: Two published values are the same figure when they agree to this (relative) tolerance.
_VALUE_TOLERANCE = 1e-9


def published_figures(paths: Iterable[Path] = PEER_CASES_PATHS) -> pd.DataFrame:
    """The published figures: the first readable file of ``paths`` as a DataFrame with
    :data:`PEER_COLUMNS` (text columns as ``string``, ``value`` float64; ratios are fractions,
    0.918 = 91.8%).  An empty frame with those columns when no file exists.

    Raises ValueError when a file exists but lacks one of the columns.
    """
    for path in paths:
        if Path(path).is_file():
            frame = pd.read_csv(path, dtype="string", encoding="utf-8")
            missing = [c for c in PEER_COLUMNS if c not in frame.columns]
            if missing:
                raise ValueError(f"{path}: 缺少列 {missing}")
            frame = frame[PEER_COLUMNS].copy()
            frame["value"] = pd.to_numeric(frame["value"], errors="coerce").astype("float64")
            return frame
    empty = pd.DataFrame({c: pd.Series(dtype="string") for c in PEER_COLUMNS})
    empty["value"] = empty["value"].astype("float64")
    return empty


def _numbers(standard: Any) -> list[float]:
    out = [getattr(standard, k, None) for k in ("value", "low", "high")]
    return [float(x) for x in out if x is not None and not math.isnan(float(x))]


def benchmark_rows(indicators: Iterable[Any], figures: pd.DataFrame) -> pd.DataFrame:
    """One row per standard or reference value the ``indicators`` carry, with its citation.

    indicators: catalog ``Indicator`` objects (``standard``, ``references``; each a
        ``Standard`` with comparison, value / low / high, label_zh, source_zh, basis).
    figures: :func:`published_figures`.
    Returns columns indicator_id, role (``"standard"`` for the standard judged against,
    ``"reference"`` for a reference value), basis (``"peer"`` | ``"standard"``), label, source,
    place, figure, published_value (float64, the figure's own unit), published_unit,
    article, author — from the figures the standard declares (``Standard.figure``:
    ``'place:figure_id'``, ``'a / b'`` for a ratio of two figures, ``'a .. b'`` for a band),
    else from the published figure whose place is named in the source and whose value equals one
    of the standard's numbers (``<NA>`` when none matches).
    """
    records = []
    for ind in indicators:
        entries = ([("standard", ind.standard)] if getattr(ind, "standard", None) else [])
        entries += [("reference", r) for r in (getattr(ind, "references", ()) or ())]
        for role, std in entries:
            source = getattr(std, "source_zh", "") or ""
            match = (_match_declared(figures, getattr(std, "figure", ()) or ())
                     or _match(figures, source, _numbers(std)))
            records.append({
                "indicator_id": ind.id, "role": role, "basis": getattr(std, "basis", "standard"),
                "label": getattr(std, "label_zh", "") or "", "source": source,
                "place": match.get("place"), "figure": match.get("figure_zh"),
                "published_value": match.get("value", float("nan")),
                "published_unit": match.get("unit"), "article": match.get("source_title_zh"),
                "author": match.get("source_author_zh")})
    out = pd.DataFrame(records, columns=["indicator_id", "role", "basis", "label", "source",
                                         "place", "figure", "published_value", "published_unit",
                                         "article", "author"])
    out["published_value"] = out["published_value"].astype("float64")
    return out


def _match(figures: pd.DataFrame, source: str, numbers: list[float]) -> dict[str, Any]:
    """The first published figure whose place is named in ``source`` and whose value is one of
    ``numbers``; ``{}`` when none."""
    if figures.empty or not source or not numbers:
        return {}
    named = figures.loc[figures["place"].fillna("").map(lambda p: bool(p) and p in source)]
    for number in numbers:
        hit = named.loc[(named["value"] - number).abs()
                        <= _VALUE_TOLERANCE * max(1.0, abs(number))]
        if len(hit):
            return hit.iloc[0].to_dict()
    return {}


def _match_declared(figures: pd.DataFrame, declared: Iterable[str]) -> dict[str, Any]:
    """The published row(s) a standard names in ``Standard.figure``; ``{}`` when it names none
    or they are not in ``figures``.  A ratio ``a / b`` gives value a ÷ b and both labels; a band
    ``a .. b`` gives both labels and no single value."""
    for entry in declared:
        op = " / " if " / " in entry else " .. " if " .. " in entry else None
        keys = [k.strip() for k in (entry.split(op) if op else [entry])]
        rows = []
        for key in keys:
            place, _, figure_id = key.partition(":")
            hit = figures.loc[(figures["place"] == place) & (figures["figure_id"] == figure_id)]
            if hit.empty:
                break
            rows.append(hit.iloc[0].to_dict())
        else:
            out = dict(rows[0])
            if op == " / ":
                out["figure_zh"] = " ÷ ".join(str(r["figure_zh"]) for r in rows)
                out["value"] = rows[0]["value"] / rows[1]["value"]
                out["unit"] = f"{rows[0]['unit']}/{rows[1]['unit']}"
            elif op == " .. ":
                out["figure_zh"] = " 至 ".join(str(r["figure_zh"]) for r in rows)
                out["value"] = float("nan")
            return out
    return {}
