"""The tidy indicator table (指标长表): the contract between computation and presentation.

``compute_indicators(dataset)`` → one row per (level, unit, period, indicator) with the columns of
docs/architecture.md §3. Every value is a ratio of sums of additive measures at its level and
period (never a mean of rates); medians come from the summed handling-hours histogram.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from indicators.catalog import Indicator, catalog_for
from indicators.measures import compute_measures, histogram_median
from indicators.rollup import TOTAL_LEVEL, Cube, rollup
from indicators.score import COMPOSITE_ID, composite_rows

COLUMNS = ["level", "unit_id", "unit_name", "period", "indicator_id", "numerator",
           "denominator", "value", "small_count", "excluded", "excluded_reason", "provisional"]

#: Derived denominators that are not stored measures.
PREV_YEAR = "received_prev_year"
HISTOGRAM = "handling_hours_histogram"


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="float64" if c in ("numerator", "denominator",
                                                                "value", "excluded")
                                      else "bool" if c in ("small_count", "provisional")
                                      else "object")
                         for c in COLUMNS})


def computable(ind: Indicator, available: set[str]) -> bool:
    """True when every measure ``ind`` needs is available (its table and columns are present).
    The composite score (kind 'score') is derived from other rows, never from measures."""
    if ind.kind == "score":
        return False
    needed = {ind.numerator} | ({ind.denominator} - {"", PREV_YEAR})
    return needed <= available


def _ratio(num: np.ndarray, den: np.ndarray, scale: float) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0) * scale, np.nan)


def _indicator_rows(ind: Indicator, cube: Cube, rows: pd.DataFrame,
                    medians: pd.DataFrame | None) -> pd.DataFrame | None:
    """Numerator, denominator, value, excluded of one indicator over the cube ``rows``."""
    m = rows
    if ind.kind == "median":
        if "median_hours" not in m.columns and medians is None:
            return None
        m = m.loc[m[ind.denominator].notna()]
        if "median_hours" not in m.columns:   # a cube without rollup's bin medians
            m = m.merge(medians, on=["level", "unit_id", "period"], how="left")
        value = (m["median_hours"] / 24.0).to_numpy()
        num, den = value, m[ind.denominator].to_numpy(dtype="float64")
    elif ind.denominator == PREV_YEAR:
        m = m.loc[m[ind.numerator].notna()]
        full = cube.complete_years.get(ind.table, set())
        prev = cube.measures.loc[cube.measures["period_kind"] == "year",
                                 ["level", "unit_id", "year", ind.numerator]]
        prev = prev.assign(year=prev["year"] + 1).rename(columns={ind.numerator: PREV_YEAR})
        m = m.merge(prev, on=["level", "unit_id", "year"], how="left")
        ok = m["year"].isin(full).to_numpy() & m["year"].sub(1).isin(full).to_numpy()
        num = m[ind.numerator].to_numpy(dtype="float64")
        den = np.where(ok, m[PREV_YEAR].to_numpy(dtype="float64"), np.nan)
        value = _ratio(num, den, 1.0) - 1.0
    elif ind.kind == "count":    # value = the sum; the denominator, if any, is for reference
        m = m.loc[m[ind.numerator].notna()]
        num = m[ind.numerator].to_numpy(dtype="float64")
        den = (m[ind.denominator].to_numpy(dtype="float64") if ind.denominator in m.columns
               else np.full(len(m), np.nan))
        value = num * ind.scale
    else:
        m = m.loc[m[ind.numerator].notna()]
        num = m[ind.numerator].to_numpy(dtype="float64")
        den = m[ind.denominator].to_numpy(dtype="float64")
        value = _ratio(num, den, ind.scale)
    excluded, reason = _exclusions(ind, m)
    small = (np.nan_to_num(den, nan=np.inf) < ind.min_count) if ind.min_count else \
        np.zeros(len(m), dtype=bool)
    return pd.DataFrame({"level": m["level"].to_numpy(), "unit_id": m["unit_id"].to_numpy(),
                         "unit_name": m["unit_name"].to_numpy(),
                         "period": m["period"].to_numpy(), "indicator_id": ind.id,
                         "numerator": num, "denominator": den, "value": value,
                         "small_count": small, "excluded": excluded,
                         "excluded_reason": reason})


def _exclusions(ind: Indicator, rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Records ``ind`` leaves out on each cube row: their total (float64; NaN when the indicator
    excludes nothing or none of its exclusion measures is available) and the reason in Chinese
    with a count per reason (``'截至数据截止日未办结 2 件；已办结但无办理时限 1 件'``, ``''`` when
    nothing was left out)."""
    present = [e for e in ind.excluded if e.measure in rows.columns]
    total = np.full(len(rows), np.nan)
    reason = np.full(len(rows), "", dtype=object)
    for e in present:
        count = rows[e.measure].to_numpy(dtype="float64")
        total = np.where(np.isnan(total), np.nan_to_num(count), total + np.nan_to_num(count))
        text = pd.Series(np.nan_to_num(count)).round().astype("int64").map("{:,}".format) \
            .to_numpy(dtype=object)
        part = np.where(count > 0, f"{e.reason_zh} " + text + f" {e.unit_zh}", "")
        reason = np.where((reason != "") & (part != ""), reason + "；" + part, reason + part)
    return total, reason.astype(object)


