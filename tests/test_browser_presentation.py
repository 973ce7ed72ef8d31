"""Headless browser test on the embedded sample (issue 16): no developer text in the Chinese UI
— no rule code, no file name of the project's own files, no glob, no setting key, no command
line — and chart hovers write numbers as the tables do (19,437, not 19437.0).

Run: ``pytest tests/test_browser_presentation.py --headless``."""
from __future__ import annotations

import re

import pytest
from selenium.webdriver.support.wait import WebDriverWait

from layouts import create_app, ids

TIMEOUT = 20
#: What must never appear on a Chinese page: a project file (peer_cases.csv, dataset.yaml,
#: app.py …), a glob (complaints/*_511602_*.xlsx), a setting key, a command line.
DEVELOPER_TEXT = re.compile(r"[\w.-]+\.(?:csv|yaml|yml|py|md)\b|\*_?\d*_?\*|settings\.\w+"
                            r"|python app\.py|app\.py \w+")
#: The validation rules' codes (data.validate): the page shows their Chinese names.
RULE_CODES = ("missing_required", "out_of_range", "closed_before_received", "bad_date",
              "duplicate_key", "unknown_unit", "not_a_number", "bad_value")
#: Pages and what to wait for before reading the text.
PAGES = {"/": ".kpi-card", "/compare?vs=satisfaction_rate": f"#{ids.CMP_SCATTER} .point",
         "/trends": ".js-plotly-plot .scatterlayer", "/map": f"#{ids.MAP_PANEL} table",
         "/catalog": ".catalog-table", "/export": f"#{ids.EXP_BUTTON}",
         "/upload": "h2", "/indicator?indicator=satisfaction_rate": f"#{ids.IND_META}",
         "/no-such-page": f"#{ids.NF_LINKS}", "/quality": ".ag-row"}


@pytest.fixture(scope="module")
def results(sample_results):
    return sample_results


def _page_text(dash_duo) -> str:
    """The page's visible text, every tooltip (title attributes) and every option label of
    the dropdowns as the browser holds them."""
    return dash_duo.driver.execute_script(
        "return document.body.innerText + '\\n' + Array.from(document.querySelectorAll('[title]'))"
        ".map(e => e.getAttribute('title')).join('\\n')")


def test_no_developer_text_on_any_chinese_page(dash_duo, results):
    dash_duo.start_server(create_app(results))
    seen = {}
    for path, selector in PAGES.items():
        dash_duo.wait_for_page(url=f"{dash_duo.server_url}{path}")
        dash_duo.wait_for_element(selector, timeout=TIMEOUT)
        text = _page_text(dash_duo)
        seen[path] = text
        if path != "/quality":       # 数据质量 names the analyst's own files, as it must
            assert not DEVELOPER_TEXT.search(text), (path, DEVELOPER_TEXT.search(text).group(0))
        assert not [code for code in RULE_CODES if code in text], path
    # the quality page shows the sample's rejected rows by their Chinese rule names
    assert "超出合理范围" in seen["/quality"] and "办结时间早于受理时间" in seen["/quality"]
    assert "页面不存在" in seen["/no-such-page"] and "概览" in seen["/no-such-page"]
    assert dash_duo.get_logs() == []


def test_hovers_use_thousands_separators(dash_duo, results):
    """The compare bars' hover data for 办结率 by district: numerators and denominators are
    written 19,437 (the sample's districts received over 10,000 tickets each)."""
    dash_duo.start_server(create_app(results))
    dash_duo.wait_for_page(
        url=f"{dash_duo.server_url}/compare?indicator=resolution_rate&level=district")
    dash_duo.wait_for_element(f"#{ids.CMP_GRAPH} .bars .point", timeout=TIMEOUT)
    custom = WebDriverWait(dash_duo.driver, TIMEOUT).until(lambda d: d.execute_script(
        f"const g = document.querySelector('#{ids.CMP_GRAPH} .js-plotly-plot');"
        "return g && g.data && g.data[0].customdata;"))
    counts = [row[k] for row in custom for k in (2, 3)]
    assert counts and all(re.fullmatch(r"\d{1,3}(,\d{3})+", c) for c in counts), counts
    table = results.table
    year = max(p for p in table["period"].unique() if len(p) == 4)
    rows = table[(table["level"] == "district") & (table["period"] == year)
                 & (table["indicator_id"] == "resolution_rate")]
    assert sorted(counts) == sorted(f"{v:,.0f}" for v in
                                    list(rows["numerator"]) + list(rows["denominator"]))


def test_chart_data_download_is_exactly_what_is_drawn(dash_duo, results):
    """Top and bottom 5 of the sample's communities: the chart draws 10 bars, and the chart's
    CSV holds those 10 units in the chart's order (the table's CSV would hold them all)."""
    from pathlib import Path

    dash_duo.start_server(create_app(results))
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/compare?indicator=resolution_rate"
                               "&level=community&n=5")
    dash_duo.wait_for_element(f"#{ids.CMP_GRAPH} .bars .point", timeout=TIMEOUT)
    ticks = dash_duo.find_elements(f"#{ids.CMP_GRAPH} .yaxislayer-above .ytick text")
    drawn = [e.text.split(". ", 1)[-1] for e in sorted(ticks, key=lambda e: e.location["y"])]
    assert len(drawn) == 10
    dash_duo.find_element(f"#{ids.CMP_CHART_CSV}").click()
    folder = Path(dash_duo.download_path)
    WebDriverWait(dash_duo.driver, TIMEOUT).until(lambda _d: list(folder.glob("*_图.csv")))
    lines = next(folder.glob("*_图.csv")).read_text(encoding="utf-8-sig").splitlines()
    assert [line.split(",")[1] for line in lines[1:]] == drawn
    assert "数据来源" in dash_duo.find_element(f"#{ids.CMP_DEFINITION}").text
