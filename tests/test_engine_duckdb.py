"""The DuckDB (and Spark SQL) path of the ticket measures gives what the pandas path gives.

Tiny fixtures with measures counted by hand, the same fixtures through both engines and through a
Parquet file, and the whole embedded sample: identical indicator tables."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from indicators.engine_duckdb import complaint_measures_sql, histogram_sql, ticket_measures
from indicators.measures import complaint_measures, handling_histogram

SAMPLE = Path(__file__).parent.parent / "data" / "sample"
T = pd.Timestamp
CUTOFF = T("2025-03-31 23:59:59")


def tickets() -> pd.DataFrame:
    """Six tickets of grid g1 (March) and one of g2 (April, after the cut-off month)."""
    nat = pd.NaT
    return pd.DataFrame({
        "received_at": [T("2025-03-01 08:00"), T("2025-03-02 08:00"), T("2025-03-03 08:00"),
                        T("2025-03-04 08:00"), T("2025-03-05 08:00"), T("2025-03-06 08:00"),
                        T("2025-04-01 09:00")],
        # 1: closed in 2 h 30 min, on time · 2: closed after its due date (49 h)
        # 3: closed after the cut-off → open · 4: status-only closure (no closed_at)
        # 5: open · 6: closed in 10 h, no due date · 7: closed in 0.5 h
        "closed_at": [T("2025-03-01 10:30"), T("2025-03-04 09:00"), T("2025-04-02 08:00"), nat,
                      nat, T("2025-03-06 18:00"), T("2025-04-01 09:30")],
        "due_at": [T("2025-03-02"), T("2025-03-03"), T("2025-04-10"), T("2025-03-10"),
                   T("2025-03-12"), nat, T("2025-04-05")],
        "status": pd.array(["closed", "closed", "closed", "closed", "open", "closed", "closed"],
                           dtype="string"),
        "satisfaction": pd.array(["satisfied", "dissatisfied", None, "basically_satisfied",
                                  None, None, "satisfied"], dtype="string"),
        "is_repeat": pd.array([False, True, None, False, True, False, False], dtype="boolean"),
        "unit_level": pd.array(["grid"] * 7, dtype="string"),
        "unit_id": pd.array(["g1"] * 6 + ["g2"], dtype="string"),
    })


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    keys = [c for c in ("unit_level", "unit_id", "month", "bin") if c in frame.columns]
    text = frame.astype({k: "str" for k in keys if k != "bin"})     # categories: any order
    return text.sort_values(keys).reset_index(drop=True)


def test_duckdb_measures_equal_hand_counts():
    flows, hist = ticket_measures(tickets(), CUTOFF)
    march = flows.set_index(["unit_id", "month"]).loc[("g1", "2025-03")]
    # closed by the cut-off: 1, 2, 6 (timed) and 4 (status only); 3 closes after it
    assert march["received"] == 6
    assert march["closed"] == 4 and march["open_at_cutoff"] == 2
    assert march["closed_timed"] == 3 and march["closed_untimed"] == 1 and march["untimed"] == 3
    assert march["closed_with_due"] == 2 and march["closed_on_time"] == 1
    assert march["closed_without_due"] == 2              # 6 (no due date) and 4 (no closed_at)
    assert march["rated"] == 3 and march["satisfied"] == 2 and march["unrated"] == 3
    assert march["repeat"] == 2                           # NULL counts as not a repeat
    g1 = hist[hist["unit_id"] == "g1"].set_index("bin")["count"].to_dict()
    assert g1 == {2: 1, 10: 1, 49: 1}                     # 2.5 h, 10 h, 49 h
    assert hist.loc[hist["unit_id"] == "g2", "month"].tolist() == []   # closed after cut-off


@pytest.mark.parametrize("drop", [[], ["due_at"], ["satisfaction", "is_repeat"],
                                  ["closed_at"], ["status"]])
def test_duckdb_equals_pandas_on_tiny_fixtures(drop):
    df = tickets().drop(columns=drop)
    for cutoff in (None, CUTOFF):
        flows, hist = ticket_measures(df, cutoff)
        pd.testing.assert_frame_equal(_sorted(flows), _sorted(complaint_measures(df, cutoff)))
        if "closed_at" in df.columns:
            pd.testing.assert_frame_equal(_sorted(hist), _sorted(handling_histogram(df, cutoff)))
        else:
            assert hist is None


def test_parquet_source_gives_the_same_measures(tmp_path):
    path = tmp_path / "tickets.parquet"
    tickets().to_parquet(path, index=False)
    from_file = ticket_measures(path, CUTOFF)
    from_frame = ticket_measures(tickets(), CUTOFF)
    pd.testing.assert_frame_equal(from_file[0], from_frame[0])
    pd.testing.assert_frame_equal(from_file[1], from_frame[1])


def test_long_and_negative_durations_are_binned_like_pandas():
    df = tickets().iloc[:2].copy()
    df["closed_at"] = [T("2026-06-01"), T("2025-03-01 07:00")]   # > 365 days; before received
    flows, hist = ticket_measures(df)
    # 2025-03-01 08:00 → 2026-06-01 00:00 = 457 days − 8 h (no cap); negative → bin 0
    assert sorted(hist["bin"]) == [0, 457 * 24 - 8]
    pd.testing.assert_frame_equal(_sorted(hist), _sorted(handling_histogram(df)))


def test_spark_dialect_spells_epoch_microseconds_its_own_way():
    spark = histogram_sql(CUTOFF, dialect="spark")
    assert "unix_micros(closed_at)" in spark and "epoch_us" not in spark
    assert "TIMESTAMP '2025-03-31 23:59:59.000000'" in spark
    flows_sql = complaint_measures_sql(["received_at", "closed_at", "unit_level", "unit_id"],
                                       dialect="spark")
    assert "satisfaction" not in flows_sql and "SUM(" in flows_sql
    with pytest.raises(ValueError):
        histogram_sql(dialect="oracle")


def test_unknown_engine_is_refused():
    from indicators.measures import compute_measures
    with pytest.raises(ValueError, match="engine"):
        compute_measures(None, engine="hadoop")


@pytest.mark.skipif(not (SAMPLE / "dataset.yaml").is_file(), reason="sample not generated")
def test_sample_indicator_tables_identical(tmp_path):
    from data import load_dataset
    from indicators.table import compute_with_registers
    dataset = load_dataset(SAMPLE / "dataset.yaml", cache_dir=tmp_path)
    by_pandas, reg_pandas = compute_with_registers(dataset, engine="pandas")
    by_duckdb, reg_duckdb = compute_with_registers(dataset, engine="duckdb")
    assert len(by_pandas) > 100_000
    pd.testing.assert_frame_equal(by_pandas, by_duckdb, check_exact=True)
    pd.testing.assert_frame_equal(reg_pandas, reg_duckdb)


@pytest.mark.skipif(not (SAMPLE / "dataset.yaml").is_file(), reason="sample not generated")
def test_sample_from_parquet_files_gives_the_same_indicator_table(tmp_path):
    """The larger-than-memory path: tickets read by DuckDB from Parquet, never a DataFrame."""
    from data import load_dataset
    from indicators.catalog import catalog_for
    from indicators.engine_duckdb import compute_measures_parquet
    from indicators.rollup import rollup
    from indicators.table import compute_indicators, indicators_from_cube
    dataset = load_dataset(SAMPLE / "dataset.yaml", cache_dir=tmp_path)
    path = tmp_path / "tickets.parquet"
    dataset.tables["complaints"].to_parquet(path, index=False)
    expected = compute_indicators(dataset)
    cube = rollup(dataset, compute_measures_parquet(dataset, path))
    got = indicators_from_cube(cube, catalog_for(dataset.config), dataset.cutoff, dataset.units)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
