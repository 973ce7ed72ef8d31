"""The Map page's pure parts (layouts/mapview.py) and its page module on tiny hand-made data.

A 2 × 1 block of square streets (S1 west, S2 east, 0.02° each) with three grids and three
stations; expected traces and values are worked out by hand below.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from data.coords import haversine_m
from data.geo import read_boundary
from indicators.catalog import CATALOG
from indicators.coverage import service_circle_coverage
from layouts.mapview import circle, map_figure, units_under

UNITS = pd.DataFrame({
    "level": ["district", "street", "street", "grid", "grid", "grid"],
    "unit_id": ["D", "S1", "S2", "G1", "G2", "G3"],
    "unit_name": ["一区", "东街道", "西街道", "一网格", "二网格", "三网格"],
    "parent_id": [None, "D", "D", "S1", "S2", "S2"],
    "depth": [0, 1, 1, 2, 2, 2]})


def square(x0, y0, x1, y1):
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


@pytest.fixture
def streets(tmp_path):
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"sid": "S1"}, "geometry": square(106.00, 30.0, 106.02, 30.02)},
        {"type": "Feature", "properties": {"sid": "S2"}, "geometry": square(106.02, 30.0, 106.04, 30.02)}]}
    path = tmp_path / "streets.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return read_boundary(path, "sid", level="street")


@pytest.fixture
def stations():
    return pd.DataFrame({
        "station_name": ["甲中心", "乙站", "丙中心"],
        "station_type": ["社区党群服务中心", "小区党群服务站", "社区党群服务中心"],
        "lat": [30.01, 30.01, 30.015], "lon": [106.01, 106.03, 106.035],
        "area_m2": [350.0, 40.0, 120.0], "minimum_m2": [300.0, np.nan, 300.0],
        "area_status": ["meets", "none", "fails"], "weekly_hours": [40.0, np.nan, 56.0]})


@pytest.fixture
def grids():
    # G3 is ~2.9 km north of every station: the only uncovered grid
    return pd.DataFrame({"unit_id": ["G1", "G2", "G3"], "unit_name": ["一网格", "二网格", "三网格"],
                         "population": [100.0, 200.0, 300.0],
                         "lat": [30.012, 30.011, 30.04], "lon": [106.011, 106.031, 106.03]})


def rows(values):
    return pd.DataFrame({"unit_id": list(values), "unit_name": ["东街道", "西街道"][:len(values)],
                         "value": list(values.values()), "small_count": False})


def test_units_under():
    assert units_under(UNITS, "street", "S2") == {("street", "S2"), ("grid", "G2"), ("grid", "G3")}
    assert len(units_under(UNITS, "total", "total")) == 6
    assert units_under(UNITS, "grid", "G1") == {("grid", "G1")}


def test_circle_points_are_at_the_radius():
    lat, lon = circle(30.0, 106.0, 1000.0)
    assert len(lat) == 49 and (lat[0], lon[0]) == pytest.approx((lat[-1], lon[-1]))
    assert haversine_m(30.0, 106.0, lat, lon) == pytest.approx(np.full(49, 1000.0), abs=1e-6)


def test_choropleth_values_hover_and_missing_units(streets, stations, grids):
    ind = CATALOG["service_circle_coverage"]
    fig = map_figure(streets, rows({"S1": 0.75}), ind, "zh")
    grey, values = [tr for tr in fig.data if isinstance(tr, go.Choropleth)]
    assert list(grey.locations) == ["S2"]                 # no row: drawn grey
    assert list(values.locations) == ["S1"] and list(values.z) == [75.0]   # rates in %
    assert "东街道" in values.text[0] and "75.0%" in values.text[0]
    assert values.colorscale[0][1] != values.colorscale[-1][1]
    lower = map_figure(streets, rows({"S1": 3.0, "S2": 5.0}), CATALOG["complaint_rate_per_1k"], "zh")
    # a 'lower is better' indicator runs the colour scale the other way
    lower_values = [tr for tr in lower.data if isinstance(tr, go.Choropleth)][-1]
    assert lower_values.colorscale[0][1] == values.colorscale[-1][1]


def test_stations_failing_ring_circles_and_uncovered(streets, stations, grids):
    cov = service_circle_coverage(grids, stations, 1000.0)
    assert cov.uncovered["unit_id"].tolist() == ["G3"]
    ind = CATALOG["service_circle_coverage"]
    fig = map_figure(streets, rows({"S1": 1.0, "S2": 0.4}), ind, "zh", stations=stations,
                     coverage=cov, show_circles=True)
    names = [tr.name for tr in fig.data]
    assert "服务半径 1,000 米" in names
    assert "未覆盖网格（1 个）" in names and "面积未达标（1 个）" in names
    by_name = {tr.name: tr for tr in fig.data}
    assert list(by_name["社区党群服务中心"].lat) == [30.01, 30.015]
    assert list(by_name["面积未达标（1 个）"].lon) == [106.035]
    assert "120 m²" in by_name["面积未达标（1 个）"].text[0]
    # three circles of 49 points, each followed by a gap
    assert len(by_name["服务半径 1,000 米"].lat) == 3 * 50
    assert "三网格" in by_name["未覆盖网格（1 个）"].text[0]
    # the view frames every polygon and point
    lon0, lon1 = fig.layout.geo.lonaxis.range
    lat0, lat1 = fig.layout.geo.lataxis.range
    assert lon0 < 106.0 and lon1 > 106.04 and lat0 < 30.0 and lat1 > 30.04
    hidden = map_figure(streets, rows({"S1": 1.0}), ind, "zh", stations=stations, coverage=cov,
                        show_stations=False, show_uncovered=False)
    assert [tr.name for tr in hidden.data
            if isinstance(tr, go.Scattergeo) and tr.mode != "text"] == []


def test_scope_only_draws_its_units(streets):
    fig = map_figure(streets, rows({"S1": 0.5, "S2": 0.6}), CATALOG["service_circle_coverage"],
                     "en", only={"S2"})
    drawn = [loc for tr in fig.data if isinstance(tr, go.Choropleth) for loc in tr.locations]
    assert drawn == ["S2"]


def test_no_boundary_no_indicator_is_an_empty_map():
    fig = map_figure(None, pd.DataFrame(), None, "zh")
    assert len(fig.data) == 0 and fig.layout.geo.visible is False


ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def sample_app(tmp_path_factory):
    from indicators.pipeline import build
    from layouts import create_app
    results = build(ROOT / "data" / "sample" / "dataset.yaml",
                    cache_dir=tmp_path_factory.mktemp("cache"))
    return results, create_app(results)


def test_map_page_on_the_sample(sample_app):
    from layouts import store
    from layouts.mapview import map_data
    from layouts.pages import map as page
    results, app = sample_app
    assert app.server.test_client().get("/map").status_code == 200
    data = store.get()
    geo = map_data(data.dataset)
    assert geo.levels == ["district", "street"]
    view = page._valid(data, geo, None, "nonsense", None, "street:bad", "-5", "不存在", None)
    assert view["indicator"] == "service_circle_coverage" and view["level"] == "district"
    assert view["radius"] == 1000.0 and view["types"] is None
    assert view["layers"] == ["stations", "uncovered"] and view["unit"] == "total"
    out = page.render(data, geo, view, "zh")
    table = results.table
    total = table[(table["level"] == "total") & (table["period"] == view["year"])
                  & (table["indicator_id"] == "service_circle_coverage")].iloc[0]
    # the map's coverage note agrees with the indicator table (same registers, same radius)
    assert f"覆盖率 {total['value']:.1%}" in out["note"]
    assert f"{total['numerator']:,.0f} 人在服务半径内" in out["note"]
    # a click on a district drills down to its streets; a street (no community boundary)
    # opens its overview
    click = {"points": [{"location": "511602"}]}
    assert page.drill_target(data, geo, "district", click) == ("district:511602", "street")
    assert page.drill_target(data, geo, "street", {"points": [{"location": "511602001"}]}) == \
        ("street:511602001", None)
    assert page.drill_target(data, geo, "street", {"points": [{"lat": 1}]}) is None


def test_coverage_rows_match_the_indicator_table_and_follow_the_radius(sample_app):
    from layouts import store
    from layouts.mapview import map_data
    from layouts.pages import map as page
    results, _ = sample_app
    data = store.get()
    geo = map_data(data.dataset)
    year = data.latest_year
    table = data.level_rows(year, "street", "service_circle_coverage").set_index("unit_id")
    live = geo.coverage_rows(int(year), 1000.0, None, "street").set_index("unit_id")
    assert sorted(live.index) == sorted(table.index)
    assert live["value"].to_numpy() == pytest.approx(table.loc[live.index, "value"].to_numpy())
    assert live["denominator"].to_numpy() == pytest.approx(
        table.loc[live.index, "denominator"].to_numpy())
    smaller = geo.coverage_rows(int(year), 500.0, None, "street").set_index("unit_id")
    assert (smaller["numerator"] <= live["numerator"]).all()
    assert smaller["numerator"].sum() < live["numerator"].sum()
    # the page draws the live values when the radius differs from the manifest's
    view = page._valid(data, geo, "service_circle_coverage", "street", year, None, "500",
                       None, None)
    fig = page.render(data, geo, view, "zh")["figure"]
    choro = [tr for tr in fig.data if tr.type == "choropleth"][-1]     # the coloured units
    drawn = dict(zip(choro.locations, choro.z))
    some = next(iter(drawn))
    assert drawn[some] == pytest.approx(smaller.loc[some, "value"] * 100)


def test_scoped_view_measures_own_stations_and_draws_serving_ones(sample_app):
    from layouts import store
    from layouts.mapview import map_data
    data = store.get()
    geo = map_data(data.dataset)
    year = int(data.latest_year)
    whole = geo.view(year, 1000.0, None)
    part = geo.view(year, 1000.0, None, "district:511602")
    inside = units_under(data.dataset.units, "district", "511602")
    own = whole.stations[[(lv, u) in inside for lv, u in
                          zip(whole.stations["unit_level"], whole.stations["unit_id"])]]
    assert 0 < len(own) < len(whole.stations)
    assert int(part.standards.by_type["stations"].sum()) == len(own)
    assert set(own["station_id"]) <= set(part.stations["station_id"])
    # the district's grids only, covered by any station
    grids_inside = {u for lv, u in inside if lv == "grid"}
    assert set(part.coverage.grids["unit_id"]) == grids_inside & set(whole.coverage.grids["unit_id"])
    assert part.coverage.population_covered <= whole.coverage.population_covered


def test_the_topojson_plotly_asks_for_is_served_by_the_app(sample_app):
    """plotly.js loads ``topojsonURL + <scope>_<resolution>m.json`` for a geo subplot whose
    first trace is a choropleth; every graph's config points it at assets/topojson/, the file
    for the map's scope and resolution is there with the layers the bundle reads, and the app
    serves it (the CDN default would be blocked offline and by the CSP)."""
    import re

    import plotly

    from layouts.guards import graph_config
    _, app = sample_app
    bundle = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_text()
    assert 'topojsonURL:{valType:"string",noBlank:!0,dflt:"https://cdn.plot.ly/' in bundle
    layers = re.search(r"layerNameToAdjective=\{([^}]*)\}", bundle).group(1)
    read = {k for k in re.findall(r"(\w+):", layers) if k != "frame"}
    config = graph_config("zh")
    with app.server.test_request_context():
        assert graph_config("zh")["topojsonURL"] == config["topojsonURL"] == "/assets/topojson/"
    geo = map_figure(None, pd.DataFrame(), None, "zh").layout.geo.to_plotly_json()
    name = f"{geo.get('scope', 'world')}_{geo.get('resolution', 110)}m.json"
    assert name == "world_110m.json"
    topo = json.loads((ROOT / "assets" / "topojson" / name).read_text(encoding="utf-8"))
    assert topo["type"] == "Topology" and read <= set(topo["objects"]), read
    answer = app.server.test_client().get(config["topojsonURL"] + name)
    assert answer.status_code == 200 and json.loads(answer.data)["type"] == "Topology"
