"""Compare page without a browser: drill-down targets, breadcrumb, the units × indicators
matrix, and the table downloads (CSV and Excel) of exactly the rows shown.

Expected values are worked out by hand from the synthetic grids of tests/layouts_synthetic.py
(grid i = 1…20; 2025 received 5 + i, closed received − (i mod 3); 2024 received 4 + i):
办结率 2025 by street — 和平 S1 (grids 1–5) 34/40 = 85.0%, 光明 S2 (6–10) 61/65 = 93.8%,
新华 S3 85/90, 胜利 S4 109/115 → ranks S4, S3, S2, S1. 2024: S1 29/35, S2 56/60, so the
change is 34/40 − 29/35 = +2.1 pp for S1 and 61/65 − 56/60 = +0.5 pp for S2.
"""
from __future__ import annotations

import io
from urllib.parse import parse_qs, urlparse

import pandas as pd
import pytest
from openpyxl import load_workbook

from indicators.catalog import CATALOG
from layouts import create_app, downloads, ids, store
from tests.layouts_synthetic import make_results


@pytest.fixture(scope="module")
def data() -> store.DashboardData:
    create_app(make_results())  # registers the pages, sets the store
    return store.get()


@pytest.fixture(scope="module")
def compare(data):
    from layouts.pages import compare

    return compare


def _links(component) -> list[tuple[str, str | None]]:
    """(text, href) of each breadcrumb item, href None for the active (current) one."""
    out = []
    for li in component.children.children:
        child = li.children
        out.append((child.children, child.href) if hasattr(child, "href") else (child, None))
    return out


def _query(href: str) -> dict[str, list[str]]:
    return parse_qs(urlparse(href).query)


def test_ancestors_and_level_below(data):
    assert data.ancestors("community", "C4") == [("district", "D1"), ("street", "S2")]
    assert data.ancestors("district", "D2") == []
    assert data.ancestors("community", "nope") == []
    assert data.level_below("street") == "community"
    assert data.level_below("total") == "district"
    assert data.level_below("grid") is None


def test_scope_rows_keep_the_given_units_in_order(data):
    rows = data.scope_rows("2025", "street", None, unit_ids=["S4", "S1"])
    assert rows["unit_id"].unique().tolist() == ["S4", "S1"]
    assert rows["indicator_id"].tolist()[:4] == data.indicator_ids
    inside = data.scope_rows("2025", "community", "street:S3")
    assert sorted(inside["unit_id"].unique()) == ["C5", "C6"]


def test_clicked_unit_reads_each_kind_of_click(compare):
    assert compare.clicked_unit(ids.CMP_GRAPH, {"points": [{"y": "S3"}]}, None, None, None) \
        == "S3"
    assert compare.clicked_unit(ids.CMP_MATRIX, None, {"points": [{"x": "S2"}]}, None, None) \
        == "S2"
    scatter = {"points": [{"customdata": ["S1", "<b>和平街道</b>"]}]}
    assert compare.clicked_unit(ids.CMP_SCATTER, None, None, scatter, None) == "S1"
    cell = {"colId": "unit_name", "rowId": "S4", "value": "胜利街道"}
    assert compare.clicked_unit(ids.CMP_GRID, None, None, None, cell) == "S4"
    # a click on a number in the table is not a drill-down
    assert compare.clicked_unit(ids.CMP_GRID, None, None, None, {**cell, "colId": "value"}) \
        is None
    assert compare.clicked_unit(ids.CMP_GRAPH, None, None, None, None) is None


