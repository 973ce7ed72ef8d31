"""Data quality over time (数据质量核查): the checks the WHO Data Quality Review toolkit and DHIS2's
data-quality app run on routine monthly reports, applied to the tidy indicator table.

``quality_findings(table, catalog, grids=None)`` → one row per finding, columns ``FINDING_COLUMNS``:

- **completeness** (报送完整性): a unit with no records of a table in a month although it had
  records in earlier months at a rate that makes an empty month implausible — the median of its
  earlier non-empty months is at least ``MIN_EXPECTED`` records (for a Poisson count with mean
  5 an empty month has probability e⁻⁵ ≈ 0.7 %). Record counts: tickets received
  (``complaints_received``) and volunteer activity records (denominator of
  ``volunteer_participations``).
- **outlier_own** (与自身历史相比异常): modified z-score M = 0.6745 (x − median) / MAD of a
  monthly reported volume (tickets, volunteer participations, activity records) against the
  unit's own months (Iglewicz & Hoaglin 1993), flagged when |M| > ``Z_LIMIT`` (3.5); at least
  ``MIN_HISTORY`` months; when MAD = 0 the mean absolute deviation × 1.2533 is used, and a
  series with no spread at all is skipped.
- **outlier_peer** (与同级单位相比异常): the same score of a unit's per-resident volume
  (per-capita indicators: complaints per 1,000, volunteer hours per resident) against the other
  units of its level in the same month. Performance rates (办结率 …) are not data-quality
  signals and are not checked.
- **consistency_time** (跨年一致性): a year's value ÷ the mean of the previous years' values
  (up to three), flagged beyond ±``TREND_LIMIT`` (33 %), for volumes (tickets, volunteer
  participations) and complete years only.
- **consistency_internal** (表间一致性): complaints per 1,000 residents of a unit against its peers
  in the year (a figure far off suggests a wrong register population), and a grid whose
  register gives an implausible number of residents per household (outside
  ``PERSONS_PER_HOUSEHOLD``).

Rows left out of every check: ``total``, small counts, provisional values (an open period
is not yet a fact), missing values. Each finding carries the value, the expected range and
why, in Chinese. Pure functions: no I/O, no Dash.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

#: |modified z-score| above this is an outlier (Iglewicz & Hoaglin; DHIS2 and WHO DQR use 3.5).
Z_LIMIT = 3.5
#: Fewer own months than this: no own-history outlier check.
MIN_HISTORY = 6
#: Fewer peers than this in a month: no peer outlier check.
MIN_PEERS = 5
#: Earlier median monthly records from which an empty month counts as missing.
MIN_EXPECTED = 5
#: Year ÷ mean of previous years beyond 1 ± this is inconsistent over time (WHO DQR: 33 %).
TREND_LIMIT = 0.33
#: Plausible residents per household in a grid register.
PERSONS_PER_HOUSEHOLD = (1.0, 6.0)
#: MAD → standard deviation of a normal distribution (1 / 1.4826).
_K = 0.6745
#: Mean absolute deviation → standard deviation of a normal distribution (√(π/2)).
_MEAN_AD = 1.253314

CHECKS_ZH = {"completeness": "报送完整性", "outlier_own": "与自身历史相比异常",
             "outlier_peer": "与同级单位相比异常", "consistency_time": "跨年一致性",
             "consistency_internal": "表间一致性"}
FINDING_COLUMNS = ["check", "check_zh", "level", "unit_id", "unit_name", "period",
                   "indicator_id", "item_zh", "value", "expected_low", "expected_high",
                   "reason_zh"]
#: Record counts per table for the completeness check: (indicator, column of the table).
RECORD_COUNTS = {"complaints": ("complaints_received", "numerator", "受理工单数"),
                 "volunteer_hours": ("volunteer_participations", "denominator", "志愿服务活动记录数")}
#: Volumes checked for consistency over time: (indicator, column, Chinese name).
VOLUMES = (("complaints_received", "numerator", "受理工单数"),
           ("volunteer_participations", "numerator", "志愿服务人次"))
#: Monthly reported values checked against the unit's own months.
OWN_ITEMS = VOLUMES + (("volunteer_participations", "denominator", "志愿服务活动记录数"),)


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="float64" if c in ("value", "expected_low",
                                                               "expected_high") else "object")
                         for c in FINDING_COLUMNS})


def modified_z(values: np.ndarray, reference: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Modified z-scores of ``values`` against ``reference`` (float arrays, NaN-free).

    Returns (scores, median, scale) with scale = MAD / 0.6745, or mean absolute deviation ×
    1.2533 when the MAD is 0; scores are NaN when the scale is 0 too (no spread)."""
    med = float(np.median(reference))
    mad = float(np.median(np.abs(reference - med)))
    scale = mad / _K if mad > 0 else float(np.mean(np.abs(reference - med))) * _MEAN_AD
    if scale <= 0:
        return np.full(len(values), np.nan), med, 0.0
    return (values - med) / scale, med, scale


