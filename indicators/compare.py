"""Comparisons on the indicator table: year-on-year change, rank, failing units (不达标清单).

All functions take the tidy table of ``indicators.table.compute_indicators`` and return a new
DataFrame (the input is never modified).
"""
from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from indicators.catalog import CATALOG, Indicator

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
    False against it, <NA> for no change, NaN, or direction 'band').
    ``catalog`` defaults to ``CATALOG``; indicators not in it get change_unit 'pct' and
    change_good <NA>.
    """
    cat = CATALOG if catalog is None else catalog
    out = table.copy()
    period = out["period"].astype("string")
    prev = out[_KEYS + ["period", "value"]].rename(columns={"period": "_prev",
                                                            "value": "prev_value"})
    prev["_prev"] = prev["_prev"].astype("string")
    out["_prev"] = _previous_period(period)
    out = out.merge(prev, on=_KEYS + ["_prev"], how="left", validate="many_to_one") \
        .drop(columns="_prev")
    is_rate = (_meta(out, cat, "kind") == "rate").to_numpy()
    value = out["value"].to_numpy(dtype="float64")
    before = out["prev_value"].to_numpy(dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = np.where(before != 0, value / np.where(before != 0, before, 1.0) - 1.0, np.nan)
    change = np.where(is_rate, value - before, relative)
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
    return out


def _gap(table: pd.DataFrame, catalog: Mapping[str, Indicator]) -> np.ndarray:
    """Signed gap to each row's standard (0 = met, negative = short; NaN without standard)."""
    def field(name: str) -> np.ndarray:
        lookup = {i: getattr(ind.standard, name) for i, ind in catalog.items()
                  if ind.standard is not None}
        mapped = table["indicator_id"].map(lookup)
        return mapped.to_numpy(dtype=object if name == "comparison" else "float64",
                               na_value=None if name == "comparison" else np.nan)

    comparison, target, low, high = (field(n) for n in ("comparison", "value", "low", "high"))
    v = table["value"].to_numpy(dtype="float64")
    gap = np.full(len(table), np.nan)
    ge, le, bt = comparison == ">=", comparison == "<=", comparison == "between"
    gap[ge] = np.minimum(0.0, v[ge] - target[ge])
    gap[le] = np.minimum(0.0, target[le] - v[le])
    gap[bt] = np.minimum(0.0, np.minimum(v[bt] - low[bt], high[bt] - v[bt]))
    gap[np.isnan(v)] = np.nan
    return gap


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
    out = table.copy()
    direction = _meta(out, cat, "direction").to_numpy(dtype=object)
    value = out["value"].to_numpy(dtype="float64")
    key = np.where(direction == "higher", -value,
                   np.where(direction == "lower", value, -_gap(out, cat)))
    key[~np.isin(direction, ["higher", "lower", "band"])] = np.nan
    key[out["small_count"].to_numpy(dtype=bool) | (out["level"] == "total").to_numpy()] = np.nan
    out["_key"] = key
    groups = out.groupby(["level", "period", "indicator_id"], sort=False, observed=True)["_key"]
    out["rank"] = groups.rank(method="min").astype("Int64")
    out["rank_of"] = groups.transform("count").astype("Int64").where(out["rank"].notna())
    return out.drop(columns="_key")


def failing_units(table: pd.DataFrame, period: str, level: str,
                  catalog: Mapping[str, Indicator] | None = None) -> pd.DataFrame:
    """Units below standard (不达标清单) at one level and period.

    Returns level, unit_id, unit_name, indicator_id, indicator (Chinese name), value (float64),
    standard (its Chinese label), standard_source, gap (float64, value units, negative: how far
    short — for rates a fraction, −0.05 = 5 percentage points), small_count; ordered by catalog
    order then gap (worst first). Rows without a standard or value never appear.
    """
    cat = CATALOG if catalog is None else catalog
    rows = table.loc[(table["period"].astype(str) == str(period))
                     & (table["level"].astype(str) == str(level))
                     & table["indicator_id"].isin([i for i, ind in cat.items()
                                                   if ind.standard is not None])]
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