def test_breadcrumb_goes_back_up_one_link_per_level(data, compare):
    view = compare._valid(data, "resolution_rate", "grid", "2025", "community:C4", None, None)
    crumbs = _links(compare.breadcrumb(data, view, "zh"))
    assert [text for text, _ in crumbs] == ["全市", "东城区", "光明街道", "冬梅社区", "网格"]
    assert crumbs[3][1] is None and crumbs[4][1] is None  # where we are: not links
    whole, district, street = (_query(href) for _, href in crumbs[:3])
    assert whole["level"] == ["district"] and "unit" not in whole
    assert district["level"] == ["street"] and district["unit"] == ["district:D1"]
    assert street["level"] == ["community"] and street["unit"] == ["street:S2"]
    assert all(q["indicator"] == ["resolution_rate"] for q in (whole, district, street))
    # streets of the whole dataset: 全市 is a link (to the districts), the level is text
    top = compare._valid(data, "resolution_rate", "street", "2025", None, None, None)
    assert [text for text, _ in _links(compare.breadcrumb(data, top, "zh"))] == ["全市", "街道"]


def test_render_matrix_has_the_charts_units_in_order(data, compare):
    view = compare._valid(data, "resolution_rate", "street", "2025", None, None, None)
    out = compare.render(data, view, "zh")
    assert list(out["figure"].data[0].y) == ["S4", "S3", "S2", "S1"]
    cells = out["matrix"].data[0]
    assert list(cells.x) == ["S4", "S3", "S2", "S1"]
    assert list(cells.y) == data.indicator_ids
    # 和平街道 (S1) 85.0% is below the 91.8% standard: ✗ in its cell
    assert cells.text[0][3] == "✗ 85.0%"
    assert out["scatter"] is None  # no second indicator chosen
    # the unit column is a drill link at every level but the finest
    unit_col = next(c for c in out["columns"] if c["field"] == "unit_name")
    assert unit_col["cellClass"] == "drill-cell"
    grids = compare.render(data, compare._valid(data, "resolution_rate", "grid", "2025", None,
                                                None, None), "zh")
    assert next(c for c in grids["columns"] if c["field"] == "unit_name")["cellClass"] == ""


def _shown_by_user(compare, data) -> list[dict]:
    """The grid's virtualRowData after a user filtered to 东城区's streets and sorted by value,
    lowest first: 和平 (S1) then 光明 (S2)."""
    view = compare._valid(data, "resolution_rate", "street", "2025", None, None, None)
    rows = compare.render(data, view, "zh")["rows"]
    return sorted((r for r in rows if r["unit_id"] in ("S1", "S2")), key=lambda r: r["value"])


def test_table_csv_is_the_rows_shown_in_their_order(data, compare):
    rows = downloads.shown_rows(_shown_by_user(compare, data))
    raw = downloads.table_csv(rows, CATALOG["resolution_rate"], "zh")
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines == [
        "排名,单位,数值（%）,分子,分母,较上年（百分点）",
        "4,和平街道,85.0,34.0,40.0,2.1",
        "3,光明街道,93.8,61.0,65.0,0.5",
    ]


def test_table_csv_unranked_and_formula_like_names(data):
    rows = downloads.shown_rows([
        {"unit_id": "X", "rank": None, "unit_name": "=HYPERLINK(1)", "value": 250.0,
         "numerator": 250.0, "denominator": 1.0, "change": None}])
    lines = downloads.table_csv(rows, CATALOG["households_per_grid"], "zh") \
        .decode("utf-8-sig").splitlines()
    assert lines == ["排名,单位,数值（户）,分子,分母,较上年（%）",
                     "样本不足,'=HYPERLINK(1),250.0,250.0,1.0,"]


