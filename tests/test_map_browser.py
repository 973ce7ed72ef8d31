"""Headless browser test of the Map page on the embedded sample, as a user uses it: the map draws
the districts, stations and uncovered grids with nothing fetched from outside (no tiles, no
topojson), and a click on a district drills down to its streets.

Run: ``pytest tests/test_map_browser.py --headless``.
"""
from __future__ import annotations


import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.support.wait import WebDriverWait

from layouts import create_app, ids

TIMEOUT = 20


@pytest.fixture(scope="module")
def results(sample_results):
    return sample_results


def test_map_offline_and_drill_down(dash_duo, results):
    dash_duo.start_server(create_app(results))
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/map")
    graph = f"#{ids.MAP_GRAPH}"
    dash_duo.wait_for_element(f"{graph} .choroplethlocation", timeout=TIMEOUT)
    districts = dash_duo.find_elements(f"{graph} .choroplethlocation")
    assert len(districts) == 4                           # the sample's four districts
    legend = dash_duo.find_element(f"{graph} .legend").text
    assert "社区党群服务中心" in legend and "未覆盖网格" in legend
    assert "覆盖率" in dash_duo.find_element(f"#{ids.MAP_NOTE}").text
    loaded = dash_duo.driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)")
    assert all(url.startswith(dash_duo.server_url) for url in loaded), loaded

    # hide the stations and grids (markers sit over the polygons) and click a district
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/map?layers=none")
    dash_duo.wait_for_element(f"{graph} .choroplethlocation", timeout=TIMEOUT)
    assert not dash_duo.find_elements(f"{graph} .scattergeo .point")   # no markers
    districts = dash_duo.find_elements(f"{graph} .choroplethlocation")
    ActionChains(dash_duo.driver).move_to_element(districts[0]).click().perform()
    WebDriverWait(dash_duo.driver, TIMEOUT).until(
        lambda d: "level=street" in d.current_url and "unit=district" in d.current_url)
    dash_duo.wait_for_text_to_equal(f"{graph} .gtitle", "15分钟生活圈覆盖率 · 街道 · 2025 年",
                                    timeout=TIMEOUT)
    streets = dash_duo.find_elements(f"{graph} .choroplethlocation")
    assert 1 <= len(streets) < 15                        # only that district's streets
    assert dash_duo.get_logs() == []


def test_map_with_units_lacking_a_value_loads_its_topojson_locally(dash_duo, results):
    """2023 has no 诉求量同比 (no 2022 to compare with): every district is drawn grey by the
    map's first trace, a choropleth, which makes plotly.js load its base-map topojson. It
    must come from this server (assets/topojson/), not Plotly's CDN: with the dead proxy a CDN
    request fails, logs a console error and leaves the map empty."""
    table = results.table
    yoy = table[(table["indicator_id"] == "complaints_yoy") & (table["period"] == "2023")
                & (table["level"] == "district")]
    assert len(yoy) == 4 and yoy["value"].isna().all()    # the fixture does what it says
    dash_duo.start_server(create_app(results))
    dash_duo.wait_for_page(
        url=f"{dash_duo.server_url}/map?indicator=complaints_yoy&year=2023")
    graph = f"#{ids.MAP_GRAPH}"
    dash_duo.wait_for_element(f"{graph} .choroplethlocation", timeout=TIMEOUT)
    assert len(dash_duo.find_elements(f"{graph} .choroplethlocation")) == 4
    WebDriverWait(dash_duo.driver, TIMEOUT).until(lambda d: d.execute_script(
        "return !!(window.PlotlyGeoAssets && PlotlyGeoAssets.topojson.world_110m)"))
    loaded = dash_duo.driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)")
    assert f"{dash_duo.server_url}/assets/topojson/world_110m.json" in loaded
    assert all(url.startswith(dash_duo.server_url) for url in loaded), loaded
    assert dash_duo.get_logs() == []