def period_end(period: pd.Series) -> pd.Series:
    """The first instant after each period ('2025' → 2026-01-01, '2025-03' → 2025-04-01),
    datetime64; NaT for a label that is neither."""
    text = period.astype(str)
    year = pd.to_numeric(text.str.slice(0, 4), errors="coerce")
    month = pd.to_numeric(text.str.slice(5, 7), errors="coerce")
    is_month = text.str.len() == 7
    nxt_year = np.where(is_month, year + (month == 12), year + 1)
    nxt_month = np.where(is_month, month % 12 + 1, 1)
    return pd.to_datetime(pd.DataFrame({"year": nxt_year, "month": nxt_month, "day": 1}),
                          errors="coerce")


def provisional_flags(table: pd.DataFrame, catalog: Mapping[str, Indicator], cutoff,
                      recent: np.ndarray | None = None) -> np.ndarray:
    """Open periods (暂定): True where a row's outcome can still change after the data cut-off.

    A row of an indicator with ``maturity_days`` = d is provisional when its period ends less
    than d days before the cut-off: (first instant after the period) + d days > (last counted
    instant of the cut-off, ``measures.effective_cutoff``) — a month of tickets that may still
    close. d = 0 marks only a period not over at the cut-off; ``maturity_days`` None (registers)
    never. ``recent`` (aligned with ``table``): the row's valid tickets received within
    ``measures.RESOLUTION_WINDOW_DAYS`` of the cut-off (``immature_30d``; NaN = unknown): a
    ticket indicator with d = that window whose row has none of them is final after all — no
    ticket of it can still change. The composite score is provisional where any scored
    indicator of the same unit and period is. No cut-off: nothing is provisional. Returns a
    bool array aligned with ``table``.
    """
    from indicators.measures import RESOLUTION_WINDOW_DAYS, effective_cutoff

    cut = effective_cutoff(cutoff)
    out = np.zeros(len(table), dtype=bool)
    if cut is None or not len(table):
        return out
    days = table["indicator_id"].map({i: ind.maturity_days for i, ind in catalog.items()
                                      if ind.maturity_days is not None}).astype("float64")
    has = days.notna().to_numpy()
    if has.any():
        end = period_end(table["period"])
        ready = end + pd.to_timedelta(days.fillna(0), unit="D")
        # to the second: a cut-off of 23:59:59 covers its whole day
        out = has & (ready > cut + pd.Timedelta(seconds=1)).fillna(False).to_numpy(bool)
        if recent is not None:
            window = table["indicator_id"].map(
                {i: ind.table == "complaints" and ind.maturity_days == RESOLUTION_WINDOW_DAYS
                 for i, ind in catalog.items()}).fillna(False).to_numpy(dtype=bool)
            none_recent = np.asarray(recent, dtype="float64") == 0     # NaN: unknown, kept
            out = out & ~(window & none_recent)
    if COMPOSITE_ID in catalog:
        scored = [i for i, ind in catalog.items() if ind.score_weight > 0]
        keys = ["level", "unit_id", "period"]
        hit = table.loc[out & table["indicator_id"].isin(scored).to_numpy(), keys] \
            .drop_duplicates()
        if len(hit):
            comp = (table["indicator_id"] == COMPOSITE_ID).to_numpy()
            idx = pd.MultiIndex.from_frame(table[keys].astype(str))
            out = out | (comp & idx.isin(pd.MultiIndex.from_frame(hit.astype(str))))
    return out


