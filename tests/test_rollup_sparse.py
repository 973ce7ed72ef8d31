"""The roll-up on integer codes (indicators/rollup.py) against plain recomputations.

A random flow table over a small hierarchy is summed the naive way — every record added to its
unit and each ancestor by walking parent_id — and must equal the cube at every level, month and
year (0 where a unit has no record in a month, NaN where its records all lack the measure).
Medians: handling times that are distinct whole hours sit alone in their 1-hour bins, so the
cube's median is numpy's median of (hours + ½) over the same tickets, at every level."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from indicators.measures import Measures
from indicators.rollup import rollup

LEVELS = ["district", "street", "grid"]


def _units() -> pd.DataFrame:
    rows = [("district", "D1", None), ("district", "D2", None)]
    rows += [("street", f"S{i}", f"D{1 + i // 2}") for i in range(4)]
    rows += [("grid", f"G{i}", f"S{i // 3}") for i in range(12)]
    return pd.DataFrame({"level": [r[0] for r in rows], "unit_id": [r[1] for r in rows],
                         "unit_name": [r[1] + "名" for r in rows],
                         "parent_id": pd.array([r[2] for r in rows], dtype="string")})


def _dataset(units):
    return SimpleNamespace(units=units, levels=LEVELS, name="测试", cutoff=None)


def _chain(units: pd.DataFrame, level: str, unit: str) -> list[tuple[str, str]]:
    """(level, id) of the unit and its ancestors, walking parent_id; [] for an unknown unit."""
    by_key = {(r.level, r.unit_id): r.parent_id for r in units.itertuples()}
    if (level, unit) not in by_key:
        return []
    out = [(level, unit)]
    while pd.notna(by_key[out[-1]]):
        parent_level = LEVELS[LEVELS.index(out[-1][0]) - 1]
        out.append((parent_level, by_key[out[-1]]))
    return out


def test_sums_equal_a_naive_walk_up_the_parents():
    rng = np.random.default_rng(5)
    units = _units()
    n = 400
    grids = [f"G{i}" for i in range(12)] + ["G99"]          # G99: not in the register
    attach = rng.random(n) < 0.15                             # some rows attached to streets
    flow = pd.DataFrame({
        "unit_level": np.where(attach, "street", "grid"),
        "unit_id": np.where(attach, rng.choice([f"S{i}" for i in range(4)], n),
                            rng.choice(grids, n)),
        "month": rng.choice(["2024-02", "2024-03", "2024-06", "2025-01"], n),
        "received": rng.integers(1, 9, n).astype("float64"),
        "hours": np.where(rng.random(n) < 0.3, np.nan, rng.random(n) * 10),
    })
    cube = rollup(_dataset(units), Measures(flows={"volunteer": flow})).measures
    naive: dict[tuple[str, str, str], list[float]] = {}
    for r in flow.itertuples():
        for lv, uid in _chain(units, r.unit_level, r.unit_id) + [("total", "total")]:
            for period in (r.month, r.month[:4]):
                naive.setdefault((lv, uid, period), []).append((r.received, r.hours))
    months = pd.period_range("2024-02", "2025-01", freq="M").strftime("%Y-%m").tolist()
    assert set(cube["period"]) == set(months) | {"2024", "2025"}
    assert len(cube) == (len(units) + 1) * (len(months) + 2)
    for row in cube.itertuples():
        got = naive.get((row.level, row.unit_id, row.period), [])
        assert row.received == sum(v for v, _ in got)
        hours = [h for _, h in got if not np.isnan(h)]
        if got and not hours and row.period_kind == "month":
            assert np.isnan(row.hours)                       # records, none with the measure
        else:
            assert row.hours == pytest.approx(sum(hours), abs=1e-9)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_medians_from_bins_equal_numpy_medians_of_hand_made_times(seed):
    rng = np.random.default_rng(seed)
    units = _units()
    n = 60
    tickets = pd.DataFrame({
        "unit_id": rng.choice([f"G{i}" for i in range(12)], n),
        "month": rng.choice(["2024-11", "2024-12", "2025-01"], n),
        "hours": rng.choice(np.arange(0, 40_000), n, replace=False),   # distinct whole hours
    })
    hist = pd.DataFrame({"unit_level": "grid", "unit_id": tickets["unit_id"],
                         "month": tickets["month"], "bin": tickets["hours"].astype("int64"),
                         "count": np.ones(n, dtype="int64")})
    flow = tickets.groupby(["unit_id", "month"]).size().rename("received").astype("float64") \
        .reset_index().assign(unit_level="grid")
    cube = rollup(_dataset(units), Measures(flows={"complaints": flow}, histogram=hist)).measures
    for row in cube.itertuples():
        chains = [_chain(units, "grid", g) + [("total", "total")] for g in tickets["unit_id"]]
        mine = [h for h, m, c in zip(tickets["hours"], tickets["month"], chains)
                if (row.level, row.unit_id) in c and m.startswith(row.period)]
        if mine:
            assert row.median_hours == pytest.approx(np.median(np.asarray(mine) + 0.5))
        else:
            assert np.isnan(row.median_hours)
