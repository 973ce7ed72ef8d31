"""Published benchmarks (对标参考): peer_cases.csv joined to the indicator catalog.

``indicators/published/peer_cases.csv`` (copied from ``/work/shared/data/published/``; sources in
``indicators/published/README.md``) holds 70 figures that ten Chinese cities and districts
published. A catalog standard or reference names the figures it was taken from in its ``figure``
field (catalog.yaml), as ``place:figure_id``; ``a / b`` is the ratio of two figures (华阴市 4,149
grid workers / 519 grids) and ``a .. b`` a band (池州市 300 .. 500 households per grid). This
module resolves those names, so the match is declared once, in the catalog, and every view and the
workbook can show a published figure as a reference line with its citation.

- ``peer_cases()``: the published figures as a DataFrame.
- ``figure_value(expression, cases)``: the number a ``figure`` expression stands for.
- ``benchmarks(catalog)``: one row per (standard or reference, published figure) with value,
  place, article and author.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Mapping

import pandas as pd

from indicators.catalog import CATALOG, Indicator

PEER_CASES_PATH = Path(__file__).parent / "published" / "peer_cases.csv"
PEER_COLUMNS = ["place", "province", "place_type", "figure_id", "figure_zh", "value", "unit",
                "source_title_zh", "source_author_zh"]
BENCHMARK_COLUMNS = ["indicator_id", "role", "basis", "comparison", "value", "low", "high",
                     "label_zh", "label_en", "source_zh", "expression", "place", "figure_ids",
                     "figure_zh", "published_value", "published_unit", "article", "author",
                     "citation_zh"]

_REF = re.compile(r"^\s*([^:]+?)\s*:\s*([a-z0-9_]+)\s*$")


def peer_cases(path: Path | str = PEER_CASES_PATH) -> pd.DataFrame:
    """The published figures: columns ``PEER_COLUMNS`` (text as str, ``value`` float64; ratios
    are fractions, 0.918 = 91.8%), one row per (place, figure_id). Raises ``ValueError`` when a
    column is missing or a (place, figure_id) pair repeats, ``OSError`` when the file is
    unreadable."""
    frame = pd.read_csv(path, dtype=str, encoding="utf-8", keep_default_na=False)
    missing = [c for c in PEER_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: missing columns {missing}")
    frame = frame[PEER_COLUMNS].copy()
    frame["value"] = pd.to_numeric(frame["value"], errors="raise").astype("float64")
    if frame.duplicated(["place", "figure_id"]).any():
        raise ValueError(f"{path}: a (place, figure_id) pair repeats")
    return frame


def _rows(expression: str, cases: pd.DataFrame) -> list[pd.Series]:
    """The peer_cases rows an expression names, in order; ``KeyError`` for an unknown one."""
    parts = re.split(r"\s+(?:/|\.\.)\s+", expression.strip())
    out = []
    for part in parts:
        m = _REF.match(part)
        if not m:
            raise ValueError(f"not a figure reference (place:figure_id): {part!r}")
        hit = cases.loc[(cases["place"] == m.group(1)) & (cases["figure_id"] == m.group(2))]
        if hit.empty:
            raise KeyError(f"no published figure {part!r} in peer_cases.csv")
        out.append(hit.iloc[0])
    return out


def figure_value(expression: str, cases: pd.DataFrame | None = None) -> float | tuple[float, float]:
    """The number a catalog ``figure`` expression stands for.

    ``'奉新县:resolution_rate'`` → 0.918; ``'华阴市:grid_workers / 华阴市:grids'`` → 4149 / 519;
    ``'池州市:households_per_grid_min .. 池州市:households_per_grid_max'`` → (300.0, 500.0).
    ``cases`` defaults to ``peer_cases()``. Raises ``KeyError`` for a figure not in the file and
    ``ValueError`` for a malformed expression.
    """
    cases = peer_cases() if cases is None else cases
    rows = _rows(expression, cases)
    if " / " in expression:
        return float(rows[0]["value"]) / float(rows[1]["value"])
    if " .. " in expression:
        return float(rows[0]["value"]), float(rows[1]["value"])
    return float(rows[0]["value"])


def benchmarks(catalog: Mapping[str, Indicator] | None = None,
               cases: pd.DataFrame | None = None) -> pd.DataFrame:
    """Published figures matched to indicators: one row per catalog standard or reference that
    names a ``figure``, and per figure expression it names (two places publishing the same 18
    community workers per 10,000 give two rows).

    Columns (``BENCHMARK_COLUMNS``): indicator_id; role (``'standard'`` — the standard units are
    judged against — or ``'reference'`` — a reference line only); basis (``'standard'`` |
    ``'peer'``); comparison, value, low, high (the catalog's target in the indicator's value
    units, float64); label_zh, label_en, source_zh (the catalog's); expression (the ``figure``
    text); place, figure_ids (``'grid_workers / grids'``), figure_zh, published_value (float64:
    the figure computed from peer_cases.csv, a ratio for ``/``, the low end for a band),
    published_unit, article (source_title_zh), author (source_author_zh), citation_zh
    (``'奉新县：“码”上办办结率（《…》，记者报道）'``). Standards overridden by the dataset
    manifest carry no figure and do not appear. Raises like ``figure_value``.
    """
    cat = CATALOG if catalog is None else catalog
    cases = peer_cases() if cases is None else cases
    records = []
    for ind in cat.values():
        entries = [("standard", ind.standard)] if ind.standard is not None else []
        entries += [("reference", r) for r in ind.references]
        for role, std in entries:
            for expression in std.figure:
                rows = _rows(expression, cases)
                value = figure_value(expression, cases)
                first = rows[0]
                names = "、".join(dict.fromkeys(str(r["figure_zh"]) for r in rows))
                records.append({
                    "indicator_id": ind.id, "role": role, "basis": std.basis,
                    "comparison": std.comparison, "value": std.value, "low": std.low,
                    "high": std.high, "label_zh": std.label_zh, "label_en": std.label_en,
                    "source_zh": std.source_zh, "expression": expression,
                    "place": first["place"],
                    "figure_ids": " / ".join(str(r["figure_id"]) for r in rows),
                    "figure_zh": names,
                    "published_value": value[0] if isinstance(value, tuple) else value,
                    "published_unit": "" if " / " in expression else first["unit"],
                    "article": first["source_title_zh"], "author": first["source_author_zh"],
                    "citation_zh": f"{first['place']}：{names}（《{first['source_title_zh']}》，"
                                   f"{first['source_author_zh']}）"})
    out = pd.DataFrame(records, columns=BENCHMARK_COLUMNS)
    for col in ("value", "low", "high", "published_value"):
        out[col] = out[col].astype("float64")
    return out