def _usable(table: pd.DataFrame) -> pd.DataFrame:
    keep = (table["level"] != "total") & table["value"].notna()
    for flag in ("small_count", "provisional"):
        if flag in table.columns:
            keep &= ~table[flag].astype("boolean").fillna(False)
    return table.loc[keep]


def _finding(check: str, rows: pd.DataFrame, item: pd.Series | str, value, low, high,
             reason) -> pd.DataFrame:
    return pd.DataFrame({
        "check": check, "check_zh": CHECKS_ZH[check],
        "level": rows["level"].to_numpy(), "unit_id": rows["unit_id"].to_numpy(),
        "unit_name": rows["unit_name"].to_numpy(), "period": rows["period"].to_numpy(),
        "indicator_id": rows["indicator_id"].to_numpy(),
        "item_zh": item if isinstance(item, str) else np.asarray(item, dtype=object),
        "value": np.asarray(value, dtype="float64"), "expected_low": np.asarray(low, "float64"),
        "expected_high": np.asarray(high, "float64"),
        "reason_zh": np.asarray(reason, dtype=object)})


def _fmt(ind, v: float) -> str:
    from indicators.catalog import format_value
    return format_value(ind, v) if ind is not None else f"{v:,.1f}"


def completeness(table: pd.DataFrame) -> pd.DataFrame:
    """Unit-months with no records although earlier months make an empty one implausible."""
    months = table.loc[(table["level"] != "total") & (table["period"].str.len() == 7)]
    out = []
    for tab, (ind_id, col, item) in RECORD_COUNTS.items():
        rows = months.loc[months["indicator_id"] == ind_id]
        if rows.empty:
            continue
        rows = rows.sort_values(["level", "unit_id", "period"])
        count = rows[col].fillna(0.0)
        nonzero = count.where(count > 0)
        # median of the earlier non-empty months (expanding, shifted by one month)
        grp = nonzero.groupby([rows["level"], rows["unit_id"]], sort=False)
        earlier = grp.transform(lambda s: s.shift(1).expanding().median())
        hit = (count.to_numpy() == 0) & (earlier.fillna(0).to_numpy() >= MIN_EXPECTED)
        if not hit.any():
            continue
        sel = rows.loc[hit]
        exp = earlier[hit].to_numpy()
        reason = [f"本月{item}为 0，此前各月中位数 {e:,.0f}：可能漏报或未导入"
                  for e in exp]
        out.append(_finding("completeness", sel, item, np.zeros(len(sel)),
                            np.ones(len(sel)), np.full(len(sel), np.nan), reason))
    return pd.concat(out, ignore_index=True) if out else _empty()


