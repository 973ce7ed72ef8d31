"""Station standards (indicators/stations.py) on a hand-counted station register."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from indicators.stations import station_standards

CENTRE, VILLAGE, POST = "社区党群服务中心", "村党群服务中心", "小区党群服务站"


@pytest.fixture
def stations():
    return pd.DataFrame({
        "station_id": ["S1", "S2", "S3", "S4", "S5", "S6", "S7"],
        "station_name": ["甲中心", "乙中心", "丙中心", "丁村中心", "戊村中心", "己站", "庚中心"],
        "station_type": [CENTRE, CENTRE, CENTRE, VILLAGE, VILLAGE, POST, CENTRE + " "],
        "unit_level": ["community"] * 5 + ["grid", None],
        "unit_id": ["C1", "C2", "C3", "V1", "V2", "G1", None],
        "area_m2": [300.0, 260.0, np.nan, 90.0, 45.5, 20.0, 500.0],
        "weekly_hours": [40.0, 56.0, np.nan, 30.0, 20.0, 168.0, 48.0],
    })


def test_compliance_by_type_and_level(stations):
    out = station_standards(stations, population=20_000)
    t = out.by_type.set_index(["station_type", "unit_level"])
    centres = t.loc[(CENTRE, "community")]
    # S1 300 (= minimum: meets), S2 260 (fails), S3 unknown
    assert (centres["stations"], centres["with_area"], centres["meeting"],
            centres["area_unknown"]) == (3, 2, 1, 1)
    assert centres["compliance"] == pytest.approx(1 / 2)
    assert centres["minimum_m2"] == 300.0
    villages = t.loc[(VILLAGE, "community")]
    assert (villages["with_area"], villages["meeting"]) == (2, 1)   # 90 meets, 45.5 fails
    post = t.loc[(POST, "grid")]
    assert np.isnan(post["minimum_m2"]) and np.isnan(post["compliance"])   # no standard
    # the stray space is stripped; a station with no unit counts under 'total'
    assert t.loc[(CENTRE, "total"), "meeting"] == 1


def test_hours_and_per_10k(stations):
    out = station_standards(stations, population=20_000)
    t = out.by_type.set_index(["station_type", "unit_level"])
    centres = t.loc[(CENTRE, "community")]
    assert centres["hours_known"] == 2
    assert centres["weekly_hours_mean"] == pytest.approx((40 + 56) / 2)
    assert centres["weekly_hours_min"] == 40.0
    assert centres["per_10k"] == pytest.approx(3 / 20_000 * 10_000)
    assert out.stations_per_10k == pytest.approx(7 / 20_000 * 10_000)
    assert np.isnan(station_standards(stations, population=0).stations_per_10k)


def test_failing_list_with_gap(stations):
    failing = station_standards(stations, population=20_000).failing
    # 戊村中心 90 − 45.5 = 44.5, 乙中心 300 − 260 = 40, then 丙中心 with no area
    assert failing["station_id"].tolist() == ["S5", "S2", "S3"]
    assert failing["gap_m2"].tolist()[:2] == [44.5, 40.0]
    assert np.isnan(failing["gap_m2"].iloc[2])
    assert failing.loc[0, "minimum_m2"] == 90.0 and failing.loc[0, "unit_id"] == "V2"


def test_configured_minimums(stations):
    out = station_standards(stations, 20_000, area_min_m2={CENTRE: 250.0, POST: 30.0})
    t = out.by_type.set_index(["station_type", "unit_level"])
    assert t.loc[(CENTRE, "community"), "meeting"] == 2           # 300 and 260 ≥ 250
    assert np.isnan(t.loc[(VILLAGE, "community"), "minimum_m2"])   # no longer has a standard
    assert out.failing["station_id"].tolist() == ["S6", "S3"]     # 30 − 20 = 10, unknown


def test_empty_register():
    out = station_standards(pd.DataFrame({"station_type": pd.Series([], dtype="string")}), 100.0)
    assert out.by_type.empty and out.failing.empty
    assert out.stations_per_10k == 0.0
