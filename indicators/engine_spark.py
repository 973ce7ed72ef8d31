"""Ticket measures on Apache Spark (pyspark): the one heavy pass, distributed.

The same two SQL statements as indicators/engine_duckdb.py (flow measures per unit × month and
the handling-hours histogram, rendered in Spark's dialect) run with ``spark.sql`` over the
tickets read from Parquet — the partitioned folder ``data.prepared.write_tickets`` writes
(``python app.py prepare --out DIR``). The two small results come back to pandas and feed the
unchanged ``rollup`` → ``indicators_from_cube``, so the indicator table equals the pandas
engine's (tests/test_engine_spark.py).

Where it runs: ``master`` argument, else the ``SPARK_MASTER`` environment variable, else
``local[*]`` (every core of this machine). Any Spark master URL works
(``spark://host:7077``, ``yarn``, ``k8s://…``); on a cluster the Parquet folder must be on
storage every executor reads (HDFS, S3, a shared mount) — pass its URL as ``tickets``.
Requires pyspark (requirements-spark.txt) and Java 17+.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd

from indicators.engine_duckdb import (TICKET_COLUMNS, _finish, _present_for,
                                      complaint_measures_sql, histogram_sql)
from indicators.measures import FLOW_KEYS

DEFAULT_MASTER = "local[*]"
_SESSIONS: dict[str, object] = {}


def spark_master(master: str | None = None) -> str:
    """The master URL to use: ``master``, else $SPARK_MASTER, else ``local[*]``."""
    return master or os.environ.get("SPARK_MASTER") or DEFAULT_MASTER


def spark_session(master: str | None = None):
    """A SparkSession on ``spark_master(master)`` (one per master per process; the JVM start
    costs seconds). Session time zone UTC: ticket timestamps are naive local times and must be
    read back unchanged. Raises ``ImportError`` without pyspark, and pyspark's errors when
    Java or the master cannot be reached."""
    from pyspark.sql import SparkSession

    url = spark_master(master)
    if url.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    session = _SESSIONS.get(url)
    if session is not None and session.sparkContext._jsc is not None:   # not stopped
        return session
    builder = (SparkSession.builder.master(url).appName("party-governance-indicators")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.execution.arrow.pyspark.enabled", "true")
               # the two results come back to this process: at 10M tickets the histogram has
               # 20M rows, over Spark's 1 GiB defaults for the driver and a collected result
               .config("spark.driver.memory", os.environ.get("SPARK_DRIVER_MEMORY", "6g"))
               .config("spark.driver.maxResultSize",
                       os.environ.get("SPARK_MAX_RESULT_SIZE", "4g"))
               .config("spark.sql.shuffle.partitions", os.environ.get(
                   "SPARK_SHUFFLE_PARTITIONS", "8" if url.startswith("local") else "200")))
    if url.startswith("local"):
        builder = builder.config("spark.driver.host", "127.0.0.1") \
            .config("spark.driver.bindAddress", "127.0.0.1")
    import warnings
    with warnings.catch_warnings():            # pyspark's notice about pandas 3 (see _to_pandas)
        warnings.simplefilter("ignore", FutureWarning)
        session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    _SESSIONS[url] = session
    return session


def ticket_measures(source: pd.DataFrame | str | Path, cutoff: pd.Timestamp | None = None,
                    present: set[str] | None = None, histogram: bool = True,
                    master: str | None = None, units: pd.DataFrame | None = None,
                    levels: list[str] | None = None
                    ) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Flow measures and handling histogram of tickets, computed by Spark.

    source: a Parquet folder or file URL of canonical tickets (``data.prepared`` layout; any
    path Spark reads), or a DataFrame of tickets, which is first written to a temporary
    partitioned folder (``units``/``levels`` give the district partition). cutoff:
    ``measures.effective_cutoff(dataset.cutoff)``. present: measures to produce (default: all
    the columns allow). Returns ``(flows, histogram)`` with the columns, dtypes and values of
    ``measures.complaint_measures`` and ``measures.handling_histogram`` — as
    ``engine_duckdb.ticket_measures``. Raises ``ImportError`` without pyspark.
    """
    if isinstance(source, pd.DataFrame):
        from data.model import Dataset, LoadReport
        from data.prepared import write_tickets
        with tempfile.TemporaryDirectory(prefix="tickets-") as tmp:
            ds = Dataset(name="", manifest_path=Path(tmp), levels=list(levels or []),
                         level_names={}, level_names_en={},
                         units=units if units is not None else pd.DataFrame(
                             columns=["unit_id", "level", "parent_id"]),
                         tables={"complaints": source}, report=LoadReport())
            folder = write_tickets(ds, tmp)
            return ticket_measures(str(folder), cutoff, present, histogram, master)
    spark = spark_session(master)
    frame = spark.read.parquet(str(source))
    cols = [c for c in TICKET_COLUMNS if c in frame.columns]
    frame.select(*cols).createOrReplaceTempView("complaints")
    if present is None:
        filled = frame.selectExpr(*[f"count({c})" for c in cols]).first()
        statuses = ([r[0] for r in frame.select("status").distinct().collect()
                     if r[0] is not None] if "status" in cols else ())
        present = _present_for([c for c, n in zip(cols, filled) if n], statuses)
    flows = _to_pandas(spark.sql(complaint_measures_sql(cols, cutoff, present, dialect="spark")))
    flows = _finish(_typed(flows, [c for c in flows.columns if c not in FLOW_KEYS]), FLOW_KEYS)
    hist = None
    if histogram and "closed_at" in cols:
        hist = _to_pandas(spark.sql(histogram_sql(cutoff, dialect="spark", columns=cols)))
        hist["bin"] = hist["bin"].astype("int64")
        hist["count"] = hist["count"].astype("int64")
        hist = _finish(hist, ["unit_level", "unit_id", "month", "bin"], categorical=True)
    return flows, hist


def _to_pandas(frame) -> pd.DataFrame:
    """``frame.toPandas()`` without pyspark's warning about the pandas version (the results
    are plain numbers and strings, checked against the pandas engine by the tests)."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return frame.toPandas()


def _typed(flows: pd.DataFrame, measures: list[str]) -> pd.DataFrame:
    """Spark's result as DuckDB's: measures float64, month_code int64, keys as object."""
    for col in measures:
        if col != "month_code":
            flows[col] = flows[col].astype("float64")
    flows["month_code"] = flows["month_code"].astype("int64")
    return flows
