"""Pure pandas preparation of what the workbook shows (no openpyxl here).

The workbook reads only ``Results.table`` (the tidy indicator table of docs/architecture.md §3
plus the ``indicators.compare`` columns), ``Results.catalog`` and ``Results.dataset`` (units and
load report).  Nothing here groups raw records.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

#: Tolerance when comparing a value against a standard: 100% computed as 0.9999999999 passes.
STATUS_TOLERANCE = 1e-9

PASS, FAIL, NO_DATA, NO_STANDARD = "达标", "未达标", "无数据", "—"

DIRECTION_ZH = {"higher": "越高越好", "lower": "越低越好", "band": "区间内为宜"}


@dataclass(frozen=True)
class Scope:
    """What the workbook covers.

    level / unit_id / unit_name: the scope unit (``"total"`` for the whole dataset);
    levels: the hierarchy levels below the scope, top → finest;
    path_zh: e.g. ``"东城区 / 和平街道"`` (empty for the whole dataset).
    """

    level: str
    unit_id: str
    unit_name: str
    levels: list[str]
    path_zh: str


def units_with_ancestors(units: pd.DataFrame, levels: list[str]) -> dict[str, pd.DataFrame]:
    """One frame per level: the units of that level with the ids and names of all their ancestors.

    Input ``units`` (data.model): level, unit_id, unit_name, parent_id (str).
    Output ``{level: DataFrame}`` with columns unit_id, unit_name, parent_id and, for each upper
    level L, ``id__L`` and ``name__L`` (str; <NA> when the parent is unknown).  Row order is the
    hierarchy order (parents' order first, then unit_id), so sheets read top-down.
    """
    out: dict[str, pd.DataFrame] = {}
    previous: pd.DataFrame | None = None
    previous_level: str | None = None
    for level in levels:
        current = (units.loc[units["level"] == level, ["unit_id", "unit_name", "parent_id"]]
                   .astype("string").reset_index(drop=True))
        if previous is not None and previous_level is not None:
            ancestor_cols = [c for c in previous.columns if c.startswith(("id__", "name__"))]
            parents = previous[ancestor_cols + ["unit_id", "unit_name", "_order"]].rename(columns={
                "unit_id": f"id__{previous_level}", "unit_name": f"name__{previous_level}",
                "_order": "_parent_order"})
            current = current.merge(parents, how="left", left_on="parent_id",
                                    right_on=f"id__{previous_level}")
            current = current.sort_values(["_parent_order", "unit_id"], na_position="last",
                                          kind="stable").drop(columns="_parent_order")
        else:
            current = current.sort_values("unit_id", kind="stable")
        current = current.reset_index(drop=True)
        current["_order"] = np.arange(len(current))
        out[level] = current
        previous, previous_level = current, level
    return {lvl: df.drop(columns="_order") for lvl, df in out.items()}


def resolve_scope(units: pd.DataFrame, levels: list[str], level_names: dict[str, str],
                  scope: str | None, total_name: str) -> Scope:
    """Find the scope unit.  ``scope`` is None (whole dataset) or a unit_id at a level that has
    levels below it; when an id exists at several levels the coarsest wins.

    Raises ValueError (Chinese message) for an unknown id or a unit at the finest level.
    """
    if scope is None or str(scope) == "total":
        return Scope("total", "total", total_name, list(levels), "")
    matches = units.loc[units["unit_id"].astype("string") == str(scope)]
    if matches.empty:
        raise ValueError(f"找不到评议范围单位：{scope!r}（unit_id 不在单位台账中）")
    matches = matches.assign(_depth=matches["level"].map({lv: i for i, lv in enumerate(levels)}))
    row = matches.sort_values("_depth").iloc[0]
    depth = int(row["_depth"])
    if depth >= len(levels) - 1:
        raise ValueError(f"评议范围必须是有下级单位的层级，{scope!r} 属于最细层级"
                         f"“{level_names.get(levels[-1], levels[-1])}”")
    frames = units_with_ancestors(units, levels[: depth + 1])
    this = frames[row["level"]].loc[lambda d: d["unit_id"] == str(scope)].iloc[0]
    path = [this[f"name__{lv}"] for lv in levels[:depth] if pd.notna(this.get(f"name__{lv}"))]
    path.append(this["unit_name"])
    return Scope(str(row["level"]), str(scope), str(row["unit_name"]), list(levels[depth + 1:]),
                 " / ".join(str(p) for p in path))


def scoped_units(units: pd.DataFrame, all_levels: list[str], scope: Scope) -> dict[str, pd.DataFrame]:
    """Units of each level below the scope that descend from the scope unit (see
    :func:`units_with_ancestors` for columns)."""
    frames = units_with_ancestors(units, all_levels)
    if scope.level == "total":
        return {lvl: frames[lvl] for lvl in scope.levels}
    return {lvl: frames[lvl].loc[frames[lvl][f"id__{scope.level}"] == scope.unit_id]
            .reset_index(drop=True) for lvl in scope.levels}


def standard_of(indicator: Any) -> Any | None:
    """The indicator's standard (status is judged against it), or None."""
    return getattr(indicator, "standard", None)


def evaluate(values: pd.Series, standard: Any | None) -> tuple[pd.Series, pd.Series]:
    """Judge values against a standard, vectorised.

    ``values``: float Series in the indicator's unit (rates as fractions).  ``standard`` has
    ``comparison`` ('>=' | '<=' | 'between') and ``value`` or ``low``/``high``.
    Returns ``(status, gap)``: status is a string Series (:data:`PASS`, :data:`FAIL`,
    :data:`NO_DATA`, or :data:`NO_STANDARD` when ``standard`` is None); gap is a float Series in
    the value's unit — value − threshold for '>=' / '<=' (negative = short of a minimum, positive
    = over a maximum); for 'between' the distance past the nearer bound (signed, 0 inside).
    Raises ValueError for an unknown comparison.
    """
    v = pd.to_numeric(values, errors="coerce").astype("float64")
    gap = pd.Series(np.nan, index=v.index, dtype="float64")
    if standard is None:
        status = pd.Series(NO_STANDARD, index=v.index, dtype="object")
        return status, gap
    comparison = standard.comparison
    if comparison == ">=":
        gap = v - float(standard.value)
        fail = gap < -STATUS_TOLERANCE
    elif comparison == "<=":
        gap = v - float(standard.value)
        fail = gap > STATUS_TOLERANCE
    elif comparison == "between":
        low, high = float(standard.low), float(standard.high)
        gap = pd.Series(np.select([v < low, v > high], [v - low, v - high], 0.0),
                        index=v.index).where(v.notna())
        fail = (v < low - STATUS_TOLERANCE) | (v > high + STATUS_TOLERANCE)
    else:
        raise ValueError(f"unknown standard comparison {comparison!r}")
    status = pd.Series(np.where(fail, FAIL, PASS), index=v.index, dtype="object")
    status = status.where(v.notna(), NO_DATA)
    return status, gap.where(fail)


def year_table(table: pd.DataFrame, year: int) -> pd.DataFrame:
    """Rows of the indicator table for the whole ``year`` (period == "YYYY").

    Raises ValueError (Chinese message, listing the years available) when there are none.
    """
    period = str(year)
    out = table.loc[table["period"].astype("string") == period]
    if out.empty:
        years = sorted({p for p in table["period"].astype("string").dropna() if len(p) == 4})
        raise ValueError(f"指标表中没有 {year} 年的数据（可用年份：{'、'.join(years) or '无'}）")
    return out


def level_values(ytab: pd.DataFrame, level: str, unit_ids: pd.Series | None = None
                 ) -> pd.DataFrame:
    """Indicator rows of one level (optionally only some units), indexed by
    (unit_id, indicator_id), with columns value, prev_value, change, change_unit, change_good,
    rank, small_count, denominator when present."""
    rows = ytab.loc[ytab["level"] == level]
    if unit_ids is not None:
        rows = rows.loc[rows["unit_id"].astype("string").isin(unit_ids.astype("string"))]
    rows = rows.assign(unit_id=rows["unit_id"].astype("string"))
    return rows.set_index(["unit_id", "indicator_id"]).sort_index()


def wide_values(ytab: pd.DataFrame, level: str, units: pd.DataFrame, indicator_ids: list[str],
                column: str = "value") -> pd.DataFrame:
    """units × indicators matrix of ``column`` (float), rows aligned with ``units``."""
    rows = ytab.loc[ytab["level"] == level, ["unit_id", "indicator_id", column]]
    rows = rows.assign(unit_id=rows["unit_id"].astype("string"))
    wide = rows.pivot(index="unit_id", columns="indicator_id", values=column)
    wide = wide.reindex(index=units["unit_id"].astype("string"), columns=indicator_ids)
    return wide.reset_index(drop=True)
