"""Headless browser test on the embedded sample dataset, as a user opens it after
`python app.py`: every page renders with no console error and nothing loaded from outside, and
the Compare chart shows the streets in the order of the indicator table.

Expected figures are read from the indicator table computed by the pipeline (itself checked by hand
on tiny fixtures in tests/test_indicators*.py): this test checks that the page shows that table.
"""
from __future__ import annotations


import pytest
from selenium.webdriver.support.wait import WebDriverWait

from indicators import CATALOG, format_value
from layouts import create_app, ids

TIMEOUT = 20
PAGES = {"/": ".kpi-card", "/compare": f"#{ids.CMP_GRAPH} .bars .point",
         "/trends": ".js-plotly-plot .scatterlayer", "/quality": ".ag-row",
         "/catalog": ".catalog-table"}


@pytest.fixture(scope="module")
def results(sample_results):
    return sample_results


def test_every_page_renders_the_sample_offline(dash_duo, results):
    dash_duo.start_server(create_app(results))
    for path, selector in PAGES.items():
        dash_duo.wait_for_page(url=f"{dash_duo.server_url}{path}")
        dash_duo.wait_for_element(selector, timeout=TIMEOUT)
        assert dash_duo.find_element(f"#{ids.SAMPLE_BADGE}").text == "示例数据"
    loaded = dash_duo.driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)")
    assert all(url.startswith(dash_duo.server_url) for url in loaded), loaded
    assert dash_duo.get_logs() == []


def test_overview_and_compare_show_the_indicator_table(dash_duo, results):
    table = results.table
    year = max(p for p in table["period"].unique() if len(p) == 4)
    total = table[(table["level"] == "total") & (table["period"] == year)
                  & (table["indicator_id"] == "resolution_rate")].iloc[0]

    dash_duo.start_server(create_app(results))
    # the cut-off (2025-12-31) leaves December's tickets open: the year's rate is 暂定
    mark = "（暂定）" if bool(total.get("provisional", False)) else ""
    dash_duo.wait_for_text_to_equal('[id*="resolution_rate"].kpi-card .kpi-value',
                                    format_value(CATALOG["resolution_rate"], total["value"]) + mark,
                                    timeout=TIMEOUT)

    streets = table[(table["level"] == "street") & (table["period"] == year)
                    & (table["indicator_id"] == "on_time_rate")].sort_values("rank")
    dash_duo.wait_for_page(
        url=f"{dash_duo.server_url}/compare?indicator=on_time_rate&level=street&year={year}")

    def labels(_driver):
        ticks = dash_duo.find_elements(f"#{ids.CMP_GRAPH} .yaxislayer-above .ytick text")
        return [t.text for t in sorted(ticks, key=lambda e: e.location["y"])] or False

    shown = WebDriverWait(dash_duo.driver, TIMEOUT).until(labels)
    assert len(shown) == len(streets) == 15
    assert shown[0] == f"1. {streets.iloc[0]['unit_name']}"
    assert shown[-1].endswith(streets.iloc[-1]["unit_name"])
    assert dash_duo.get_logs() == []
