"""15-minute life circle coverage (indicators/coverage.py) on hand-built geometry.

Points are placed at known great-circle distances from a station at 30°N 106°E (Guang'an):
due north by d metres is Δφ = d / R; due east along the parallel by d metres is
Δλ = 2·asin(sin(d / 2R) / cos φ) (the haversine formula solved for Δλ). R = 6,371,008.8 m.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data.coords import haversine_m
from indicators.coverage import (COVER_TOLERANCE_M, coverage_measures, nearest_station,
                                 project_tm, qualifying_station_types, service_circle_coverage,
                                 service_radius_m)

R = 6_371_008.8
LAT0, LON0 = 30.0, 106.0


def north(d: float, lat: float = LAT0) -> float:
    return lat + math.degrees(d / R)


def east(d: float, lat: float = LAT0, lon: float = LON0) -> float:
    return lon + math.degrees(2 * math.asin(math.sin(d / (2 * R)) / math.cos(math.radians(lat))))


def grids_frame(rows):
    return pd.DataFrame(rows, columns=["unit_id", "population", "lat", "lon"])


def stations_frame(rows):
    return pd.DataFrame(rows, columns=["station_id", "station_name", "station_type", "lat", "lon"])


@pytest.fixture
def grids():
    return grids_frame([
        ("A", 100.0, north(1000.0), LON0),         # exactly at the radius: covered
        ("B", 50.0, north(1001.0), LON0 + 0.0),    # 1 m beyond: not covered
        ("C", 30.0, LAT0, east(500.0)),            # 500 m east: covered
        ("D", 20.0, np.nan, np.nan),               # no centroid: not located
        ("E", 80.0, north(5000.0), east(5000.0)),  # far away
    ])


@pytest.fixture
def stations():
    return stations_frame([
        ("S1", "甲社区党群服务中心", "社区党群服务中心", LAT0, LON0),
        ("S2", "乙暖新驿站", "暖新驿站", north(5000.0) - math.degrees(300.0 / R), east(5000.0)),
        ("S3", "丙（无坐标）", "社区党群服务中心", np.nan, np.nan),
    ])


def test_hand_checked_geometry(grids, stations):
    assert haversine_m(LAT0, LON0, north(1000.0), LON0) == pytest.approx(1000.0, abs=1e-6)
    assert haversine_m(LAT0, LON0, LAT0, east(500.0)) == pytest.approx(500.0, abs=1e-6)
    cov = service_circle_coverage(grids, stations, radius_m=1000.0)
    g = cov.grids.set_index("unit_id")
    assert g.loc["A", "distance_m"] == pytest.approx(1000.0, abs=1e-3)
    assert g.loc["B", "distance_m"] == pytest.approx(1001.0, abs=1e-3)
    assert g.loc["C", "distance_m"] == pytest.approx(500.0, abs=1e-3)
    assert g.loc["E", "distance_m"] == pytest.approx(300.0, abs=1e-3)
    assert np.isnan(g.loc["D", "distance_m"])
    assert g["covered"].to_dict() == {"A": True, "B": False, "C": True, "D": False, "E": True}
    assert g.loc["A", "station_id"] == "S1" and g.loc["E", "station_id"] == "S2"
    assert g.loc["E", "station_type"] == "暖新驿站"
    # located population 100 + 50 + 30 + 80 = 260; covered 100 + 30 + 80 = 210
    assert cov.population_located == 260.0
    assert cov.population_covered == 210.0
    assert cov.share == pytest.approx(210 / 260)
    assert cov.grids_unlocated == 1
    assert cov.uncovered["unit_id"].tolist() == ["B"]


def test_radius_is_a_closed_disc_with_millimetre_tolerance(grids, stations):
    at = grids.iloc[[0]].copy()
    assert service_circle_coverage(at, stations, radius_m=1000.0).grids["covered"].iloc[0]
    just_beyond = grids_frame([("A+", 1.0, north(1000.0 + 10 * COVER_TOLERANCE_M), LON0)])
    assert not service_circle_coverage(just_beyond, stations, 1000.0).grids["covered"].iloc[0]


def test_qualifying_types_and_coverage_by_type(grids, stations):
    only_centres = service_circle_coverage(grids, stations, 1000.0,
                                           station_types=["社区党群服务中心"])
    g = only_centres.grids.set_index("unit_id")
    assert not g.loc["E", "covered"]                      # the 暖新驿站 does not count
    assert g.loc["E", "station_id"] == "S1"
    assert only_centres.population_covered == 130.0       # A + C
    # uncovered grids, most populous first: E (80) before B (50)
    assert only_centres.uncovered[["unit_id", "population"]].values.tolist() == [
        ["E", 80.0], ["B", 50.0]]
    by_type = only_centres.by_type.set_index("station_type")
    # by type lists every type, qualifying or not; S3 has no coordinates and is not counted
    assert by_type["stations"].to_dict() == {"暖新驿站": 1, "社区党群服务中心": 1}
    assert by_type["population_covered"].to_dict() == {"暖新驿站": 80.0, "社区党群服务中心": 130.0}
    assert by_type.loc["暖新驿站", "share"] == pytest.approx(80 / 260)


def test_smaller_radius(grids, stations):
    cov = service_circle_coverage(grids, stations, radius_m=500.0)
    # C exactly at 500 m and E at 300 m are covered; A at 1,000 m is not
    assert cov.grids.set_index("unit_id")["covered"].to_dict() == {
        "A": False, "B": False, "C": True, "D": False, "E": True}


def test_empty_station_table(grids):
    cov = service_circle_coverage(grids, stations_frame([]), 1000.0)
    assert not cov.grids["covered"].any()
    assert np.isinf(cov.grids.loc[cov.grids["unit_id"] != "D", "distance_m"]).all()
    assert cov.population_covered == 0.0 and cov.share == 0.0
    assert cov.uncovered["unit_id"].tolist() == ["A", "E", "B", "C"]   # 100, 80, 50, 30
    assert cov.by_type.empty


def test_station_on_a_shared_boundary_covers_both_sides():
    # two units split by the meridian 106°E; the station stands on the line itself
    station = stations_frame([("S", "界上阵地", "社区党群服务中心", LAT0, LON0)])
    grids = grids_frame([("west", 10.0, LAT0, 2 * LON0 - east(800.0)),
                         ("east", 20.0, LAT0, east(800.0))])
    cov = service_circle_coverage(grids, station, 1000.0)
    assert cov.grids["covered"].tolist() == [True, True]
    assert cov.grids["distance_m"].to_numpy() == pytest.approx([800.0, 800.0], abs=1e-3)


def test_bad_radius_and_settings():
    with pytest.raises(ValueError):
        service_circle_coverage(grids_frame([]), stations_frame([]), radius_m=0)
    assert service_radius_m({"settings": {"service_radius_m": 500}}) == 500.0
    assert service_radius_m(None) == 1000.0
    with pytest.raises(ValueError):
        service_radius_m({"settings": {"service_radius_m": -1}})
    assert qualifying_station_types(None) is None
    assert qualifying_station_types({"settings": {"service_station_types": ["社区党群服务中心 "]}}) \
        == ("社区党群服务中心",)
    with pytest.raises(ValueError):
        qualifying_station_types({"settings": {"service_station_types": []}})


def test_nearest_distances_agree_with_haversine_at_city_scale():
    # 2,000 grids and 300 stations scattered over ±40 km around the origin
    rng = np.random.default_rng(15)
    g_lat, g_lon = LAT0 + rng.uniform(-0.36, 0.36, 2000), LON0 + rng.uniform(-0.42, 0.42, 2000)
    s_lat, s_lon = LAT0 + rng.uniform(-0.36, 0.36, 300), LON0 + rng.uniform(-0.42, 0.42, 300)
    dist, index = nearest_station(g_lat, g_lon, s_lat, s_lon)
    brute = haversine_m(g_lat[:, None], g_lon[:, None], s_lat[None, :], s_lon[None, :])
    assert np.abs(dist - brute.min(axis=1)).max() < 1.0
    # the same station is found (ties within a metre aside)
    same = index == brute.argmin(axis=1)
    assert same.mean() > 0.999
    # and the distance to the station found is its haversine distance to within 1 m
    assert np.abs(dist - brute[np.arange(2000), index]).max() < 1.0


def test_projection_matches_pyproj_spherical_tmerc():
    pyproj = pytest.importorskip("pyproj")
    t = pyproj.Transformer.from_crs(
        "EPSG:4326", f"+proj=tmerc +R=6371008.8 +lat_0={LAT0} +lon_0={LON0} +k=1 +units=m",
        always_xy=True)
    rng = np.random.default_rng(3)
    lat, lon = LAT0 + rng.uniform(-1, 1, 500), LON0 + rng.uniform(-1, 1, 500)
    x, y = t.transform(lon, lat)
    ours = project_tm(lat, lon, LAT0, LON0)
    assert np.abs(ours[:, 0] - x).max() < 1e-3 and np.abs(ours[:, 1] - y).max() < 1e-3


def test_coverage_measures_per_year_follow_registers_and_opening(grids, stations):
    g = grids.assign(year=pd.array([2024] * 5, dtype="Int64"))
    s = stations.assign(opened=pd.to_datetime(["2020-01-01", "2025-06-01", None]))
    out = coverage_measures(g, s, "grid", [2024, 2025], radius_m=1000.0)
    by_year = out.groupby("year")[["population_located", "population_covered"]].sum()
    # 2024: the 暖新驿站 (opened 2025) is not open yet → A + C; 2025 (register 2024 reused): + E
    assert by_year.loc[2024].tolist() == [260.0, 130.0]
    assert by_year.loc[2025].tolist() == [260.0, 210.0]
    only = coverage_measures(g, s, "grid", [2025], 1000.0, station_types=["暖新驿站"])
    assert only["population_covered"].sum() == 80.0
    assert only.loc[only["unit_id"] == "D", "grids_unlocated"].tolist() == [1.0]


REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
BOSTON = Path(__file__).resolve().parents[1] / "examples" / "boston" / "dataset.yaml"


@pytest.mark.skipif(not (REAL / "boston_precincts.geojson").exists(), reason="no real data")
def test_boston_coverage_from_precinct_polygons(tmp_path):
    from data import load_dataset
    ds = load_dataset(BOSTON, cache_dir=tmp_path)
    grids, stations = ds.tables["grids"], ds.tables["stations"]
    assert grids["lat"].notna().all()          # every precinct got its polygon's centroid
    at_1000 = service_circle_coverage(grids, stations, 1000.0)
    at_500 = service_circle_coverage(grids, stations, 500.0)
    total = float(grids["population"].sum())
    assert at_1000.population_located == pytest.approx(total)
    assert 0 < at_500.population_covered < at_1000.population_covered < total
    # the nearest-centre distance of every precinct, checked by brute force
    brute = haversine_m(grids["lat"].to_numpy()[:, None], grids["lon"].to_numpy()[:, None],
                        stations["lat"].to_numpy()[None, :], stations["lon"].to_numpy()[None, :])
    assert np.abs(at_1000.grids["distance_m"].to_numpy() - brute.min(axis=1)).max() < 1.0
    covered = grids["population"].to_numpy()[brute.min(axis=1) <= 1000.0].sum()
    assert at_1000.population_covered == pytest.approx(covered)
