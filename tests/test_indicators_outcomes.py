"""Ticket outcomes (excluded tickets) and open periods (provisional values), by hand.

Tickets of grid G1 (cut-off 2025-12-31), handling hours in brackets::

    id  received          closed             status      satisfaction  repeat
    m1  2025-03-01 08:00  03-01 20:00 (12)   closed      满意           no
    m2  2025-03-02 08:00  03-03 08:00 (24)   closed      不满意         yes
    m3  2025-03-03 08:00  —                  open        —              no
    m4  2025-03-04 08:00  03-04 09:00 (1)    cancelled   满意           yes   excluded
    m5  2025-03-05 08:00  —                  referred    —              no    excluded
    m6  2025-03-06 08:00  03-06 10:00 (2)    duplicate   —              yes   excluded
    n1  2025-11-10 08:00  11-12 08:00 (48)   closed      满意           no
    n2  2025-11-20 08:00  2025-12-25 08:00   closed      满意           no    closed after 35 days
    e1  2025-12-10 08:00  12-11 08:00 (24)   closed      满意           no
    e2  2025-12-20 08:00  —                  open        —              no
    e3  2025-12-21 08:00  —                  invalid     —              no    excluded
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from indicators.engine_duckdb import ticket_measures
from indicators.measures import complaint_measures, effective_cutoff, handling_histogram
from indicators.table import compute_indicators
from tests.test_indicators import make_dataset, make_grids, row

T = pd.Timestamp
CUTOFF = T("2025-12-31 23:59:59")


def tickets() -> pd.DataFrame:
    rows = [
        ("m1", "2025-03-01 08:00", "2025-03-01 20:00", "closed", "satisfied", False),
        ("m2", "2025-03-02 08:00", "2025-03-03 08:00", "closed", "dissatisfied", True),
        ("m3", "2025-03-03 08:00", None, "open", None, False),
        ("m4", "2025-03-04 08:00", "2025-03-04 09:00", "cancelled", "satisfied", True),
        ("m5", "2025-03-05 08:00", None, "referred", None, False),
        ("m6", "2025-03-06 08:00", "2025-03-06 10:00", "duplicate", None, True),
        ("n1", "2025-11-10 08:00", "2025-11-12 08:00", "closed", "satisfied", False),
        ("n2", "2025-11-20 08:00", "2025-12-25 08:00", "closed", "satisfied", False),
        ("e1", "2025-12-10 08:00", "2025-12-11 08:00", "closed", "satisfied", False),
        ("e2", "2025-12-20 08:00", None, "open", None, False),
        ("e3", "2025-12-21 08:00", None, "invalid", None, False),
    ]
    df = pd.DataFrame(rows, columns=["ticket_id", "received_at", "closed_at", "status",
                                     "satisfaction", "is_repeat"])
    for col in ("received_at", "closed_at"):
        df[col] = pd.to_datetime(df[col])
    df["unit_level"], df["unit_id"] = "grid", "G1"
    return df.astype({"ticket_id": "string", "unit_level": "string", "unit_id": "string",
                      "status": "string", "satisfaction": "string", "is_repeat": "boolean"})


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return compute_indicators(make_dataset({"complaints": tickets(), "grids": make_grids()}))


def test_excluded_tickets_leave_the_resolution_rate_denominator(table):
    r = row(table, "resolution_rate", period="2025-03")
    # valid: m1 m2 m3; closed m1 m2. m4 (cancelled, although closed) m5 m6 left out
    assert (r["numerator"], r["denominator"]) == (2, 3)
    assert r["value"] == pytest.approx(2 / 3)
    assert r["excluded"] == 3
    assert r["excluded_reason"] == "已撤销 1 件；重复工单 1 件；已转出 1 件"
    year = row(table, "resolution_rate")
    # valid in 2025: m1 m2 m3 n1 n2 e1 e2 (7); closed m1 m2 n1 n2 e1 (5); excluded m4 m5 m6 e3
    assert (year["numerator"], year["denominator"], year["excluded"]) == (5, 7, 4)
    assert year["excluded_reason"] == "已撤销 1 件；重复工单 1 件；已转出 1 件；无效工单 1 件"


def test_excluded_tickets_still_count_in_volumes_and_leave_other_rates(table):
    # volume: all 11 tickets; population of G1 in the 2024 register is 1,000 (all grids 4,000)
    assert row(table, "complaint_rate_per_1k")["numerator"] == 11
    assert row(table, "complaint_rate_per_1k", "G1", "2025-03", "grid")["value"] == \
        pytest.approx(6 / 1000 * 1000)
    rep = row(table, "repeat_complaint_rate", period="2025-03")
    assert (rep["numerator"], rep["denominator"], rep["excluded"]) == (1, 3, 3)   # m2 only
    sat = row(table, "satisfaction_rate", period="2025-03")
    assert (sat["numerator"], sat["denominator"]) == (1, 2)        # m1 of m1 m2; m4 left out
    assert sat["excluded"] == 1 + 3                                # m3 unrated + 3 excluded
    med = row(table, "median_handling_days", period="2025-03")
    assert med["denominator"] == 2                                 # m1 (12 h) and m2 (24 h)
    assert abs(med["value"] - 18 / 24) <= 1 / 24
    assert med["excluded"] == 1 + 3                                # m3 open + 3 excluded


def test_excluded_outcomes_same_in_duckdb():
    df = tickets()
    cutoff = effective_cutoff(CUTOFF)
    flows, hist = ticket_measures(df, cutoff)
    mine = complaint_measures(df, cutoff)
    key = ["unit_level", "unit_id", "month"]
    pd.testing.assert_frame_equal(flows.sort_values(key).reset_index(drop=True),
                                  mine.sort_values(key).reset_index(drop=True))
    march = flows.set_index("month").loc["2025-03"]
    assert (march["received"], march["valid"]) == (6, 3)
    assert (march["excluded_cancelled"], march["excluded_referred"],
            march["excluded_duplicate"]) == (1, 1, 1)
    assert sorted(hist["bin"].tolist()) == sorted(handling_histogram(df, cutoff)["bin"].tolist())
    assert 1 not in hist["bin"].tolist() and 2 not in hist["bin"].tolist()   # m4, m6


def test_december_ticket_rates_are_provisional_earlier_months_not(table):
    def prov(ind, period):
        return bool(row(table, ind, period=period)["provisional"])
    for ind in ("resolution_rate", "satisfaction_rate", "median_handling_days"):
        assert prov(ind, "2025-12"), ind               # tickets received then may still close
        assert not prov(ind, "2025-11"), ind           # 30 days have passed since 30 Nov
        assert not prov(ind, "2025-03"), ind
        assert prov(ind, "2025"), ind                  # the year holds December
    # volumes and the repeat flag are known at receipt; registers never change
    assert not prov("complaint_rate_per_1k", "2025-12")
    assert not prov("repeat_complaint_rate", "2025-12")
    assert not prov("households_per_grid", "2025")


def test_thirty_day_resolution_rate_is_censoring_aware(table):
    # received at least 30 days before the cut-off (≤ 2025-12-01 23:59:59), valid:
    # m1 m2 m3 n1 n2; closed within 30 days: m1 m2 n1 (n2 took 35 days, m3 still open)
    r = row(table, "resolution_30d_rate")
    assert (r["numerator"], r["denominator"]) == (3, 5)
    assert not r["provisional"]
    # e1 e2 are too recent (e3 is invalid)
    assert r["excluded_reason"] == ("截止日前 30 天内受理（未满 30 天） 2 件；已撤销 1 件；"
                                    "重复工单 1 件；已转出 1 件；无效工单 1 件")
    dec = row(table, "resolution_30d_rate", period="2025-12")
    assert dec["denominator"] == 0 and np.isnan(dec["value"]) and not dec["provisional"]


def test_manifest_maps_source_statuses_onto_outcomes(tmp_path):
    """办理状态 as typed (已撤销, 已转出 …) → the canonical outcomes through the manifest's value
    map; an unmapped status is a rejected row naming the allowed outcomes."""
    from data import load_dataset

    (tmp_path / "grids.csv").write_text("网格编号,户数\nG1,100\n", encoding="utf-8")
    (tmp_path / "tickets.csv").write_text(
        "工单编号,受理时间,办结时间,办理状态,网格编号\n"
        "t1,2025-03-01 08:00,2025-03-02 08:00,已办结,G1\n"
        "t2,2025-03-01 09:00,,办理中,G1\n"
        "t3,2025-03-01 10:00,2025-03-01 11:00,已撤销,G1\n"
        "t4,2025-03-01 11:00,,已转出,G1\n"
        "t5,2025-03-01 12:00,,挂起,G1\n", encoding="utf-8")
    (tmp_path / "dataset.yaml").write_text("""
name: 测试
levels: [grid]
cutoff: 2025-12-31
tables:
  grids:
    sources:
      - {path: grids.csv, columns: {grid_id: 网格编号, households: 户数}}
  complaints:
    sources:
      - path: tickets.csv
        columns: {ticket_id: 工单编号, received_at: 受理时间, closed_at: 办结时间,
                  status: 办理状态, grid_id: 网格编号}
        values:
          status: {已办结: closed, 办理中: open, 已撤销: cancelled, 已转出: referred}
""", encoding="utf-8")
    ds = load_dataset(tmp_path / "dataset.yaml", use_cache=False)
    assert sorted(ds.tables["complaints"]["status"].tolist()) == \
        ["cancelled", "closed", "open", "referred"]
    bad = [e for s in ds.report.sources for e in s.errors]
    assert [(e.row, e.value, e.rule) for e in bad] == [(6, "挂起", "bad_value")]
    r = row(compute_indicators(ds), "resolution_rate", period="2025-03")
    assert (r["numerator"], r["denominator"], r["excluded"]) == (1, 2, 2)
    assert r["excluded_reason"] == "已撤销 1 件；已转出 1 件"