def test_table_xlsx_numbers_with_native_formats(data, compare):
    shown = _shown_by_user(compare, data)
    shown.append({"unit_id": "Z", "rank": None, "unit_name": "=1+1", "value": 0.5,
                  "numerator": 1.0, "denominator": 2.0, "change": None})
    raw = downloads.table_xlsx(downloads.shown_rows(shown), CATALOG["resolution_rate"], "zh",
                               title="办结率 · 街道 · 2025 年")
    ws = load_workbook(io.BytesIO(raw)).active
    assert ws["A1"].value == "办结率 · 街道 · 2025 年"
    assert [c.value for c in ws[2]] == ["排名", "单位", "数值（%）", "分子", "分母",
                                         "较上年（百分点）"]
    assert [ws.cell(r, 2).value for r in (3, 4, 5)] == ["和平街道", "光明街道", "=1+1"]
    assert ws["B5"].data_type == "s"  # a name, never a formula
    assert ws["A3"].value == 4 and ws["A5"].value == "样本不足"
    assert ws["C3"].value == pytest.approx(34 / 40) and ws["C3"].number_format == "0.0%"
    assert ws["F3"].value == pytest.approx(2.1) and ws["F4"].value == pytest.approx(0.5)
    assert ws["F3"].number_format.startswith("+0.0")
    assert ws["F5"].value is None
    assert ws.max_row == 5


def test_trends_several_units_from_a_repeated_query(data):
    from layouts.pages import trends

    indicator, units, year = trends._valid(
        data, None, ["district:D1", "nope", "district:D1", "street:S3"], "1999")
    assert (indicator, units, year) == ("resolution_rate", ["district:D1", "street:S3"], "2025")
    assert trends._valid(data, None, "district:D2", None)[1] == ["district:D2"]
    assert trends._valid(data, None, None, None)[1] == ["total"]
    fig, note = trends.render(data, indicator, units, year, "zh")
    # the synthetic months 2025-01…03 (values 0.6, 0.7, 0.8) for each unit; no 2024 months
    assert [tr.name for tr in fig.data] == ["东城区 2025", "新华街道 2025"]
    assert list(fig.data[1].y) == pytest.approx([0.6, 0.7, 0.8])
    assert note == ""
    # the synthetic table has no months of 2024: the title says so instead of naming a line
    assert fig.layout.title.text == "办结率 · 东城区、新华街道 · 2025 年逐月（无上一年数据）"
    query = trends._search(trends._query(indicator, units, year, "zh"))
    assert parse_qs(query[1:])["unit"] == ["district:D1", "street:S3"]


def test_sparkline_breaks_at_missing_months_and_marks_the_last():
    from urllib.parse import unquote

    from layouts.components import sparkline_svg

    # width 120, height 28, padding 3: x = 3 + 114·k/3, y = 25 − 22·(v − 1)/3 for v in 1…4
    svg = unquote(sparkline_svg([1.0, 2.0, float("nan"), 4.0]).split(",", 1)[1])
    assert 'points="3.0,25.0 41.0,17.7"' in svg
    assert 'points="117.0,3.0"' in svg  # after the gap: a run of its own
    assert '<circle cx="117.0" cy="3.0"' in svg
    assert sparkline_svg([float("nan")] * 11 + [0.5]) is None  # one value: no line


def test_overview_card_carries_the_months_of_the_year(data):
    from layouts.pages import overview

    cards, _ = overview.cards_and_summary(data, "2025", "total", "zh")
    images = [c for c in _walk(cards) if getattr(c, "className", None) == "kpi-spark"]
    # only 办结率 has months in the synthetic table (2025-01…03); every other card with two
    # years of values draws its years instead, and says so
    monthly = [i for i in images if i.alt == "2025 年逐月走势"]
    assert len(monthly) == 1 and monthly[0].src.startswith("data:image/svg+xml")
    yearly = [i for i in images if i.alt == "2024–2025 年逐年走势"]
    two_years = {r.indicator_id for r in data.unit_rows("2024", "total", "total").itertuples()
                 if r.value == r.value} - {"resolution_rate"}
    assert len(yearly) == len(two_years) > 0
    months = overview._months_of(data, "total", "total", "resolution_rate", "2025")
    assert len(months) == 12 and months[:3] == pytest.approx([0.6, 0.7, 0.8])
    assert all(m != m for m in months[3:])  # NaN: no value for April…December


