"""Unit tests of the dashboard's pure parts: figure builders, KPI card, data access, strings.

No browser: figures are compared through their data and shapes, components through their
properties. Expected values are worked out by hand from the synthetic grids documented in
tests/layouts_synthetic.py (grid i = 1…20).
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from data.model import LoadReport, RowError, SourceReport
from indicators.catalog import CATALOG
from layouts import figures, store
from layouts.components import kpi_card
from layouts.i18n import t
from tests.layouts_synthetic import make_results

I18N = Path(__file__).parent.parent / "layouts" / "i18n"


@pytest.fixture(scope="module")
def data() -> store.DashboardData:
    return store.DashboardData(make_results())


def _rows(values, small=None, ranks=None, names=None) -> pd.DataFrame:
    n = len(values)
    return pd.DataFrame({
        "unit_id": [f"U{k}" for k in range(n)],
        "unit_name": names or [f"单位{k}" for k in range(n)],
        "value": values,
        "numerator": np.arange(n, dtype=float),
        "denominator": np.full(n, 100.0),
        "small_count": pd.array(small or [False] * n, dtype="boolean"),
        "rank": pd.array(ranks if ranks is not None else list(range(1, n + 1)), dtype="Int64"),
    })


def _texts(component) -> list[str]:
    """Every string in a component tree, depth first."""
    out: list[str] = []

    def walk(node):
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, (list, tuple)):
            for child in node:
                walk(child)
        elif node is not None and hasattr(node, "children"):
            walk(node.children)

    walk(component)
    return out


def _find(component, class_fragment: str):
    """First component whose className contains ``class_fragment``."""
    stack = [component]
    while stack:
        node = stack.pop(0)
        if isinstance(node, (list, tuple)):
            stack[:0] = list(node)
            continue
        if node is None or isinstance(node, str):
            continue
        if class_fragment in (getattr(node, "className", None) or "").split():
            return node
        stack.insert(0, getattr(node, "children", None))
    raise AssertionError(f"no component with class {class_fragment}")


# -- strings ---------------------------------------------------------------------------------
def test_language_files_have_the_same_keys():
    zh = yaml.safe_load((I18N / "zh.yaml").read_text(encoding="utf-8"))
    en = yaml.safe_load((I18N / "en.yaml").read_text(encoding="utf-8"))
    assert set(zh) == set(en)
    assert all(isinstance(v, str) for v in [*zh.values(), *en.values()])


def test_t_formats_and_rejects_unknown_keys():
    assert t("compare_title", "zh", indicator="办结率", level="街道", year="2025") == \
        "办结率 · 街道 · 2025 年"
    assert t("nav_compare", "fr") == "比较"  # unknown language → Chinese
    with pytest.raises(KeyError):
        t("no_such_key", "zh")


# -- figures ---------------------------------------------------------------------------------
def test_ranked_bar_colours_labels_and_standard_line():
    ind = CATALOG["resolution_rate"]  # standard ≥ 91.8%
    rows = _rows([0.95, 0.92, 0.80, 0.50], small=[False, False, False, True],
                 ranks=[1, 2, 3, None], names=["甲", "乙", "丙", "丁"])
    fig = figures.ranked_bar(rows, ind, "zh", title="标题")
    bar = fig.data[0]
    assert list(bar.y) == ["U0", "U1", "U2", "U3"]
    assert list(fig.layout.yaxis.ticktext) == ["1. 甲", "2. 乙", "3. 丙", "丁"]
    assert list(bar.x) == pytest.approx([0.95, 0.92, 0.80, 0.50])
    assert list(bar.marker.color) == [figures.COLOURS["meets"], figures.COLOURS["meets"],
                                      figures.COLOURS["fails"], figures.LIGHT_GREY]
    assert list(bar.text) == ["95.0%", "92.0%", "80.0%", "50.0%（样本不足）"]
    lines = [s for s in fig.layout.shapes if s.type == "line"]
    assert [(s.x0, s.x1, s.line.dash) for s in lines] == [(0.918, 0.918, "solid")]
    assert [a.text for a in fig.layout.annotations] == ["标准 ≥ 91.8%"]
    assert fig.layout.yaxis.autorange == "reversed"  # best at the top
    assert fig.layout.title.text == "标题"


def test_ranked_bar_band_standard_is_a_shaded_range():
    ind = CATALOG["households_per_grid"]  # 300–500 户
    fig = figures.ranked_bar(_rows([250.0, 420.0, 610.0], ranks=[3, 1, 2]), ind, "zh")
    rects = [s for s in fig.layout.shapes if s.type == "rect"]
    assert [(r.x0, r.x1) for r in rects] == [(300, 500)]
    assert sorted(s.x0 for s in fig.layout.shapes if s.type == "line") == [300, 500]
    colours = list(fig.data[0].marker.color)
    assert colours == [figures.COLOURS["fails"], figures.COLOURS["meets"],
                       figures.COLOURS["fails"]]
    assert list(fig.data[0].text) == ["250 户", "420 户", "610 户"]


def test_ranked_bar_draws_published_references_dotted():
    ind = CATALOG["median_handling_days"]  # no standard, one reference (德阳 3 working days)
    fig = figures.ranked_bar(_rows([2.0, 4.5]), ind, "zh")
    lines = [s for s in fig.layout.shapes if s.type == "line"]
    assert [(s.x0, s.line.dash) for s in lines] == [(3.0, "dot")]
    assert fig.layout.annotations[0].text == ind.references[0].label_zh
    assert list(fig.data[0].marker.color) == [figures.COLOURS["none"]] * 2


def test_ranked_bar_skips_references_that_do_not_fit_the_axis():
    # 奉新 8,600 人次 is county-wide: beside units of ~100 it would squash every bar
    fig = figures.ranked_bar(_rows([100.0, 120.0]), CATALOG["volunteer_participations"], "zh")
    assert [s for s in fig.layout.shapes if s.type == "line"] == []
    # at 5,000 the largest bar is within a factor 2 of it: drawn
    fig = figures.ranked_bar(_rows([5000.0, 4000.0]), CATALOG["volunteer_participations"], "zh")
    assert [s.x0 for s in fig.layout.shapes if s.type == "line"] == [8600.0]


def test_status_matrix_cells_codes_and_text():
    catalog = {i: CATALOG[i] for i in ("resolution_rate", "volunteer_participations")}
    rows = pd.DataFrame({
        "unit_id": ["A", "A", "B", "B"], "unit_name": ["甲", "甲", "乙", "乙"],
        "indicator_id": ["resolution_rate", "volunteer_participations"] * 2,
        "value": [0.95, 120.0, 0.80, 90.0],
        "small_count": pd.array([False, False, True, False], dtype="boolean"),
    })
    fig = figures.status_matrix(rows, catalog, "zh", title="一览")
    cells = fig.data[0]
    assert list(cells.x) == ["A", "B"] and list(cells.y) == list(catalog)
    codes = figures.MATRIX_CODES
    # 甲 meets 91.8%; 乙's 办结率 has too few cases; participations have no standard
    assert [list(r) for r in cells.z] == [[codes["meets"], codes["small"]],
                                          [codes["none"], codes["none"]]]
    assert [list(r) for r in cells.text] == [["✓ 95.0%", "80.0%"], ["120", "90"]]
    assert "样本不足" in cells.customdata[0][1]
    assert list(fig.layout.xaxis.ticktext) == ["甲", "乙"]
    assert list(fig.layout.yaxis.ticktext) == ["办结率", "志愿服务人次"]


def test_two_indicator_scatter_pairs_units_and_draws_both_standards():
    x = pd.DataFrame({"unit_id": ["A", "B", "C"], "unit_name": ["甲", "乙", "丙"],
                      "value": [0.95, 0.80, 0.90],
                      "small_count": pd.array([False, True, False], dtype="boolean")})
    y = pd.DataFrame({"unit_id": ["A", "B", "D"], "unit_name": ["甲", "乙", "丁"],
                      "value": [0.92, 0.85, 0.50],
                      "small_count": pd.array([False, False, False], dtype="boolean")})
    fig = figures.two_indicator_scatter(x, y, CATALOG["resolution_rate"],
                                        CATALOG["satisfaction_rate"], "zh")
    points, few = fig.data  # only units with both values; 乙 has too few cases in x
    assert list(points.text) == ["甲"] and list(few.text) == ["乙"]
    assert list(points.x) == pytest.approx([0.95]) and list(points.y) == pytest.approx([0.92])
    assert list(few.x) == pytest.approx([0.80]) and list(few.y) == pytest.approx([0.85])
    assert few.marker.color == figures.LIGHT_GREY
    assert [list(c) for c in few.customdata][0][0] == "B"  # a click names the unit
    assert [(s.x0, s.y0) for s in fig.layout.shapes] == [(0.918, 0), (0, 0.9)]
    assert fig.layout.xaxis.title.text == "办结率"


def test_select_chart_rows_all_top_bottom_and_search():
    rows = _rows([0.9 - k / 100 for k in range(10)], small=[False] * 8 + [True, True],
                 ranks=list(range(1, 9)) + [None, None],
                 names=[f"第{k}网格" for k in range(1, 11)])
    small_table = figures.select_chart_rows(rows.head(5), top_n=2, max_bars=5)
    assert small_table.mode == "all" and len(small_table.rows) == 5

    top = figures.select_chart_rows(rows, top_n=2, max_bars=5)
    assert top.mode == "top_bottom" and top.n == 2 and top.total == 10
    assert top.rows["rank"].tolist() == [1, 2, 7, 8]  # small_count units left to the table

    found = figures.select_chart_rows(rows, top_n=2, query="第1", max_bars=5)
    assert found.mode == "search"
    assert found.rows["unit_name"].tolist() == ["第1网格", "第10网格"]


def test_monthly_trend_units_this_year_solid_last_year_dashed():
    ind = CATALOG["satisfaction_rate"]  # standard ≥ 90%
    rows = pd.DataFrame({
        "unit_id": ["A", "A", "A", "B", "A"],
        "unit_name": ["甲", "甲", "甲", "乙", "甲"],
        "period": ["2024-01", "2024-02", "2025-01", "2025-02", "2023-05"],
        "value": [0.88, 0.91, 0.95, 0.80, 0.50],
        "small_count": pd.array([False, False, True, False, False], dtype="boolean")})
    fig = figures.monthly_trend(rows, ind, "2025", "zh", title="满意率")
    # 2023 is neither the year nor the year before: not drawn
    assert [tr.name for tr in fig.data] == ["甲 2024", "甲 2025", "乙 2025"]
    last, this, other = fig.data
    assert list(last.x) == [1, 2] and list(last.y) == pytest.approx([0.88, 0.91])
    assert last.line.dash == "dash" and this.line.dash == "solid"
    assert last.line.color == this.line.color != other.line.color  # colour names the unit
    assert list(this.text) == ["95.0% · 样本不足"]
    assert list(this.marker.color) == ["white"]  # small_count: hollow marker
    assert list(other.x) == [2]
    assert [(s.y0, s.y1) for s in fig.layout.shapes] == [(0.9, 0.9)]
    assert list(fig.layout.xaxis.ticktext)[:3] == ["1月", "2月", "3月"]


# -- KPI card --------------------------------------------------------------------------------
def test_kpi_card_fails_with_bad_change():
    ind = CATALOG["resolution_rate"]
    row = pd.Series({"value": 0.85, "change": -0.02, "change_good": False,
                     "small_count": False, "numerator": 85.0, "denominator": 100.0})
    card = kpi_card(ind, row, "zh")
    assert "status-fails" in card.className
    assert _find(card, "kpi-value").children == "85.0%"
    assert _find(card, "status-mark").children == "✗ 未达标"
    change = _find(card, "kpi-change")
    assert change.children == "较上年 ▼ 2.0 个百分点"       # the arrow carries the sign
    assert "change-bad" in change.className
    assert "样本不足" not in _texts(card)


def test_kpi_card_change_that_rounds_to_zero_is_neutral():
    ind = CATALOG["satisfaction_rate"]
    row = pd.Series({"value": 0.95, "change": -0.0004, "change_good": False,
                     "small_count": False})
    change = _find(kpi_card(ind, row, "zh"), "kpi-change")
    assert change.children == "较上年 ■ 0.0 个百分点"
    assert "change-neutral" in change.className


def test_kpi_card_no_standard_no_previous_small_count():
    ind = CATALOG["volunteer_participations"]
    row = pd.Series({"value": 1234.0, "change": np.nan, "change_good": pd.NA,
                     "small_count": True, "numerator": 1234.0, "denominator": np.nan})
    card = kpi_card(ind, row, "zh")
    assert "status-none" in card.className
    assert _find(card, "kpi-value").children == "1,234"
    assert _find(card, "status-mark").children == "– 无标准"
    assert _find(card, "kpi-change").children == "无上年数据"
    assert "样本不足" in _texts(card)


# -- data access -------------------------------------------------------------------------------
def test_years_exclude_months_latest_first(data):
    assert data.years == ["2025", "2024"]
    assert data.latest_year == "2025"
    assert data.indicator_ids == ["resolution_rate", "satisfaction_rate",
                                  "households_per_grid", "volunteer_participations"]


def test_level_rows_scope_and_rank_order(data):
    # 2025 办结率 by street: S1 (grids 1–5) 34/40, S2 (6–10) 61/65, S3 (11–15) 85/90,
    # S4 (16–20) 109/115 → ranks S4 1, S3 2, S2 3, S1 4. Within 东城区 (D1): S2 then S1.
    rows = data.level_rows("2025", "street", "resolution_rate", scope="district:D1")
    assert rows["unit_id"].tolist() == ["S2", "S1"]
    assert rows["value"].tolist() == pytest.approx([61 / 65, 34 / 40])
    assert rows["rank"].tolist() == [3, 4]
    everything = data.level_rows("2025", "street", "resolution_rate")
    assert everything["unit_id"].tolist() == ["S4", "S3", "S2", "S1"]


def test_children_rows_are_the_units_one_level_below(data):
    level, rows = data.children_rows("2025", "street:S3")
    assert level == "community"
    assert sorted(rows["unit_id"].unique()) == ["C5", "C6"]
    assert rows["indicator_id"].tolist()[:4] == data.indicator_ids  # catalog order per unit
    level, rows = data.children_rows("2025", "total")
    assert level == "district" and sorted(rows["unit_id"].unique()) == ["D1", "D2"]
    level, rows = data.children_rows("2025", "grid:G01")  # the finest level: nothing below
    assert level is None and rows.empty


def test_level_rows_returns_a_copy(data):
    rows = data.level_rows("2025", "district", "resolution_rate")
    rows.loc[:, "value"] = -1.0
    again = data.level_rows("2025", "district", "resolution_rate")
    assert (again["value"] > 0).all()


def test_unit_rows_one_row_per_indicator_in_catalog_order(data):
    rows = data.unit_rows("2024", "district", "D2")
    assert rows["indicator_id"].tolist() == data.indicator_ids
    # 满意率 2024, 西城区 (grids 11–20): rated Σ(10+i) = 255, satisfied 255 − 5 odd − 10 = 240
    sat = rows.set_index("indicator_id").loc["satisfaction_rate"]
    assert sat["value"] == pytest.approx(240 / 255)
    assert data.unit_rows("1999", "district", "D2").empty


def test_month_rows_oldest_first(data):
    # the synthetic table has months 2025-01…03 of 办结率 with values 0.6, 0.7, 0.8
    assert data.monthly_indicator_ids == ["resolution_rate"]
    rows = data.month_rows("total", "total", "resolution_rate")
    assert rows["period"].tolist() == ["2025-01", "2025-02", "2025-03"]
    assert rows["value"].tolist() == pytest.approx([0.6, 0.7, 0.8])
    assert data.month_rows("total", "total", "satisfaction_rate").empty


def test_unit_options_parents_before_children(data):
    keys = [o.key for o in data.unit_options("zh", max_depth=2)]
    assert keys[:7] == ["total", "district:D1", "street:S1", "community:C1", "community:C2",
                        "street:S2", "community:C3"]
    assert len(keys) == 1 + 2 + 4 + 8
    labels = {o.key: o.label for o in data.unit_options("zh", max_depth=0)}
    assert labels == {"total": "全市", "district:D1": "区县 · 东城区",
                      "district:D2": "区县 · 西城区"}


def test_unit_keys_round_trip():
    assert store.parse_unit_key(store.unit_key("street", "S:1")) == ("street", "S:1")
    assert store.parse_unit_key(None) == ("total", "total")
    with pytest.raises(ValueError):
        store.parse_unit_key("S1")


def test_missing_column_is_refused():
    results = make_results()
    results.table = results.table.drop(columns="rank")
    with pytest.raises(ValueError, match="rank"):
        store.DashboardData(results)


# -- load report -----------------------------------------------------------------------------
def _report() -> LoadReport:
    ok = SourceReport(table="grids", file="grids.xlsx", sheet="网格台账", sha256="x",
                      rows_read=10, accepted=9, rejected=1, blank=0,
                      errors=[RowError(4, "户数", "", "missing_required", "必填项「户数」为空")])
    odd = SourceReport(table="complaints", file="c.csv", sheet=None, sha256="y", rows_read=5,
                       accepted=2, rejected=2, blank=0, warnings=["编码为 GB18030"],
                       errors=[RowError(3, "备注", "=HYPERLINK(1)", "bad_text", "公式"),
                               RowError(5, "时长", "-3", "out_of_range", "不能为负数")])
    return LoadReport(sources=[ok, odd], fatal=[{"file": "x.xlsx", "message": "无法打开"}])


def test_report_frames_reconcile_and_list_every_error():
    sources, errors, fatal = store.report_frames(_report())
    assert sources["rows_read"].tolist() == [10, 5]
    assert sources["reconciles"].tolist() == [True, False]  # 5 ≠ 2 + 2 + 0
    assert sources["sheet"].tolist() == ["网格台账", ""]
    assert sources["warnings"].tolist() == ["", "编码为 GB18030"]
    assert errors[["file", "row", "rule"]].values.tolist() == [
        ["grids.xlsx", 4, "missing_required"], ["c.csv", 3, "bad_text"],
        ["c.csv", 5, "out_of_range"]]
    assert fatal.to_dict("records") == [{"file": "x.xlsx", "message": "无法打开"}]


def test_errors_csv_defuses_formulas_but_keeps_numbers():
    from layouts import downloads

    _, errors, _ = store.report_frames(_report())
    names = {"grids": "网格台账", "complaints": "群众诉求"}
    raw = downloads.errors_csv(errors, names, "zh")
    assert raw.startswith("\ufeff".encode("utf-8"))  # BOM: Excel reads the Chinese
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[0] == "数据表,文件,工作表,行号,列,原值,规则,说明"
    # rules by their Chinese names (data.validate.RULE_ZH); an unknown code never shows
    assert lines[1] == "网格台账,grids.xlsx,网格台账,4,户数,,必填项为空,必填项「户数」为空"
    assert lines[2] == "群众诉求,c.csv,,3,备注,'=HYPERLINK(1),其他问题,公式"
    assert lines[3] == "群众诉求,c.csv,,5,时长,-3,超出合理范围,不能为负数"


def test_catalog_page_one_row_per_indicator_with_direction_and_sources():
    from layouts import create_app

    create_app(make_results()).server.test_client().get("/")
    from layouts.pages import catalog

    subset = {i: CATALOG[i] for i in ("households_per_grid", "on_time_rate")}
    rows = catalog.catalog_rows(subset, "zh")
    assert [r.id for r in rows] == ["cat-households_per_grid", "cat-on_time_rate"]
    first = _texts(rows[0])
    assert "网格平均户数" in first and "在区间内为好" in first
    assert CATALOG["households_per_grid"].standard.source_zh in first
    assert "—" in _texts(rows[1].children[4])  # 按时办结率 has no standard


# -- the app ---------------------------------------------------------------------------------
def test_app_serves_everything_itself_and_compare_renders():
    from layouts import create_app

    app = create_app(make_results())
    client = app.server.test_client()
    html = client.get("/").get_data(as_text=True)
    refs = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert refs and all(r.startswith("/") for r in refs), refs
    assert "/assets/bootstrap.min.css" in html and "/assets/plotly-locale-zh-cn.js" in html
    assert client.get("/assets/plotly-locale-zh-cn.js").status_code == 200

    from layouts.pages import compare

    view = compare._valid(store.get(), "satisfaction_rate", "community", "2025",
                          "district:D2", "5", "南")
    assert view["unit"] == "district:D2" and view["n"] == 5
    out = compare.render(store.get(), view, "zh")
    # 西城区 has C5–C8; the search 南 keeps 南湖社区 (C7) only
    assert [r["unit_name"] for r in out["rows"]] == ["南湖社区"]
    assert out["figure"].layout.title.text == "满意率 · 社区 · 2025 年"
    assert list(out["figure"].data[0].y) == ["C7"]
    # a scope at or below the level shown is dropped (nothing would be left to compare)
    assert compare._valid(store.get(), None, "street", None, "street:S1", None, None)[
        "unit"] == "total"
    assert compare.drill_target(store.get(), "street", "S3") == ("street:S3", "community")
    assert compare.drill_target(store.get(), "grid", "G01") is None
    assert compare.drill_target(store.get(), "street", None) is None
    with_vs = compare._valid(store.get(), "resolution_rate", "street", None, None, None, None,
                             "satisfaction_rate")
    scatter = compare.render(store.get(), with_vs, "zh")["scatter"]
    assert len(scatter.data[0].x) == 4  # the four streets
    assert compare._valid(store.get(), "resolution_rate", None, None, None, None, None,
                          "resolution_rate")["vs"] is None  # not against itself
    bad = compare._valid(store.get(), "nope", "nope", "1999", "nope", "x", None)
    assert (bad["indicator"], bad["level"], bad["year"], bad["unit"], bad["n"]) == (
        "resolution_rate", "street", "2025", "total", compare.DEFAULT_TOP_N)


def test_pages_render_with_an_empty_indicator_table():
    """A dataset whose files gave no indicator rows still opens (with its load report)."""
    from layouts import create_app

    results = make_results()
    results.table = results.table.iloc[0:0]
    create_app(results).server.test_client().get("/")
    from layouts.pages import catalog, compare, overview, quality, trends

    data = store.get()
    assert data.years == [] and data.latest_year is None
    assert t("no_cards", "zh") in _texts(overview.layout())
    assert compare.render(data, compare._valid(data, None, None, None, None, None, None),
                          "zh")["note"] == t("no_data", "zh")
    for page in (trends, quality, catalog):
        assert page.layout() is not None


def test_value_texts_write_every_value_as_format_value_does():
    """The many-at-once formatter gives format_value's text for every catalog indicator, both
    languages, NaN/NA, negatives, large values and halves that round either way."""
    from indicators.catalog import format_value
    values = [0.0, 0.918, 0.91849999, 0.12125, 0.5, 1.0, -0.034, 1234.5, 19437.0, 2.25,
              float("nan"), 1e7 / 3]
    for ind in CATALOG.values():
        for lang in ("zh", "en"):
            assert figures.value_texts(ind, values, lang) == \
                [format_value(ind, v, lang) for v in values], (ind.id, lang)
    with_na = pd.array([0.5, None], dtype="Float64")
    assert figures.value_texts(CATALOG["resolution_rate"], with_na) == ["50.0%", "—"]


def test_scatter_hover_reads_name_and_both_values():
    """The hover a browser shows — the trace's hovertemplate filled from text and customdata —
    is the unit's name in bold, then each indicator's name and value as the tables write them,
    and 样本不足 for a unit with too few cases."""
    import re
    x = pd.DataFrame({"unit_id": ["A", "B"], "unit_name": ["甲", "乙"], "value": [0.95, 0.8],
                      "small_count": pd.array([False, True], dtype="boolean")})
    y = pd.DataFrame({"unit_id": ["A", "B"], "unit_name": ["甲", "乙"], "value": [3.25, 12.0],
                      "small_count": pd.array([False, False], dtype="boolean")})
    x_ind, y_ind = CATALOG["resolution_rate"], CATALOG["median_handling_days"]
    fig = figures.two_indicator_scatter(x, y, x_ind, y_ind, "zh")

    def shown(trace, i):
        def fill(m):
            key = m.group(1)
            if key == "text":
                return str(trace.text[i])
            return str(trace.customdata[i][int(re.fullmatch(r"customdata\[(\d)\]", key)[1])])
        return re.sub(r"%\{([^}]+)\}", fill, trace.hovertemplate)

    points, few = fig.data
    assert shown(points, 0) == (f"<b>甲</b><br>办结率: 95.0%<br>{y_ind.name('zh')}: "
                                f"3.2 天<extra></extra>")
    assert shown(few, 0) == (f"<b>乙</b><br>办结率: 80.0%<br>{y_ind.name('zh')}: "
                             f"12.0 天<br>样本不足<extra></extra>")
