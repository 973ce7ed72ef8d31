"""The benchmarks a workbook uses (对标参考): every standard and reference value, with citations.

Every standard and reference value in the indicator catalog names its source
(``Standard.source_zh``); those taken from figures that Chinese cities and districts published are
joined to ``indicators/published/peer_cases.csv`` by :func:`indicators.benchmarks.benchmarks`
(place, figure, published value, article, author).  This module lists them all — the ones without
a published figure too, so the sheet shows every number units are judged against.
"""
from __future__ import annotations

from typing import Any, Iterable

import pandas as pd

from indicators.benchmarks import benchmarks

#: Columns of :func:`benchmark_rows`.
COLUMNS = ["indicator_id", "role", "basis", "label", "source", "place", "figure",
           "published_value", "published_unit", "article", "author"]


def benchmark_rows(indicators: Iterable[Any], cases: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per standard or reference value of ``indicators`` and per published figure it
    was taken from (a standard two places published gives two rows; one without a published
    figure gives one row with the figure columns empty), in catalog order.

    indicators: catalog ``Indicator`` objects (``standard``, ``references``: ``Standard`` with
        label_zh, source_zh, basis and ``figure``).
    cases: the published figures (default: ``indicators.benchmarks.peer_cases()``).
    Returns :data:`COLUMNS`: role ``"standard"`` (judged against) or ``"reference"`` (a reference
    line only); basis ``"peer"`` | ``"standard"``; label and source the catalog's; place, figure
    (Chinese name), published_value (float64, in the figure's own unit; a ratio for ``a / b``, the
    low end of a band), published_unit, article, author from the published figure.
    Raises what ``indicators.benchmarks.benchmarks`` raises for a figure not in ``cases``.
    """
    inds = list(indicators)
    published = benchmarks({i.id: i for i in inds}, cases)
    records = []
    for ind in inds:
        entries = [("standard", ind.standard)] if getattr(ind, "standard", None) else []
        entries += [("reference", r) for r in (getattr(ind, "references", ()) or ())]
        for role, std in entries:
            label = getattr(std, "label_zh", "") or ""
            base = {"indicator_id": ind.id, "role": role,
                    "basis": getattr(std, "basis", "standard"), "label": label,
                    "source": getattr(std, "source_zh", "") or ""}
            found = published.loc[(published["indicator_id"] == ind.id)
                                  & (published["role"] == role)
                                  & (published["label_zh"] == label)]
            if found.empty:
                records.append(base)
            for rec in found.itertuples(index=False):
                records.append({**base, "place": rec.place, "figure": rec.figure_zh,
                                "published_value": rec.published_value,
                                "published_unit": rec.published_unit, "article": rec.article,
                                "author": rec.author})
    out = pd.DataFrame(records, columns=COLUMNS)
    out["published_value"] = out["published_value"].astype("float64")
    return out
