"""Comparisons on the indicator table: year-on-year change, rank, peer-group rank, failing units
(不达标清单).

All functions take the tidy table of ``indicators.table.compute_indicators`` and return a new
DataFrame (the input is never modified).
"""
from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from indicators.catalog import CATALOG, Indicator, standard_gap

_KEYS = ["level", "unit_id", "indicator_id"]


def _meta(table: pd.DataFrame, catalog: Mapping[str, Indicator], attr: str) -> pd.Series:
    lookup = {ind_id: getattr(ind, attr) for ind_id, ind in catalog.items()}
    return table["indicator_id"].map(lookup)


def _previous_period(period: pd.Series) -> pd.Series:
    """'2025' → '2024'; '2025-03' → '2024-03' (same month a year earlier)."""
    year = pd.to_numeric(period.str.slice(0, 4), errors="coerce").astype("Int64") - 1
    return year.astype("string") + period.str.slice(4)


def add_yoy(table: pd.DataFrame, catalog: Mapping[str, Indicator] | None = None
            ) -> pd.DataFrame:
    """Add year-on-year columns: a year vs the previous year, a month vs the same month a year
    earlier (same level, unit and indicator).

    Adds prev_value (float64, NaN when there is no earlier row), change (float64: for rates —
    kind 'rate' — the difference of fractions, 0.013 = 1.3 percentage points; for everything else
    the relative change value / prev_value − 1, NaN when prev_value is 0), change_unit
    ('pp' | 'pct'), change_good (boolean: True when the change goes in the indicator's direction,
    False against it, <NA> for no change, NaN, or direction 'band'), comparable (bool: False when
    the indicator's definition changed in the row's year — ``Indicator.definition_changes``,
    manifest ``settings.definition_changes`` — so the two years measure different things: change
    is then NaN and change_good <NA> rather than a computed difference; prev_value stays for
    reference).
    With a ``provisional`` column (indicators.table) also provisional_change (bool: the change
    involves a provisional value, this one or last year's — show it marked 含暂定值).
    ``catalog`` defaults to ``CATALOG``; indicators not in it get change_unit 'pct' and
    change_good <NA>.
    """
    cat = CATALOG if catalog is None else catalog
    out = table.copy()
    period = out["period"].astype("string")
    has_prov = "provisional" in out.columns
    prev = out[_KEYS + ["period", "value"] + (["provisional"] if has_prov else [])].rename(
        columns={"period": "_prev", "value": "prev_value", "provisional": "_prev_prov"})
    prev["_prev"] = prev["_prev"].astype("string")
    out["_prev"] = _previous_period(period)
    out = out.merge(prev, on=_KEYS + ["_prev"], how="left", validate="many_to_one") \
        .drop(columns="_prev")
    is_rate = (_meta(out, cat, "kind") == "rate").to_numpy()
    value = out["value"].to_numpy(dtype="float64")
    before = out["prev_value"].to_numpy(dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = np.where(before != 0, value / np.where(before != 0, before, 1.0) - 1.0, np.nan)
    changes = {i: set(ind.definition_changes) for i, ind in cat.items() if ind.definition_changes}
    comparable = np.ones(len(out), dtype=bool)
    if changes:
        year = pd.to_numeric(out["period"].astype(str).str.slice(0, 4), errors="coerce")
        pairs = pd.MultiIndex.from_arrays([out["indicator_id"].astype(str), year])
        broken = pd.MultiIndex.from_tuples([(i, y) for i, ys in changes.items() for y in ys])
        comparable = ~pairs.isin(broken)
    change = np.where(comparable, np.where(is_rate, value - before, relative), np.nan)
    out["change"] = change
    out["change_unit"] = np.where(is_rate, "pp", "pct")
    direction = _meta(out, cat, "direction").to_numpy(dtype=object)
    good = pd.array(np.full(len(out), pd.NA), dtype="boolean")
    sign = np.sign(np.nan_to_num(change, nan=0.0))
    good[(direction == "higher") & (sign > 0)] = True
    good[(direction == "higher") & (sign < 0)] = False
    good[(direction == "lower") & (sign < 0)] = True
    good[(direction == "lower") & (sign > 0)] = False
    out["change_good"] = good
    out["comparable"] = comparable
    if has_prov:     # a change into or out of an open period is itself provisional
        before_prov = out.pop("_prev_prov").astype("boolean").fillna(False).to_numpy(bool)
        out["provisional_change"] = (out["provisional"].astype(bool).to_numpy() | before_prov) \
            & ~np.isnan(change)
    return out


def _gap(table: pd.DataFrame, catalog: Mapping[str, Indicator]) -> np.ndarray:
    """Signed gap to each row's standard (0 = met, negative = short; NaN without standard or
    before the standard's effective year)."""
    return standard_gap(table["indicator_id"], table["period"],
                        table["value"].to_numpy(dtype="float64"), catalog)


def _rank(table: pd.DataFrame, cat: Mapping[str, Indicator], by: list[str],
          rank_col: str, of_col: str) -> pd.DataFrame:
    """``table`` + ``rank_col`` / ``of_col`` (Int64) within groups ``by`` (see ``add_rank``);
    rows whose ``by`` values include a missing one are not ranked."""
    out = table.copy()
    direction = _meta(out, cat, "direction").to_numpy(dtype=object)
    value = out["value"].to_numpy(dtype="float64")
    key = np.where(direction == "higher", -value,
                   np.where(direction == "lower", value, -_gap(out, cat)))
    key[~np.isin(direction, ["higher", "lower", "band"])] = np.nan
    key[out["small_count"].to_numpy(dtype=bool) | (out["level"] == "total").to_numpy()] = np.nan
    out["_key"] = key
    groups = out.groupby(by, sort=False, observed=True, dropna=True)["_key"]
    out[rank_col] = groups.rank(method="min").astype("Int64")
    out[of_col] = groups.transform("count").astype("Int64").where(out[rank_col].notna())
    return out.drop(columns="_key")


def add_rank(table: pd.DataFrame, catalog: Mapping[str, Indicator] | None = None
             ) -> pd.DataFrame:
    """Add ``rank`` (Int64, 1 = best) and ``rank_of`` (Int64, units ranked) within each
    (level, period, indicator_id).

    Best is the highest value for direction 'higher', the lowest for 'lower', and for 'band' the
    smallest distance outside the standard's range (every unit inside the band ranks 1; a band
    indicator without a standard is not ranked). Ties share the best rank ('min'). Rows with
    small_count, NaN values, or level 'total' get rank <NA> and are not counted in rank_of.
    """
    cat = CATALOG if catalog is None else catalog
    return _rank(table, cat, ["level", "period", "indicator_id"], "rank", "rank_of")


def add_peer_rank(table: pd.DataFrame, groups: pd.DataFrame | None,
                  catalog: Mapping[str, Indicator] | None = None) -> pd.DataFrame:
    """Add ``peer_group`` (string: the unit's peer group, <NA> when it has none), ``peer_rank``
    and ``peer_rank_of`` (Int64): the rank among units of the same level, period, indicator and
    peer group (rules as ``add_rank``: direction, ties 'min', small counts and NaN not ranked).

    groups: ``indicators.peer.peer_groups`` output — level, unit_id, peer_group, and optionally
    period (groups that change with the year, such as population bands). None or empty: the
    three columns are added empty (no peer grouping configured).
    """
    cat = CATALOG if catalog is None else catalog
    out = table.copy()
    if groups is None or groups.empty:
        out["peer_group"] = pd.array([pd.NA] * len(out), dtype="string")
        out["peer_rank"] = pd.array([pd.NA] * len(out), dtype="Int64")
        out["peer_rank_of"] = pd.array([pd.NA] * len(out), dtype="Int64")
        return out
    on = [c for c in ("level", "unit_id", "period") if c in groups.columns]
    g = groups[on + ["peer_group"]].drop_duplicates(on)
    merged = out[on].astype(str).merge(g.astype({c: str for c in on}), on=on, how="left")
    out["peer_group"] = pd.array(merged["peer_group"].to_numpy(dtype=object), dtype="string")
    return _rank(out, cat, ["level", "period", "indicator_id", "peer_group"], "peer_rank",
                 "peer_rank_of")


def failing_units(table: pd.DataFrame, period: str, level: str,
                  catalog: Mapping[str, Indicator] | None = None) -> pd.DataFrame:
    """Units below standard (不达标清单) at one level and period.

    Returns level, unit_id, unit_name, indicator_id, indicator (Chinese name), value (float64),
    standard (its Chinese label), standard_source, gap (float64, value units, negative: how far
    short — for rates a fraction, −0.05 = 5 percentage points), small_count; ordered by catalog
    order then gap (worst first). Rows without a standard or value, and provisional rows (an
    open period, see ``indicators.table.provisional_flags``), never appear.
    """
    cat = CATALOG if catalog is None else catalog
    rows = table.loc[(table["period"].astype(str) == str(period))
                     & (table["level"].astype(str) == str(level))
                     & table["indicator_id"].isin([i for i, ind in cat.items()
                                                   if ind.standard is not None])]
    if "provisional" in rows.columns:     # an open period is never listed as failing
        rows = rows.loc[~rows["provisional"].astype("boolean").fillna(False).to_numpy(bool)]
    rows = rows.assign(gap=_gap(rows, cat))
    rows = rows.loc[rows["gap"] < 0]
    std = _meta(rows, cat, "standard")
    order = {ind_id: i for i, ind_id in enumerate(cat)}
    out = pd.DataFrame({
        "level": rows["level"].to_numpy(), "unit_id": rows["unit_id"].to_numpy(),
        "unit_name": rows["unit_name"].to_numpy(),
        "indicator_id": rows["indicator_id"].to_numpy(),
        "indicator": _meta(rows, cat, "name_zh").to_numpy(),
        "value": rows["value"].to_numpy(dtype="float64"),
        "standard": std.map(lambda s: s.label_zh).to_numpy(),
        "standard_source": std.map(lambda s: s.source_zh).to_numpy(),
        "gap": rows["gap"].to_numpy(dtype="float64"),
        "small_count": rows["small_count"].to_numpy(dtype=bool),
    })
    out["_o"] = out["indicator_id"].map(order)
    return out.sort_values(["_o", "gap", "unit_id"], kind="stable").drop(columns="_o") \
        .reset_index(drop=True)
