"""Additive measures (可加总的度量), computed once from the canonical records.

Every indicator is Σnumerator / Σdenominator of the measures below (DESIGN.md §3), so a roll-up to
any level or period is a plain sum and a rate is never a mean of rates.

Flow measures — one row per (unit_level, unit_id, month), ``month`` = 'YYYY-MM':

- complaints (a ticket belongs to the month of its ``received_at``): ``received`` (every ticket:
  the ticket volume); ``valid`` (有效工单: received − the excluded outcomes below). A ticket whose
  ``status`` is an excluded outcome (``data.model.EXCLUDED_STATUSES``: cancelled 撤销, duplicate
  重复, referred 转办, invalid 无效) counts in ``received`` and in its ``excluded_<reason>`` and in
  nothing else: every outcome measure below is over valid tickets only, so it leaves every rate's
  denominator and the handling-time histogram. ``closed``
  (closed by the data cut-off: ``closed_at`` ≤ cut-off, or ``status == 'closed'`` without a
  ``closed_at``); ``open_at_cutoff`` (received − closed); ``closed_timed`` (closed with a
  ``closed_at``, the tickets of the handling-time histogram); ``untimed`` (received − closed_timed) = ``open_at_cutoff`` + ``closed_untimed`` (closed, but
  without a ``closed_at``: a status-only closure);
  ``closed_with_due`` (closed_timed with a ``due_at``); ``closed_on_time`` (of those,
  ``closed_at ≤ due_at``); ``closed_without_due`` (closed − closed_with_due); ``rated``
  (a satisfaction value); ``satisfied`` (满意 + 基本满意); ``unrated`` (received − rated);
  ``repeat`` (``is_repeat``); ``excluded_cancelled``, ``excluded_duplicate``,
  ``excluded_referred``, ``excluded_invalid`` (only when some ticket has that outcome).
  Censoring-aware 30-day resolution (``RESOLUTION_WINDOW_DAYS``): ``matured_30d`` (valid tickets
  received at least 30 days before the cut-off, except status-only closures), ``closed_within_30d``
  (of those, closed within 30 days of receipt), ``immature_30d`` (valid tickets received in the
  last 30 days before the cut-off: their 30 days have not run out), ``matured_untimed_30d``
  (received at least 30 days before, closed without a ``closed_at``).
- volunteer_hours (by the month of ``date``): ``hours`` (h), ``participations`` (人次),
  ``activities`` (records).

Stock measures — one row per (unit_level, unit_id, year), ``year`` = register year (Int64; <NA> for
an undated snapshot):

- grids (at the finest level): ``grids``, ``households`` (户), ``grids_with_households``,
  ``grids_without_households``, ``population`` (人), ``grids_with_full_time`` (≥ 1 full-time grid
  worker), ``grid_workers`` (full-time + part-time), ``full_time_workers``, ``part_time_workers``
  (persons), ``grids_with_branch``, ``community_workers``.
- stations (at the level they belong to): ``stations``; ``centres_with_standard`` (type has a
  minimum area and the area is known); ``centres_meeting_area`` (area_m2 ≥ the minimum of its
  type); ``centres_without_area`` (type has a standard, area unknown).

Handling time: ``handling_histogram`` is a sparse long table (unit_level, unit_id, month, bin, count)
of closed tickets' handling hours (closed_at − received_at) in 1-hour bins: bin b holds
b ≤ hours < b + 1, with no upper cap — the bins reach the longest handling time (a ticket open
800 days is in bin 19,200), so no median is ever cut at a bound. Only non-empty bins are stored,
so long tails cost one row each. ``histogram_median`` turns summed histograms into medians.

A measure is produced only when its table and input columns are present (and not entirely empty);
``available_measures`` says which.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np
import pandas as pd

from data.model import EXCLUDED_STATUSES
from data.textops import pool
from indicators.catalog import station_area_minimums

#: Width of a handling-time histogram bin, in hours.
HIST_BIN_HOURS = 1

#: Who makes the pass over the tickets (``compute_measures(engine=…)``)
ENGINES = ("pandas", "duckdb", "spark")
#: Window of the censoring-aware resolution rate (30日办结率), in days.
RESOLUTION_WINDOW_DAYS = 30
#: Measure holding the tickets of each excluded outcome, by ``status`` value.
EXCLUDED_MEASURES = {reason: f"excluded_{reason}" for reason in EXCLUDED_STATUSES}

FLOW_KEYS = ["unit_level", "unit_id", "month"]
STOCK_KEYS = ["unit_level", "unit_id", "year"]
HIST_KEYS = ["unit_level", "unit_id", "month", "bin"]


@dataclass(frozen=True)
class Measure:
    """An additive measure: name, source table, ``'flow'`` (per month) or ``'stock'`` (per
    register year), and the canonical columns it needs."""

    name: str
    table: str
    kind: str
    requires: tuple[str, ...]
    description_zh: str


def _m(name: str, table: str, kind: str, requires: tuple[str, ...], zh: str) -> Measure:
    return Measure(name, table, kind, requires, zh)


_C = ("received_at", "unit_level", "unit_id")
_UNIT_COLUMNS = ("unit_level", "unit_id")
#: Every measure by name. ``handling_hours_histogram`` is the histogram (not a column).
MEASURES: dict[str, Measure] = {m.name: m for m in [
    _m("received", "complaints", "flow", _C, "受理工单数"),
    _m("valid", "complaints", "flow", _C, "有效工单数（受理工单数 − 撤销、重复、转办、无效工单）"),
    _m("closed", "complaints", "flow", _C + ("closed_at|status",), "已办结工单数"),
    _m("open_at_cutoff", "complaints", "flow", _C + ("closed_at|status",), "截止日仍未办结工单数"),
    _m("closed_timed", "complaints", "flow", _C + ("closed_at",), "有办结时间的已办结工单数"),
    _m("untimed", "complaints", "flow", _C + ("closed_at",), "未办结或无办结时间的工单数"),
    _m("closed_untimed", "complaints", "flow", _C + ("closed_at",), "已办结但无办结时间的工单数"),
    _m("closed_with_due", "complaints", "flow", _C + ("closed_at", "due_at"), "有办理时限的已办结工单数"),
    _m("closed_on_time", "complaints", "flow", _C + ("closed_at", "due_at"), "按时办结工单数"),
    _m("closed_without_due", "complaints", "flow", _C + ("closed_at", "due_at"), "无办理时限的已办结工单数"),
    _m("rated", "complaints", "flow", _C + ("satisfaction",), "已评价工单数"),
    _m("satisfied", "complaints", "flow", _C + ("satisfaction",), "满意及基本满意工单数"),
    _m("unrated", "complaints", "flow", _C + ("satisfaction",), "未评价工单数"),
    _m("repeat", "complaints", "flow", _C + ("is_repeat",), "重复诉求工单数"),
    *[_m(EXCLUDED_MEASURES[r], "complaints", "flow", _C + ("status",), f"排除工单数（{zh}）")
      for r, zh in EXCLUDED_STATUSES.items()],
    _m("matured_30d", "complaints", "flow", _C + ("closed_at",), "受理满 30 天的有效工单数"),
    _m("closed_within_30d", "complaints", "flow", _C + ("closed_at",), "受理后 30 天内办结的工单数"),
    _m("immature_30d", "complaints", "flow", _C + ("closed_at",), "截止日前 30 天内受理的有效工单数"),
    _m("matured_untimed_30d", "complaints", "flow", _C + ("closed_at",), "受理满 30 天、已办结但无办结时间的工单数"),
    _m("handling_hours_histogram", "complaints", "flow", _C + ("closed_at",), "办结时长直方图（1 小时分箱）"),
    _m("hours", "volunteer_hours", "flow", ("date", "unit_level", "unit_id", "hours"), "志愿服务时长（小时）"),
    _m("participations", "volunteer_hours", "flow", ("date", "unit_level", "unit_id", "participations"), "志愿服务人次"),
    _m("activities", "volunteer_hours", "flow", ("date", "unit_level", "unit_id"), "志愿服务活动记录数"),
    _m("grids", "grids", "stock", ("unit_id",), "网格数"),
    _m("households", "grids", "stock", ("unit_id", "households"), "户数"),
    _m("grids_with_households", "grids", "stock", ("unit_id", "households"), "填报户数的网格数"),
    _m("grids_without_households", "grids", "stock", ("unit_id", "households"), "未填报户数的网格数"),
    _m("population", "grids", "stock", ("unit_id", "population"), "常住人口"),
    _m("grids_with_full_time", "grids", "stock", ("unit_id", "full_time_workers"), "配备专职网格员的网格数"),
    _m("grid_workers", "grids", "stock", ("unit_id", "full_time_workers", "part_time_workers"), "网格员人数（专职+兼职）"),
    _m("full_time_workers", "grids", "stock", ("unit_id", "full_time_workers"), "专职网格员人数"),
    _m("part_time_workers", "grids", "stock", ("unit_id", "part_time_workers"), "兼职网格员人数"),
    _m("grids_with_branch", "grids", "stock", ("unit_id", "has_party_branch"), "建立党支部的网格数"),
    _m("community_workers", "grids", "stock", ("unit_id", "community_workers"), "社区工作者人数"),
    _m("population_located", "grids", "stock", ("unit_id", "population", "lat", "lon"), "有中心点坐标的网格人口"),
    _m("population_covered", "grids", "stock", ("unit_id", "population", "lat", "lon"), "服务半径内的网格人口"),
    _m("grids_unlocated", "grids", "stock", ("unit_id", "population", "lat", "lon"), "缺中心点坐标的网格数"),
    _m("stations", "stations", "stock", (), "党群服务阵地数（未归属单位的只计入全部）"),
    _m("centres_with_standard", "stations", "stock", ("station_type", "area_m2"), "有面积标准且面积已知的中心数"),
    _m("centres_meeting_area", "stations", "stock", ("station_type", "area_m2"), "面积达标的中心数"),
    _m("centres_without_area", "stations", "stock", ("station_type", "area_m2"), "有面积标准但面积未填的中心数"),
]}


def _has(df: pd.DataFrame | None, column: str, filled: dict[str, bool] | None = None) -> bool:
    """True when ``column`` (or one of ``a|b`` alternatives) exists with at least one value.
    ``filled``: a per-table memo {column: has a value} (each column is scanned once)."""
    if df is None:
        return False
    memo = {} if filled is None else filled
    for c in column.split("|"):
        if c not in memo:
            memo[c] = c in df.columns and bool(df[c].notna().any())
        if memo[c]:
            return True
    return False


#: Measures of the 15-minute life circle (indicators.coverage), from grids and stations together.
COVERAGE_MEASURES = ("population_located", "population_covered", "grids_unlocated")

#: Pre-aggregated complaints (one row per unit per month, DESIGN.md §2): measure ← its inputs.
AGGREGATED_COMPLAINTS: dict[str, tuple[str, ...]] = {
    "received": ("month", "received"),
    "valid": ("month", "received"),
    "closed": ("month", "received", "resolved"),
    "open_at_cutoff": ("month", "received", "resolved"),
    "closed_with_due": ("month", "resolved", "on_time"),
    "closed_on_time": ("month", "resolved", "on_time"),
    "closed_without_due": ("month", "resolved", "on_time"),
    "rated": ("month", "received", "rated", "satisfied"),
    "satisfied": ("month", "received", "rated", "satisfied"),
    "unrated": ("month", "received", "rated", "satisfied"),
}


def available_measures(tables: Mapping[str, pd.DataFrame]) -> set[str]:
    """Names of the measures whose table and input columns are present and not all empty.

    A complaints table may hold tickets, pre-aggregated rows (``AGGREGATED_COMPLAINTS``), or
    both stacked; either form makes a measure available.
    """
    # unit columns need only exist: records that name no unit still count in the total (issue 12)
    memo: dict[str, dict[str, bool]] = {t: {} for t in tables}
    found = {m.name for m in MEASURES.values()
             if m.table in tables and len(tables[m.table])
             and all(_has(tables[m.table], c, memo[m.table])
                     or (c in _UNIT_COLUMNS and c in tables[m.table].columns)
                     for c in m.requires)}
    complaints = tables.get("complaints")
    if "status" in (complaints.columns if complaints is not None else ()):
        outcomes = set(complaints["status"].dropna().unique().tolist())
        found -= {m for r, m in EXCLUDED_MEASURES.items() if r not in outcomes}
    if not all(_has(tables.get("stations"), c) for c in ("lat", "lon")):
        found -= set(COVERAGE_MEASURES)          # coverage needs station coordinates too
    complaints = tables.get("complaints")
    if complaints is not None and len(complaints) and _has(complaints, "unit_id"):
        found |= {name for name, needs in AGGREGATED_COMPLAINTS.items()
                  if all(_has(complaints, c, memo["complaints"]) for c in needs)}
    return found


def _month_code(ts: pd.Series) -> np.ndarray:
    """YYYYMM integers for a datetime Series (NaT → -1)."""
    code = ts.dt.year * 100 + ts.dt.month
    return code.fillna(-1).astype("int64").to_numpy()


def _month_label(code: pd.Series | np.ndarray, categorical: bool = False) -> pd.Series:
    """YYYYMM integers → 'YYYY-MM' (str, or a Categorical for long tables: each distinct month
    is formatted once)."""
    codes, uniques = pd.factorize(np.asarray(code, dtype="int64"))
    labels = np.array([f"{u // 100}-{u % 100:02d}" for u in uniques], dtype=object)
    if categorical:
        return pd.Series(pd.Categorical.from_codes(codes, categories=pd.Index(labels)))
    import pyarrow as pa
    taken = pa.array(labels.tolist(), pa.large_string()).take(pa.array(codes))
    return pd.Series(pd.array(taken, dtype="str"))    # taken in Arrow: no Python string per row


def _key_codes(key: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray | None, int]:
    """Dense non-negative codes of an integer key: the key itself when it already is small and
    non-negative (unit codes, bins), else its sorted factorisation. Returns (codes, uniques or
    None when the codes are the values, number of codes)."""
    key = np.asarray(key)
    if len(key) and key.min() >= 0 and key.max() < 1 << 16:
        return key.astype("int64", copy=False), None, int(key.max()) + 1
    codes, uniques = pd.factorize(key, sort=True)
    return codes.astype("int64", copy=False), np.asarray(uniques), max(len(uniques), 1)


def group_sum(keys: list[np.ndarray], values: Mapping[str, np.ndarray], sort: bool = True
              ) -> tuple[list[np.ndarray], dict[str, np.ndarray]]:
    """Sum ``values`` by integer ``keys``: one flat group index and one ``np.bincount`` per
    value column (no DataFrame copy of the input, no hash groupby of several columns).

    keys: equal-length int arrays (any values, negative too). values: arrays of the same length
    (bool, int or float). Groups come out in ascending key order (first key first, as
    ``groupby(sort=True)``); with ``sort=False`` a sparse key space (more combinations than
    4 × rows) skips that sort and groups come in first-appearance order. A float value's sum is NaN when every value of its group is NaN
    (``sum(min_count=1)``), otherwise NaNs are skipped. Returns (the group's key values per key,
    int64; {name: float64 sums}).
    """
    n = len(keys[0]) if keys else 0
    coded = [_key_codes(k, n) for k in keys]
    sizes = tuple(c[2] for c in coded)
    total = int(np.prod(sizes, dtype=object))
    if total >= 2 ** 62:
        raise ValueError(f"too many key combinations to index: {total:,}")
    flat = np.ravel_multi_index([c[0] for c in coded], sizes) if n else np.zeros(0, "int64")
    if total <= max(4 * n, 1 << 22):        # dense: count straight into every combination
        groups = np.flatnonzero(np.bincount(flat, minlength=total))
        index, length = flat, total
        pick = groups
    else:                                   # sparse: number the combinations that occur
        index, groups = pd.factorize(flat, sort=sort)
        length, pick = len(groups), slice(None)
    sums = {}
    for name, v in values.items():
        v = np.asarray(v)
        nan = np.isnan(v) if v.dtype.kind == "f" else None
        if nan is not None and nan.any():
            total_ = np.bincount(index, weights=np.where(nan, 0.0, v), minlength=length)[pick]
            seen = np.bincount(index, weights=~nan, minlength=length)[pick]
            sums[name] = np.where(seen > 0, total_, np.nan)
        else:
            sums[name] = np.bincount(index, weights=v, minlength=length)[pick]
    parts = np.unravel_index(np.asarray(groups, dtype="int64"), sizes) if len(sizes) else []
    out_keys = [p if c[1] is None else c[1][p] for p, c in zip(parts, coded)]
    return [np.asarray(k, dtype="int64") for k in out_keys], sums


def _unit_labels(codes: np.ndarray, uniques, categorical: bool) -> pd.Series:
    values = np.asarray(uniques, dtype=object)
    if categorical and not pd.isna(values).any():
        return pd.Series(pd.Categorical.from_codes(codes, categories=pd.Index(values.astype(str))))
    return pd.Series(values[codes]).astype("str")


def _sum_by_unit(unit_level: pd.Series, unit_id: pd.Series, keys: dict[str, np.ndarray],
                 values: dict[str, np.ndarray], keep: np.ndarray | None = None,
                 categorical: bool = False, sort: bool = True) -> pd.DataFrame:
    """Sum ``values`` by (unit_level, unit_id, keys…) with ``group_sum`` on integer codes
    (string keys are factorised once).

    Returns unit_level, unit_id (str, or Categorical when ``categorical``; missing stays
    missing: such records count in the total only), the keys and the value columns (float64);
    rows where ``keep`` is False are left out; groups ordered by unit (first appearance) then
    key values (``sort=False``: see ``group_sum``).
    """
    level_code, level_uniq = pd.factorize(unit_level, use_na_sentinel=False)
    id_code, id_uniq = pd.factorize(unit_id, use_na_sentinel=False)
    arrays = [level_code, id_code, *keys.values()]
    if keep is not None and not keep.all():
        arrays = [np.asarray(a)[keep] for a in arrays]
        values = {k: np.asarray(v)[keep] for k, v in values.items()}
    (lv, uid, *rest), sums = group_sum(arrays, values, sort)
    return pd.DataFrame({"unit_level": _unit_labels(lv, level_uniq, categorical),
                         "unit_id": _unit_labels(uid, id_uniq, categorical),
                         **dict(zip(keys, rest)), **sums})


def _sum_by_keys(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return frame.groupby(keys, observed=True, sort=True, dropna=False).sum().reset_index()


def complaint_measures(complaints: pd.DataFrame, cutoff: pd.Timestamp | None = None
                       ) -> pd.DataFrame:
    """Flow measures of the complaints table (one ticket per row, see data/model.py).

    Input columns: received_at, unit_level, unit_id (required); closed_at, status, due_at,
    satisfaction, is_repeat (each optional). Tickets without received_at are ignored (ingest
    rejects them). ``cutoff``: data cut-off; a ticket closed after it counts as open. Default:
    no cut-off (every closed_at counts).
    status: 'closed' | 'open' | an excluded outcome (see the module docstring: such tickets count
    in received and excluded_<reason> only).
    Output: unit_level, unit_id (str), month ('YYYY-MM'), and float64 columns for each available
    measure among received, valid, closed, open_at_cutoff, closed_timed, untimed, closed_untimed,
    closed_with_due, closed_on_time, closed_without_due, rated, satisfied, unrated, repeat,
    excluded_<reason>, matured_30d, closed_within_30d, immature_30d, matured_untimed_30d.
    """
    df = complaints
    present = available_measures({"complaints": df})
    month = _month_code(df["received_at"])
    n = len(df)
    status = df["status"] if "status" in df.columns else None
    outcome = {r: (status == r).fillna(False).to_numpy(dtype=bool)
               for r, m in EXCLUDED_MEASURES.items() if m in present}
    valid = np.ones(n, dtype=bool)
    for mask in outcome.values():
        valid &= ~mask
    cols: dict[str, np.ndarray] = {"received": np.ones(n), "valid": valid}
    closed_at = df["closed_at"] if "closed_at" in df.columns else None
    if closed_at is not None:
        timed = closed_at.notna().to_numpy()
        if cutoff is not None:
            timed = timed & (closed_at <= cutoff).fillna(False).to_numpy(dtype=bool)
        timed = timed & valid
    else:
        timed = np.zeros(n, dtype=bool)
    if "closed" in present:
        closed = timed
        if status is not None:
            no_time = closed_at.isna().to_numpy() if closed_at is not None else np.ones(n, bool)
            closed = closed | no_time & (status == "closed").fillna(False).to_numpy(dtype=bool)
        cols["closed"] = closed
        cols["open_at_cutoff"] = valid & ~closed
    if "closed_timed" in present:
        cols["closed_timed"] = timed
        cols["untimed"] = valid & ~timed
        cols["closed_untimed"] = cols["closed"] & ~timed
    if "closed_with_due" in present:
        with_due = timed & df["due_at"].notna().to_numpy()
        cols["closed_with_due"] = with_due
        cols["closed_on_time"] = with_due & (closed_at <= df["due_at"]).fillna(False).to_numpy(bool)
        cols["closed_without_due"] = cols.get("closed", timed) & ~with_due
    if "rated" in present:
        sat = df["satisfaction"]
        rated = sat.notna().to_numpy() & valid
        cols["rated"] = rated
        cols["unrated"] = valid & ~rated
        cols["satisfied"] = valid & sat.isin(["satisfied", "basically_satisfied"]).to_numpy(bool)
    if "repeat" in present:
        cols["repeat"] = valid & df["is_repeat"].fillna(False).to_numpy(dtype=bool)
    for r, mask in outcome.items():
        cols[EXCLUDED_MEASURES[r]] = mask
    if "matured_30d" in present:
        window = pd.Timedelta(days=RESOLUTION_WINDOW_DAYS)
        matured = valid.copy()
        if cutoff is not None:
            matured &= (df["received_at"] <= cutoff - window).fillna(False).to_numpy(dtype=bool)
        untimed_closed = cols["closed_untimed"] if "closed_untimed" in cols else \
            np.zeros(n, dtype=bool)
        cols["matured_30d"] = matured & ~untimed_closed
        cols["closed_within_30d"] = matured & timed & \
            (closed_at - df["received_at"] <= window).fillna(False).to_numpy(dtype=bool)
        cols["immature_30d"] = valid & ~matured
        cols["matured_untimed_30d"] = matured & untimed_closed
    out = _sum_by_unit(df["unit_level"], df["unit_id"], {"month": month},
                       cols, keep=month >= 0)
    out["month"] = _month_label(out["month"]).to_numpy()
    return out[FLOW_KEYS + [c for c in MEASURES if c in cols]]


def aggregated_complaint_measures(rows: pd.DataFrame, wanted: set[str] | None = None
                                  ) -> pd.DataFrame:
    """Flow measures of pre-aggregated complaint rows (one row per unit per month).

    Input: unit_level, unit_id, month (datetime64, any day of the month), received, and
    optionally resolved (办结), on_time (按时办结), rated (已评价), satisfied (满意 + 基本满意)
    — counts (float). An aggregate has no due dates, so every resolved ticket counts as having
    one (on_time_rate = on_time / resolved), and no handling times (its tickets are ``untimed``).
    ``wanted``: measures the whole complaints table provides (tickets stacked with aggregates);
    those an aggregate lacks are filled so its tickets count as excluded: no on_time → resolved
    tickets without due date, no rating → unrated. ``repeat`` cannot be filled and stays NaN.
    Output: like ``complaint_measures``.
    """
    present = available_measures({"complaints": rows})
    wanted = present if wanted is None else set(wanted) | present

    def num(col: str) -> np.ndarray:
        return pd.to_numeric(rows[col], errors="coerce").astype("float64").fillna(0.0).to_numpy()

    received = num("received")
    zero = np.zeros(len(rows))
    resolved = num("resolved") if "closed" in present else zero
    cols: dict[str, np.ndarray] = {"received": received, "valid": received}
    if "closed" in wanted:
        cols["closed"] = resolved
        cols["open_at_cutoff"] = received - resolved
    if "closed_timed" in wanted:
        cols["closed_timed"] = zero
        cols["untimed"] = received
        cols["closed_untimed"] = resolved
    if "closed_with_due" in wanted:
        has = "closed_with_due" in present
        cols["closed_with_due"] = resolved if has else zero
        cols["closed_on_time"] = num("on_time") if has else zero
        cols["closed_without_due"] = zero if has else resolved
    if "rated" in wanted:
        has = "rated" in present
        cols["rated"] = num("rated") if has else zero
        cols["satisfied"] = num("satisfied") if has else zero
        cols["unrated"] = received - cols["rated"]
    month = _month_code(pd.to_datetime(rows["month"]))
    out = _sum_by_unit(rows["unit_level"], rows["unit_id"], {"month": month}, cols,
                       keep=month >= 0)
    out["month"] = _month_label(out["month"]).to_numpy()
    return out


def handling_histogram(complaints: pd.DataFrame, cutoff: pd.Timestamp | None = None
                       ) -> pd.DataFrame:
    """Sparse histogram of handling hours of tickets closed by ``cutoff``.

    Input: complaints with received_at, closed_at, unit_level, unit_id (status optional: tickets
    with an excluded outcome, ``data.model.EXCLUDED_STATUSES``, are left out). Handling hours =
    (closed_at − received_at) in hours; bin = floor(hours / HIST_BIN_HOURS), negative durations
    (rejected by ingest) go to bin 0; no upper cap (a 800-day ticket is in bin 19,200).
    Output: unit_level, unit_id, month ('YYYY-MM' of received_at) — Categorical (one row per
    ticket at worst, so no per-row strings), bin (int64), count (int64 > 0); only non-empty
    bins, in no guaranteed order.
    """
    df = complaints       # column arrays and a mask: the ticket table itself is never copied
    closed_at = df["closed_at"]
    ok = (closed_at.notna() & df["received_at"].notna()).to_numpy(dtype=bool)
    if "status" in df.columns:        # excluded outcomes (cancelled, …) have no handling time
        ok = ok & ~df["status"].isin(list(EXCLUDED_STATUSES)).fillna(False).to_numpy(dtype=bool)
    if cutoff is not None:
        ok = ok & (closed_at <= cutoff).fillna(False).to_numpy(dtype=bool)
    hours = (closed_at - df["received_at"]).dt.total_seconds().to_numpy() / 3600.0
    bins = np.maximum(np.floor(np.nan_to_num(hours) / HIST_BIN_HOURS), 0).astype("int64")
    out = _sum_by_unit(df["unit_level"], df["unit_id"],
                       {"month": _month_code(df["received_at"]), "bin": bins},
                       {"count": ok}, keep=ok, categorical=True, sort=False)
    out["month"] = _month_label(out["month"], categorical=True).to_numpy()
    out["count"] = out["count"].astype("int64")
    return out


def histogram_median(hist: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Median handling hours per group from a (summed) histogram.

    Input: ``hist`` with the ``keys`` columns, ``bin`` (int, lower edge in hours) and ``count``.
    For N tickets the median is the mean of order statistics r₁ = ⌊(N+1)/2⌋ and r₂ = ⌊N/2⌋+1;
    each is placed by linear interpolation inside its bin: the f tickets of a bin [L, L+w) are
    taken as evenly spread at L + (i − ½)/f·w, i = 1…f. Each order statistic therefore lies in the
    same bin as the estimate, so |estimate − exact median| ≤ w = HIST_BIN_HOURS (1 hour) at any
    length (the bins have no cap, so no median is a lower bound).
    Output: the keys, ``median_hours`` (float64) and ``n`` (float64, tickets).
    """
    if hist.empty:
        return pd.DataFrame({**{k: hist[k] for k in keys},
                             "median_hours": pd.Series(dtype="float64"),
                             "n": pd.Series(dtype="float64")})
    h = hist.sort_values(keys + ["bin"], kind="stable").reset_index(drop=True)
    grp = h.groupby(keys, observed=True, sort=False)["count"]
    count = h["count"].to_numpy(dtype="float64")
    cum = grp.cumsum().to_numpy(dtype="float64")
    n = grp.transform("sum").to_numpy(dtype="float64")
    before = cum - count
    lower = h["bin"].to_numpy(dtype="float64") * HIST_BIN_HOURS
    estimates, rows = [], None
    for rank in (np.floor((n + 1) / 2), np.floor(n / 2) + 1):
        hit = np.flatnonzero((before < rank) & (rank <= cum))   # one row per group, in order
        pos = lower[hit] + (rank[hit] - before[hit] - 0.5) / count[hit] * HIST_BIN_HOURS
        estimates.append(pos)
        rows = hit if rows is None else rows
    out = h.loc[rows, keys].reset_index(drop=True)
    out["median_hours"] = (estimates[0] + estimates[1]) / 2
    out["n"] = n[rows]
    return out


