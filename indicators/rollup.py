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

All grouping is on integer codes (unit codes × period codes), so the cost is one pass over each
measure table per level; the cube itself has (units + 1) × periods rows.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from indicators.measures import Measures, group_sum, select_registers

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
    ``median_hours`` (float64, from the histogram's bins at each level: ``bin_medians``; NaN
    where no closed ticket has a handling time) when there is a histogram.
    histogram: level, unit_id, period, bin, count — the summed handling-hours histogram (or None).
    register_years: period ('YYYY'), table, register_year (Int64, <NA> = undated register),
    fallback (bool: a register other than the period's own year was used).
    complete_years: {flow table: years whose 12 months all lie inside the table's coverage}.
    levels: the dataset's levels, top → finest.
    """

    measures: pd.DataFrame
    histogram: pd.DataFrame | None
    register_years: pd.DataFrame
    complete_years: dict[str, set[int]] = field(default_factory=dict)
    available: set[str] = field(default_factory=set)
    levels: list[str] = field(default_factory=list)


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

    def roll(self, codes: np.ndarray, keys: dict[str, np.ndarray], values: pd.DataFrame
             ) -> pd.DataFrame:
        """Sum ``values`` by (ancestor code, keys…) at every level and at total.

        codes: unit code of each row; keys: extra int64 key arrays (period, bin …).
        Returns columns ``uid``, the keys, then the value columns (float64; NaN where every
        value of the group is NaN).
        """
        parts = []
        known = codes >= 0
        targets = []
        for lv in self.levels:
            target = np.full(len(codes), -1, dtype="int64")
            target[known] = self.ancestor[lv][codes[known]]
            targets.append(target)
        targets.append(np.full(len(codes), self.total, dtype="int64"))
        cols = {c: values[c].to_numpy(dtype="float64") for c in values.columns}
        for target in targets:
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


def _fill(rolled: pd.DataFrame, uids: np.ndarray, pcodes: list[int], value_cols: list[str]
          ) -> pd.DataFrame:
    """Rolled (uid, pcode, values) spread onto uids × pcodes (uid-major, pcodes in the given
    order), absent rows = 0; rows outside that grid are dropped. Plain array indexing: the
    rolled rows are unique per (uid, pcode)."""
    uids = np.asarray(uids, dtype="int64")
    pcodes = np.asarray(pcodes, dtype="int64")
    n_p = len(pcodes)
    upos = np.full(int(max(uids.max(initial=-1), rolled["uid"].max() if len(rolled) else -1)) + 1,
                   -1, dtype="int64")
    upos[uids] = np.arange(len(uids))
    order = np.argsort(pcodes, kind="stable")
    r_uid = rolled["uid"].to_numpy(dtype="int64")
    r_p = rolled["pcode"].to_numpy(dtype="int64")
    at = np.searchsorted(pcodes[order], r_p)
    at_c = np.minimum(at, max(n_p - 1, 0))
    ok = (upos[r_uid] >= 0) & (n_p > 0) & (pcodes[order][at_c] == r_p) if n_p else \
        np.zeros(len(rolled), dtype=bool)
    flat = upos[r_uid[ok]] * n_p + order[at_c[ok]]
    out = {"uid": np.repeat(uids, n_p), "pcode": np.tile(pcodes, len(uids))}
    for col in value_cols:
        column = np.zeros(len(uids) * n_p, dtype="float64")
        column[flat] = rolled[col].to_numpy(dtype="float64")[ok]
        out[col] = column
    return pd.DataFrame(out)


def bin_medians(uid: np.ndarray, pcode: np.ndarray, bins: np.ndarray, count: np.ndarray
                ) -> pd.DataFrame:
    """Median handling hours per (uid, pcode) straight from summed histogram bins, on integer
    codes (no labelled frame, no multi-column sort): the formula of
    ``measures.histogram_median`` — mean of order statistics ⌊(N+1)/2⌋ and ⌊N/2⌋+1, each placed
    evenly inside its 1-hour bin — so the values are the same to the last bit.

    Inputs: equal-length arrays, one row per non-empty (uid, pcode, bin) (bins have no cap).
    Returns uid, pcode (int64), median_hours and n (float64, tickets), one row per group.
    """
    from indicators.measures import HIST_BIN_HOURS

    count = np.asarray(count, dtype="float64")
    pc, pu = pd.factorize(np.asarray(pcode, dtype="int64"))
    g = np.asarray(uid, dtype="int64") * max(len(pu), 1) + pc
    b = np.asarray(bins, dtype="int64")
    width = int(b.max(initial=0)) + 1
    order = np.argsort(g * width + b)                  # (group, bin) pairs are unique
    g, b, count = g[order], b[order], count[order]
    start = np.r_[True, g[1:] != g[:-1]] if len(g) else np.zeros(0, dtype=bool)
    gid = np.cumsum(start) - 1
    cum_all = np.cumsum(count)
    first = np.flatnonzero(start)
    offset = (cum_all[first] - count[first])[gid]
    cum = cum_all - offset
    n = np.bincount(gid, weights=count)[gid] if len(gid) else np.zeros(0)
    before = cum - count
    lower = b.astype("float64") * HIST_BIN_HOURS
    estimates = []
    for rank in (np.floor((n + 1) / 2), np.floor(n / 2) + 1):
        hit = np.flatnonzero((before < rank) & (rank <= cum))        # one row per group
        estimates.append(lower[hit] + (rank[hit] - before[hit] - 0.5) / count[hit]
                         * HIST_BIN_HOURS)
    rows = first
    grp = g[rows]
    return pd.DataFrame({"uid": grp // max(len(pu), 1),
                         "pcode": np.asarray(pu, dtype="int64")[grp % max(len(pu), 1)],
                         "median_hours": (estimates[0] + estimates[1]) / 2,
                         "n": n[rows]})


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
    frames: list[pd.DataFrame] = []
    complete: dict[str, set[int]] = {}
    month_set: set[int] = set()
    year_set: set[int] = set()

    # flows: roll months, then years from the rolled months
    for table, flow in measures.flows.items():
        if flow.empty:
            continue
        value_cols = [c for c in flow.columns if c not in ("unit_level", "unit_id", "month")]
        codes = hier.codes(flow["unit_level"], flow["unit_id"])
        ym = _month_codes(flow["month"])
        months = _month_range(int(ym.min()), int(ym.max()))
        month_set.update(months)
        years = sorted({m // 100 for m in months})
        year_set.update(years)
        complete[table] = {y for y in years if y * 100 + 1 in months and y * 100 + 12 in months}
        attached = hier.level_idx[codes[codes >= 0]]
        uids = hier.units_down_to(int(attached.max()) if len(attached) else -1)
        rolled = hier.roll(codes, {"pcode": ym}, flow[value_cols].astype("float64"))
        parts = []
        if "month" in periods:
            parts.append(_fill(rolled, uids, months, value_cols))
        if "year" in periods:
            by_year = rolled.assign(pcode=rolled["pcode"] // 100) \
                .groupby(["uid", "pcode"], sort=False).sum().reset_index()
            parts.append(_fill(by_year, uids, years, value_cols))
        frames.append(pd.concat(parts, ignore_index=True))

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
        value_cols = [c for c in stock.columns
                      if c not in ("unit_level", "unit_id", "year", "opened_year")]
        codes = hier.codes(stock["unit_level"], stock["unit_id"])
        chosen = select_registers(set(reg.tolist()), bool((reg < 0).any()), period_years)
        if not chosen:
            continue
        if table not in measures.derived:
            reg_rows += [{"period": str(y), "table": table,
                          "register_year": pd.NA if r < 0 else r, "fallback": r != y}
                         for y, r in chosen.items()]
        attached = hier.level_idx[codes[codes >= 0]]
        uids = pd.Index(hier.units_down_to(int(attached.max()) if len(attached) else -1),
                        name="uid")
        opened = (stock["opened_year"].to_numpy(dtype="int64") if "opened_year" in stock.columns
                  else np.full(len(stock), -1, dtype="int64"))
        rolled = hier.roll(codes, {"reg": reg, "opened": opened},
                           stock[value_cols].astype("float64"))
        mapping = list(chosen.items()) if "year" in periods else []
        if "month" in periods:
            mapping += [(m, chosen[m // 100]) for m in sorted(month_set) if m // 100 in chosen]
        parts = []
        for pcode, reg_year in mapping:
            year = pcode // 100 if pcode >= 10000 else pcode
            sel = rolled.loc[(rolled["reg"] == reg_year) & (rolled["opened"] <= year)]
            part = (sel.groupby("uid")[value_cols].sum(min_count=1)
                    .reindex(uids, fill_value=0.0).reset_index())
            part.insert(1, "pcode", pcode)
            parts.append(part)
        if parts:
            frames.append(pd.concat(parts, ignore_index=True))

    if frames:
        cube = frames[0]
        for frame in frames[1:]:
            cube = cube.merge(frame, on=["uid", "pcode"], how="outer")
    else:
        cube = pd.DataFrame({"uid": pd.Series(dtype="int64"), "pcode": pd.Series(dtype="int64")})
    cube_keys = (cube["uid"].to_numpy(dtype="int64"), cube["pcode"].to_numpy(dtype="int64"))
    cube = _label(cube, hier)

    histogram = None
    if measures.histogram is not None and not measures.histogram.empty:
        h = measures.histogram
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
        medians = bin_medians(both["uid"].to_numpy(), both["pcode"].to_numpy(),
                              both["bin"].to_numpy(), both["count"].to_numpy())
        cube["median_hours"] = _lookup(cube_keys, medians)
        histogram = _label(both, hier, keep=["bin", "count"])

    register_years = pd.DataFrame(reg_rows, columns=["period", "table", "register_year",
                                                     "fallback"])
    register_years["register_year"] = register_years["register_year"].astype("Int64")
    register_years["fallback"] = register_years["fallback"].astype(bool)
    return Cube(measures=cube, histogram=histogram, register_years=register_years,
                complete_years=complete, available=set(measures.available),
                levels=list(dataset.levels))


def _lookup(keys: tuple[np.ndarray, np.ndarray], medians: pd.DataFrame) -> np.ndarray:
    """``medians['median_hours']`` at each (uid, pcode) of ``keys``; NaN where a cube row has
    no closed ticket with a handling time."""
    stride = int(max(keys[1].max(initial=0), medians["pcode"].max() if len(medians) else 0)) + 1
    index = pd.Index(medians["uid"].to_numpy() * stride + medians["pcode"].to_numpy())
    at = index.get_indexer(keys[0] * stride + keys[1])
    values = medians["median_hours"].to_numpy(dtype="float64")
    return np.where(at >= 0, values[np.maximum(at, 0)], np.nan) if len(values) else \
        np.full(len(at), np.nan)


def _label(frame: pd.DataFrame, hier: Hierarchy, keep: list[str] | None = None) -> pd.DataFrame:
    """Replace integer (uid, pcode) keys with level, unit_id, unit_name, period, period_kind,
    year. Units and periods are categoricals when ``keep`` is given (the large histogram)."""
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
    out = pd.DataFrame({"level": hier.level_of[uid], "unit_id": hier.id_of[uid],
                        "period": plabels[pcodes]})
    out.insert(2, "unit_name", hier.name_of[uid])
    out["period_kind"] = np.where(is_month, "month", "year")
    out["year"] = year.astype("int64")
    values = frame.drop(columns=["uid", "pcode"])
    out = pd.concat([out, values.reset_index(drop=True)], axis=1)
    return out