def _walk(node):
    if isinstance(node, (list, tuple)):
        for child in node:
            yield from _walk(child)
    elif node is not None and not isinstance(node, str):
        yield node
        yield from _walk(getattr(node, "children", None))


def test_unit_coverage_lists_what_each_unit_lacks():
    results = make_results()
    table = results.table
    gone = ((table["period"] == "2025") & (table["level"] == "community")
            & (((table["unit_id"] == "C1") & (table["indicator_id"] == "satisfaction_rate"))
               | (table["unit_id"] == "C2")))
    results.table = table[~gone.to_numpy()]
    cov = store.DashboardData(results).unit_coverage("2025", "community")
    assert len(cov) == 8  # 秋实社区 (C2) has no row at all and is still listed
    assert cov.iloc[0][["unit_id", "with_value"]].tolist() == ["C2", 0]
    assert cov.iloc[0]["missing"] == ["resolution_rate", "satisfaction_rate",
                                      "households_per_grid", "volunteer_participations"]
    assert cov.iloc[1][["unit_id", "with_value"]].tolist() == ["C1", 3]
    assert cov.iloc[1]["missing"] == ["satisfaction_rate"]
    assert (cov["with_value"].iloc[2:] == 4).all()
    # grids 1–4 received 6…9 tickets in 2025, below 办结率's minimum of 10
    grids = store.DashboardData(make_results()).unit_coverage("2025", "grid").set_index(
        "unit_id")
    assert grids.loc[["G01", "G04", "G05"], "small_count"].tolist() == [1, 1, 0]


def test_quality_unit_rows_name_the_missing_indicators(data):
    from layouts.pages import quality

    rows = quality.unit_rows(data, "district", "2025", "zh")
    assert [r["with_value"] for r in rows] == ["4 / 4", "4 / 4"]
    assert all(r["missing"] == "" for r in rows)


@pytest.mark.parametrize("page", ["overview", "compare", "trends", "quality"])
def test_every_dropdown_speaks_the_page_language(data, page):
    import importlib

    from dash import dcc

    module = importlib.import_module(f"layouts.pages.{page}")
    for lang, search, count in (("zh", "搜索", "已选 {num_selected} 项"),
                                ("en", "Search", "{num_selected} selected")):
        dropdowns = [c for c in _walk(module.layout(lang=lang)) if isinstance(c, dcc.Dropdown)]
        assert dropdowns
        assert all(d.labels["search"] == search and d.labels["selected_count"] == count
                   for d in dropdowns), page


def test_overview_matrix_click_drills_into_the_clicked_unit(data):
    from layouts.pages import overview

    assert overview.drill_unit(data, "district:D2", {"points": [{"x": "S3", "y": "x"}]}) \
        == "street:S3"
    assert overview.drill_unit(data, "total", {"points": [{"x": "D1"}]}) == "district:D1"
    assert overview.drill_unit(data, "grid:G01", {"points": [{"x": "G02"}]}) is None
    assert overview.drill_unit(data, "total", None) is None
    crumbs = _links(overview.breadcrumb(data, "2025", "street:S3", "zh"))
    assert [text for text, _ in crumbs] == ["全市", "西城区", "新华街道"]
    assert crumbs[-1][1] is None
    assert _query(crumbs[1][1]) == {"year": ["2025"], "unit": ["district:D2"]}
    assert overview.matrix(data, "2025", "grid:G01", "zh") is None  # nothing below a grid


