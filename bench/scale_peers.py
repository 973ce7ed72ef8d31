"""Peers for bench/scale.py: polars doing the same work as this project, on the same files.

``polars_ingest(folder)`` — the ticket CSV and the grid register with the product's checks:
strict date parsing (received_at, closed_at: every non-empty value must parse), the manifest's
value maps (办理状态, 满意度; anything else is a bad value), yes/no (是否重复), a whole
non-negative number of working days (办理时限), the register join (every ticket's 网格编号 must
be a grid of the register), duplicate ticket ids (later copies rejected), closed before received,
and due dates = received day + N working days on the official calendar (``chinese_calendar``
flags, one cumulative sum, as data/workdays.py). Returns the accepted and rejected counts, which
bench/scale.py checks against ``load_dataset``'s.

``polars_rollup(folder)`` — the same flow measures (received, closed, on time, rated, satisfied,
repeat …) and the exact median handling hours by unit at every level and the total, for years
and months, from the tickets' Parquet file joined to the grids' ancestors.

polars is a benchmark-only dependency (requirements-dev.txt).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

STATUS = {"已办结": "closed", "办理中": "open"}
SATISFACTION = {"满意": "satisfied", "基本满意": "basically_satisfied", "不满意": "dissatisfied"}
YES_NO = {"是": True, "否": False, "": None}
CUTOFF = "2025-12-31 23:59:59"


def _workday_table(lo, hi):
    """(first day, cumulative working-day count per day) for days lo … hi."""
    import pandas as pd

    from data.workdays import workday_flags
    days = pd.date_range(lo, hi, freq="D")
    flags, _ = workday_flags(days)
    return days[0], np.cumsum(flags)


def polars_ingest(folder: Path) -> dict:
    import polars as pl

    t = pl.read_csv(folder / "complaints.csv", infer_schema=False, empty_string_is_null=False)
    t = t.with_columns(pl.all().fill_null(""))
    t = t.rename({"工单编号": "ticket_id", "受理时间": "received", "办结时间": "closed",
                  "办理时限": "deadline", "办理状态": "status", "网格编号": "grid_id",
                  "满意度": "satisfaction", "是否重复": "repeat"})
    grids = pl.read_csv(folder / "grids.csv", infer_schema=False).select(
        pl.col("网格编号").alias("grid_id")).unique()
    fmt = "%Y-%m-%d %H:%M:%S"
    s = pl.col
    t = t.with_columns(
        s("received").str.strip_chars().str.strptime(pl.Datetime("us"), fmt, strict=False)
        .alias("received_at"),
        s("closed").str.strip_chars().str.strptime(pl.Datetime("us"), fmt, strict=False)
        .alias("closed_at"),
        s("status").str.strip_chars().replace_strict(STATUS, default=None).alias("status_c"),
        s("satisfaction").str.strip_chars().replace_strict(SATISFACTION, default=None)
        .alias("sat_c"),
        s("repeat").str.strip_chars().replace_strict(YES_NO, default=None,
                                                     return_dtype=pl.Boolean).alias("repeat_c"),
        s("deadline").str.strip_chars().cast(pl.Int64, strict=False).alias("days"),
    ).with_columns(s("grid_id").str.strip_chars().is_in(grids["grid_id"].implode()).alias("known"),
                   s("ticket_id").is_first_distinct().alias("first"))
    bad = (
        s("ticket_id").str.strip_chars().eq("") | s("received_at").is_null()
        | (s("closed").str.strip_chars().ne("") & s("closed_at").is_null())
        | (s("status").str.strip_chars().ne("") & s("status_c").is_null())
        | (s("satisfaction").str.strip_chars().ne("") & s("sat_c").is_null())
        | (s("repeat").str.strip_chars().ne("") & s("repeat_c").is_null())
        | (s("deadline").str.strip_chars().ne("") & (s("days").is_null() | (s("days") < 0)))
        | ~s("known") | ~s("first") | (s("closed_at") < s("received_at")))
    t = t.with_columns(bad.fill_null(False).alias("rejected"))
    cut = pl.lit(CUTOFF).str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M:%S")
    ok = t.filter(~s("rejected")).with_columns(     # closed after the cut-off: still open then
        pl.when(s("closed_at") > cut).then(None).otherwise(s("closed_at")).alias("closed_at"))
    # due dates: received day + N working days at 23:59:59 (data/workdays.py)
    day0 = ok["received_at"].dt.truncate("1d")
    lo, hi = day0.min(), day0.max()
    import pandas as pd
    first, cum = _workday_table(lo, pd.Timestamp(hi) + pd.Timedelta(days=int(ok["days"].max() or 0) * 3 + 40))
    r = ((day0.to_numpy().astype("datetime64[D]") - np.datetime64(first, "D"))
         .astype("int64"))
    n = ok["days"].fill_null(0).to_numpy()
    pos = np.where(n == 0, r, np.searchsorted(cum, cum[r] + n, side="left"))
    due = pl.Series("due_at", (np.datetime64(first, "D") + pos.astype("timedelta64[D]")
                               + np.timedelta64(86399, "s")).astype("datetime64[us]"))
    ok = ok.with_columns(due.alias("due_at"))
    return {"accepted": ok.height, "rejected": int(t["rejected"].sum()), "rows": t.height,
            "on_time": int((ok["closed_at"] <= ok["due_at"]).sum())}


def polars_rollup(folder: Path) -> dict:
    import polars as pl

    s = pl.col
    t = pl.read_parquet(folder / "tickets.parquet").with_columns(
        pl.col(pl.Categorical).cast(pl.String))
    g = pl.read_parquet(folder / "grids.parquet").select(
        "unit_id", "district_id", "street_id", "community_id")
    t = t.join(g, on="unit_id", how="left").filter(s("received_at").is_not_null())
    cutoff = pl.lit(CUTOFF).str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M:%S")
    timed = s("closed_at").is_not_null() & (s("closed_at") <= cutoff + pl.duration(microseconds=999_999))
    closed = timed | (s("closed_at").is_null() & (s("status") == "closed").fill_null(False))
    with_due = timed & s("due_at").is_not_null()
    t = t.with_columns(
        s("received_at").dt.year().alias("y"),
        (s("received_at").dt.year() * 100 + s("received_at").dt.month()).alias("m"),
        closed.alias("closed"), timed.alias("timed"), with_due.alias("with_due"),
        (with_due & (s("closed_at") <= s("due_at"))).alias("on_time"),
        s("satisfaction").is_not_null().alias("rated"),
        s("satisfaction").is_in(["satisfied", "basically_satisfied"]).alias("satisfied"),
        s("is_repeat").fill_null(False).alias("repeat"),
        pl.when(timed).then((s("closed_at") - s("received_at")).dt.total_microseconds() / 3.6e9)
        .alias("hours"))
    aggs = [pl.len().alias("received"), s("closed").sum(), (~s("closed")).sum().alias("open"),
            s("timed").sum(), s("with_due").sum(), s("on_time").sum(), s("rated").sum(),
            s("satisfied").sum(), s("repeat").sum(), s("hours").median().alias("median_hours")]
    lazy = t.lazy()
    frames = []
    for period in ("y", "m"):
        for level in (None, "district_id", "street_id", "community_id", "unit_id"):
            keys = [period] + ([level] if level else [])
            frames.append(lazy.group_by(keys).agg(aggs))
    out = pl.collect_all(frames)
    rows = sum(f.height for f in out)
    total = float(out[0]["received"].sum())
    return {"rows": rows, "total_received": total}
