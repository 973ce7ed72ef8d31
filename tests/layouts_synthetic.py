"""A tiny synthetic Results bundle for the dashboard tests (layouts/).

Hierarchy: total → 2 districts → 4 streets → 8 communities → 20 grids. Grid ``i`` (1…20) has
simple additive measures (below); every higher level sums its grids, exactly as the indicator
table's contract requires (rates are Σnumerator / Σdenominator). Years 2024 and 2025, plus three
months of 2025 that the yearly views must ignore.

Grid i, year 2025 (2024: received and closed one less, satisfied one less, participations 10
less; households the same):
    resolution_rate            closed = received − (i mod 3),   received = 5 + i   (min_count 10)
    satisfaction_rate          satisfied = rated − (i mod 2),   rated = 10 + i      (standard ≥ 90%)
    households_per_grid        households = 250 + 10·i,        grids = 1           (band 300–500)
    volunteer_participations   participations = 100 + i                              (count)
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from data.model import Dataset, LoadReport, RowError, SourceReport
from indicators.catalog import CATALOG

LEVELS = ["district", "street", "community", "grid"]
INDICATORS = ["resolution_rate", "satisfaction_rate", "households_per_grid",
              "volunteer_participations"]

DISTRICTS = {"D1": "东城区", "D2": "西城区"}
STREETS = {"S1": ("D1", "和平街道"), "S2": ("D1", "光明街道"), "S3": ("D2", "新华街道"),
           "S4": ("D2", "胜利街道")}
COMMUNITIES = {f"C{k}": (f"S{(k + 1) // 2}", f"{name}社区") for k, name in zip(
    range(1, 9), ["春晖", "秋实", "夏荷", "冬梅", "东风", "西岭", "南湖", "北辰"], strict=True)}
#: grids per community: C1 3, C2 2, C3 3, C4 2, … (20 grids in all)
GRID_COMMUNITY = [f"C{k}" for k in range(1, 9) for _ in range(3 if k % 2 else 2)]


@dataclass
class SyntheticResults:
    """Same fields as indicators.pipeline.Results."""

    dataset: Dataset
    table: pd.DataFrame
    catalog: dict[str, Any]


def units() -> pd.DataFrame:
    rows = [("district", k, v, pd.NA, 0) for k, v in DISTRICTS.items()]
    rows += [("street", k, name, parent, 1) for k, (parent, name) in STREETS.items()]
    rows += [("community", k, name, parent, 2) for k, (parent, name) in COMMUNITIES.items()]
    rows += [("grid", f"G{i:02d}", f"第{i}网格", c, 3)
             for i, c in enumerate(GRID_COMMUNITY, start=1)]
    frame = pd.DataFrame(rows, columns=["level", "unit_id", "unit_name", "parent_id", "depth"])
    return frame.astype({"level": "string", "unit_id": "string", "unit_name": "string",
                         "parent_id": "string", "depth": "int64"})


def grid_measures(year: int) -> pd.DataFrame:
    """One row per grid × indicator with numerator and denominator for ``year``."""
    i = np.arange(1, 21)
    shift = 0 if year == 2025 else 1
    grid = [f"G{k:02d}" for k in i]
    received = 5 + i - shift
    parts = [
        ("resolution_rate", received - (i % 3), received),
        ("satisfaction_rate", 10 + i - (i % 2) - shift, 10 + i),
        ("households_per_grid", 250 + 10 * i, np.ones(20)),
        ("volunteer_participations", 100 + i - 10 * shift, np.full(20, np.nan)),
    ]
    return pd.concat([pd.DataFrame({"unit_id": grid, "indicator_id": ind,
                                    "numerator": num.astype(float),
                                    "denominator": den.astype(float)})
                      for ind, num, den in parts], ignore_index=True)


def _ancestors() -> pd.DataFrame:
    u = units().set_index("unit_id")
    grid = u[u["level"] == "grid"].index.to_series()
    community = grid.map(u["parent_id"])
    street = community.map(u["parent_id"])
    district = street.map(u["parent_id"])
    return pd.DataFrame({"grid": grid, "community": community, "street": street,
                         "district": district, "total": "total"}).reset_index(drop=True)


def indicator_table(years: tuple[int, ...] = (2024, 2025)) -> pd.DataFrame:
    """The tidy table (docs/architecture.md §3) with indicators.compare's extra columns."""
    names = units().set_index(["level", "unit_id"])["unit_name"]
    anc = _ancestors()
    frames = []
    for year in years:
        m = grid_measures(year).merge(anc, left_on="unit_id", right_on="grid")
        for level in ["total", *LEVELS]:
            g = (m.groupby([level, "indicator_id"], as_index=False)[["numerator", "denominator"]]
                 .sum(min_count=1).rename(columns={level: "unit_id"}))
            g["level"] = level
            g["period"] = str(year)
            frames.append(g)
    t = pd.concat(frames, ignore_index=True)
    t["unit_name"] = [("全市" if lv == "total" else names[(lv, u)])
                      for lv, u in zip(t["level"], t["unit_id"], strict=True)]
    is_count = t["indicator_id"] == "volunteer_participations"
    t["value"] = np.where(is_count, t["numerator"], t["numerator"] / t["denominator"])
    min_count = t["indicator_id"].map({i: CATALOG[i].min_count for i in INDICATORS})
    t["small_count"] = (t["denominator"] < min_count) & ~is_count
    t["excluded"] = np.nan
    months = t[(t["period"] == str(years[-1])) & (t["indicator_id"] == "resolution_rate")]
    months = pd.concat([months.assign(period=f"{years[-1]}-0{k}", value=0.5 + k / 10)
                        for k in (1, 2, 3)], ignore_index=True)
    t = _add_compare(t)
    months = months.assign(prev_value=np.nan, change=np.nan, change_unit="pp", change_good=pd.NA,
                           rank=np.nan, rank_of=0)
    t = pd.concat([t, months], ignore_index=True)
    return t.astype({"level": "string", "unit_id": "string", "unit_name": "string",
                     "period": "string", "indicator_id": "string", "small_count": "boolean",
                     "change_good": "boolean"})