def test_a_standard_not_yet_in_force_is_not_applied():
    from dataclasses import replace

    from layouts import figures
    from layouts.components import kpi_card

    base = CATALOG["resolution_rate"]  # ≥ 91.8%
    later = replace(base, standard=replace(base.standard, effective_year=2026))
    rows = pd.DataFrame({"unit_id": ["A", "B"], "unit_name": ["甲", "乙"], "period": "2025",
                         "value": [0.95, 0.80], "numerator": [95.0, 80.0],
                         "denominator": [100.0, 100.0],
                         "small_count": pd.array([False, False], dtype="boolean"),
                         "rank": pd.array([1, 2], dtype="Int64")})
    fig = figures.ranked_bar(rows, later, "zh")
    assert list(fig.data[0].marker.color) == [figures.COLOURS["none"]] * 2
    assert [s for s in fig.layout.shapes if s.line.dash == "solid"] == []
    in_force = figures.ranked_bar(rows.assign(period="2026"), later, "zh")
    assert list(in_force.data[0].marker.color) == [figures.COLOURS["meets"],
                                                   figures.COLOURS["fails"]]
    card = kpi_card(later, pd.Series({"value": 0.80, "period": "2025", "change": None,
                                      "small_count": False}), "zh")
    assert "status-none" in card.className


def test_overview_narrative_puts_the_failing_indicators_first(data):
    from layouts.pages import overview

    # 和平街道 (S1, grids 1–5) 2025: 办结率 34/40 = 85.0% fails ≥ 91.8%; 满意率 (rated
    # Σ(10 + i) = 65, satisfied 65 − 3 odd grids = 62) 95.4% meets ≥ 90%; 网格平均户数
    # Σ(250 + 10i)/5 = 280 fails 300–500; 志愿服务人次 has no standard.
    # Catalog order is 办结率, 满意率, 户数, 人次: the two failing ones move to the front.
    title, items = overview.narrative(data, "2025", "street:S1", "zh")
    sentences = [li.children for li in items.children]
    assert title.children == "述评（自动生成，未达标的排在前面）"
    assert [s.split(" ")[0] for s in sentences] == ["办结率", "网格平均户数", "满意率",
                                                   "志愿服务人次"]
    assert [li.className for li in items.children] == ["fails", "fails", None, None]
    assert sentences[0].startswith("办结率 85.0%")
    assert "在 4 个街道中排名第 4" in sentences[0]
    assert "差 20 户" in sentences[1]
    assert overview.narrative(data, None, "total", "zh") == []


def test_peer_groups_show_in_the_table_and_its_download():
    results = make_results()
    table = results.table
    group = table["unit_id"].map({"S1": "甲类", "S2": "甲类", "S3": "乙类", "S4": "乙类"})
    # 2025 办结率: S2 93.8% above S1 85.0% in 甲类; S4 94.8% above S3 94.4% in 乙类
    rank = table["unit_id"].map({"S2": 1, "S1": 2, "S4": 1, "S3": 2})
    results.table = table.assign(peer_group=group.astype("string"),
                                 peer_rank=rank.astype("Float64"))
    create_app(results)
    from layouts.pages import compare

    data = store.get()
    try:
        out = compare.render(data, compare._valid(data, "resolution_rate", "street", "2025",
                                                  None, None, None), "zh")
        assert [c["field"] for c in out["columns"]][-2:] == ["peer_group", "peer_rank"]
        by_unit = {r["unit_id"]: (r["peer_group"], r["peer_rank"]) for r in out["rows"]}
        assert by_unit == {"S1": ("甲类", 2.0), "S2": ("甲类", 1.0), "S3": ("乙类", 2.0),
                           "S4": ("乙类", 1.0)}
        shown = [r for r in out["rows"] if r["unit_id"] == "S1"]
        lines = downloads.table_csv(downloads.shown_rows(shown), CATALOG["resolution_rate"],
                                    "zh").decode("utf-8-sig").splitlines()
        assert lines == ["排名,单位,数值（%）,分子,分母,较上年（百分点）,同类组,组内排名",
                         "4,和平街道,85.0,34.0,40.0,2.1,甲类,2"]
        # no peer groups (the synthetic default): no peer columns
        plain = compare._column_defs(CATALOG["resolution_rate"], "zh")
        assert "peer_group" not in [c["field"] for c in plain]
    finally:
        create_app(make_results())  # the module fixture's data for the tests after this one