def indicators_from_cube(cube: Cube, catalog: Mapping[str, Indicator], cutoff=None,
                         units: pd.DataFrame | None = None) -> pd.DataFrame:
    """The tidy indicator table from a rolled-up ``Cube`` (see ``compute_indicators``);
    ``cutoff``: the dataset's data cut-off, for the ``provisional`` column; ``units``: the
    dataset's units, for own indicators over a count of units (``indicators.custom``)."""
    from indicators.custom import add_columns
    cube = add_columns(cube, catalog, units)
    medians = None
    if cube.histogram is not None and "median_hours" not in cube.measures.columns:
        medians = histogram_median(cube.histogram, ["level", "unit_id", "period"])
        for col in ("level", "unit_id", "period"):
            medians[col] = medians[col].astype(str)
    parts = []
    for ind in catalog.values():
        # the column the rows are selected on: the histogram's ticket count for medians
        driver = ind.denominator if ind.kind == "median" else ind.numerator
        if not computable(ind, cube.available) or driver not in cube.measures.columns:
            continue
        rows = cube.measures.loc[cube.measures["period_kind"].isin(ind.periods)]
        part = _indicator_rows(ind, cube, rows, medians)
        if part is not None and len(part):
            parts.append(part)
    if not parts:
        return _empty()
    table = pd.concat(parts, ignore_index=True)
    if COMPOSITE_ID in catalog:
        composite = composite_rows(table, catalog)
        if len(composite):
            table = pd.concat([table, composite], ignore_index=True)
    order = {lv: i for i, lv in enumerate([TOTAL_LEVEL, *cube.levels])}
    ind_order = {ind_id: i for i, ind_id in enumerate(catalog)}
    table = table.assign(_i=table["indicator_id"].map(ind_order),
                         _l=table["level"].map(order)) \
        .sort_values(["_i", "_l", "period", "unit_id"], kind="stable") \
        .drop(columns=["_i", "_l"]).reset_index(drop=True)
    for col in ("level", "unit_id", "unit_name", "period", "indicator_id", "excluded_reason"):
        table[col] = table[col].astype("str")
    table["small_count"] = table["small_count"].astype(bool)
    recent = None
    if "immature_30d" in cube.measures.columns:
        keys = ["level", "unit_id", "period"]
        recent = table[keys].merge(cube.measures[keys + ["immature_30d"]].astype(
            {k: str for k in keys}), on=keys, how="left")["immature_30d"].to_numpy()
    table["provisional"] = provisional_flags(table, catalog, cutoff, recent)
    return table[COLUMNS]


def compute_indicators(dataset, periods: tuple[str, ...] = ("year", "month"),
                       catalog: Mapping[str, Indicator] | None = None,
                       engine: str = "pandas") -> pd.DataFrame:
    """The tidy indicator table of a ``data.model.Dataset``.

    periods: any of 'year', 'month'. catalog: default ``catalog_for(dataset.config)`` (the
    built-in catalog with the dataset's standard overrides). Indicators whose table or input
    columns are missing are skipped; an indicator is computed only for the period kinds its
    catalog entry lists (register indicators and complaints_yoy: years only).

    Returns one row per (level, unit, period, indicator), columns:
    level (str: 'total' or a level of dataset.levels), unit_id (str, 'total' for the whole),
    unit_name (str; total = dataset.name or '全部'), period (str 'YYYY' or 'YYYY-MM'),
    indicator_id (str), numerator, denominator (float64: Σ measures; for medians the median in
    days and the number of closed tickets; for counts the records summed (volunteer_participations:
    activity records), for reference only; for complaints_yoy this and last year's tickets), value (float64: rates as fractions, days, counts, per-capita
    values already × scale; NaN when the denominator is 0 or unknown), small_count (bool:
    denominator < the indicator's min_count), excluded (float64: records left out, the sum over
    the indicator's ``Indicator.excluded`` — for on_time_rate closed tickets without due date and
    tickets open at the cut-off, for median_handling_days open tickets and closed ones without a
    closing time, unrated tickets for satisfaction_rate, grids without households, centres
    without area, grids without a centroid; NaN when the indicator excludes nothing),
    excluded_reason (str: why, with a count per reason, e.g. ``'截至数据截止日未办结 2 件；已办结但
    无办理时限 1 件'``; ``''`` when nothing was left out; tickets with an excluded outcome —
    ``已撤销 2 件；已转出 1 件`` — leave every ticket rate's denominator and are counted here),
    provisional (bool: open period, the value can still change after the cut-off — see
    ``provisional_flags`` and the catalog's ``maturity_days``).
    composite_score rows (years only) come from the other rows: see ``indicators.score``.
    Rows are ordered by catalog order, level (total first), period, unit_id.
    Which register each year used: ``compute_with_registers``. Raises ``ValueError`` for an
    unknown period kind or an invalid standard override.
    engine: who computes the ticket measures, ``'pandas'`` or ``'duckdb'`` (same SQL as on
    Spark; see ``indicators.engine_duckdb``) — identical tables either way.
    """
    return compute_with_registers(dataset, periods, catalog, engine)[0]


def compute_with_registers(dataset, periods: tuple[str, ...] = ("year", "month"),
                           catalog: Mapping[str, Indicator] | None = None,
                           engine: str = "pandas") -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(compute_indicators(...), register_years)``; register_years has columns period
    ('YYYY'), table ('grids' | 'stations'), register_year (Int64, <NA> = undated register),
    fallback (bool: the period used an earlier or undated register) — see ``rollup.Cube``."""
    cat = catalog_for(dataset.config) if catalog is None else dict(catalog)
    cube = rollup(dataset, compute_measures(dataset, engine), periods)
    return indicators_from_cube(cube, cat, dataset.cutoff, dataset.units), cube.register_years
