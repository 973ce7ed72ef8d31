"""Headless browser tests of the dashboard on the synthetic Results (tests/layouts_synthetic.py).

Run: ``/work/main/.venv/bin/pytest tests/test_browser.py --headless``.

Expected figures are worked out by hand from the synthetic grids (grid i = 1…20):
- 办结率 (resolution_rate), whole dataset, 2025: received Σ(5+i) = 310, closed 310 − Σ(i mod 3)
  = 310 − 21 = 289 → 93.2%; 2024: received Σ(4+i) = 290, closed 269 → 92.76%; change +0.47
  percentage points → "+0.5 个百分点".
- 社区 ranking 2025, 办结率 (closed/received): 冬梅 C4 28/29, 南湖 C7 63/66, 西岭 C6 37/39,
  东风 C5 48/51, 北辰 C8 46/49, 夏荷 C3 33/36, 春晖 C1 18/21, 秋实 C2 16/19;
  满意率 (satisfied/rated): 南湖 C7 80/81, 北辰 C8 58/59, 夏荷 C3 50/51, 西岭 C6 48/49,
  冬梅 C4 38/39, 东风 C5 64/66, 秋实 C2 28/29, 春晖 C1 34/36.
- 街道 满意率 2024 (satisfied one less per grid): 胜利 S4 (grids 16–20) 133/140, 新华 S3
  (11–15) 107/115, 光明 S2 (6–10) 83/90, 和平 S1 (1–5) 57/65 (87.7%, below the 90% standard).
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.support.wait import WebDriverWait

from layouts import create_app, ids
from tests.layouts_synthetic import make_results

TIMEOUT = 10


@pytest.fixture
def app():
    return create_app(make_results())


def _open(dash_duo, app, path: str = "/") -> None:
    dash_duo.start_server(app)
    if path != "/":
        dash_duo.wait_for_page(url=f"{dash_duo.server_url}{path}")


def _card(dash_duo, indicator_id: str):
    return dash_duo.find_element(f'[id*="{indicator_id}"].kpi-card')


def _bar_labels(dash_duo) -> list[str]:
    """The unit labels of the bar chart as a user reads them, top to bottom (read again if
    plotly redraws the axis while we read it)."""
    def read(_driver):
        try:
            ticks = dash_duo.find_elements(f"#{ids.CMP_GRAPH} .yaxislayer-above .ytick text")
            return [e.text for e in sorted(ticks, key=lambda e: e.location["y"])] or False
        except StaleElementReferenceException:
            return False

    return WebDriverWait(dash_duo.driver, TIMEOUT).until(read)


def _wait_for_bars(dash_duo, expected: list[str]) -> None:
    """Wait until the chart shows exactly ``expected`` (top to bottom)."""
    try:
        WebDriverWait(dash_duo.driver, TIMEOUT).until(lambda _d: _bar_labels(dash_duo) == expected)
    except TimeoutException:
        assert _bar_labels(dash_duo) == expected


def _assert_everything_loaded_from_the_app(dash_duo) -> None:
    """Offline: every script, stylesheet, font and data request went to the app itself."""
    loaded = dash_duo.driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)")
    assert loaded and all(url.startswith(dash_duo.server_url) for url in loaded), loaded
    assert any("/assets/bootstrap.min.css" in url for url in loaded)


def _dropdown_text(dash_duo, component_id: str) -> str:
    return dash_duo.find_element(f"#{component_id}").text.strip()


def _wait_for_dropdown(dash_duo, component_id: str, expected: str) -> None:
    """Wait until a dropdown shows ``expected`` (read again if the page is redrawn meanwhile:
    back/forward may re-render the whole page)."""
    def shows(_driver):
        try:
            return _dropdown_text(dash_duo, component_id) == expected
        except StaleElementReferenceException:
            return False

    try:
        WebDriverWait(dash_duo.driver, TIMEOUT).until(shows)
    except TimeoutException:
        assert _dropdown_text(dash_duo, component_id) == expected


def test_overview_opens_with_kpi_cards_and_no_console_errors(dash_duo, app):
    _open(dash_duo, app)
    dash_duo.wait_for_element(".kpi-card", timeout=TIMEOUT)

    assert dash_duo.find_element(".app-title").text == "党建引领基层治理指标看板"
    assert dash_duo.find_element(f"#{ids.SAMPLE_BADGE}").text == "示例数据"
    assert len(dash_duo.find_elements(".kpi-card")) == 4
    card = _card(dash_duo, "resolution_rate")
    assert card.find_element("css selector", ".kpi-name").text == "办结率"
    assert card.find_element("css selector", ".kpi-value").text == "93.2%"
    assert "status-meets" in card.get_attribute("class")
    assert "达标" in card.find_element("css selector", ".kpi-status").text
    change = card.find_element("css selector", ".kpi-change")
    assert change.text == "较上年 ▲ 0.5 个百分点"       # the arrow gives the sign
    assert "change-good" in change.get_attribute("class")
    # the status matrix of the units one level below the whole dataset: the two districts
    dash_duo.wait_for_element(f"#{ids.OV_MATRIX} .xtick text", timeout=TIMEOUT)

    def matrix_units(_driver):      # read again if plotly redraws the axis while we read it
        try:
            return sorted(e.text for e in dash_duo.find_elements(f"#{ids.OV_MATRIX} .xtick text"))
        except StaleElementReferenceException:
            return False

    assert WebDriverWait(dash_duo.driver, TIMEOUT).until(matrix_units) == ["东城区", "西城区"]

    dash_duo.select_dcc_dropdown(f"#{ids.OV_YEAR}", value="2024")
    dash_duo.wait_for_text_to_equal(
        '[id*="resolution_rate"].kpi-card .kpi-value', "92.8%", timeout=TIMEOUT)
    assert "year=2024" in dash_duo.driver.current_url
    _assert_everything_loaded_from_the_app(dash_duo)
    assert dash_duo.get_logs() == []


def test_compare_changing_indicator_changes_chart(dash_duo, app):
    _open(dash_duo, app, "/compare?level=community")
    dash_duo.wait_for_text_to_equal(f"#{ids.CMP_GRAPH} .gtitle", "办结率 · 社区 · 2025 年",
                                    timeout=TIMEOUT)
    _wait_for_bars(dash_duo, ["1. 冬梅社区", "2. 南湖社区", "3. 西岭社区", "4. 东风社区",
                              "5. 北辰社区", "6. 夏荷社区", "7. 春晖社区", "8. 秋实社区"])
    assert len(dash_duo.find_elements(f"#{ids.CMP_GRAPH} .bars .point")) == 8

    dash_duo.select_dcc_dropdown(f"#{ids.CMP_INDICATOR}", value="满意率")
    dash_duo.wait_for_text_to_equal(f"#{ids.CMP_GRAPH} .gtitle", "满意率 · 社区 · 2025 年",
                                    timeout=TIMEOUT)
    _wait_for_bars(dash_duo, ["1. 南湖社区", "2. 北辰社区", "3. 夏荷社区", "4. 西岭社区",
                              "5. 冬梅社区", "6. 东风社区", "7. 秋实社区", "8. 春晖社区"])
    # the table follows the chart: first row is the best unit
    dash_duo.wait_for_text_to_equal(
        f'#{ids.CMP_GRID} .ag-row[row-index="0"] [col-id="unit_name"]', "南湖社区",
        timeout=TIMEOUT)
    # a second indicator: one scatter point per community
    dash_duo.select_dcc_dropdown(f"#{ids.CMP_VS}", value="办结率")  # below the table
    dash_duo.wait_for_element(f"#{ids.CMP_SCATTER} .scatterlayer .point", timeout=TIMEOUT)
    assert len(dash_duo.find_elements(f"#{ids.CMP_SCATTER} .scatterlayer .point")) == 8
    query = parse_qs(urlparse(dash_duo.driver.current_url).query)
    assert query["indicator"] == ["satisfaction_rate"]
    assert query["level"] == ["community"]
    assert query["vs"] == ["resolution_rate"]
    _assert_everything_loaded_from_the_app(dash_duo)  # plotly.js, the locale, AG Grid
    assert any("plotly-locale-zh-cn.js" in url for url in dash_duo.driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"))
    assert dash_duo.get_logs() == []


def test_url_with_query_reproduces_the_view(dash_duo, app):
    _open(dash_duo, app, "/compare?indicator=satisfaction_rate&level=street&year=2024")
    dash_duo.wait_for_text_to_equal(f"#{ids.CMP_GRAPH} .gtitle", "满意率 · 街道 · 2024 年",
                                    timeout=TIMEOUT)
    _wait_for_dropdown(dash_duo, ids.CMP_INDICATOR, "满意率")
    _wait_for_dropdown(dash_duo, ids.CMP_LEVEL, "街道")
    _wait_for_dropdown(dash_duo, ids.CMP_YEAR, "2024")
    _wait_for_bars(dash_duo, ["1. 胜利街道", "2. 新华街道", "3. 光明街道", "4. 和平街道"])

    # trends: indicator and unit from the URL
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/trends?unit=district:D1")
    dash_duo.wait_for_text_to_equal(f"#{ids.TR_GRAPH} .gtitle",
                                    "办结率 · 东城区 · 2025 年逐月（无上一年数据）",
                                    timeout=TIMEOUT)

    # a unit in the overview URL is the unit shown
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/?year=2024&unit=district:D1")
    dash_duo.wait_for_element(".kpi-card", timeout=TIMEOUT)
    assert dash_duo.find_element(f"#{ids.OV_SUMMARY}").text.startswith("东城区 · 2024 年")
    assert dash_duo.get_logs() == []


def test_language_switch_keeps_the_view(dash_duo, app):
    _open(dash_duo, app, "/compare?indicator=satisfaction_rate&level=street")
    dash_duo.wait_for_element(f"#{ids.CMP_GRAPH} .gtitle", timeout=TIMEOUT)
    dash_duo.find_element(f"#{ids.CMP_LANG_SWITCH}").click()
    dash_duo.wait_for_text_to_equal(f"#{ids.CMP_GRAPH} .gtitle",
                                    "Satisfaction rate · Street · 2025", timeout=TIMEOUT)
    assert dash_duo.find_element(".app-title").text.startswith("Party-building")
    assert dash_duo.get_logs() == []


def test_card_links_to_ranking_and_bars_drill_down(dash_duo, app):
    _open(dash_duo, app)
    dash_duo.wait_for_element(".kpi-card", timeout=TIMEOUT)
    _card(dash_duo, "resolution_rate").find_element("css selector", ".kpi-name a").click()
    # the card leads to the indicator's own page, which leads on to its full ranking
    dash_duo.wait_for_text_to_equal(f"#{ids.IND_TITLE}", "办结率", timeout=TIMEOUT)
    dash_duo.find_element(f"#{ids.IND_CONTENT} a[href*='/compare']").click()
    # whole dataset → the top level: 西城区 (D2: 194/205 = 94.6%) above 东城区 (95/105 = 90.5%)
    dash_duo.wait_for_text_to_equal(f"#{ids.CMP_GRAPH} .gtitle", "办结率 · 区县 · 2025 年",
                                    timeout=TIMEOUT)
    _wait_for_bars(dash_duo, ["1. 西城区", "2. 东城区"])

    bars = dash_duo.find_elements(f"#{ids.CMP_GRAPH} .bars .point path")
    top = min(bars, key=lambda e: e.location["y"])
    # plotly takes clicks on its drag layer above the bars: click where the bar is drawn
    ActionChains(dash_duo.driver).move_to_element(top).click().perform()
    # 西城区's streets: 胜利街道 (109/115) and 新华街道 (85/90), ranked 1 and 2 of all streets
    dash_duo.wait_for_text_to_equal(f"#{ids.CMP_GRAPH} .gtitle", "办结率 · 街道 · 2025 年",
                                    timeout=TIMEOUT)
    dash_duo.wait_for_text_to_equal(f"#{ids.CMP_NOTE}", "共 2 个单位；2 个参与排名，0 个样本不足",
                                    timeout=TIMEOUT)
    _wait_for_bars(dash_duo, ["1. 胜利街道", "2. 新华街道"])
    query = parse_qs(urlparse(dash_duo.driver.current_url).query)
    assert query["unit"] == ["district:D2"] and query["level"] == ["street"]
    assert dash_duo.get_logs() == []


def test_quality_page_lists_rejected_rows_and_downloads_them(dash_duo, app):
    _open(dash_duo, app, "/quality")
    dash_duo.wait_for_contains_text(f"#{ids.DQ_SUMMARY}", "拒绝 1 行", timeout=TIMEOUT)
    assert dash_duo.find_element(f"#{ids.DQ_SUMMARY}").text.startswith(
        "共读取 1 个文件/工作表、22 行：接受 20 行，拒绝 1 行，空行 1 行。")
    dash_duo.wait_for_text_to_equal(f'#{ids.DQ_ERRORS} .ag-row[row-index="0"] [col-id="row"]',
                                    "7", timeout=TIMEOUT)
    dash_duo.find_element(f"#{ids.DQ_DOWNLOAD_BUTTON}").click()
    target = Path(dash_duo.download_path) / "问题清单.csv"
    WebDriverWait(dash_duo.driver, TIMEOUT).until(lambda _d: target.exists())
    lines = target.read_text(encoding="utf-8-sig").splitlines()
    assert lines == ["数据表,文件,工作表,行号,列,原值,规则,说明",
                     "网格台账,grids_2025.xlsx,网格台账,7,户数,-5,超出合理范围,「户数」不能为负数"]
    assert dash_duo.get_logs() == []


def test_matrix_cell_drills_into_the_unit(dash_duo, app):
    _open(dash_duo, app, "/?unit=district:D2")
    dash_duo.wait_for_element(f"#{ids.OV_MATRIX} .nsewdrag", timeout=TIMEOUT)
    cells = dash_duo.find_element(f"#{ids.OV_MATRIX} .nsewdrag")
    size = cells.size
    # columns: 西城区's streets by name, 新华街道 (S3) first (centre at 1/4 of the width)
    ActionChains(dash_duo.driver).move_to_element(cells).move_by_offset(
        -size["width"] // 4, 0).click().perform()
    dash_duo.wait_for_text_to_equal(f"#{ids.OV_BREADCRUMB} .active", "新华街道",
                                    timeout=TIMEOUT)
    assert [e.text for e in dash_duo.find_elements(f"#{ids.OV_BREADCRUMB} li")] == [
        "全市", "西城区", "新华街道"]
    assert dash_duo.find_element(f"#{ids.OV_SUMMARY}").text.startswith("新华街道 · 2025 年")
    # 新华街道 (grids 11–15) 办结率 2025: received Σ(5 + i) = 90, closed 90 − 5 = 85 → 94.4%
    dash_duo.wait_for_text_to_equal('[id*="resolution_rate"].kpi-card .kpi-value', "94.4%",
                                    timeout=TIMEOUT)
    # the matrix now shows its communities: 东风社区 (C5) and 西岭社区 (C6)
    WebDriverWait(dash_duo.driver, TIMEOUT).until(lambda _d: sorted(
        e.text for e in dash_duo.find_elements(f"#{ids.OV_MATRIX} .xtick text"))
        == ["东风社区", "西岭社区"])
    query = parse_qs(urlparse(dash_duo.driver.current_url).query)
    assert query["unit"] == ["street:S3"]
    # back up by the breadcrumb
    dash_duo.find_element(f"#{ids.OV_BREADCRUMB} a[href*='district%3AD2']").click()
    dash_duo.wait_for_text_to_equal(f"#{ids.OV_BREADCRUMB} .active", "西城区", timeout=TIMEOUT)
    assert dash_duo.get_logs() == []


def _page_paths() -> list[str]:
    """Every registered page but the 404 page (pages added by other modules included)."""
    import dash

    return sorted(p["path"] for p in dash.page_registry.values()
                  if p["module"].split(".")[-1] != "not_found_404")


def test_every_page_works_with_the_internet_off(dash_duo, app):
    _open(dash_duo, app)
    dash_duo.wait_for_element(".kpi-card", timeout=TIMEOUT)
    # the internet really is off: a CDN fetch fails (conftest routes it to a dead proxy)
    outside = dash_duo.driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch('https://cdn.jsdelivr.net/npm/bootstrap@5.3.3/dist/css/bootstrap.min.css')"
        ".then(() => done('loaded'), () => done('failed'));")
    assert outside == "failed"
    dash_duo.driver.get_log("browser")  # forget the console line of that failed fetch
    paths = _page_paths()
    assert {"/", "/compare", "/trends", "/quality", "/catalog"} <= set(paths)
    for path in paths:
        dash_duo.wait_for_page(url=f"{dash_duo.server_url}{path}")
        dash_duo.wait_for_element(f"#{ids.HEADER}", timeout=TIMEOUT)
        WebDriverWait(dash_duo.driver, TIMEOUT).until(lambda d: d.execute_script(
            "return document.readyState === 'complete'"
            " && !document.querySelector('[data-dash-is-loading=\"true\"]')"))
        entries = dash_duo.driver.execute_script(
            "return performance.getEntriesByType('resource')"
            ".map(e => [e.name, e.responseStatus || 0, e.transferSize, e.decodedBodySize])")
        assert all(url.startswith(dash_duo.server_url) for url, *_ in entries), entries
        # a failed request has neither a status nor a body
        failed = [url for url, status, _size, body in entries if status >= 400
                  or (status == 0 and body == 0 and "_dash-update-component" not in url)]
        assert failed == [], (path, failed)
        assert dash_duo.get_logs() == [], path


def _breadcrumb(dash_duo) -> list[str]:
    return [e.text for e in dash_duo.find_elements(f"#{ids.CMP_BREADCRUMB} .breadcrumb-item")]


def _click_top_bar(dash_duo) -> None:
    """Click the top bar (again if plotly redraws the chart under the pointer)."""
    for _attempt in range(3):
        try:
            bars = dash_duo.find_elements(f"#{ids.CMP_GRAPH} .bars .point path")
            top = min(bars, key=lambda e: e.location["y"])
            ActionChains(dash_duo.driver).move_to_element(top).click().perform()
            return
        except StaleElementReferenceException:
            continue
    raise AssertionError("the bar chart kept being redrawn")


def _wait_for_breadcrumb(dash_duo, expected: list[str]) -> None:
    try:
        WebDriverWait(dash_duo.driver, TIMEOUT).until(lambda _d: _breadcrumb(dash_duo) == expected)
    except (TimeoutException, StaleElementReferenceException):
        assert _breadcrumb(dash_duo) == expected


def test_drill_down_from_district_to_grid_and_back(dash_duo, app):
    _open(dash_duo, app, "/compare?level=district")
    _wait_for_bars(dash_duo, ["1. 西城区", "2. 东城区"])
    _wait_for_breadcrumb(dash_duo, ["全市", "区县"])
    _click_top_bar(dash_duo)  # 西城区 → its streets: 胜利 (109/115) and 新华 (85/90)
    _wait_for_breadcrumb(dash_duo, ["全市", "西城区", "街道"])
    _wait_for_bars(dash_duo, ["1. 胜利街道", "2. 新华街道"])
    _click_top_bar(dash_duo)  # 胜利街道 (grids 16–20) → 南湖 C7 (grids 16–18) and 北辰 C8
    _wait_for_breadcrumb(dash_duo, ["全市", "西城区", "胜利街道", "社区"])
    # communities ranked among all 8: 南湖 63/66 second, 北辰 46/49 fifth
    _wait_for_bars(dash_duo, ["2. 南湖社区", "5. 北辰社区"])
    # from the table this time: the unit name 北辰社区 → its grids 19 and 20
    cell = f'#{ids.CMP_GRID} .ag-row[row-id="C8"] [col-id="unit_name"]'
    dash_duo.wait_for_text_to_equal(cell, "北辰社区", timeout=TIMEOUT)
    dash_duo.find_element(cell).click()
    _wait_for_breadcrumb(dash_duo, ["全市", "西城区", "胜利街道", "北辰社区", "网格"])
    # grid 19: 23/24 = 95.8%, ranked 6th of the 16 grids with enough tickets (after the five
    # grids i ≡ 0 mod 3 at 100%); grid 20: 23/25 = 92.0%, 10th (below the five, and 10, 13,
    # 16, 19 whose (4 + i)/(5 + i) exceeds 92%)
    _wait_for_bars(dash_duo, ["6. 第19网格", "10. 第20网格"])
    query = parse_qs(urlparse(dash_duo.driver.current_url).query)
    assert query["unit"] == ["community:C8"] and query["level"] == ["grid"]

    # back up by the breadcrumb: 西城区 shows its streets again
    dash_duo.find_element(f"#{ids.CMP_BREADCRUMB} a[href*='district%3AD2']").click()
    _wait_for_breadcrumb(dash_duo, ["全市", "西城区", "街道"])
    _wait_for_bars(dash_duo, ["1. 胜利街道", "2. 新华街道"])
    # and the browser's back button returns to the grids of 北辰社区, forward to the streets
    dash_duo.driver.back()
    _wait_for_breadcrumb(dash_duo, ["全市", "西城区", "胜利街道", "北辰社区", "网格"])
    dash_duo.driver.forward()
    _wait_for_breadcrumb(dash_duo, ["全市", "西城区", "街道"])
    assert dash_duo.get_logs() == []


def test_table_download_is_the_rows_shown(dash_duo, app):
    _open(dash_duo, app, "/compare?level=community")
    first = f'#{ids.CMP_GRID} .ag-row[row-index="0"] [col-id="unit_name"]'
    dash_duo.wait_for_text_to_equal(first, "冬梅社区", timeout=TIMEOUT)
    # the user sorts by value, lowest first (one click on the header)
    dash_duo.find_element(f'#{ids.CMP_GRID} .ag-header-cell[col-id="value"]'
                          ' .ag-header-cell-label').click()
    dash_duo.wait_for_text_to_equal(first, "秋实社区", timeout=TIMEOUT)
    dash_duo.find_element(f"#{ids.CMP_DOWNLOAD_CSV}").click()
    target = Path(dash_duo.download_path) / "办结率_社区_2025.csv"
    WebDriverWait(dash_duo.driver, TIMEOUT).until(lambda _d: target.exists()
                                                  and target.stat().st_size > 0)
    lines = target.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "排名,单位,数值（%）,分子,分母,较上年（百分点）"
    # 办结率 2025 by community, lowest first: 秋实 16/19, 春晖 18/21, 夏荷 33/36, 北辰 46/49,
    # 东风 48/51, 西岭 37/39, 南湖 63/66, 冬梅 28/29
    assert [line.split(",")[:3] for line in lines[1:]] == [
        ["8", "秋实社区", "84.2"], ["7", "春晖社区", "85.7"], ["6", "夏荷社区", "91.7"],
        ["5", "北辰社区", "93.9"], ["4", "东风社区", "94.1"], ["3", "西岭社区", "94.9"],
        ["2", "南湖社区", "95.5"], ["1", "冬梅社区", "96.6"]]
    # 秋实 (grids 4–5): 2024 14/17 → 2025 16/19 is +1.9 percentage points
    assert lines[1] == "8,秋实社区,84.2,16.0,19.0,1.9"
    assert dash_duo.get_logs() == []


def test_back_returns_to_the_view_the_page_opened_with(dash_duo, app):
    _open(dash_duo, app, "/compare?level=street")
    dash_duo.wait_for_text_to_equal(f"#{ids.CMP_GRAPH} .gtitle", "办结率 · 街道 · 2025 年",
                                    timeout=TIMEOUT)
    dash_duo.select_dcc_dropdown(f"#{ids.CMP_INDICATOR}", value="满意率")
    dash_duo.wait_for_text_to_equal(f"#{ids.CMP_GRAPH} .gtitle", "满意率 · 街道 · 2025 年",
                                    timeout=TIMEOUT)
    dash_duo.select_dcc_dropdown(f"#{ids.CMP_YEAR}", value="2024")
    dash_duo.wait_for_text_to_equal(f"#{ids.CMP_GRAPH} .gtitle", "满意率 · 街道 · 2024 年",
                                    timeout=TIMEOUT)
    dash_duo.driver.back()  # one step: 满意率 2025
    dash_duo.wait_for_text_to_equal(f"#{ids.CMP_GRAPH} .gtitle", "满意率 · 街道 · 2025 年",
                                    timeout=TIMEOUT)
    _wait_for_dropdown(dash_duo, ids.CMP_YEAR, "2025")
    dash_duo.driver.back()  # the view the page opened with
    dash_duo.wait_for_text_to_equal(f"#{ids.CMP_GRAPH} .gtitle", "办结率 · 街道 · 2025 年",
                                    timeout=TIMEOUT)
    _wait_for_dropdown(dash_duo, ids.CMP_INDICATOR, "办结率")
    assert "indicator" not in parse_qs(urlparse(dash_duo.driver.current_url).query)
    dash_duo.driver.forward()
    dash_duo.wait_for_text_to_equal(f"#{ids.CMP_GRAPH} .gtitle", "满意率 · 街道 · 2025 年",
                                    timeout=TIMEOUT)

    # the same on the overview: a year back and forth
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/")
    dash_duo.wait_for_text_to_equal('[id*="resolution_rate"].kpi-card .kpi-value', "93.2%",
                                    timeout=TIMEOUT)
    dash_duo.select_dcc_dropdown(f"#{ids.OV_YEAR}", value="2024")
    dash_duo.wait_for_text_to_equal('[id*="resolution_rate"].kpi-card .kpi-value', "92.8%",
                                    timeout=TIMEOUT)
    dash_duo.driver.back()
    dash_duo.wait_for_text_to_equal('[id*="resolution_rate"].kpi-card .kpi-value', "93.2%",
                                    timeout=TIMEOUT)
    assert dash_duo.get_logs() == []
