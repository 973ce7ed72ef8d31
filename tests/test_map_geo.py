"""Boundaries and the geographic load-report checks (data/geo.py) on tiny hand-made GeoJSON."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data.coords import wgs84_to_gcj02
from data.geo import (fill_grid_centroids, geography_warnings, outside, read_boundary,
                      repeated_points)
from data.manifest import ManifestError


def square(x0, y0, x1, y1):
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def write(tmp_path: Path, features, crs_name=None, name="b.geojson") -> Path:
    doc = {"type": "FeatureCollection",
           "features": [{"type": "Feature", "properties": p, "geometry": g} for p, g in features]}
    if crs_name:
        doc["crs"] = {"type": "name", "properties": {"name": crs_name}}
    path = tmp_path / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


@pytest.fixture
def two_wards(tmp_path):
    # ward 1: 106.00–106.02 E, ward 2: 106.02–106.04 E, both 30.00–30.02 N; numeric ids
    return write(tmp_path, [({"WARD": 1}, square(106.00, 30.00, 106.02, 30.02)),
                            ({"WARD": 2.0}, square(106.02, 30.00, 106.04, 30.02))])


def test_key_transforms_and_centroids(two_wards):
    b = read_boundary(two_wards, "WARD", transforms=[{"zfill": 2}])
    assert b.units["unit_id"].tolist() == ["01", "02"]          # 1 and 2.0 → '01', '02'
    assert b.units["lat"].to_numpy() == pytest.approx([30.01, 30.01])
    assert b.units["lon"].to_numpy() == pytest.approx([106.01, 106.03])
    assert [f["id"] for f in b.geojson["features"]] == ["01", "02"]


def test_centroid_outside_a_concave_unit_is_moved_onto_it(tmp_path):
    # an L-shaped unit (two squares joined at a corner region) whose centroid lies in the notch
    ell = {"type": "Polygon", "coordinates": [[[0, 0], [3, 0], [3, 0.2], [0.2, 0.2], [0.2, 3],
                                               [0, 3], [0, 0]]]}
    b = read_boundary(write(tmp_path, [({"id": "L"}, ell)]), "id")
    import shapely
    assert shapely.intersects_xy(b.units["geometry"].iloc[0], b.units["lon"].iloc[0],
                                 b.units["lat"].iloc[0])


def test_projected_file_is_refused_without_crs_and_read_with_it(tmp_path):
    # Boston City Hall in Massachusetts State Plane (EPSG:2249, US feet), a 1,000 ft square
    pyproj = pytest.importorskip("pyproj")
    to_ft = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:2249", always_xy=True)
    x, y = to_ft.transform(-71.0587, 42.3594)
    path = write(tmp_path, [({"P": "0301"}, square(x - 500, y - 500, x + 500, y + 500))])
    with pytest.raises(ManifestError, match="crs"):
        read_boundary(path, "P")
    b = read_boundary(path, "P", crs="EPSG:2249")
    assert b.units["lat"].iloc[0] == pytest.approx(42.3594, abs=1e-6)
    assert b.units["lon"].iloc[0] == pytest.approx(-71.0587, abs=1e-6)


def test_gcj02_boundary_is_converted(tmp_path):
    # a square drawn on a Chinese web map (GCJ-02) around the WGS-84 point 30.01 N 106.01 E
    glat, glon = wgs84_to_gcj02(30.01, 106.01)
    d = 0.005
    path = write(tmp_path, [({"k": "A"}, square(float(glon) - d, float(glat) - d,
                                                float(glon) + d, float(glat) + d))])
    b = read_boundary(path, "k", default_crs="gcj02")
    assert b.units["lat"].iloc[0] == pytest.approx(30.01, abs=2e-5)
    assert b.units["lon"].iloc[0] == pytest.approx(106.01, abs=2e-5)
    as_wgs = read_boundary(path, "k", crs="wgs84")   # not converted: hundreds of metres off
    assert abs(as_wgs.units["lon"].iloc[0] - 106.01) > 0.003


def test_missing_key_and_unknown_crs(two_wards):
    with pytest.raises(ManifestError, match="WARD_ID"):
        read_boundary(two_wards, "WARD_ID")
    with pytest.raises(ManifestError, match="坐标系"):
        read_boundary(two_wards, "WARD", crs="EPSG:999999")


def test_outside_with_points_on_edges(two_wards):
    b = read_boundary(two_wards, "WARD")
    lat = np.array([30.01, 30.00, 30.01, 30.03, np.nan])
    lon = np.array([106.01, 106.02, 106.04, 106.01, 106.01])
    # inside · on the shared corner edge · on the outer edge · north of both · unlocated
    assert outside(lat, lon, b).tolist() == [False, False, False, True, False]


def test_repeated_points_count_distinct_records():
    lat = np.array([42.3594] * 6 + [42.30, 42.31, 42.32] + [42.33] * 3)
    lon = np.array([-71.0587] * 6 + [-71.0, -71.1, -71.2] + [-71.3] * 3)
    rec = np.array(["t1", "t2", "t3", "t4", "t5", "t6", "a", "b", "c", "g", "g", "g"])
    out = repeated_points(lat, lon, rec)
    # 6 distinct tickets at City Hall (of 10 located records) are flagged; grid g repeated in
    # three registers is one record and is not
    assert out[["lat", "lon", "records"]].values.tolist() == [[42.3594, -71.0587, 6]]
    assert out["share"].iloc[0] == pytest.approx(6 / 10)
    assert repeated_points(lat, lon, rec, min_records=7).empty


def test_geography_warnings_fill_centroids_and_flag(two_wards):
    b = read_boundary(two_wards, "WARD", transforms=[{"zfill": 2}])
    grids = pd.DataFrame({"unit_id": ["01", "02"], "population": [10.0, 20.0]})
    stations = pd.DataFrame({"station_id": ["S1", "S2"], "lat": [30.01, 31.0],
                             "lon": [106.01, 106.01]})
    units = pd.DataFrame({"level": ["ward", "ward", "ward"], "unit_id": ["01", "02", "03"]})
    tables, warnings = geography_warnings({"grids": grids, "stations": stations}, units,
                                          {"ward": b}, ["ward"])
    assert tables["grids"][["lat", "lon"]].to_numpy().ravel() == pytest.approx(
        [30.01, 106.01, 30.01, 106.03])
    assert "lat" not in grids                            # the input is not modified
    assert any("2 个网格没有中心点坐标" in w for w in warnings["grids"])
    assert any("1 条阵地记录的坐标落在" in w and "S2" in w for w in warnings["stations"])
    assert any("1 个单位没有边界" in w and "03" in w for w in warnings["boundaries"])


def test_fill_keeps_register_coordinates(two_wards):
    b = read_boundary(two_wards, "WARD", transforms=[{"zfill": 2}])
    grids = pd.DataFrame({"unit_id": ["01", "02"], "lat": [30.015, np.nan],
                          "lon": [106.005, np.nan]})
    filled, n = fill_grid_centroids(grids, b)
    assert n == 1
    assert filled[["lat", "lon"]].to_numpy().ravel() == pytest.approx(
        [30.015, 106.005, 30.01, 106.03])


REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
BOSTON = Path(__file__).resolve().parents[1] / "examples" / "boston" / "dataset.yaml"


@pytest.mark.skipif(not (REAL / "boston_311_2015.csv.gz").exists(), reason="no real data")
def test_boston_load_report_flags_city_hall_and_fills_precinct_centroids(tmp_path):
    from data import load_dataset
    ds = load_dataset(BOSTON, cache_dir=tmp_path)
    complaints = ds.tables["complaints"]
    at_hall = int(((complaints["lat"].round(6) == 42.3594)
                   & (complaints["lon"].round(6) == -71.0587)).sum())
    warnings = [w for s in ds.report.sources for w in s.warnings]
    assert at_hall > 0.1 * complaints["lat"].notna().sum()
    assert any(f"{at_hall:,} 条工单记录" in w and "42.359400, -71.058700" in w for w in warnings)
    assert any("255 个网格没有中心点坐标" in w for w in warnings)
    assert ds.tables["grids"]["lat"].between(42.2, 42.4).all()


def test_indicator_cache_key_follows_boundary_bytes(tmp_path, two_wards):
    from types import SimpleNamespace

    from data.model import LoadReport
    from indicators.pipeline import cache_key
    manifest = tmp_path / "dataset.yaml"
    manifest.write_text("name: x\n", encoding="utf-8")
    ds = SimpleNamespace(manifest_path=manifest, report=LoadReport(), cutoff=None,
                         config={"boundaries": {"ward": {"path": two_wards.name, "key": "WARD"}}})
    before = cache_key(ds, ("year",))
    assert cache_key(ds, ("year",)) == before
    two_wards.write_text(two_wards.read_text().replace("106.04", "106.05"), encoding="utf-8")
    assert cache_key(ds, ("year",)) != before


def test_a_source_may_state_its_own_crs(tmp_path):
    from data import load_dataset
    from data.coords import gcj02_to_bd09, haversine_m
    # the grid register is WGS-84 (the dataset's crs); the station file comes from Baidu maps
    blat, blon = gcj02_to_bd09(*wgs84_to_gcj02(30.01, 106.01))
    (tmp_path / "grids.csv").write_text(
        "网格编号,户数,常住人口,纬度,经度\nG1,300,900,30.012,106.011\n", encoding="utf-8")
    (tmp_path / "stations.csv").write_text(
        f"编号,纬度,经度\nS1,{float(blat):.9f},{float(blon):.9f}\n", encoding="utf-8")
    manifest = tmp_path / "dataset.yaml"
    manifest.write_text("""name: 坐标系测试