def volunteer_measures(volunteer_hours: pd.DataFrame) -> pd.DataFrame:
    """Flow measures of volunteer records (one activity per row, data/model.py).

    Input: date, unit_level, unit_id (required); hours (h), participations (人次) (optional).
    Output: unit_level, unit_id, month ('YYYY-MM'), activities, and hours / participations
    (float64) when present. Records without a date are ignored.
    """
    df = volunteer_hours
    present = available_measures({"volunteer_hours": df})
    month = _month_code(df["date"])
    values = {"activities": np.ones(len(df))}
    for name in ("hours", "participations"):
        if name in present:
            values[name] = pd.to_numeric(df[name], errors="coerce").astype("float64") \
                .fillna(0.0).to_numpy()
    out = _sum_by_unit(df["unit_level"], df["unit_id"], {"month": month}, values,
                       keep=month >= 0)
    out["month"] = _month_label(out["month"]).to_numpy()
    return out


def select_registers(years_available: set[int], undated: bool, period_years: list[int]
                      ) -> dict[int, int]:
    """{period year: register year (−1 = undated)}.

    Year Y uses the register of Y or the latest one before it; failing that an undated register;
    failing that the earliest register after Y (a dataset whose only register postdates its
    complaints still gets per-capita rates, flagged as a fallback).
    """
    dated = sorted(y for y in years_available if y >= 0)
    chosen = {}
    for y in period_years:
        before = [d for d in dated if d <= y]
        if before:
            chosen[y] = before[-1]
        elif undated:
            chosen[y] = -1
        elif dated:
            chosen[y] = dated[0]
    return chosen


