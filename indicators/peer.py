"""Peer groups (同类单位): which units are ranked against each other besides their whole level.

Ranking every community of a city in one list compares old compounds (老旧小区) with new
commercial estates and villages turned into communities (村改居). A manifest names a grouping in
``settings``:

- ``peer_group: community_type`` — any column of the grid register (``grids`` table). A unit's
  group is the value its grids share in their latest register (a community's type on each of its
  grids and on the community itself); a unit whose grids disagree (a street with several types)
  has no group and gets no peer rank.
- ``peer_group: population_band`` — resident population bands, per year, from the population
  denominators of the indicator table. ``population_bands: [5000, 10000, 20000]`` gives the
  thresholds in residents (bands ``< 5,000 人``, ``5,000–10,000 人``, …, ``≥ 20,000 人``);
  without it, units are split into terciles within their level and year (``人口较少`` /
  ``人口中等`` / ``人口较多``).

``peer_groups(dataset, table)`` returns the groups; ``indicators.compare.add_peer_rank`` ranks
within them.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd

from indicators.catalog import CATALOG, Indicator
from indicators.rollup import DEFAULT_TOTAL_NAME, Hierarchy

PEER_KEY = "peer_group"
BANDS_KEY = "population_bands"
POPULATION_BAND = "population_band"
TERCILE_LABELS = ("人口较少", "人口中等", "人口较多")


def peer_group_setting(config: Mapping[str, Any] | None) -> str | None:
    """The manifest's ``settings.peer_group`` (a grid-register column or ``'population_band'``),
    or None. Raises ``ValueError`` when it is not a plain column name, or when
    ``population_bands`` is not an increasing list of positive numbers."""
    settings = (config or {}).get("settings") or {}
    name = settings.get(PEER_KEY)
    if name is None:
        return None
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"settings.{PEER_KEY}: a column name of the grid register or "
                         f"'{POPULATION_BAND}': {name!r}")
    bands = settings.get(BANDS_KEY)
    if bands is not None:
        try:
            edges = [float(b) for b in bands]
        except (TypeError, ValueError):
            raise ValueError(f"settings.{BANDS_KEY}: a list of numbers: {bands!r}") from None
        if not edges or any(b <= 0 for b in edges) or edges != sorted(set(edges)):
            raise ValueError(f"settings.{BANDS_KEY}: increasing positive numbers: {bands!r}")
    return name


def population_bands(population: pd.Series, edges: list[float] | None) -> np.ndarray:
    """Band label per unit population (float, residents; NaN → None).

    edges: thresholds (``[5000, 10000]`` → ``'< 5,000 人'``, ``'5,000–10,000 人'``,
    ``'≥ 10,000 人'``; a population equal to a threshold belongs to the band above it).
    None: terciles of the given populations (``TERCILE_LABELS``), ties kept together.
    """
    pop = population.to_numpy(dtype="float64")
    out = np.full(len(pop), None, dtype=object)
    ok = ~np.isnan(pop)
    if not ok.any():
        return out
    if edges:
        labels = [f"< {edges[0]:,.0f} 人"]
        labels += [f"{lo:,.0f}–{hi:,.0f} 人" for lo, hi in zip(edges[:-1], edges[1:])]
        labels.append(f"≥ {edges[-1]:,.0f} 人")
        out[ok] = np.array(labels, dtype=object)[np.searchsorted(edges, pop[ok], side="right")]
        return out
    pct = pd.Series(pop[ok]).rank(method="min", pct=True).to_numpy()
    out[ok] = np.array(TERCILE_LABELS, dtype=object)[np.minimum((pct * 3 - 1e-9).astype(int), 2)]
    return out


def _population(table: pd.DataFrame, catalog: Mapping[str, Indicator]) -> pd.DataFrame:
    """Resident population per (level, unit_id, period) of the yearly rows: the denominator of
    any indicator whose denominator measure is ``population``."""
    ids = [i for i, ind in catalog.items() if ind.denominator == "population"]
    rows = table.loc[table["indicator_id"].isin(ids)
                     & (table["period"].astype(str).str.len() == 4)
                     & (table["level"] != "total")]
    return rows.groupby(["level", "unit_id", "period"], sort=False)["denominator"].max() \
        .rename("population").reset_index()


def _register_groups(dataset, column: str) -> pd.DataFrame:
    grids = dataset.tables.get("grids")
    if grids is None or grids.empty or column not in grids.columns:
        raise ValueError(f"settings.{PEER_KEY}: the grid register has no column {column!r}")
    latest = grids.assign(_y=grids["year"].astype("Float64").fillna(-1) if "year" in grids
                          else -1).sort_values("_y", kind="stable") \
        .drop_duplicates("unit_id", keep="last")
    hier = Hierarchy(dataset.units, dataset.levels, dataset.name or DEFAULT_TOTAL_NAME)
    codes = hier.codes(pd.Series(dataset.finest, index=latest.index), latest["unit_id"])
    value = latest[column].astype("string").str.strip().replace("", pd.NA).to_numpy(dtype=object)
    parts = []
    for level in dataset.levels:
        anc = np.where(codes >= 0, hier.ancestor[level][np.maximum(codes, 0)], -1)
        frame = pd.DataFrame({"uid": anc, "peer_group": value}).loc[anc >= 0]
        stats = frame.groupby("uid")["peer_group"].agg(["nunique", "first", "size"])
        stats = stats.loc[(stats["nunique"] == 1)
                          & (frame["peer_group"].isna().groupby(frame["uid"]).sum() == 0)]
        parts.append(pd.DataFrame({"level": level, "unit_id": hier.id_of[stats.index.to_numpy()],
                                   "peer_group": stats["first"].to_numpy(dtype=object)}))
    return pd.concat(parts, ignore_index=True)


def peer_groups(dataset, table: pd.DataFrame | None = None,
                catalog: Mapping[str, Indicator] | None = None) -> pd.DataFrame | None:
    """Peer group of every unit, from the manifest's ``settings.peer_group`` (module docstring).

    dataset: a ``data.model.Dataset`` (config, grids, units, levels); table: its tidy indicator
    table (needed for population bands); catalog: default ``CATALOG``.
    Returns None when no grouping is configured; otherwise level, unit_id, peer_group (str), and
    period ('YYYY') for population bands. Raises ``ValueError`` for a column the grid register
    does not have or malformed settings (see ``peer_group_setting``).
    """
    name = peer_group_setting(dataset.config)
    if name is None:
        return None
    if name != POPULATION_BAND:
        return _register_groups(dataset, name)
    if table is None:
        raise ValueError(f"settings.{PEER_KEY}: {POPULATION_BAND} needs the indicator table")
    pop = _population(table, CATALOG if catalog is None else catalog)
    raw = ((dataset.config or {}).get("settings") or {}).get(BANDS_KEY)
    edges = [float(b) for b in raw] if raw else None
    if edges:
        pop["peer_group"] = population_bands(pop["population"], edges)
    else:
        pop["peer_group"] = None
        for _, idx in pop.groupby(["level", "period"], sort=False).groups.items():
            pop.loc[idx, "peer_group"] = population_bands(pop.loc[idx, "population"], None)
    return pop.loc[pop["peer_group"].notna(), ["level", "unit_id", "period", "peer_group"]] \
        .reset_index(drop=True)
