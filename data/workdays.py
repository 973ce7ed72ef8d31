"""Working-day arithmetic on the official Chinese calendar (holidays and 调休 make-up workdays).

Chinese 12345 hotlines set deadlines in working days (办理时限 5 个工作日). The calendar comes from
the maintained ``chinesecalendar`` package (State Council holiday notices, 国务院办公厅关于节假日
安排的通知); years it does not cover fall back to Monday–Friday, and the caller is told so.
"""
from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable

import numpy as np
import pandas as pd

END_OF_DAY = pd.Timedelta(hours=23, minutes=59, seconds=59)


def workday_flags(days: pd.DatetimeIndex, holidays: Iterable[pd.Timestamp] = (),
                  workdays: Iterable[pd.Timestamp] = ()) -> tuple[np.ndarray, list[int]]:
    """Boolean array: is each day (midnight timestamps) a working day?

    Uses ``chinese_calendar.is_workday``; for years the package does not cover, Monday–Friday.
    ``holidays`` / ``workdays`` (a dataset's own overrides) win over both. Returns the flags and
    the sorted list of years that fell back to weekdays.
    """
    import chinese_calendar

    flags = np.asarray(days.day_of_week < 5)
    fallback = []
    for year in sorted(set(days.year)):
        in_year = np.asarray(days.year == year)
        try:
            chinese_calendar.is_workday(_dt.date(year, 6, 1))
        except NotImplementedError:
            fallback.append(int(year))
            continue
        flags[in_year] = [chinese_calendar.is_workday(d.date()) for d in days[in_year]]
    extra_off = pd.DatetimeIndex(list(holidays)).normalize()
    extra_on = pd.DatetimeIndex(list(workdays)).normalize()
    flags[np.asarray(days.isin(extra_off))] = False
    flags[np.asarray(days.isin(extra_on))] = True
    return flags, fallback


def add_working_days(start: pd.Series, n_days: pd.Series, holidays: Iterable[pd.Timestamp] = (),
                     workdays: Iterable[pd.Timestamp] = ()) -> tuple[pd.Series, list[int]]:
    """Due date ``n_days`` working days after ``start`` (datetime64), at 23:59:59 of that day.

    The day of receipt does not count: received Monday with 1 working day → due Tuesday; 0 →
    end of the day of receipt. Rows with a missing start or count (or a negative count) get NaT.
    Example: received 2024-09-30 + 5 working days → 2024-10-12 (1–7 October are the National Day
    holiday and Saturday 12 October is a 调休 workday).
    Returns (due_at as datetime64[ns], years that fell back to Monday–Friday).
    """
    start = pd.to_datetime(start)
    n = pd.to_numeric(n_days, errors="coerce").round()
    ok = (start.notna() & n.notna() & (n >= 0)).to_numpy()
    due = pd.Series(pd.NaT, index=start.index, dtype="datetime64[ns]")
    if not ok.any():
        return due, []
    # whole days since 1970 as integers: no Timestamp arithmetic per row
    day0 = start.to_numpy(dtype="datetime64[ns]")[ok].astype("datetime64[D]").astype("int64")
    counts = n.to_numpy(dtype="float64", na_value=np.nan)[ok].astype("int64")
    lo = pd.Timestamp(int(day0.min()), unit="D")
    hi = pd.Timestamp(int(day0.max()), unit="D") + pd.Timedelta(days=int(counts.max()) * 3 + 40)
    days = pd.date_range(lo, hi, freq="D")
    flags, fallback = workday_flags(days, holidays, workdays)
    cum = np.cumsum(flags)
    r = day0 - int(day0.min())
    # the first day on which the running count reaches k, for every k: one lookup per ticket
    first_day_reaching = np.searchsorted(cum, np.arange(int(cum[-1]) + 1), side="left")
    pos = first_day_reaching[cum[r] + counts]
    pos = np.where(counts == 0, r, pos)
    values = np.full(len(start), np.datetime64("NaT"), dtype="datetime64[ns]")
    values[ok] = days.to_numpy(dtype="datetime64[ns]")[pos] + END_OF_DAY.to_timedelta64()
    due = pd.Series(values, index=start.index)
    # only years the computed due dates actually crossed matter for the warning
    crossed = np.zeros(len(days), dtype=bool)
    crossed[r] = crossed[pos] = True
    used = set(days[crossed].year)
    return due, [y for y in fallback if y in used]