def _register_year(df: pd.DataFrame) -> pd.Series:
    if "year" in df.columns:
        return df["year"].astype("Int64")
    return pd.Series(pd.NA, index=df.index, dtype="Int64")


def grid_measures(grids: pd.DataFrame, finest_level: str, community_level: str | None = None
                  ) -> pd.DataFrame:
    """Stock measures of the grid register (one grid per register year, data/model.py).

    Input: unit_id (finest-level id), year (Int64 or <NA>), and any of households (户),
    population (人), full_time_workers, part_time_workers, has_party_branch (boolean),
    community_workers. Missing numbers count as 0 in sums (households also counts the grids that
    report it, so households_per_grid is over reporting grids); a missing has_party_branch or
    full_time_workers counts as "no".
    community_workers (社区工作者) is a community figure that a manifest joins onto every grid of
    the community: when ``community_level`` is given and the register has ``{community_level}_id``,
    it is taken once per community and register year (the largest value on its grid rows) and
    attached to the community; otherwise it is summed over grid rows.
    Output: unit_level, unit_id, year (Int64), grids and each available grid measure (float64);
    community rows carry only community_workers (other measures NaN).
    """
    df = grids
    present = available_measures({"grids": df})
    year = _register_year(df).fillna(-1).astype("int64").to_numpy()
    frame = pd.DataFrame({"unit_id": df["unit_id"].to_numpy(), "year": year,
                          "grids": np.ones(len(df))})

    def num(col: str) -> np.ndarray:
        return pd.to_numeric(df[col], errors="coerce").astype("float64").to_numpy()

    if "households" in present:
        hh = num("households")
        frame["households"] = np.nan_to_num(hh)
        frame["grids_with_households"] = (~np.isnan(hh)).astype("float64")
        frame["grids_without_households"] = np.isnan(hh).astype("float64")
    if "population" in present:
        frame["population"] = np.nan_to_num(num("population"))
    if "grids_with_full_time" in present:
        frame["grids_with_full_time"] = (np.nan_to_num(num("full_time_workers")) >= 1).astype(float)
    if "grid_workers" in present:
        frame["grid_workers"] = (np.nan_to_num(num("full_time_workers"))
                                 + np.nan_to_num(num("part_time_workers")))
    for col in ("full_time_workers", "part_time_workers"):
        if col in present:
            frame[col] = np.nan_to_num(num(col))
    if "grids_with_branch" in present:
        frame["grids_with_branch"] = (df["has_party_branch"].astype("boolean").fillna(False)
                                      .to_numpy(dtype="float64"))
    community_col = f"{community_level}_id" if community_level else None
    per_community = "community_workers" in present and community_col in df.columns
    if "community_workers" in present and not per_community:
        frame["community_workers"] = np.nan_to_num(num("community_workers"))
    out = _sum_by_keys(frame, ["unit_id", "year"])
    out.insert(0, "unit_level", finest_level)
    if per_community:
        workers = pd.DataFrame({"unit_id": df[community_col].to_numpy(), "year": year,
                                "community_workers": num("community_workers")})
        workers = workers.dropna(subset=["unit_id"]) \
            .groupby(["unit_id", "year"], sort=True)["community_workers"].max().reset_index()
        workers.insert(0, "unit_level", community_level)
        out["community_workers"] = np.nan
        out = pd.concat([out, workers], ignore_index=True)
    out["unit_level"] = out["unit_level"].astype("str")
    out["unit_id"] = out["unit_id"].astype("str")
    out["year"] = out["year"].astype("Int64").where(out["year"] >= 0)
    return out