def test_matrix_leaves_room_for_slanted_unit_names():
    from layouts import figures

    ind = {"resolution_rate": CATALOG["resolution_rate"]}

    def matrix(names):
        rows = pd.DataFrame({"unit_id": [f"U{k}" for k in range(len(names))], "unit_name": names,
                             "indicator_id": "resolution_rate", "value": 0.9,
                             "small_count": pd.array([False] * len(names), dtype="boolean")})
        return figures.status_matrix(rows, ind, "zh", title="一览")

    few = matrix(["甲区", "乙区"])
    assert few.layout.xaxis.tickangle == 0 and few.layout.margin.t == 45 + 25
    # nine units: slanted; 云峰村第10网格 is 6 CJK (13 px) + 2 digits (7 px) = 92 px wide,
    # 92 × 0.71 = 65 px high at 45°, plus 15 px
    many = matrix(["云峰村第10网格"] + [f"第{k}网格" for k in range(8)])
    assert many.layout.xaxis.tickangle == -45 and many.layout.margin.t == 45 + 65 + 15
    assert many.layout.title.yanchor == "top"


def test_unit_label_names_a_unit_that_has_only_an_id():
    results = make_results()
    units = results.dataset.units
    units.loc[units["unit_id"] == "D1", "unit_name"] = "D1"  # a ward known by number only
    data = store.DashboardData(results)
    assert data.unit_label("district", "D1", "zh") == "区县 D1"
    assert data.unit_label("district", "D2", "zh") == "西城区"
    assert data.unit_label("total", "total", "zh") == "全市"


def test_catalog_says_from_which_year_a_standard_applies(data):
    from dataclasses import replace

    from layouts.pages import catalog

    base = CATALOG["resolution_rate"]
    later = replace(base, standard=replace(base.standard, effective_year=2026))
    cells = catalog.catalog_rows({"resolution_rate": later}, "zh")[0].children
    assert "自 2026 年起执行" in [getattr(c, "children", None) for c in cells[4].children]
    plain = catalog.catalog_rows({"resolution_rate": base}, "zh")[0].children
    assert None in plain[4].children  # no year line when the standard always applied


def test_quality_grid_shows_file_names_with_the_path_in_the_tooltip(data):
    from layouts.pages import quality

    frame = pd.DataFrame({"file": ["../../../shared/data/real/boston_311_2015.csv.gz",
                                   "C:\\数据\\网格台账.xlsx", "grids.xlsx"]})
    assert quality._with_file_name(frame)["file_name"].tolist() == [
        "boston_311_2015.csv.gz", "网格台账.xlsx", "grids.xlsx"]
    file_col = next(c for c in quality._columns(("table", "file"), "zh")
                    if c["headerName"] == "文件")
    assert (file_col["field"], file_col["tooltipField"]) == ("file_name", "file")


def test_the_printed_table_stops_at_its_row_limit_and_says_so(compare):
    """16,000 grid rows would be some 400 A4 pages: the print table keeps the first PRINT_ROWS
    rows in the table's order and a caption names how many there are in all."""
    from dash import html

    PRINT_ROWS, print_table = compare.PRINT_ROWS, compare.print_table
    ind = CATALOG["resolution_rate"]
    n = PRINT_ROWS + 7
    rows = pd.DataFrame({"rank": range(1, n + 1), "unit_name": [f"网格{i}" for i in range(n)],
                         "value": [0.9] * n, "numerator": [9.0] * n, "denominator": [10.0] * n,
                         "change": [None] * n})
    table = print_table(rows, ind, "zh")
    caption = [c for c in table.children if isinstance(c, html.Caption)]
    body = next(c for c in table.children if isinstance(c, html.Tbody))
    assert len(body.children) == PRINT_ROWS
    assert body.children[-1].children[1].children == f"网格{PRINT_ROWS - 1}"
    assert len(caption) == 1 and f"{n:,}" in caption[0].children and f"{PRINT_ROWS:,}" in caption[0].children
    short = print_table(rows.head(5), ind, "zh")
    assert not any(isinstance(c, html.Caption) for c in short.children)
    assert len(next(c for c in short.children if isinstance(c, html.Tbody)).children) == 5


