"""The memory- and speed-minded building blocks of the measure and roll-up steps: ``group_sum``
(bincount over one flat key), unit lookup by distinct pairs, and releasing the raw records."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from indicators.measures import group_sum

SAMPLE = Path(__file__).parent.parent / "data" / "sample"


def test_group_sum_by_hand():
    unit = np.array([2, 0, 2, 0, 2])
    month = np.array([202501, 202502, 202501, 202502, 202412])
    (u, m), sums = group_sum([unit, month], {"n": np.ones(5), "flag": np.array(
        [True, False, True, True, False])})
    # groups in ascending (unit, month) order: (0, 202502), (2, 202412), (2, 202501)
    assert u.tolist() == [0, 2, 2] and m.tolist() == [202502, 202412, 202501]
    assert sums["n"].tolist() == [2.0, 1.0, 2.0]
    assert sums["flag"].tolist() == [1.0, 0.0, 2.0]


def test_group_sum_nan_is_skipped_but_an_all_nan_group_stays_nan():
    (k,), sums = group_sum([np.array([-1, -1, 5, 5, 7])],
                           {"v": np.array([np.nan, 2.0, np.nan, np.nan, 3.5])})
    assert k.tolist() == [-1, 5, 7]                   # negative keys are fine
    assert sums["v"][0] == 2.0 and np.isnan(sums["v"][1]) and sums["v"][2] == 3.5


def test_group_sum_sparse_keys_equal_pandas_groupby():
    """Unit × month × 8,761 bins is far too many combinations to count densely: the sparse
    path must give what pandas' groupby gives."""
    rng = np.random.default_rng(3)
    n = 5_000
    frame = pd.DataFrame({"unit": rng.integers(0, 40_000, n),
                          "month": rng.choice([202301, 202312, 202506], n),
                          "bin": rng.integers(0, 8_761, n), "count": rng.integers(1, 4, n)})
    keys, sums = group_sum([frame[c].to_numpy() for c in ("unit", "month", "bin")],
                           {"count": frame["count"].to_numpy()})
    expected = frame.groupby(["unit", "month", "bin"], sort=True)["count"].sum().reset_index()
    assert [k.tolist() for k in keys] == [expected[c].tolist() for c in ("unit", "month", "bin")]
    assert sums["count"].tolist() == expected["count"].astype(float).tolist()


def test_group_sum_of_nothing():
    keys, sums = group_sum([np.zeros(0, "int64"), np.zeros(0, "int64")], {"v": np.zeros(0)})
    assert [len(k) for k in keys] == [0, 0] and len(sums["v"]) == 0


def test_unit_codes_look_up_each_pair_once_and_miss_unknown_units():
    from indicators.rollup import Hierarchy
    units = pd.DataFrame({"level": ["district", "street", "street"],
                          "unit_id": ["D1", "S1", "S2"], "unit_name": ["区", "甲", "乙"],
                          "parent_id": [pd.NA, "D1", "D1"]})
    hier = Hierarchy(units, ["district", "street"], "全部")
    level = pd.Series(["street", "street", "district", "street", "district", None],
                      dtype="string")
    unit = pd.Series(["S2", "S1", "D1", "S9", "S1", "S1"], dtype="string")
    assert hier.codes(level, unit).tolist() == [2, 1, 0, -1, -1, -1]
    cat = hier.codes(level.astype("category"), unit.astype("category"))
    assert cat.tolist() == [2, 1, 0, -1, -1, -1]


@pytest.mark.skipif(not (SAMPLE / "dataset.yaml").is_file(), reason="sample not generated")
def test_build_releases_the_raw_records_but_keeps_registers_and_report(tmp_path):
    from indicators.pipeline import RECORD_TABLES, build
    for attempt in ("cold", "warm"):
        results = build(SAMPLE / "dataset.yaml", cache_dir=tmp_path)
        assert results.from_cache == (attempt == "warm")
        assert not set(RECORD_TABLES) & set(results.dataset.tables)
        assert {"grids", "stations"} <= set(results.dataset.tables)
        tickets = [s for s in results.dataset.report.sources if s.table == "complaints"]
        assert sum(s.accepted for s in tickets) > 100_000
