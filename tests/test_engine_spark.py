"""The Spark engine (pyspark, local mode) gives what the pandas engine gives.

One SparkSession for the whole module (the JVM start costs seconds): hand-counted fixtures,
the partitioned Parquet folder ``prepare`` writes, and the embedded sample's indicator table."""
from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("pyspark")
if shutil.which("java") is None:
    pytest.skip("Java 17 is not installed (Debian openjdk-17-jre-headless)", allow_module_level=True)

from data.model import Dataset, LoadReport                                    # noqa: E402
from data.prepared import write_tickets                                        # noqa: E402
from indicators.measures import complaint_measures, handling_histogram          # noqa: E402
from tests.test_engine_duckdb import CUTOFF, T, _sorted, tickets                 # noqa: E402

SAMPLE = Path(__file__).parent.parent / "data" / "sample"


@pytest.fixture(scope="module")
def spark():
    from indicators.engine_spark import spark_session
    return spark_session("local[2]")


def _units() -> pd.DataFrame:
    """District d1 ⊃ street s1 ⊃ grids g1, g2; district d2 ⊃ street s2 (no tickets)."""
    return pd.DataFrame({"unit_id": ["d1", "d2", "s1", "s2", "g1", "g2"],
                         "level": ["district", "district", "street", "street", "grid", "grid"],
                         "parent_id": [None, None, "d1", "d2", "s1", "s1"],
                         "unit_name": ["一区", "二区", "甲街道", "乙街道", "网格1", "网格2"]})


def test_spark_measures_equal_hand_counts(spark):
    from indicators.engine_spark import ticket_measures
    flows, hist = ticket_measures(tickets(), CUTOFF, master="local[2]", units=_units(),
                                  levels=["district", "street", "grid"])
    march = flows.set_index(["unit_id", "month"]).loc[("g1", "2025-03")]
    assert march["received"] == 6
    assert march["closed"] == 4 and march["open_at_cutoff"] == 2
    assert march["closed_timed"] == 3 and march["closed_untimed"] == 1
    assert march["closed_with_due"] == 2 and march["closed_on_time"] == 1
    assert march["rated"] == 3 and march["satisfied"] == 2 and march["repeat"] == 2
    g1 = hist[hist["unit_id"] == "g1"].set_index("bin")["count"].to_dict()
    assert g1 == {2: 1, 10: 1, 49: 1}                     # 2.5 h, 10 h, 49 h
    # and column for column what the pandas engine gives, with and without a cut-off
    for cutoff in (None, CUTOFF):
        flows, hist = ticket_measures(tickets(), cutoff, master="local[2]")
        pd.testing.assert_frame_equal(_sorted(flows), _sorted(complaint_measures(tickets(), cutoff)))
        pd.testing.assert_frame_equal(_sorted(hist), _sorted(handling_histogram(tickets(), cutoff)))


def test_prepare_writes_year_and_district_partitions(tmp_path, spark):
    import pyarrow.dataset as ds

    df = tickets()
    df.loc[6, "received_at"] = T("2024-12-31 23:00")     # g2's ticket in the year before
    dataset = Dataset(name="", manifest_path=tmp_path, levels=["district", "street", "grid"],
                      level_names={}, level_names_en={}, units=_units(),
                      tables={"complaints": df}, report=LoadReport())
    folder = write_tickets(dataset, tmp_path / "prep")
    parts = sorted(str(p.relative_to(folder).parent) for p in folder.rglob("*.parquet"))
    assert parts == ["year=2024/district=d1", "year=2025/district=d1"]
    back = ds.dataset(folder, partitioning="hive").to_table().to_pandas()
    assert len(back) == 7 and (back["year"] == 2025).sum() == 6
    assert back["closed_at"].dropna().sort_values().tolist() == \
        df["closed_at"].dropna().sort_values().tolist()       # microseconds kept
    # Spark reads the folder (partition columns are not ticket columns)
    from indicators.engine_spark import ticket_measures
    flows, _ = ticket_measures(folder, CUTOFF, master="local[2]")
    assert flows.groupby("month")["received"].sum().to_dict() == {"2024-12": 1, "2025-03": 6}


@pytest.mark.skipif(not (SAMPLE / "dataset.yaml").is_file(), reason="sample not generated")
def test_app_indicators_engine_spark_equals_pandas_on_the_sample(tmp_path, monkeypatch, spark,
                                                                 sample_results):
    """``python app.py indicators --engine spark`` writes the same CSV as the pandas engine
    (the session's pandas build of the sample), with its own cache folder."""
    from click.testing import CliRunner

    import app
    import data.cache
    monkeypatch.setattr(data.cache, "DEFAULT_CACHE_DIR", tmp_path / "cache")
    monkeypatch.setenv("SPARK_MASTER", "local[2]")
    monkeypatch.setenv("INDICATOR_ENGINE", "pandas")   # --engine sets it: restored afterwards
    out = tmp_path / "spark.csv"
    result = CliRunner().invoke(app.cli, ["indicators", "--engine", "spark", "--period", "all",
                                          "--out", str(out)])
    assert result.exit_code == 0, result.output
    expected = sample_results.table[app.INDICATOR_CSV_COLUMNS].to_csv(index=False)
    got = out.read_text(encoding="utf-8")
    assert len(got.splitlines()) > 100_000
    assert got == expected