def test_choosing_the_second_indicator_sends_only_the_scatter(data, compare):
    """A change of 对比指标 re-draws the scatter (the same figure render() draws) and leaves the
    bars, the table and the matrix on the page: they are not in the answer at all."""
    import json

    import plotly.io as pio

    app = create_app(make_results())
    client = app.server.test_client()
    client.get("/compare")
    outputs = [(ids.CMP_GRAPH, "figure"), (ids.CMP_GRID, "rowData"), (ids.CMP_GRID, "columnDefs"),
               (ids.CMP_NOTE, "children"), (ids.CMP_DEFINITION, "children"),
               (ids.CMP_URL, "search"), (ids.CMP_LANG_SWITCH, "href"),
               (ids.CMP_MATRIX, "figure"), (ids.CMP_MATRIX_BOX, "style"),
               (ids.CMP_SCATTER, "figure"), (ids.CMP_SCATTER_BOX, "style"),
               (ids.CMP_BREADCRUMB, "children"), (ids.CMP_LEVEL, "value"),
               (ids.CMP_SCOPE, "value"), (ids.CMP_INDICATOR, "value"), (ids.CMP_YEAR, "value"),
               (ids.CMP_TOP_N, "value"), (ids.CMP_SEARCH, "value"), (ids.CMP_VS, "value"),
               (ids.CMP_PRINT_TABLE, "children")]
    values = {ids.CMP_INDICATOR: "satisfaction_rate", ids.CMP_LEVEL: "grid", ids.CMP_YEAR: "2025",
              ids.CMP_SCOPE: "total", ids.CMP_TOP_N: 15, ids.CMP_SEARCH: "",
              ids.CMP_VS: "resolution_rate", ids.CMP_URL: ""}
    inputs = [{"id": c, "property": p, "value": values.get(c)} for c, p in (
        (ids.CMP_INDICATOR, "value"), (ids.CMP_LEVEL, "value"), (ids.CMP_YEAR, "value"),
        (ids.CMP_SCOPE, "value"), (ids.CMP_TOP_N, "value"), (ids.CMP_SEARCH, "value"),
        (ids.CMP_VS, "value"), (ids.CMP_GRAPH, "clickData"), (ids.CMP_MATRIX, "clickData"),
        (ids.CMP_SCATTER, "clickData"), (ids.CMP_GRID, "cellClicked"), (ids.CMP_URL, "search"))]
    body = {"output": ".." + "...".join(f"{c}.{p}" for c, p in outputs) + "..",
            "outputs": [{"id": c, "property": p} for c, p in outputs], "inputs": inputs,
            "state": [{"id": ids.CMP_LANG, "property": "data", "value": "zh"}],
            "changedPropIds": [f"{ids.CMP_VS}.value"]}
    answer = client.post("/_dash-update-component", json=body)
    assert answer.status_code == 200
    sent = json.loads(answer.data)["response"]
    assert ids.CMP_GRID not in sent and ids.CMP_GRAPH not in sent and ids.CMP_MATRIX not in sent
    assert ids.CMP_PRINT_TABLE not in sent
    assert sent[ids.CMP_VS]["value"] == "resolution_rate"
    assert "vs=resolution_rate" in sent[ids.CMP_URL]["search"]
    view = compare._valid(store.get(), "satisfaction_rate", "grid", "2025", "total", 15, "",
                          "resolution_rate")
    drawn = compare.render(store.get(), view, "zh")["scatter"]
    assert drawn is not None and len(drawn.data[0].x) > 0
    assert sent[ids.CMP_SCATTER]["figure"] == json.loads(pio.to_json(drawn))