def outliers_own(table: pd.DataFrame, items=None) -> pd.DataFrame:
    """Monthly reported volumes (``VOLUMES`` + activity records: counts, as the WHO DQR and
    DHIS2 check reported values, not rates) more than Z_LIMIT modified z-scores from the
    unit's own months."""
    rows = _usable(table)
    rows = rows.loc[rows["period"].str.len() == 7]
    out = []
    for ind_id, col, item in (items or OWN_ITEMS):
        sub = rows.loc[rows["indicator_id"] == ind_id]
        for _, part in sub.groupby(["level", "unit_id"], sort=False):
            if len(part) < MIN_HISTORY:
                continue
            v = part[col].to_numpy(dtype="float64")
            ok = ~np.isnan(v)
            if ok.sum() < MIN_HISTORY:
                continue
            z, med, scale = modified_z(np.nan_to_num(v), v[ok])
            hit = ok & (np.abs(np.nan_to_num(z)) > Z_LIMIT)
            if not hit.any():
                continue
            low, high = max(med - Z_LIMIT * scale, 0.0), med + Z_LIMIT * scale
            reason = [f"修正 z 分数 {s:+.1f}（|z| > {Z_LIMIT}）：本单位 {ok.sum()} 个月的中位数 "
                      f"{med:,.0f}，本月 {x:,.0f} 相差过大" for s, x in zip(z[hit], v[hit])]
            out.append(_finding("outlier_own", part.loc[hit], item, v[hit],
                                np.full(hit.sum(), low), np.full(hit.sum(), high), reason))
    return pd.concat(out, ignore_index=True) if out else _empty()


def outliers_peer(table: pd.DataFrame, catalog: Mapping, check: str = "outlier_peer",
                  indicators: list[str] | None = None, period_len: int = 7,
                  why: str = "") -> pd.DataFrame:
    """Values more than Z_LIMIT modified z-scores from the other units of the level in the
    same period (months by default)."""
    rows = _usable(table)
    rows = rows.loc[rows["period"].str.len() == period_len]
    if indicators is None:      # volumes per resident: comparable across units of any size
        indicators = [i for i, ind in catalog.items() if ind.kind == "per_capita"]
    rows = rows.loc[rows["indicator_id"].isin(indicators)]
    out = []
    for (level, period, ind_id), part in rows.groupby(["level", "period", "indicator_id"],
                                                      sort=False):
        if len(part) < MIN_PEERS:
            continue
        v = part["value"].to_numpy(dtype="float64")
        z, med, scale = modified_z(v, v)
        hit = np.abs(np.nan_to_num(z)) > Z_LIMIT
        if not hit.any():
            continue
        ind = catalog.get(ind_id)
        # per-resident volumes are never negative
        low, high = max(med - Z_LIMIT * scale, 0.0), med + Z_LIMIT * scale
        reason = [f"修正 z 分数 {s:+.1f}（|z| > {Z_LIMIT}）：同期 {len(part)} 个同级单位的中位数 "
                  f"{_fmt(ind, med)}{why}" for s in z[hit]]
        out.append(_finding(check, part.loc[hit], ind.name_zh if ind else ind_id, v[hit],
                            np.full(hit.sum(), low), np.full(hit.sum(), high), reason))
    return pd.concat(out, ignore_index=True) if out else _empty()


def consistency_over_time(table: pd.DataFrame) -> pd.DataFrame:
    """A complete year's volume ÷ mean of up to three previous complete years beyond ±33 %."""
    months = table.loc[(table["period"].str.len() == 7)]
    years = table.loc[(table["level"] != "total") & (table["period"].str.len() == 4)]
    out = []
    for ind_id, col, item in VOLUMES:
        covered = months.loc[months["indicator_id"] == ind_id, "period"].drop_duplicates()
        full = {y for y, n in covered.str.slice(0, 4).value_counts().items() if n == 12}
        rows = years.loc[(years["indicator_id"] == ind_id) & years["period"].isin(full)]
        if rows.empty:
            continue
        wide = rows.pivot_table(index=["level", "unit_id", "unit_name"], columns="period",
                                values=col, aggfunc="first")
        cols = sorted(wide.columns)
        for k, year in enumerate(cols[1:], start=1):
            prev = wide[cols[max(0, k - 3):k]]
            mean = prev.mean(axis=1, skipna=True)
            cur = wide[year]
            ratio = cur / mean.where(mean > 0)
            hit = (ratio - 1).abs() > TREND_LIMIT
            hit &= mean.notna() & cur.notna() & (mean >= MIN_EXPECTED)
            if not hit.any():
                continue
            sel = wide.loc[hit].reset_index()
            sel["period"], sel["indicator_id"] = year, ind_id
            n_prev = prev.loc[hit].notna().sum(axis=1).to_numpy()
            m = mean[hit].to_numpy()
            reason = [f"为前 {n} 年平均值 {mv:,.0f} 的 {r:.0%}（超出 ±{TREND_LIMIT:.0%}）"
                      for n, mv, r in zip(n_prev, m, ratio[hit].to_numpy())]
            out.append(_finding("consistency_time", sel, item, cur[hit].to_numpy(),
                                m * (1 - TREND_LIMIT), m * (1 + TREND_LIMIT), reason))
    return pd.concat(out, ignore_index=True) if out else _empty()