def _add_compare(t: pd.DataFrame) -> pd.DataFrame:
    """prev_value, change (pp for rates as a fraction difference, else relative), change_good,
    rank (1 = best among units of the level that are not small_count; none for the whole
    dataset) and rank_of (units ranked), as indicators.compare adds them."""
    prev = t[["level", "unit_id", "indicator_id", "period", "value"]].copy()
    prev["period"] = (prev["period"].astype(int) + 1).astype(str)
    t = t.merge(prev.rename(columns={"value": "prev_value"}), how="left",
                on=["level", "unit_id", "indicator_id", "period"])
    kind = t["indicator_id"].map({i: CATALOG[i].kind for i in INDICATORS})
    direction = t["indicator_id"].map({i: CATALOG[i].direction for i in INDICATORS})
    is_rate = kind == "rate"
    t["change"] = np.where(is_rate, t["value"] - t["prev_value"], t["value"] / t["prev_value"] - 1)
    t["change_unit"] = np.where(is_rate, "pp", "pct")
    good = np.where(direction == "lower", t["change"] < 0, t["change"] > 0)
    t["change_good"] = pd.array(good, dtype="boolean")
    t.loc[(direction == "band") | t["change"].isna() | (t["change"] == 0), "change_good"] = pd.NA
    score = np.where(direction == "lower", t["value"], -t["value"])
    score = np.where(direction == "band", (t["value"] - 400).abs(), score)
    t["_score"] = np.where(t["small_count"], np.nan, score)
    t["rank"] = t.groupby(["period", "level", "indicator_id"])["_score"].rank(method="min")
    t.loc[t["level"] == "total", "rank"] = np.nan  # the whole dataset is not ranked
    t["rank_of"] = t.groupby(["period", "level", "indicator_id"])["rank"].transform("count")
    return t.drop(columns="_score")


def load_report() -> LoadReport:
    """One grid register sheet of 22 rows: 20 accepted, 1 rejected (row 7, 户数 −5), 1 blank."""
    source = SourceReport(
        table="grids", file="grids_2025.xlsx", sheet="网格台账", sha256="0" * 64,
        rows_read=22, accepted=20, rejected=1, blank=1,
        errors=[RowError(7, "户数", "-5", "out_of_range", "「户数」不能为负数")])
    return LoadReport(sources=[source])


def make_results() -> SyntheticResults:
    """The synthetic Results (is_sample=True so the 示例数据 badge shows)."""
    dataset = Dataset(
        name="测试市 2024–2025（合成数据）", name_en="Test City 2024–2025 (synthetic)",
        manifest_path=Path(__file__).parent / "synthetic.yaml", levels=list(LEVELS),
        level_names={"district": "区县", "street": "街道", "community": "社区", "grid": "网格"},
        level_names_en={}, units=units(), tables={}, report=load_report(), is_sample=True)
    catalog = {i: CATALOG[i] for i in CATALOG if i in INDICATORS}
    return SyntheticResults(dataset=dataset, table=indicator_table(), catalog=catalog)
