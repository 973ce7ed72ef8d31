"""A Results bundle restricted to a user's units: the only data a scoped user's pages, exports
and downloads ever see (installed into ``layouts.store`` by :func:`server.auth.install_auth`).

A scope is a frozenset of unit keys (``"district:511602"``, see ``layouts.store.unit_key``). A
user sees those units and every unit below them — never a sibling, a parent or the whole city
(a parent's figure sums the neighbours' records). With exactly one scope unit, its rows also
stand in for the ``total`` rows, so the overview opens on the user's own unit.
"""
from __future__ import annotations

import dataclasses
from typing import Any

import pandas as pd

from data.model import LoadReport
from layouts.mapview import units_under
from layouts.store import TOTAL, parse_unit_key


def allowed_units(units: pd.DataFrame, scope: frozenset[str]) -> pd.MultiIndex:
    """(level, unit_id) of every unit inside ``scope`` (the scope units and all below them).

    units: data.model ``units`` (level, unit_id, parent_id, depth). A key that names no unit
    allows nothing (fail closed); ``"total"`` is not a unit and allows nothing either (the whole
    city is granted by a scope of None, never by a key).
    """
    known = set(zip(units["level"].astype(str), units["unit_id"].astype(str)))
    keep: set[tuple[str, str]] = set()
    for key in scope:
        try:
            level, unit_id = parse_unit_key(key)
        except ValueError:
            continue
        if (level, unit_id) in known:
            keep |= units_under(units, level, unit_id)
    return pd.MultiIndex.from_tuples(sorted(keep), names=["level", "unit_id"]) if keep else \
        pd.MultiIndex.from_arrays([[], []], names=["level", "unit_id"])


def _inside(frame: pd.DataFrame, level_col: str | pd.Series, id_col: str,
            allowed: pd.MultiIndex) -> pd.Series:
    levels = frame[level_col] if isinstance(level_col, str) else level_col
    pairs = pd.MultiIndex.from_arrays([levels.astype(str).to_numpy(),
                                       frame[id_col].astype(str).to_numpy()])
    return pd.Series(pairs.isin(allowed), index=frame.index)


def _scoped_report(report: LoadReport) -> LoadReport:
    """An empty load report. Its rows carry the raw values of every unit's records (names,
    phone numbers), a rejected row often names no valid unit, and even the file list names the
    other districts (``2025_511603_演示区.xlsx``) with their row counts: a scoped user sees
    the completeness of their own units (from the indicator table) and none of it."""
    del report
    return LoadReport(sources=[], fatal=[])


def rerank_within(table: pd.DataFrame) -> pd.DataFrame:
    """Ranks among the rows present only: ``rank``/``rank_of`` within (level, period,
    indicator_id) and ``peer_rank``/``peer_rank_of`` within the peer group too, recomputed
    from the city-wide ranks (same order, ties share the best rank, unranked rows stay <NA>).
    A scoped user sees 本区排名 k/N of their own units, never their city-wide position."""
    out = table.copy()
    for rank, of, by in (("rank", "rank_of", ["level", "period", "indicator_id"]),
                         ("peer_rank", "peer_rank_of",
                          ["level", "period", "indicator_id", "peer_group"])):
        if rank not in out.columns or not set(by) <= set(out.columns):
            continue
        values = pd.to_numeric(out[rank], errors="coerce").astype("float64")
        keys = [out[c].astype("string").fillna("\x00") for c in by]
        groups = values.groupby(keys, sort=False)
        out[rank] = groups.rank(method="min").astype("Int64")
        if of in out.columns:
            out[of] = groups.transform("count").astype("Int64").where(out[rank].notna())
    return out


def restrict_results(results: Any, scope: frozenset[str]) -> Any:
    """``results`` (indicators.pipeline.Results) holding only what ``scope`` may see.

    - table: rows of units inside the scope, ranked among themselves (:func:`rerank_within`);
      with one scope unit, its rows copied as the
      ``total`` rows (unranked) and ``level_names["total"]`` set to its name;
    - dataset: levels from the highest scope level down, units inside the scope, record tables
      (unit_level, unit_id) and the grid register (finest-level id) filtered to those units;
      an empty load report (see _scoped_report).

    An empty or unknown scope gives empty tables, never more. Returns a new Results; the
    input is not modified.
    """
    dataset = results.dataset
    units = dataset.units
    allowed = allowed_units(units, scope)
    table = results.table
    own = rerank_within(table[_inside(table, "level", "unit_id", allowed).to_numpy()])
    level_names = dict(dataset.level_names)
    level_names_en = dict(dataset.level_names_en or {})
    scope_units = [parse_unit_key(k) for k in scope if k != TOTAL and ":" in k]
    scope_units = [u for u in scope_units if u in set(allowed)]
    if len(scope_units) == 1:
        level, unit_id = scope_units[0]
        top = own[(own["level"] == level) & (own["unit_id"] == unit_id)]
        as_total = top.assign(level=TOTAL, unit_id=TOTAL)
        for col in ("rank", "rank_of", "peer_rank", "peer_rank_of"):
            if col in as_total.columns:
                as_total[col] = pd.NA if as_total[col].dtype == object else float("nan")
        own = pd.concat([as_total, own], ignore_index=True)
        name = units.loc[(units["level"] == level) & (units["unit_id"] == unit_id), "unit_name"]
        level_names[TOTAL] = level_names_en[TOTAL] = str(name.iloc[0]) if len(name) else unit_id
    depths = [dataset.levels.index(lv) for lv, _ in scope_units if lv in dataset.levels]
    levels = list(dataset.levels[min(depths):]) if depths else list(dataset.levels)
    unit_mask = _inside(units, "level", "unit_id", allowed)
    tables: dict[str, pd.DataFrame] = {}
    for name_, frame in dataset.tables.items():
        if {"unit_level", "unit_id"} <= set(frame.columns):
            mask = _inside(frame, "unit_level", "unit_id", allowed)
        elif f"{dataset.finest}_id" in frame.columns:
            finest = pd.Series(dataset.finest, index=frame.index)
            mask = _inside(frame, finest, f"{dataset.finest}_id", allowed)
        else:                        # a table with no unit column: nothing of it is shown
            mask = pd.Series(False, index=frame.index)
        tables[name_] = frame[mask.to_numpy()].reset_index(drop=True)
    scoped_dataset = dataclasses.replace(
        dataset, levels=levels, level_names=level_names, level_names_en=level_names_en,
        units=units[unit_mask.to_numpy()].reset_index(drop=True), tables=tables,
        report=_scoped_report(dataset.report))
    return dataclasses.replace(results, dataset=scoped_dataset,
                               table=own.reset_index(drop=True))