def station_measures(stations: pd.DataFrame, area_min_m2: Mapping[str, float] | None = None
                     ) -> pd.DataFrame:
    """Stock measures of the service-station register (data/model.py ``stations``).

    Input: unit_level, unit_id (a station not attached to a unit counts in the total only),
    year (Int64 or <NA>), station_type (str), area_m2 (float, m²).
    ``area_min_m2``: minimum area in m² by exact station type; default
    ``catalog.DEFAULT_STATION_AREA_MIN_M2`` (广安市委组织部: 社区党群服务中心 300, 村党群服务中心 90).
    ``opened`` (datetime64, optional): a station counts in year Y only when opened by the end of
    Y (unknown opening date: always); carried as the key ``opened_year`` (−1 = unknown).
    Output: unit_level, unit_id, year (Int64), opened_year (int64), stations, and when
    station_type and area_m2 are present centres_with_standard, centres_meeting_area,
    centres_without_area (float64).
    """
    df = stations
    present = available_measures({"stations": df})
    opened = (df["opened"].dt.year.fillna(-1).astype("int64").to_numpy()
              if "opened" in df.columns else np.full(len(df), -1, dtype="int64"))
    missing = pd.Series(pd.NA, index=df.index, dtype="string")
    frame = pd.DataFrame({"unit_level": df.get("unit_level", missing).to_numpy(),
                          "unit_id": df.get("unit_id", missing).to_numpy(),
                          "year": _register_year(df).fillna(-1).astype("int64").to_numpy(),
                          "opened_year": opened,
                          "stations": np.ones(len(df))})
    if "centres_with_standard" in present:
        minimum = (df["station_type"].astype("string").str.strip()
                   .map(dict(area_min_m2 if area_min_m2 is not None
                             else station_area_minimums(None)))
                   .astype("float64").to_numpy())
        area = pd.to_numeric(df["area_m2"], errors="coerce").astype("float64").to_numpy()
        has_std = ~np.isnan(minimum)
        known = has_std & ~np.isnan(area)
        frame["centres_with_standard"] = known.astype(float)
        frame["centres_meeting_area"] = (known & (np.nan_to_num(area) >= np.nan_to_num(minimum))
                                         ).astype(float)
        frame["centres_without_area"] = (has_std & np.isnan(area)).astype(float)
    out = _sum_by_keys(frame, STOCK_KEYS + ["opened_year"])
    out["year"] = out["year"].astype("Int64").where(out["year"] >= 0)
    return out