levels: [grid]
crs: wgs84
tables:
  grids:
    sources:
      - {path: grids.csv, columns: {grid_id: 网格编号, households: 户数, population: 常住人口,
                                    lat: 纬度, lon: 经度}}
  stations:
    sources:
      - {path: stations.csv, crs: bd09, columns: {station_id: 编号, lat: 纬度, lon: 经度}}
""", encoding="utf-8")
    ds = load_dataset(manifest, use_cache=False)
    s = ds.tables["stations"].iloc[0]
    assert float(haversine_m(s["lat"], s["lon"], 30.01, 106.01)) < 1.0
    g = ds.tables["grids"].iloc[0]
    assert (g["lat"], g["lon"]) == (30.012, 106.011)          # untouched
    manifest.write_text(manifest.read_text().replace("crs: bd09", "crs: baidu"), encoding="utf-8")
    with pytest.raises(ManifestError, match="crs"):
        load_dataset(manifest, use_cache=False)


@pytest.mark.skipif(not (REAL / "guangan_districts_gcj02.geojson").exists(), reason="no real data")
def test_guangan_gcj02_districts_are_converted_to_wgs84():
    import shapely
    from data.coords import haversine_m
    path = REAL / "guangan_districts_gcj02.geojson"
    raw = json.loads(path.read_text(encoding="utf-8"))
    b = read_boundary(path, "adcode", crs="gcj02")
    assert len(b.units) == 6
    # every converted vertex maps back onto the file's GCJ-02 vertex to < 1 mm, and moved by
    # the few hundred metres of the GCJ-02 offset
    first = raw["features"][0]
    ring = np.array(first["geometry"]["coordinates"][0][0])
    ours = shapely.get_coordinates(
        b.units.set_index("unit_id").loc[str(first["properties"]["adcode"]), "geometry"])
    lat, lon = wgs84_to_gcj02(ours[:, 1], ours[:, 0])
    back = np.column_stack([lon, lat])
    nearest = np.array([np.abs(back - v).sum(axis=1).min() for v in ring[:50]])
    assert nearest.max() < 1e-8
    shift = haversine_m(ring[:50, 1], ring[:50, 0], *wgs84_to_gcj02(ring[:50, 1], ring[:50, 0]))
    assert 100 < shift.min() and shift.max() < 1000
