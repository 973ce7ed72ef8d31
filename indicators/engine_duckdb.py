"""Complaint measures in SQL: DuckDB over Parquet here, the same statement on Spark SQL.

Every indicator rests on additive measures (indicators/measures.py), so the one heavy step — one
pass over the ticket table — can run where the tickets live. This module writes that step as two
plain SQL ``GROUP BY`` statements (flow measures per unit × month, and the sparse handling-hours
histogram) and runs them with DuckDB, which streams Parquet files larger than memory. The result
has exactly the columns and values of ``measures.complaint_measures`` and
``measures.handling_histogram``; everything after it (roll-up, indicator table) is unchanged.

Portability: the statements use only ANSI SQL that DuckDB and Spark SQL ≥ 3.1 both accept
(``CASE``, ``COALESCE``, ``FLOOR``, ``LEAST``/``GREATEST``, ``year()``/``month()``, typed
``TIMESTAMP '…'`` literals). The one function the two spell differently — microseconds since the
epoch, for exact handling hours — is a per-dialect template (``DIALECTS``). To run on Spark::

    sql = complaint_measures_sql(columns, cutoff, dialect="spark", table="complaints")
    flows = spark.sql(sql).toPandas()          # then rollup() as usual

``python -m indicators.engine_duckdb --dialect spark`` prints both statements for a ticket table
with every optional column.

Usage here: ``indicators.measures.compute_measures(dataset, engine="duckdb")``, or for tickets
already in Parquet ``ticket_measures("tickets/*.parquet", cutoff)``.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Iterable

import pandas as pd

from data.model import EXCLUDED_STATUSES
from indicators.measures import (EXCLUDED_MEASURES, FLOW_KEYS, HIST_BIN_HOURS, MEASURES,
                                 RESOLUTION_WINDOW_DAYS, _month_label, available_measures)

#: Per-dialect spelling of "microseconds since the Unix epoch" of a timestamp expression.
DIALECTS: dict[str, str] = {"duckdb": "epoch_us({x})", "spark": "unix_micros({x})"}

#: Canonical ticket columns the statements may read (data/model.py ``complaints``).
TICKET_COLUMNS = ("received_at", "closed_at", "due_at", "status", "satisfaction", "is_repeat",
                  "unit_level", "unit_id")

_SATISFIED = "('satisfied', 'basically_satisfied')"


def _flag(condition: str) -> str:
    """1.0 where ``condition`` is true, else 0.0 (NULL counts as false, like pandas fillna)."""
    return f"CASE WHEN {condition} THEN 1.0 ELSE 0.0 END"


def _predicates(columns: Iterable[str], cutoff: pd.Timestamp | None, valid: str = "(1 = 1)"
                ) -> dict[str, str]:
    """Boolean SQL expressions shared by the measures: timed, closed, with_due (``valid``: the
    predicate of a ticket without an excluded outcome)."""
    cols = set(columns)
    cut = f" AND closed_at <= TIMESTAMP '{cutoff:%Y-%m-%d %H:%M:%S.%f}'" if cutoff is not None else ""
    timed = f"({valid} AND closed_at IS NOT NULL{cut})" if "closed_at" in cols else "(1 = 0)"
    closed = timed
    if "status" in cols:
        no_time = "closed_at IS NULL" if "closed_at" in cols else "1 = 1"
        closed = f"({timed} OR ({no_time} AND COALESCE(status = 'closed', FALSE)))"
    with_due = f"({timed} AND due_at IS NOT NULL)" if "due_at" in cols else "(1 = 0)"
    return {"timed": timed, "closed": closed, "with_due": with_due}


def measure_expressions(present: set[str], columns: Iterable[str],
                        cutoff: pd.Timestamp | None, dialect: str = "duckdb") -> dict[str, str]:
    """{measure: SQL expression of one ticket's contribution (0.0 / 1.0)} for the flow measures
    of ``measures.complaint_measures`` that are in ``present``, in its column order.

    The definitions mirror ``complaint_measures`` line by line (see its docstring and the module
    docstring of indicators/measures.py); ``tests/test_engine_duckdb.py`` checks they agree."""
    outcomes = [r for r, m in EXCLUDED_MEASURES.items() if m in present]
    valid = ("(status IS NULL OR status NOT IN ("
             + ", ".join(f"'{r}'" for r in outcomes) + "))") if outcomes else "(1 = 1)"
    p = _predicates(columns, cutoff, valid)
    timed, closed, with_due = p["timed"], p["closed"], p["with_due"]
    exprs = {"received": "1.0", "valid": _flag(valid)}
    if "closed" in present:
        exprs["closed"] = _flag(closed)
        exprs["open_at_cutoff"] = _flag(f"{valid} AND NOT {closed}")
    if "closed_timed" in present:
        exprs["closed_timed"] = _flag(timed)
        exprs["untimed"] = _flag(f"{valid} AND NOT {timed}")
        exprs["closed_untimed"] = _flag(f"{closed} AND NOT {timed}")
    if "closed_with_due" in present:
        exprs["closed_with_due"] = _flag(with_due)
        exprs["closed_on_time"] = _flag(f"{with_due} AND closed_at <= due_at")
        exprs["closed_without_due"] = _flag(f"{closed} AND NOT {with_due}")
    if "rated" in present:
        exprs["rated"] = _flag(f"{valid} AND satisfaction IS NOT NULL")
        exprs["unrated"] = _flag(f"{valid} AND satisfaction IS NULL")
        exprs["satisfied"] = _flag(f"{valid} AND satisfaction IN {_SATISFIED}")
    if "repeat" in present:
        exprs["repeat"] = _flag(f"{valid} AND COALESCE(is_repeat, FALSE)")
    for r in outcomes:
        exprs[EXCLUDED_MEASURES[r]] = _flag(f"COALESCE(status = '{r}', FALSE)")
    if "matured_30d" in present:
        window_us = RESOLUTION_WINDOW_DAYS * 86_400 * 10**6
        us = DIALECTS[dialect]
        matured = valid
        if cutoff is not None:
            edge = cutoff - pd.Timedelta(days=RESOLUTION_WINDOW_DAYS)
            matured = f"({valid} AND received_at <= TIMESTAMP '{edge:%Y-%m-%d %H:%M:%S.%f}')"
        untimed_closed = f"({closed} AND NOT {timed})" if "closed" in present else "(1 = 0)"
        exprs["matured_30d"] = _flag(f"{matured} AND NOT {untimed_closed}")
        exprs["closed_within_30d"] = _flag(
            f"{matured} AND {timed} AND "
            f"{us.format(x='closed_at')} - {us.format(x='received_at')} <= {window_us}")
        exprs["immature_30d"] = _flag(f"{valid} AND NOT {matured}")
        exprs["matured_untimed_30d"] = _flag(f"{matured} AND {untimed_closed}")
    return {m: exprs[m] for m in MEASURES if m in exprs}


_MONTH = "year(received_at) * 100 + month(received_at)"


def complaint_measures_sql(columns: Iterable[str], cutoff: pd.Timestamp | None = None,
                           present: set[str] | None = None, dialect: str = "duckdb",
                           table: str = "complaints") -> str:
    """The flow-measure statement over ticket table ``table``.

    columns: the ticket columns present (canonical names). present: the measures to produce
    (default: those ``available_measures`` would find for a table with these columns).
    cutoff: ``measures.effective_cutoff`` of the dataset (tickets closed after it count as open).
    Output columns: unit_level, unit_id, month_code (int, YYYYMM), then one DOUBLE per measure.
    Raises ``ValueError`` for an unknown dialect.
    """
    if dialect not in DIALECTS:
        raise ValueError(f"unknown SQL dialect {dialect!r}; known: {sorted(DIALECTS)}")
    columns = list(columns)
    if present is None:
        present = _present_for(columns)
    exprs = measure_expressions(present, columns, cutoff, dialect)
    sums = ",\n  ".join(f"SUM({e}) AS {name}" for name, e in exprs.items())
    return (f"SELECT unit_level, unit_id, {_MONTH} AS month_code,\n  {sums}\n"
            f"FROM {table}\nWHERE received_at IS NOT NULL\n"
            f"GROUP BY unit_level, unit_id, {_MONTH}")


def histogram_sql(cutoff: pd.Timestamp | None = None, dialect: str = "duckdb",
                  table: str = "complaints", columns: Iterable[str] = ()) -> str:
    """The handling-hours histogram statement (``measures.handling_histogram`` in SQL).

    Bin = floor(hours / HIST_BIN_HOURS), negative clipped to 0, no upper cap; hours are exact
    (microsecond) differences closed_at − received_at. Output columns: unit_level, unit_id,
    month_code (YYYYMM), bin (BIGINT), count (BIGINT). ``columns``: the ticket columns present
    (with ``status``, tickets of an excluded outcome are left out). Raises ``ValueError`` for an
    unknown dialect.
    """
    if dialect not in DIALECTS:
        raise ValueError(f"unknown SQL dialect {dialect!r}; known: {sorted(DIALECTS)}")
    us = DIALECTS[dialect]
    hours = (f"({us.format(x='closed_at')} - {us.format(x='received_at')}) "
             f"/ {3600e6 * HIST_BIN_HOURS:.1f}")
    b = f"CAST(GREATEST(FLOOR({hours}), 0) AS BIGINT)"
    valid = "(status IS NULL OR status NOT IN (" + ", ".join(
        f"'{r}'" for r in EXCLUDED_STATUSES) + "))" if "status" in set(columns) else "(1 = 1)"
    timed = _predicates(["closed_at"], cutoff, valid)["timed"]
    return (f"SELECT unit_level, unit_id, {_MONTH} AS month_code, {b} AS bin, "
            f"COUNT(*) AS count\nFROM {table}\n"
            f"WHERE received_at IS NOT NULL AND {timed}\n"
            f"GROUP BY unit_level, unit_id, {_MONTH}, {b}")


def _present_for(columns: list[str], statuses: Iterable[str] = ()) -> set[str]:
    """Measures a ticket table with these columns provides (all non-empty assumed);
    ``statuses``: the status values that occur (an excluded outcome's measure needs one)."""
    statuses = list(statuses) or ["x"]
    probe = pd.DataFrame({c: pd.Series([pd.Timestamp(0) if c.endswith("_at") else "x"]
                                       * len(statuses)) for c in columns})
    if "status" in probe.columns:
        probe["status"] = statuses
    return available_measures({"complaints": probe})


def _statuses(con) -> list[str]:
    """Distinct non-null status values of the ``complaints`` view."""
    return [r[0] for r in con.execute(
        "SELECT DISTINCT status FROM complaints WHERE status IS NOT NULL").fetchall()]


def _finish(frame: pd.DataFrame, keys: list[str], categorical: bool = False) -> pd.DataFrame:
    """month_code → 'YYYY-MM'; keys as str (or categories, like ``handling_histogram``);
    missing stays missing; rows in key order."""
    frame = frame.sort_values(["unit_level", "unit_id", "month_code", *keys[3:]],
                              kind="stable", na_position="last").reset_index(drop=True)
    frame.insert(2, "month", _month_label(frame.pop("month_code"), categorical).to_numpy())
    for col in ("unit_level", "unit_id"):
        frame[col] = frame[col].astype("category" if categorical and frame[col].notna().all()
                                       else "str")
    return frame


def ticket_measures(source: pd.DataFrame | str | Path, cutoff: pd.Timestamp | None = None,
                    present: set[str] | None = None, histogram: bool = True,
                    threads: int | None = None
                    ) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Flow measures and handling histogram of tickets, computed by DuckDB.

    source: a DataFrame of tickets (canonical columns, data/model.py; rows without received_at
    are ignored) or the path / glob of Parquet files holding them (streamed: the tickets never
    enter Python memory). cutoff: ``measures.effective_cutoff(dataset.cutoff)``. present: the
    measures to produce (default: every one the columns allow, as ``available_measures``).
    histogram: also compute the histogram (needs closed_at). threads: DuckDB worker threads
    (default: DuckDB's, one per core).
    Returns ``(flows, histogram)`` with the columns, dtypes and values of
    ``measures.complaint_measures`` and ``measures.handling_histogram`` (histogram None when
    not asked or without closed_at). Raises ``duckdb.Error`` for an unreadable Parquet source.
    """
    import duckdb

    con = duckdb.connect()
    try:
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        if isinstance(source, pd.DataFrame):
            cols = [c for c in TICKET_COLUMNS if c in source.columns]
            con.register("complaints_src", source[cols])
            con.execute("CREATE VIEW complaints AS SELECT * FROM complaints_src")
        else:
            path = str(source).replace("'", "''")
            con.execute(f"CREATE VIEW complaints AS SELECT * FROM read_parquet('{path}')")
            names = [r[0] for r in con.execute("DESCRIBE complaints").fetchall()]
            cols = [c for c in TICKET_COLUMNS if c in names]
        if present is None:
            present = _present_for(cols, _statuses(con) if "status" in cols else ())
        flows = con.execute(complaint_measures_sql(cols, cutoff, present)).df()
        flows = _finish(flows, FLOW_KEYS)
        hist = None
        if histogram and "closed_at" in cols:
            hist = con.execute(histogram_sql(cutoff, columns=cols)).df()
            hist["bin"] = hist["bin"].astype("int64")
            hist["count"] = hist["count"].astype("int64")
            hist = _finish(hist, ["unit_level", "unit_id", "month", "bin"], categorical=True)
        return flows, hist
    finally:
        con.close()


def parquet_columns(path: str | Path) -> dict[str, bool]:
    """{ticket column: has at least one value} of the Parquet file(s) at ``path`` (a glob is
    fine); one column-only scan. Raises ``duckdb.Error`` for an unreadable source."""
    import duckdb

    src = str(path).replace("'", "''")
    con = duckdb.connect()
    try:
        names = [r[0] for r in con.execute(
            f"DESCRIBE SELECT * FROM read_parquet('{src}')").fetchall()]
        cols = [c for c in TICKET_COLUMNS if c in names]
        counts = con.execute("SELECT " + ", ".join(f"COUNT({c})" for c in cols)
                             + f" FROM read_parquet('{src}')").fetchone()
        return {c: n > 0 for c, n in zip(cols, counts)}
    finally:
        con.close()


def compute_measures_parquet(dataset, tickets: str | Path, threads: int | None = None):
    """``measures.compute_measures`` for a dataset whose tickets live in Parquet files.

    dataset: a ``data.model.Dataset`` (units, registers, volunteer records; its own
    ``complaints`` table, if any, is ignored); tickets: path or glob of canonical ticket Parquet
    files (data/model.py ``complaints`` columns). The tickets are aggregated by DuckDB straight
    from the files — they never become a DataFrame, so this is the path for ticket tables
    larger than memory. Returns a ``Measures`` bundle equal to what ``compute_measures`` gives
    with the same tickets in ``dataset.tables['complaints']`` — except that the years of the
    15-minute-circle coverage come from the registers and volunteer records only (complaint
    years are not read here), which differs only for a dataset whose tickets span years no
    register or volunteer record has.
    """
    from dataclasses import replace

    from indicators.measures import compute_measures, effective_cutoff

    rest = replace(dataset, tables={k: v for k, v in dataset.tables.items()
                                    if k != "complaints"})
    out = compute_measures(rest)
    filled = [c for c, has in parquet_columns(tickets).items() if has]
    statuses = ()
    if "status" in filled:
        import duckdb
        src = str(tickets).replace("'", "''")
        con = duckdb.connect()
        try:
            con.execute(f"CREATE VIEW complaints AS SELECT * FROM read_parquet('{src}')")
            statuses = _statuses(con)
        finally:
            con.close()
    present = _present_for(filled, statuses)
    flows, hist = ticket_measures(tickets, effective_cutoff(dataset.cutoff), present,
                                  histogram="handling_hours_histogram" in present,
                                  threads=threads)
    out.flows["complaints"] = flows
    out.histogram = hist
    out.available |= present
    return out


def main(argv: list[str] | None = None) -> None:
    """Print the two statements for a ticket table with every optional column."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dialect", choices=sorted(DIALECTS), default="duckdb")
    parser.add_argument("--cutoff", default=None, help="data cut-off, e.g. 2025-12-31")
    args = parser.parse_args(argv)
    from indicators.measures import effective_cutoff
    cutoff = effective_cutoff(args.cutoff)
    print(complaint_measures_sql(TICKET_COLUMNS, cutoff, dialect=args.dialect) + ";\n")
    print(histogram_sql(cutoff, dialect=args.dialect, columns=TICKET_COLUMNS) + ";")


if __name__ == "__main__":
    main()