@dataclass
class Measures:
    """All measures of one dataset.

    flows: {table: flow measure frame}; stocks: {table: stock measure frame};
    histogram: the handling-hours histogram (or None); available: measure names present;
    derived: stock tables computed per period year (``coverage``).
    """

    flows: dict[str, pd.DataFrame] = field(default_factory=dict)
    stocks: dict[str, pd.DataFrame] = field(default_factory=dict)
    histogram: pd.DataFrame | None = None
    available: set[str] = field(default_factory=set)
    #: stock tables computed per period year (no register of their own to report)
    derived: set[str] = field(default_factory=set)


def effective_cutoff(cutoff) -> pd.Timestamp | None:
    """The last instant that counts as "by the cut-off": a date without a time of day
    (2025-12-31 00:00) means the end of that day."""
    if cutoff is None or pd.isna(cutoff):
        return None
    cutoff = pd.Timestamp(cutoff)
    if cutoff == cutoff.normalize():
        return cutoff + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
    return cutoff


def compute_measures(dataset, engine: str = "pandas") -> Measures:
    """Every available measure of a ``data.model.Dataset`` (tables absent or empty are skipped).

    engine: ``'pandas'`` (default), ``'duckdb'`` or ``'spark'``: who makes the one pass over
    the ticket table (``indicators.engine_duckdb.ticket_measures``; ``indicators.engine_spark``
    runs the same SQL on Spark, master from $SPARK_MASTER or ``local[*]``); all give identical
    measures. The small registers and volunteer records stay in pandas.

    Complaint rows with a received_at are tickets; rows without one but with month and
    received are pre-aggregated (``aggregated_complaint_measures``); both may be stacked in one
    table and are summed.

    Uses ``dataset.cutoff`` for complaints (see ``effective_cutoff``), the level above the grid
    (``community`` when the dataset has it) for community workers, and ``dataset.config['standards']`` for station area
    minimums. Returns a ``Measures`` bundle; raises ``ValueError`` for an unknown engine.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown measure engine {engine!r}: one of {', '.join(ENGINES)}")
    tables = {k: v for k, v in dataset.tables.items() if v is not None and len(v)}
    available = available_measures(tables)
    out = Measures(available=available)
    cutoff = effective_cutoff(dataset.cutoff)
    if "received" in available:
        complaints = tables["complaints"]
        is_ticket = (complaints["received_at"].notna() if "received_at" in complaints.columns
                     else pd.Series(False, index=complaints.index))
        parts = []
        hist = None
        if is_ticket.any():
            tickets = complaints if is_ticket.all() else complaints.loc[is_ticket]
            if engine == "duckdb":
                from indicators.engine_duckdb import ticket_measures
                flow, hist = ticket_measures(
                    tickets, cutoff, available_measures({"complaints": tickets}),
                    histogram="handling_hours_histogram" in available)
            elif engine == "spark":           # via a partitioned Parquet folder (data/prepared.py)
                from indicators.engine_spark import ticket_measures as spark_measures
                flow, hist = spark_measures(
                    tickets, cutoff, available_measures({"complaints": tickets}),
                    histogram="handling_hours_histogram" in available,
                    units=dataset.units, levels=list(dataset.levels))
            else:                             # the histogram is built on a second core meanwhile
                later = (pool().submit(handling_histogram, tickets, cutoff)
                         if "handling_hours_histogram" in available else None)
                flow = complaint_measures(tickets, cutoff)
                hist = later.result() if later is not None else None
            parts.append(flow)
        if not is_ticket.all() and "received" in complaints.columns:
            parts.append(aggregated_complaint_measures(complaints.loc[~is_ticket], available))
        flows = pd.concat(parts, ignore_index=True)
        shared = [c for c in flows.columns if c not in FLOW_KEYS]
        flows = flows.groupby(FLOW_KEYS, sort=True, dropna=False)[shared] \
            .sum(min_count=1).reset_index() if len(parts) > 1 else flows
        out.flows["complaints"] = flows[FLOW_KEYS + [c for c in MEASURES if c in shared]]
        out.histogram = hist
    if "activities" in available:
        out.flows["volunteer_hours"] = volunteer_measures(tables["volunteer_hours"])
    if "grids" in available:
        levels = list(dataset.levels)
        community = ("community" if "community" in levels[:-1]
                     else levels[-2] if len(levels) >= 2 else None)
        out.stocks["grids"] = grid_measures(tables["grids"], dataset.finest, community)
    if "stations" in available:
        out.stocks["stations"] = station_measures(tables["stations"],
                                                  station_area_minimums(dataset.config))
    if "population_covered" in available:
        from indicators.coverage import (coverage_measures, qualifying_station_types,
                                         service_radius_m)
        out.stocks["coverage"] = coverage_measures(
            tables["grids"], tables["stations"], dataset.finest,
            candidate_years(tables, dataset.cutoff), service_radius_m(dataset.config),
            qualifying_station_types(dataset.config))
        out.derived.add("coverage")
    return out


def candidate_years(tables: Mapping[str, pd.DataFrame], cutoff=None) -> list[int]:
    """The period years ``rollup`` will produce: years spanned by complaints (received_at or
    month) and volunteer records (date), and dated register years; with none of these but a
    register, the cut-off's year."""
    years: set[int] = set()
    for table, col in (("complaints", "received_at"), ("complaints", "month"),
                       ("volunteer_hours", "date")):
        df = tables.get(table)
        if df is not None and col in df.columns and df[col].notna().any():
            when = pd.to_datetime(df[col])
            years.update(range(int(when.min().year), int(when.max().year) + 1))
    for table in ("grids", "stations"):
        df = tables.get(table)
        if df is not None and len(df):
            years.update(int(y) for y in _register_year(df).dropna().unique())
    if not years and cutoff is not None and any(t in tables for t in ("grids", "stations")):
        years.add(int(pd.Timestamp(cutoff).year))
    return sorted(years)