def internal_consistency(table: pd.DataFrame, catalog: Mapping,
                         grids: pd.DataFrame | None = None) -> pd.DataFrame:
    """Complaints per 1,000 residents far from the peers' (register population or tickets
    misassigned), and grids whose register gives implausible residents per household."""
    parts = [outliers_peer(table, catalog, "consistency_internal", ["complaint_rate_per_1k"],
                           period_len=4, why="：诉求量与网格台账登记人口不相称，请核对人口或工单归属")]
    if grids is not None and {"households", "population", "unit_id"} <= set(grids.columns):
        g = grids
        hh = pd.to_numeric(g["households"], errors="coerce")
        pop = pd.to_numeric(g["population"], errors="coerce")
        ratio = pop / hh.where(hh > 0)
        low, high = PERSONS_PER_HOUSEHOLD
        hit = (ratio < low) | (ratio > high)
        if hit.any():
            sel = g.loc[hit.fillna(False)]
            names = sel["unit_name"] if "unit_name" in sel.columns else sel["unit_id"]
            year = sel["year"].astype("Int64").astype("string").fillna("") \
                if "year" in sel.columns else pd.Series("", index=sel.index)
            frame = pd.DataFrame({"level": "grid_register", "unit_id": sel["unit_id"].astype(str),
                                  "unit_name": names.astype(str), "period": year,
                                  "indicator_id": ""})
            r = ratio[hit.fillna(False)].to_numpy()
            reason = [f"常住人口 {p:,.0f} ÷ 户数 {h:,.0f} = 户均 {x:.1f} 人，超出 {low:g}–{high:g} 人"
                      for p, h, x in zip(pop[hit.fillna(False)], hh[hit.fillna(False)], r)]
            parts.append(_finding("consistency_internal", frame, "户均人口", r,
                                  np.full(len(r), low), np.full(len(r), high), reason))
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else _empty()


def quality_findings(table: pd.DataFrame, catalog: Mapping, grids: pd.DataFrame | None = None,
                     levels: list[str] | None = None) -> pd.DataFrame:
    """Every finding of the checks above (columns ``FINDING_COLUMNS``), in check order then
    level, unit and period. table: the tidy indicator table (``compute_indicators``);
    catalog: ``{id: Indicator}``; grids: the grid register (data/model.py) for the
    residents-per-household check (its level is reported as ``grid_register``); levels: the
    levels to check (default: every level except the finest, whose small units make monthly
    figures noisy)."""
    if table.empty:
        return _empty()
    table = table.assign(period=table["period"].astype(str), level=table["level"].astype(str))
    if levels is None:
        present = [lv for lv in pd.unique(table["level"]) if lv != "total"]
        levels = present[:-1] if len(present) > 1 else present
    checked = table.loc[table["level"].isin(levels)]
    parts = [completeness(checked), outliers_own(checked),
             outliers_peer(checked, catalog), consistency_over_time(checked),
             internal_consistency(checked, catalog, grids)]
    parts = [p for p in parts if len(p)]
    if not parts:
        return _empty()
    out = pd.concat(parts, ignore_index=True)
    order = {c: i for i, c in enumerate(CHECKS_ZH)}
    return out.assign(_o=out["check"].map(order)) \
        .sort_values(["_o", "level", "unit_id", "period"], kind="stable") \
        .drop(columns="_o").reset_index(drop=True)[FINDING_COLUMNS]
