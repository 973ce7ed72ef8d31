"""Data quality over time (indicators.quality) on a hand-made tidy table.

Six communities C0…C5 of 10,000 residents each report 100 + k + (month mod 3) tickets a month
(k = the community's number) in 2023–2024: a clean dataset. Planted: C2 reports nothing in
2024-09 (a missing month), C3 reports 400 in 2024-06 (an outlier against its own months and its
peers), C5 doubles every month of 2024 (inconsistent over time).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from indicators.catalog import CATALOG
from indicators.quality import (FINDING_COLUMNS, TREND_LIMIT, Z_LIMIT, modified_z,
                                quality_findings)

MONTHS = [f"{y}-{m:02d}" for y in (2023, 2024) for m in range(1, 13)]


def tidy(counts: dict[tuple[str, str], float]) -> pd.DataFrame:
    """Monthly and yearly rows of complaints_received and complaint_rate_per_1k."""
    rows = []
    for (unit, period), n in counts.items():
        for ind, num, den, value in (("complaints_received", n, n, n),
                                     ("complaint_rate_per_1k", n, 10_000, n / 10)):
            rows.append(("community", unit, f"{unit}社区", period, ind, num, den, value))
    frame = pd.DataFrame(rows, columns=["level", "unit_id", "unit_name", "period",
                                        "indicator_id", "numerator", "denominator", "value"])
    years = frame.assign(period=frame["period"].str.slice(0, 4)) \
        .groupby(["level", "unit_id", "unit_name", "period", "indicator_id"], as_index=False) \
        [["numerator", "denominator"]].sum()
    years["denominator"] = np.where(years["indicator_id"] == "complaint_rate_per_1k", 10_000,
                                    years["denominator"])
    years["value"] = np.where(years["indicator_id"] == "complaint_rate_per_1k",
                              years["numerator"] / 10, years["numerator"])
    out = pd.concat([frame, years], ignore_index=True)
    out["small_count"] = False
    out["provisional"] = False
    return out


def clean_counts() -> dict[tuple[str, str], float]:
    return {(f"C{k}", p): 100.0 + k + int(p[5:]) % 3 for k in range(6) for p in MONTHS}


def test_clean_dataset_has_no_findings():
    found = quality_findings(tidy(clean_counts()), CATALOG)
    assert list(found.columns) == FINDING_COLUMNS
    assert found.empty, found


def test_planted_missing_month_outlier_and_level_shift_are_found():
    counts = clean_counts()
    counts[("C2", "2024-09")] = 0.0
    counts[("C3", "2024-06")] = 400.0
    for p in MONTHS[12:]:
        counts[("C5", p)] *= 2
    found = quality_findings(tidy(counts), CATALOG)
    by = {(r.check, r.unit_id, r.period) for r in found.itertuples()}
    assert ("completeness", "C2", "2024-09") in by
    assert ("outlier_own", "C3", "2024-06") in by
    assert ("outlier_peer", "C3", "2024-06") in by          # 40 per 1,000 against ~10
    assert ("consistency_time", "C5", "2024") in by
    # the same planted problems and nothing else (C5's doubled months stand out among peers
    # too, and the missing month is an own-history outlier of C2)
    units = set(found["unit_id"])
    assert units <= {"C2", "C3", "C5"}
    row = found[(found["check"] == "consistency_time") & (found["unit_id"] == "C5")].iloc[0]
    mean_2023 = np.mean([105.0 + int(p[5:]) % 3 for p in MONTHS[:12]]) * 12
    assert row["value"] == pytest.approx(2 * mean_2023)
    assert (row["expected_low"], row["expected_high"]) == \
        pytest.approx((mean_2023 * (1 - TREND_LIMIT), mean_2023 * (1 + TREND_LIMIT)))
    assert "超出 ±33%" in row["reason_zh"]
    own = found[(found["check"] == "outlier_own") & (found["unit_id"] == "C3")].iloc[0]
    assert own["value"] == 400 and own["expected_high"] < 400 and "修正 z 分数" in own["reason_zh"]


def test_provisional_and_small_values_are_not_judged():
    counts = clean_counts()
    counts[("C3", "2024-12")] = 400.0
    table = tidy(counts)
    table.loc[table["period"] == "2024-12", "provisional"] = True
    found = quality_findings(table, CATALOG)
    assert not (found["period"] == "2024-12").any()


def test_modified_z_by_hand():
    x = np.array([1.0, 2.0, 3.0, 4.0, 100.0])
    z, med, scale = modified_z(x, x)
    # median 3, absolute deviations 2 1 0 1 97 → MAD 1; scale = 1 / 0.6745
    assert med == 3 and scale == pytest.approx(1 / 0.6745)
    assert z[-1] == pytest.approx(0.6745 * 97)
    assert (np.abs(z) > Z_LIMIT).tolist() == [False, False, False, False, True]
