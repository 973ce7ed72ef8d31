"""Roll additive measures up the hierarchy and over periods (上卷汇总).

Each record's attach unit is mapped to itself and all its ancestors through ``dataset.units``
(parent_id chains); measures are summed at every level and at ``total``. A record attached at a
coarser level (say a street) contributes to that level and above only. Records whose unit is not
in ``dataset.units`` (ingest rejects them) would count in ``total`` only.

Periods: months ('YYYY-MM') and years ('YYYY'). A year sums its months. Flow measures are filled
with 0 for every unit at or above the finest level the table's records attach to, for every month
between the table's first and last month (a month without tickets has 0 tickets, not "unknown").
Stations count in year Y only when opened by the end of Y (``opened_year`` key). A measure that
no record of a unit carries stays NaN (community workers at grid level), not 0.
Stock measures (registers) for year Y come from year Y's register, or the latest one before it, or
an undated register when there is no dated one ≤ Y, or else the earliest later register;
``Cube.register_years`` says which was used (``fallback`` when not Y's own). A month uses its
year's register (population denominators of per-capita rates).

Everything runs on integer codes: a unit is its row in ``dataset.units`` (``total`` is one past
the last), a month its offset from the table's first month. A flow measure is one
``np.bincount`` per level over (ancestor code × months + month) straight into a units × months
array; years add up that array's months. Medians come from the handling-time histogram's bins:
its rows are put in (month, bin) and (year, bin) order once, and per level one stable radix
pass on the ancestor code makes every group's bins consecutive — no sort of the stacked levels,
no labelled histogram. Labels (level, unit_id, unit_name, period) are written once, for the
output rows.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd
import pyarrow as pa

from data.textops import pool
from indicators.measures import HIST_BIN_HOURS, Measures, group_sum, select_registers

TOTAL_ID = "total"
TOTAL_LEVEL = "total"
DEFAULT_TOTAL_NAME = "全部"

CUBE_KEYS = ["level", "unit_id", "unit_name", "period", "period_kind", "year"]


@dataclass
class Cube:
    """Rolled-up measures.

    measures: one row per (level, unit_id, period): level, unit_id, unit_name (str), period
    ('YYYY' | 'YYYY-MM'), period_kind ('year' | 'month'), year (int64), then one float64 column per
    measure (NaN where the measure's table does not cover the period or has no register), and
    ``median_hours`` (float64, from the histogram's bins at each level: ``_level_medians``; NaN
    where no closed ticket has a handling time) when there is a histogram.
    histogram: level, unit_id, period, bin, count — the summed handling-hours histogram (or None);
    built from the measures' histogram the first time it is read (the medians do not need it).
    register_years: period ('YYYY'), table, register_year (Int64, <NA> = undated register),
    fallback (bool: a register other than the period's own year was used).
    complete_years: {flow table: years whose 12 months all lie inside the table's coverage}.
    levels: the dataset's levels, top → finest.
    """

    measures: pd.DataFrame
    register_years: pd.DataFrame
    complete_years: dict[str, set[int]] = field(default_factory=dict)
    available: set[str] = field(default_factory=set)
    levels: list[str] = field(default_factory=list)
    histogram_source: Callable[[], pd.DataFrame | None] | pd.DataFrame | None = \
        field(default=None, repr=False)

    @property
    def histogram(self) -> pd.DataFrame | None:
        if callable(self.histogram_source):
            self.histogram_source = self.histogram_source()
        return self.histogram_source

    @histogram.setter
    def histogram(self, frame: pd.DataFrame | None) -> None:
        self.histogram_source = frame


class Hierarchy:
    """Integer codes for the units of a dataset and, per level, each unit's ancestor code.

    Unit codes are 0…n−1 in ``units`` order; code n is ``total``. ``ancestor[level][code]`` is the
    code of the unit's ancestor at ``level`` (itself at its own level), or −1 when the unit sits
    above that level or its chain is broken.
    """

    def __init__(self, units: pd.DataFrame, levels: list[str], total_name: str):
        u = units.reset_index(drop=True)
        self.levels = list(levels)
        self.n = len(u)
        level = u["level"].astype(str).to_numpy()
        self.level_idx = pd.Series(level).map({lv: i for i, lv in enumerate(levels)}) \
            .fillna(-1).astype("int64").to_numpy()
        self._index = pd.MultiIndex.from_arrays([level, u["unit_id"].astype(str).to_numpy()])
        names = np.array([*levels, ""], dtype=object)
        parent_level = names[np.where(self.level_idx > 0, self.level_idx - 1, len(levels))]
        parent_id = u["parent_id"].astype("string").fillna("").to_numpy(dtype=object)
        parent = self._index.get_indexer(pd.MultiIndex.from_arrays([parent_level, parent_id]))
        self.parent = np.where(self.level_idx > 0, parent, -1)
        self.ancestor: dict[str, np.ndarray] = {}
        for i, lv in enumerate(levels):
            anc = np.full(self.n, -1, dtype="int64")
            anc[self.level_idx == i] = np.flatnonzero(self.level_idx == i)
            for j in range(i + 1, len(levels)):
                sel = np.flatnonzero(self.level_idx == j)
                par = self.parent[sel]
                anc[sel] = np.where(par >= 0, anc[np.maximum(par, 0)], -1)
            self.ancestor[lv] = anc
        self.level_of = np.append(level, TOTAL_LEVEL)
        self.id_of = np.append(u["unit_id"].astype(str).to_numpy(), TOTAL_ID)
        self.name_of = np.append(u["unit_name"].astype("string").fillna("")
                                 .to_numpy(dtype=object), total_name)
        self.total = self.n
        self.id_code, self.id_categories = pd.factorize(self.id_of)

    def codes(self, unit_level: pd.Series, unit_id: pd.Series) -> np.ndarray:
        """Unit codes of records (−1 for a unit not in the hierarchy). Each distinct
        (level, id) pair is looked up once, so a long table costs two factorisations."""
        lc, lu = pd.factorize(unit_level, use_na_sentinel=False)
        ic, iu = pd.factorize(unit_id, use_na_sentinel=False)
        pc, pu = pd.factorize(lc.astype("int64") * max(len(iu), 1) + ic)
        lu = np.asarray(lu, dtype=object).astype(str)
        iu = np.asarray(iu, dtype=object).astype(str)
        keys = pd.MultiIndex.from_arrays([lu[pu // max(len(iu), 1)], iu[pu % max(len(iu), 1)]])
        return self._index.get_indexer(keys)[pc]

    def units_down_to(self, depth: int) -> np.ndarray:
        """Codes of units at level index ≤ ``depth``, plus total."""
        return np.append(np.flatnonzero((self.level_idx >= 0) & (self.level_idx <= depth)),
                         self.total)

    def targets(self, codes: np.ndarray) -> list[np.ndarray]:
        """Per level (top → finest), then total: each record's unit code there (−1: none)."""
        known = codes >= 0
        out = []
        for lv in self.levels:
            target = np.full(len(codes), -1, dtype="int64")
            target[known] = self.ancestor[lv][codes[known]]
            out.append(target)
        out.append(np.full(len(codes), self.total, dtype="int64"))
        return out

    def roll(self, codes: np.ndarray, keys: dict[str, np.ndarray], values: pd.DataFrame
             ) -> pd.DataFrame:
        """Sum ``values`` by (ancestor code, keys…) at every level and at total.

        codes: unit code of each row; keys: extra int64 key arrays (period, bin …).
        Returns columns ``uid``, the keys, then the value columns (float64; NaN where every
        value of the group is NaN).
        """
        parts = []
        cols = {c: values[c].to_numpy(dtype="float64") for c in values.columns}
        for target in self.targets(codes):
            keep = target >= 0
            (uid, *rest), sums = group_sum([target[keep], *(k[keep] for k in keys.values())],
                                           {c: v[keep] for c, v in cols.items()}, sort=False)
            parts.append(pd.DataFrame({"uid": uid, **dict(zip(keys, rest)), **sums}))
        return pd.concat(parts, ignore_index=True)


def _month_codes(labels: pd.Series) -> np.ndarray:
    """'YYYY-MM' labels → YYYYMM int64 (factorised: the parse runs once per distinct month)."""
    codes, uniques = pd.factorize(labels)
    parsed = np.array([int(s[:4]) * 100 + int(s[5:7]) for s in uniques], dtype="int64")
    return parsed[codes]


def _month_range(first: int, last: int) -> list[int]:
    months = pd.period_range(pd.Period(year=first // 100, month=first % 100, freq="M"),
                             pd.Period(year=last // 100, month=last % 100, freq="M"), freq="M")
    return [p.year * 100 + p.month for p in months]


def _month_index(ym: np.ndarray, first: int) -> np.ndarray:
    """YYYYMM → months since ``first`` (YYYYMM)."""
    return (ym // 100 * 12 + ym % 100) - (first // 100 * 12 + first % 100)


def _stable_order(key: np.ndarray) -> np.ndarray:
    """Stable argsort of a non-negative integer key by 16-bit radix passes (numpy's stable
    sort is a radix sort for 16-bit keys: linear, no comparison sort of a long array)."""
    key = np.asarray(key)
    top = int(key.max(initial=0))
    if top < 1 << 16:
        return np.argsort(key.astype(np.uint16), kind="stable")
    order = np.argsort((key & 0xFFFF).astype(np.uint16), kind="stable")
    rest = _stable_order(key[order] >> 16)
    return order[rest]


def _medians_of_runs(g: np.ndarray, b: np.ndarray, count: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median hours per group of rows already in (group, bin) order.

    g, b: int64 group and bin of each row (a (group, bin) pair may repeat: its counts add up);
    count: float64 tickets. The formula of ``measures.histogram_median``: mean of order
    statistics ⌊(N+1)/2⌋ and ⌊N/2⌋+1, each placed evenly inside its 1-hour bin.
    Returns (group, median_hours, n) per group, in group order.
    """
    if not len(g):
        return np.zeros(0, "int64"), np.zeros(0), np.zeros(0)
    run = np.r_[True, (g[1:] != g[:-1]) | (b[1:] != b[:-1])]
    starts = np.flatnonzero(run)
    if len(starts) < len(g):                          # merge repeated (group, bin) rows
        count = np.add.reduceat(count, starts)
        g, b = g[starts], b[starts]
    start = np.r_[True, g[1:] != g[:-1]]
    gid = np.cumsum(start) - 1
    cum_all = np.cumsum(count)
    first = np.flatnonzero(start)
    offset = (cum_all[first] - count[first])[gid]
    cum = cum_all - offset
    n_group = np.add.reduceat(count, first)
    n = n_group[gid]
    before = cum - count
    lower = b.astype("float64") * HIST_BIN_HOURS
    estimates = []
    for rank in (np.floor((n + 1) / 2), np.floor(n / 2) + 1):
        hit = np.flatnonzero((before < rank) & (rank <= cum))        # one row per group
        estimates.append(lower[hit] + (rank[hit] - before[hit] - 0.5) / count[hit]
                         * HIST_BIN_HOURS)
    return g[first], (estimates[0] + estimates[1]) / 2, n_group


def bin_medians(uid: np.ndarray, pcode: np.ndarray, bins: np.ndarray, count: np.ndarray
                ) -> pd.DataFrame:
    """Median handling hours per (uid, pcode) straight from summed histogram bins, on integer
    codes: the formula of ``measures.histogram_median`` — mean of order statistics ⌊(N+1)/2⌋
    and ⌊N/2⌋+1, each placed evenly inside its 1-hour bin — so the values are the same to the
    last bit.

    Inputs: equal-length arrays, one row per non-empty (uid, pcode, bin) (bins have no cap;
    a repeated (uid, pcode, bin) row adds its count).
    Returns uid, pcode (int64), median_hours and n (float64, tickets), one row per group.
    """
    pc, pu = pd.factorize(np.asarray(pcode, dtype="int64"))
    stride = max(len(pu), 1)
    g = np.asarray(uid, dtype="int64") * stride + pc
    b = np.asarray(bins, dtype="int64")
    order = _stable_order(b)
    order = order[_stable_order(g[order])]
    grp, median, n = _medians_of_runs(g[order], b[order],
                                      np.asarray(count, dtype="float64")[order])
    return pd.DataFrame({"uid": grp // stride,
                         "pcode": np.asarray(pu, dtype="int64")[grp % stride],
                         "median_hours": median, "n": n})


def _level_medians(targets: list[np.ndarray], period: np.ndarray, b: np.ndarray,
                   count: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Medians per (unit, period) at every level from the finest histogram rows.

    targets: per level, each row's unit code there (−1: none); period: small non-negative int
    per row; b: bin; count: float64. The rows are put in (period, bin) order once; per level a
    stable pass on the unit code gives (unit, period, bin) order. Returns (unit code, period,
    median_hours) for every group.
    """
    n_p = int(period.max(initial=0)) + 1
    narrow = "int32" if int(b.max(initial=0)) < 1 << 31 else "int64"    # halves the gathers
    b, period = b.astype(narrow, copy=False), period.astype("int32", copy=False)
    order = _stable_order(b)
    order = order[_stable_order(period[order])]
    p_o, b_o, c_o = period[order], b[order], count[order]
    units, periods, medians = [], [], []
    for target in targets:
        t = target.astype("int32", copy=False)[order]
        keep = t >= 0
        if not keep.all():
            sel = np.flatnonzero(keep)
            t, p_k, b_k, c_k = t[sel], p_o[sel], b_o[sel], c_o[sel]
        else:
            p_k, b_k, c_k = p_o, b_o, c_o
        if len(t) and t.min() != t.max():
            o = _stable_order(t)
            t, p_k, b_k, c_k = t[o], p_k[o], b_k[o], c_k[o]
        grp, med, _ = _medians_of_runs(t.astype("int64") * n_p + p_k, b_k, c_k)
        units.append(grp // n_p)
        periods.append(grp % n_p)
        medians.append(med)
    return np.concatenate(units), np.concatenate(periods), np.concatenate(medians)


@dataclass
class _Rows:
    """Cube rows of one table, in order: int64 uid and pcode (YYYY or YYYYMM) per row and the
    float64 value columns."""

    uid: np.ndarray
    pcode: np.ndarray
    values: dict[str, np.ndarray]


def _kahan_year_sums(month_values: np.ndarray, present: np.ndarray | None, months: list[int],
                     years: list[int]) -> np.ndarray:
    """Year sums of a units × months array, month by month in ascending order with pandas'
    compensated (Kahan) summation over the months that have records (``present``; None: all),
    NaN skipped — the numbers ``groupby(...).sum()`` gives on the rolled month rows."""
    out = np.zeros((month_values.shape[0], len(years)))
    month_year = np.asarray(months) // 100
    for j, year in enumerate(years):
        total = np.zeros(month_values.shape[0])
        comp = np.zeros(month_values.shape[0])
        for i in np.flatnonzero(month_year == year):
            v = month_values[:, i]
            use = ~np.isnan(v) if present is None else (present[:, i] & ~np.isnan(v))
            y = np.where(use, v, 0.0) - comp
            t = total + y
            c = (t - total) - y
            comp = np.where(use, np.where(np.isnan(c), 0.0, c), comp)
            total = np.where(use, t, total)
        out[:, j] = total
    return out


def _flow_rows(hier: Hierarchy, flow: pd.DataFrame, periods: tuple[str, ...]
               ) -> tuple[_Rows, list[int]]:
    """A flow table rolled to every level and total: units (down to the finest level its
    records attach to) × months, then units × years; a cell without records is 0, a cell
    whose records all lack the measure NaN (the month; its year skips NaN). Returns the rows
    and the table's months (YYYYMM)."""
    value_cols = [c for c in flow.columns if c not in ("unit_level", "unit_id", "month")]
    codes = hier.codes(flow["unit_level"], flow["unit_id"])
    ym = _month_codes(flow["month"])
    months = _month_range(int(ym.min()), int(ym.max()))
    years = sorted({m // 100 for m in months})
    n_m = len(months)
    mi = _month_index(ym, months[0])
    attached = hier.level_idx[codes[codes >= 0]]
    uids = hier.units_down_to(int(attached.max()) if len(attached) else -1)
    # one flat key per (record, level): records of a level add only into that level's units
    targets = hier.targets(codes)
    picks = [np.flatnonzero(t >= 0) for t in targets]
    keys = np.concatenate([targets[i][p] * n_m + mi[p] for i, p in enumerate(picks)])
    rows = np.concatenate(picks)
    size = (hier.n + 1) * n_m
    present = np.bincount(keys, minlength=size) > 0          # cells with records
    present_u = present.reshape(hier.n + 1, n_m)[uids]
    n_rows = len(uids) * ((n_m if "month" in periods else 0)
                          + (len(years) if "year" in periods else 0))
    split = len(uids) * n_m if "month" in periods else 0
    values: dict[str, np.ndarray] = {}
    for col in value_cols:
        v = flow[col].to_numpy(dtype="float64")[rows]
        nan = np.isnan(v)
        if nan.any():
            sums = np.bincount(keys, weights=np.where(nan, 0.0, v), minlength=size)
            seen = np.bincount(keys, weights=~nan, minlength=size)
            sums = np.where(present & (seen == 0), np.nan, sums)
        else:
            sums = np.bincount(keys, weights=v, minlength=size)
        cells = sums.reshape(hier.n + 1, n_m)[uids]
        column = np.empty(n_rows)
        if "month" in periods:
            column[:split] = cells.ravel()
        if "year" in periods:
            column[split:] = _kahan_year_sums(cells, present_u, months, years).ravel()
        values[col] = column
    uid_parts, pcode_parts = [], []
    if "month" in periods:
        uid_parts.append(np.repeat(uids, n_m))
        pcode_parts.append(np.tile(np.asarray(months, dtype="int64"), len(uids)))
    if "year" in periods:
        uid_parts.append(np.repeat(uids, len(years)))
        pcode_parts.append(np.tile(np.asarray(years, dtype="int64"), len(uids)))
    return _Rows(np.concatenate(uid_parts), np.concatenate(pcode_parts), values), months


def _stock_rows(hier: Hierarchy, stock: pd.DataFrame, reg: np.ndarray, chosen: dict[int, int],
                pcodes: list[int]) -> _Rows | None:
    """A register rolled to every level and total for each period of ``pcodes`` (YYYY or
    YYYYMM, each read from ``chosen[year]``'s register): units down to the finest level its
    rows attach to; a unit without rows is 0, one whose rows all lack the measure NaN. Each
    distinct (register, year) is summed once and shared by that year's months."""
    value_cols = [c for c in stock.columns
                  if c not in ("unit_level", "unit_id", "year", "opened_year")]
    codes = hier.codes(stock["unit_level"], stock["unit_id"])
    attached = hier.level_idx[codes[codes >= 0]]
    uids = pd.Index(hier.units_down_to(int(attached.max()) if len(attached) else -1),
                    name="uid")
    opened = (stock["opened_year"].to_numpy(dtype="int64") if "opened_year" in stock.columns
              else np.full(len(stock), -1, dtype="int64"))
    rolled = hier.roll(codes, {"reg": reg, "opened": opened},
                       stock[value_cols].astype("float64"))
    by_year: dict[tuple[int, int], pd.DataFrame] = {}
    parts = []
    for pcode in pcodes:
        year = pcode // 100 if pcode >= 10000 else pcode
        reg_year = chosen[year]
        if (reg_year, year) not in by_year:
            sel = rolled.loc[(rolled["reg"] == reg_year) & (rolled["opened"] <= year)]
            by_year[(reg_year, year)] = (sel.groupby("uid")[value_cols].sum(min_count=1)
                                         .reindex(uids, fill_value=0.0))
        parts.append(by_year[(reg_year, year)])
    if not parts:
        return None
    n_u = len(uids)
    return _Rows(np.tile(uids.to_numpy(dtype="int64"), len(parts)),
                 np.repeat(np.asarray(pcodes, dtype="int64"), n_u),
                 {c: np.concatenate([p[c].to_numpy(dtype="float64") for p in parts])
                  for c in value_cols})


def _assemble(tables: list[_Rows], extra: tuple[str, ...] = ()) -> _Rows:
    """One row per (uid, pcode) of any table, each table's columns NaN where it has no row,
    then the ``extra`` columns (NaN). Several tables: rows sorted by (uid, pcode); one table:
    its own order. The value columns are rows of one float64 (columns × rows) block — the
    layout pandas keeps — filled table by table, each table's arrays freed once copied."""
    if not tables:
        return _Rows(np.zeros(0, "int64"), np.zeros(0, "int64"), {})
    names = [c for t in tables for c in t.values] + list(extra)
    if len(tables) == 1:
        uid, pcode = tables[0].uid, tables[0].pcode
        places = [slice(None)]
    else:
        pcodes = np.unique(np.concatenate([np.unique(t.pcode) for t in tables]))
        flats = [t.uid * len(pcodes) + np.searchsorted(pcodes, t.pcode) for t in tables]
        seen = np.zeros(int(max(f.max(initial=-1) for f in flats)) + 1, dtype=bool)
        for flat in flats:
            seen[flat] = True
        union = np.flatnonzero(seen)                  # sorted by (uid, pcode), no sort
        position = np.cumsum(seen) - 1
        places = [position[flat] for flat in flats]
        uid, pcode = union // len(pcodes), pcodes[union % len(pcodes)]
    block = np.full((len(names), len(uid)), np.nan)
    row = 0
    for table, at in zip(tables, places):
        for col in list(table.values):
            block[row, at] = table.values.pop(col)
            row += 1
    return _Rows(uid, pcode, dict(zip(names, block)))


def _medians(hier: Hierarchy, h: pd.DataFrame, periods: tuple[str, ...]
             ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Median hours per (unit code, pcode) at every level from the finest histogram ``h``
    (unit_level, unit_id, month, bin, count): one (unit, pcode YYYYMM or YYYY, median_hours)
    triple of arrays per period kind in ``periods`` (months first)."""
    codes = hier.codes(h["unit_level"], h["unit_id"])
    ym = _month_codes(h["month"])
    bins = h["bin"].to_numpy(dtype="int64")
    count = h["count"].to_numpy(dtype="float64")
    targets = hier.targets(codes)
    first = int(ym.min())
    kinds = []
    if "month" in periods:
        kinds.append((_month_index(ym, first), lambda k: np.asarray(
            _month_range(first, int(ym.max())), dtype="int64")[k]))
    if "year" in periods:
        y0 = first // 100
        kinds.append((ym // 100 - y0, lambda k: k + y0))
    out = []
    for period, to_pcode in kinds:
        unit, k, median = _level_medians(targets, period, bins, count)
        out.append((unit, to_pcode(k), median))
    return out


def _median_column(rows: _Rows, medians: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
                   n_units: int) -> np.ndarray:
    """``median_hours`` on each cube row from :func:`_medians`' triples; NaN where no closed
    ticket has a handling time. n_units: the hierarchy's unit codes (total included)."""
    out = np.full(len(rows.uid), np.nan)
    if not len(out):
        return out
    pcodes = np.unique(rows.pcode)
    where = np.full(n_units * len(pcodes), -1, dtype="int64")
    where[rows.uid * len(pcodes) + np.searchsorted(pcodes, rows.pcode)] = np.arange(len(rows.uid))
    for unit, pcode, median in medians:
        pos = np.searchsorted(pcodes, pcode)
        ok = (pos < len(pcodes)) & (pcodes[np.minimum(pos, len(pcodes) - 1)] == pcode)
        at = np.full(len(pcode), -1, dtype="int64")
        at[ok] = where[unit[ok] * len(pcodes) + pos[ok]]
        out[at[at >= 0]] = median[at >= 0]
    return out


def _histogram_frame(hier: Hierarchy, h: pd.DataFrame, periods: tuple[str, ...]) -> pd.DataFrame:
    """The labelled, summed histogram of ``Cube.histogram`` (every level and total; months,
    then years)."""
    codes = hier.codes(h["unit_level"], h["unit_id"])
    ym = _month_codes(h["month"])
    rolled = hier.roll(codes, {"pcode": ym, "bin": h["bin"].to_numpy()}, h[["count"]])
    parts = []
    if "month" in periods:
        parts.append(rolled)
    if "year" in periods:
        (uid, pcode, bins), sums = group_sum(
            [rolled["uid"].to_numpy(), rolled["pcode"].to_numpy() // 100,
             rolled["bin"].to_numpy()], {"count": rolled["count"].to_numpy()}, sort=False)
        parts.append(pd.DataFrame({"uid": uid, "pcode": pcode, "bin": bins, **sums}))
    both = pd.concat(parts, ignore_index=True)
    both["count"] = both["count"].astype("int64")
    return _label(both, hier, keep=["bin", "count"])


def rollup(dataset, measures: Measures, periods: tuple[str, ...] = ("year", "month")) -> Cube:
    """Roll a dataset's measures to every level, ``total``, and every period.

    Inputs: a ``data.model.Dataset`` (for ``units``, ``levels``, ``name``, ``cutoff``) and its
    ``Measures`` (indicators.measures.compute_measures). ``periods``: any of 'year', 'month'.
    Periods covered: every month inside a flow table's coverage; every year with flow data or a
    dated register (with only undated registers and no flows: the cut-off's year).
    Returns a ``Cube``; raises ``ValueError`` for an unknown period kind.
    """
    unknown = set(periods) - {"year", "month"}
    if unknown:
        raise ValueError(f"unknown period kinds: {sorted(unknown)}")
    hier = Hierarchy(dataset.units, dataset.levels, dataset.name or DEFAULT_TOTAL_NAME)
    h = measures.histogram
    with_median = h is not None and not h.empty
    # the medians need only the histogram: sorted on a second core while this one rolls the sums
    medians = pool().submit(_medians, hier, h, periods) if with_median else None
    tables: list[_Rows] = []
    complete: dict[str, set[int]] = {}
    month_set: set[int] = set()
    year_set: set[int] = set()

    for table, flow in measures.flows.items():
        if flow.empty:
            continue
        rows, months = _flow_rows(hier, flow, periods)
        month_set.update(months)
        years = sorted({m // 100 for m in months})
        year_set.update(years)
        complete[table] = {y for y in years if y * 100 + 1 in months and y * 100 + 12 in months}
        tables.append(rows)

    # stocks: roll per register year, then attach to period years (and months)
    stock_rolled = {}
    for table, stock in measures.stocks.items():
        if stock.empty:
            continue
        reg = stock["year"].fillna(-1).astype("int64").to_numpy()
        year_set.update(int(y) for y in reg if y >= 0)
        stock_rolled[table] = (stock, reg)
    if not year_set and stock_rolled and dataset.cutoff is not None:
        year_set.add(int(pd.Timestamp(dataset.cutoff).year))
    period_years = sorted(year_set)
    reg_rows = []
    for table, (stock, reg) in stock_rolled.items():
        chosen = select_registers(set(reg.tolist()), bool((reg < 0).any()), period_years)
        if not chosen:
            continue
        if table not in measures.derived:
            reg_rows += [{"period": str(y), "table": table,
                          "register_year": pd.NA if r < 0 else r, "fallback": r != y}
                         for y, r in chosen.items()]
        pcodes = list(chosen) if "year" in periods else []
        if "month" in periods:
            pcodes += [m for m in sorted(month_set) if m // 100 in chosen]
        rows = _stock_rows(hier, stock, reg, chosen, pcodes)
        if rows is not None:
            tables.append(rows)

    cube_rows = _assemble(tables, ("median_hours",) if with_median else ())
    histogram_source = None
    if with_median:
        cube_rows.values["median_hours"][:] = _median_column(cube_rows, medians.result(), hier.n + 1)
        histogram_source = lambda: _histogram_frame(hier, h, periods)    # noqa: E731
    cube = _label(pd.DataFrame({"uid": cube_rows.uid, "pcode": cube_rows.pcode}), hier,
                  values=cube_rows.values)

    register_years = pd.DataFrame(reg_rows, columns=["period", "table", "register_year",
                                                     "fallback"])
    register_years["register_year"] = register_years["register_year"].astype("Int64")
    register_years["fallback"] = register_years["fallback"].astype(bool)
    return Cube(measures=cube, register_years=register_years, complete_years=complete,
                available=set(measures.available), levels=list(dataset.levels),
                histogram_source=histogram_source)


def _strings(labels: np.ndarray, codes: np.ndarray) -> pd.Series:
    """``labels[codes]`` as a str Series, taken in Arrow (no Python string per row)."""
    taken = pa.array(np.asarray(labels, dtype=object), type=pa.string()).take(
        pa.array(np.asarray(codes, dtype="int64")))
    return pd.Series(pd.array(taken, dtype="str"))


def _label(frame: pd.DataFrame, hier: Hierarchy, keep: list[str] | None = None,
           values: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """Replace integer (uid, pcode) keys with level, unit_id, unit_name, period, period_kind,
    year. Units and periods are categoricals when ``keep`` is given (the large histogram);
    otherwise ``values`` (float64 columns) follow the keys."""
    uid = frame["uid"].to_numpy()
    pcode = frame["pcode"].to_numpy()
    is_month = pcode >= 10000
    year = np.where(is_month, pcode // 100, pcode)
    pcodes, puniq = pd.factorize(pcode)
    plabels = np.array([f"{p // 100}-{p % 100:02d}" if p >= 10000 else str(p) for p in puniq],
                       dtype=object)
    if keep:   # large frame: categoricals from codes, no per-row strings
        level_cats = pd.Index(pd.unique(hier.level_of))
        out = pd.DataFrame({
            "level": pd.Categorical.from_codes(level_cats.get_indexer(hier.level_of)[uid],
                                               level_cats),
            "unit_id": pd.Categorical.from_codes(hier.id_code[uid], hier.id_categories),
            "period": pd.Categorical.from_codes(pcodes, pd.Index(plabels)),
        })
        for col in keep:
            out[col] = frame[col].to_numpy()
        return out
    kinds = np.array(["year", "month"], dtype=object)
    columns = {"level": _strings(hier.level_of, uid), "unit_id": _strings(hier.id_of, uid),
               "unit_name": _strings(hier.name_of, uid), "period": _strings(plabels, pcodes),
               "period_kind": _strings(kinds, is_month.astype("int64")),
               "year": pd.Series(year.astype("int64"))}
    labels = pd.DataFrame(columns, copy=False)
    if not values:
        return labels
    names = list(values)
    first = values[names[0]]
    if (isinstance(first.base, np.ndarray) and first.base.ndim == 2
            and first.base.shape == (len(names), len(uid))
            and all(np.shares_memory(values[c], first.base) for c in names)):
        block = first.base                            # _assemble's block: used as it is
    else:
        block = np.empty((len(names), len(uid)))
        for i, col in enumerate(names):
            block[i] = values.pop(col)
    return pd.concat([labels, pd.DataFrame(block.T, columns=names, copy=False)], axis=1)
