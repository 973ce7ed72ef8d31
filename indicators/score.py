"""Composite score (综合得分): a weighted mean of capped indicator scores against their standards.

Each indicator with a standard and a weight > 0 (``Indicator.score_weight``; default 1 in
catalog.yaml, set per dataset with ``settings: {score_weights: {indicator_id: weight}}``) gets a
score in points for every unit and year:

- standard ``≥ t``: 100 when value ≥ t, else 100 × value / t (0 for value ≤ 0);
- standard ``≤ t``: 100 when value ≤ t, else 100 × t / value (0 when t ≤ 0);
- standard ``low–high`` (band): 100 inside, 100 × value / low below, 100 × high / value above.

So a score is the share of the standard reached, capped at 100: beating a standard earns nothing
extra, and a unit cannot make up for one failing indicator by excelling at another beyond its
standard. The composite of a unit and year is Σ weight × score / Σ weight over the indicators that
have a value and no small-count flag there (weights renormalised over what is present); its
``numerator`` is Σ weight × score, its ``denominator`` Σ weight. It is flagged ``small_count`` when
that weight is below ``MIN_WEIGHT_SHARE`` (half) of the weight of all scored indicators the dataset
can compute, and ``excluded`` counts the scored indicators left out (named in
``excluded_reason``).
"""
from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from indicators.catalog import Indicator, standard_arrays

COMPOSITE_ID = "composite_score"
#: Points for a standard met.
SCORE_CAP = 100.0
#: A composite over less than this share of the scored weight is flagged small_count.
MIN_WEIGHT_SHARE = 0.5


def score_weights(catalog: Mapping[str, Indicator]) -> dict[str, float]:
    """``{indicator_id: weight}`` of the indicators that enter the composite score (weight > 0
    and a standard), in catalog order."""
    return {i: ind.score_weight for i, ind in catalog.items()
            if ind.score_weight > 0 and ind.standard is not None and i != COMPOSITE_ID}


def indicator_scores(table: pd.DataFrame, catalog: Mapping[str, Indicator]) -> np.ndarray:
    """Score in points (0–100, float64) of each row of a tidy indicator table against its
    indicator's standard (formulas in the module docstring); NaN where the indicator has no
    standard (or it is not yet in force for the row's period) or the value is NaN."""
    std = standard_arrays(table["indicator_id"], table["period"], catalog)
    comparison, target, low, high = std["comparison"], std["value"], std["low"], std["high"]
    v = table["value"].to_numpy(dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        ge = np.where(v >= target, 1.0, np.where(target > 0, v / target, 0.0))
        le = np.where(v <= target, 1.0, np.where(target > 0, target / v, 0.0))
        band = np.where(v < low, np.where(low > 0, v / low, 0.0),
                        np.where(v > high, high / v, 1.0))
    share = np.select([comparison == ">=", comparison == "<=", comparison == "between"],
                      [ge, le, band], default=np.nan)
    share = np.where(np.isnan(v), np.nan, np.clip(share, 0.0, 1.0))
    return share * SCORE_CAP


def composite_rows(table: pd.DataFrame, catalog: Mapping[str, Indicator]) -> pd.DataFrame:
    """Rows of ``composite_score`` for every (level, unit, year) of a tidy indicator table.

    Input: the tidy table (indicators.table.COLUMNS; month rows are ignored). Output: the same
    columns, indicator_id ``composite_score``: numerator Σ weight × score, denominator Σ weight
    (float64), value (points, 0–100), small_count (weight below ``MIN_WEIGHT_SHARE`` of the
    scored weight the dataset computes), excluded (float64: scored indicators without a value or
    with a small count there), excluded_reason (their Chinese names, ``（样本量不足）`` for a
    small count). Empty when no indicator is scored.
    """
    weights = score_weights(catalog)
    yearly = table.loc[(table["period"].astype(str).str.len() == 4)
                       & table["indicator_id"].isin(list(weights))]
    if yearly.empty or COMPOSITE_ID not in catalog:
        return table.iloc[0:0].copy()
    keys = ["level", "unit_id", "unit_name", "period"]
    w = yearly["indicator_id"].map(weights).to_numpy(dtype="float64")
    points = indicator_scores(yearly, catalog)
    small = yearly["small_count"].to_numpy(dtype=bool)
    used = ~np.isnan(points) & ~small
    frame = yearly[keys + ["indicator_id"]].assign(
        _num=np.where(used, w * np.nan_to_num(points), 0.0), _den=np.where(used, w, 0.0))
    out = frame.groupby(keys, sort=False, observed=True)[["_num", "_den"]].sum().reset_index()
    # scored indicators the dataset computes at all: the others cannot be "left out" of a unit
    computed = [i for i in weights if i in set(yearly["indicator_id"])]
    total_weight = sum(weights[i] for i in computed)
    flags = frame.assign(_used=used, _small=small) \
        .set_index(keys + ["indicator_id"])[["_used", "_small"]].unstack("indicator_id") \
        .reindex(pd.MultiIndex.from_frame(out[keys]))
    left_out = ~flags["_used"].reindex(columns=computed).fillna(False).to_numpy(dtype=bool)
    small_arr = flags["_small"].reindex(columns=computed).fillna(False).to_numpy(dtype=bool)
    names = np.array([catalog[i].name_zh for i in computed], dtype=object)
    reason = np.full(len(out), "", dtype=object)
    for j in range(len(computed)):
        label = np.where(small_arr[:, j], names[j] + "（样本量不足）", names[j])
        part = np.where(left_out[:, j], label, "")
        reason = np.where((reason != "") & (part != ""), reason + "、" + part, reason + part)
    num, den = out["_num"].to_numpy(), out["_den"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
    excluded = left_out.sum(axis=1).astype("float64")
    return pd.DataFrame({
        "level": out["level"].to_numpy(), "unit_id": out["unit_id"].to_numpy(),
        "unit_name": out["unit_name"].to_numpy(), "period": out["period"].to_numpy(),
        "indicator_id": COMPOSITE_ID, "numerator": num, "denominator": den, "value": value,
        "small_count": den < MIN_WEIGHT_SHARE * total_weight, "excluded": excluded,
        "excluded_reason": np.where(excluded > 0,
                                    "未计入评分的指标：" + reason.astype(str), "")})
