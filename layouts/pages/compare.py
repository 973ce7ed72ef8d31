"""Compare (比较): one indicator across the units of one level, ranked, with its standard.

URL: ``/compare?indicator=resolution_rate&level=street&year=2025&unit=district:110101&n=15&q=&vs=``
— ``unit`` limits the units to those under it (default: the whole dataset), ``n`` is the number
of top and bottom units drawn when there are too many to draw all, ``q`` a name search, ``vs``
a second indicator for a scatter of the same units.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import numpy as np
import pandas as pd
from dash import Input, Output, State, callback, ctx, dcc, html
from dash.exceptions import PreventUpdate

from layouts import components, downloads, figures, ids, store
from layouts.components import dropdown_labels, grid_locale, header, page_href, query_params
from indicators.catalog import format_change, format_value
from layouts.guards import graph_config, may, rank_column
from layouts.i18n import normalise_lang, t

PATH = "/compare"
TOP_N_CHOICES = (5, 10, 15, 20, 30)
DEFAULT_TOP_N = 15

dash.register_page(__name__, path=PATH, order=1, name="比较", nav_key="nav_compare",
                   title="比较 · 党建引领基层治理指标看板")


#: The page state after validation: indicator, level, year, unit (a store.unit_key), n, q.
View = dict[str, Any]


def _valid(data: store.DashboardData, indicator: str | None, level: str | None,
           year: str | None, unit: str | None, n: Any, q: str | None,
           vs: str | None = None) -> View:
    indicator = indicator if indicator in data.indicator_ids else (
        data.indicator_ids[0] if data.indicator_ids else None)
    # default: the second level of a deep hierarchy (streets: a handful to a few dozen units),
    # the top level of a shallow one
    level = level if level in data.levels else (data.levels[1] if len(data.levels) > 2
                                                else data.levels[0])
    year = year if year in data.years else data.latest_year
    # a scope must be a unit above the level shown (else it would leave nothing to compare)
    unit = unit if _scope_above(data, unit, level) else store.TOTAL
    try:
        n = int(n)
    except (TypeError, ValueError):
        n = DEFAULT_TOP_N
    n = n if n in TOP_N_CHOICES else DEFAULT_TOP_N
    vs = vs if vs in data.indicator_ids and vs != indicator else None
    return {"indicator": indicator, "level": level, "year": year, "unit": unit, "n": n,
            "q": (q or "").strip()[:50], "vs": vs}


def _scope_above(data: store.DashboardData, unit: Any, level: str) -> bool:
    """Whether ``unit`` is a unit key of the dataset at a level above ``level`` — one of the
    keys ``data.unit_options(max_depth=<level's depth> - 1)`` lists — or the whole dataset;
    looked up, not listed (the list holds every community at grid level)."""
    if unit == store.TOTAL:
        return True
    if not isinstance(unit, str):
        return False
    try:
        unit_level, unit_id = store.parse_unit_key(unit)
    except ValueError:
        return False
    return (unit_level in data.levels[: data.levels.index(level)]
            and data.has_unit(unit_level, unit_id))


def _query(view: View, lang: str) -> dict[str, Any]:
    return {"indicator": view["indicator"], "level": view["level"], "year": view["year"],
            "unit": None if view["unit"] == store.TOTAL else view["unit"],
            "n": None if view["n"] == DEFAULT_TOP_N else view["n"], "q": view["q"] or None,
            "vs": view["vs"], "lang": None if lang == "zh" else lang}


def _column_defs(indicator: Any, lang: str, drillable: bool = False,
                 peer: bool = False) -> list[dict]:
    """AG Grid columns: rank, unit (a link-styled cell when a click can drill down), value,
    numerator, denominator and change, formatted like the chart (d3-format in the browser),
    then the peer group and the rank within it when the dataset defines peer groups; every
    column sorts and filters."""
    if indicator is not None and indicator.kind == "rate":
        value_fmt = f"d3.format(',.{indicator.decimals}%')(params.value)"
        change_fmt = ("d3.format('+.1f')(params.value * 100) + '"
                      + (" pp" if lang == "en" else " 个百分点") + "'")
    else:
        decimals = indicator.decimals if indicator is not None else 1
        value_fmt = f"d3.format(',.{decimals}f')(params.value)"
        change_fmt = "d3.format('+.1%')(params.value)"

    def fmt(expr: str) -> dict:
        return {"function": f"params.value == null ? '—' : {expr}"}

    mark = t("provisional_suffix", lang).replace("'", "")

    def fmt_prov(expr: str) -> dict:     # an open period's value: 91.8%（暂定）
        return {"function": f"params.value == null ? '—' : {expr} + "
                            f"(params.data && params.data.provisional ? '{mark}' : '')"}

    number = {"type": "numericColumn", "filter": "agNumberColumnFilter"}

    small = t("small_count", lang)
    return [
        rank_column(lang, small),
        {"field": "unit_name", "headerName": t("unit_name", lang), "flex": 2, "minWidth": 140,
         "filter": "agTextColumnFilter", "cellClass": "drill-cell" if drillable else ""},
        {"field": "value", "headerName": t("value", lang), "flex": 1, **number,
         "valueFormatter": fmt_prov(value_fmt)},
        {"field": "numerator", "headerName": t("numerator", lang), "flex": 1,
         **number, "valueFormatter": fmt("d3.format(',.4~f')(params.value)")},
        {"field": "denominator", "headerName": t("denominator", lang), "flex": 1,
         **number, "valueFormatter": fmt("d3.format(',.4~f')(params.value)")},
        {"field": "change", "headerName": t("change", lang), "flex": 1, **number,
         "valueFormatter": fmt(change_fmt)},
    ] + ([
        {"field": "peer_group", "headerName": t("col_peer_group", lang), "flex": 1,
         "filter": "agTextColumnFilter"},
        {"field": "peer_rank", "headerName": t("col_peer_rank", lang), "width": 120, **number,
         "valueFormatter": {"function": "params.value == null ? '—' : params.value"}},
    ] if peer else [])


def _has_peers(rows: pd.DataFrame) -> bool:
    """Whether the rows carry peer groups (indicators.compare.add_peer_rank, when the
    manifest's settings.peer_group names them)."""
    return "peer_group" in rows and bool(rows["peer_group"].notna().any())


def _row_data(rows: pd.DataFrame) -> list[dict]:
    """AG Grid rowData: one dict per row — unit_id, rank, rank_of, unit_name, value, numerator,
    denominator, change (then peer_group, peer_rank with peer groups; provisional when the rows
    carry it) — numbers as float, text as str, a missing value None. Built column by column
    (one numpy pass each), not cell by cell: 16,000 grid rows take some 20 ms, not 50."""
    peers = _has_peers(rows)
    text = {"unit_id", "unit_name"} | ({"peer_group"} if peers else set())
    keys = ["unit_id", "rank", "rank_of", "unit_name", "value", "numerator", "denominator",
            "change"] + (["peer_group", "peer_rank"] if peers else [])
    columns = []
    for key in keys:
        if key in text:
            columns.append(rows[key].astype("string").to_numpy(dtype=object, na_value=None)
                           .tolist())
            continue
        number = rows[key].to_numpy(dtype="float64", na_value=np.nan)
        boxed = number.astype(object)
        boxed[np.isnan(number)] = None
        columns.append(boxed.tolist())
    if "provisional" in rows.columns:      # 暂定 marks in the value column
        keys.append("provisional")
        columns.append(rows["provisional"].astype("boolean").fillna(False)
                       .to_numpy(dtype=bool).tolist())
    return [dict(zip(keys, values)) for values in zip(*columns)]


def render(data: store.DashboardData, view: View, lang: str) -> dict[str, Any]:
    """Everything the page shows for a view: ranked bars, grid rows and columns, note,
    definition, the units × indicators matrix and the scatter (None when not asked for)."""
    ind = data.catalog.get(view["indicator"]) if view["indicator"] else None
    if ind is None or view["year"] is None:
        return {"figure": figures.go.Figure(), "rows": [], "columns": _column_defs(None, lang),
                "note": t("no_data", lang), "definition": None, "matrix": None,
                "scatter": None, "print_table": None}
    rows = components.readable_names(
        data.level_rows(view["year"], view["level"], ind.id, view["unit"]),
        data.level_name(view["level"], lang))
    picked = figures.select_chart_rows(rows, view["n"], view["q"])
    # the table lists every unit, or the same units as the chart when searching
    table_rows = picked.rows if picked.mode == "search" else rows
    title = t("compare_title", lang, indicator=ind.name(lang),
              level=data.level_name(view["level"], lang), year=view["year"])
    enough = rows[~rows["small_count"].astype("boolean").fillna(False).to_numpy()]
    band = figures.quartiles(enough["value"])
    fig = figures.ranked_bar(picked.rows, ind, lang, title=title,
                             gap_after=picked.n if picked.mode == "top_bottom" else None,
                             peer_band=band)
    small = int(rows["small_count"].astype("boolean").fillna(False).sum())
    ranked = int(rows["rank"].notna().sum())
    if rows.empty:
        note = t("no_data", lang)
    elif picked.mode == "top_bottom":
        note = t("compare_note_top", lang, total=picked.total, n=picked.n)
    elif picked.mode == "search":
        note = t("compare_note_search", lang, total=picked.total, shown=len(picked.rows),
                 query=picked.query)
    else:
        note = t("compare_note_all", lang, total=picked.total)
    if not rows.empty:
        note = f"{note}{t('semicolon', lang)}{t('ranked_count', lang, ranked=ranked, small=small)}"
    drillable = data.level_below(view["level"]) is not None
    return {"figure": fig, "rows": _row_data(table_rows),
            "columns": _column_defs(ind, lang, drillable, _has_peers(rows)), "note": note,
            # under the chart: where it comes from, then the definition in full
            "definition": [components.chart_footer(
                data.dataset, ind, lang, definition=False,
                note=t("peer_band_label", lang) if band is not None else None),
                           _definition(ind, lang)],
            "matrix": _matrix(data, view, picked.rows, lang),
            "scatter": _scatter(data, view, rows, lang),
            "print_table": print_table(table_rows, ind, lang)}


#: rows of the printed compare table (about eight A4 pages); beyond them the caption points to
#: the Excel download — 16,000 grid rows would be some 400 pages and several seconds of layout
PRINT_ROWS = 300


def print_table(rows: pd.DataFrame, ind: Any, lang: str) -> html.Table:
    """The compare table as a plain HTML table for paper (assets/style.css shows it only in
    print, where the grid is hidden): the browser repeats its header on every page and never
    cuts a row in two — the grid's absolutely placed rows allowed neither. At most
    :data:`PRINT_ROWS` rows, in the table's order, with a caption saying so when cut."""
    total = len(rows)
    rows = rows.head(PRINT_ROWS)

    def cell(v: Any, fmt: Any) -> str:
        return "—" if v is None or pd.isna(v) else fmt(v)

    heads = [t("rank", lang), t("unit_name", lang), t("value", lang), t("numerator", lang),
             t("denominator", lang), t("change", lang)]
    body = [html.Tr([html.Td(cell(r.rank, lambda v: f"{int(v)}")
                             if pd.notna(r.rank) else t("small_count", lang)),
                     html.Td(str(r.unit_name)),
                     html.Td(cell(r.value, lambda v: format_value(ind, v, lang))),
                     html.Td(cell(r.numerator, figures.count_text)),
                     html.Td(cell(r.denominator, figures.count_text)),
                     html.Td(cell(r.change, lambda v: format_change(ind, v, lang)))])
            for r in rows.itertuples(index=False)]
    caption = ([html.Caption(t("print_table_cut", lang, shown=f"{PRINT_ROWS:,}", total=f"{total:,}"))]
               if total > PRINT_ROWS else [])
    return html.Table([*caption, html.Thead(html.Tr([html.Th(h) for h in heads])), html.Tbody(body)],
                      className="print-table")


def _matrix(data: store.DashboardData, view: View, shown: pd.DataFrame,
            lang: str) -> figures.go.Figure | None:
    """Units × indicators, each cell scored against its standard, for the units the bar chart
    shows (same order); None when there are none."""
    if shown.empty:
        return None
    rows = components.readable_names(
        data.scope_rows(view["year"], view["level"], view["unit"],
                        unit_ids=shown["unit_id"].astype(str).tolist()),
        data.level_name(view["level"], lang))
    title = t("matrix_compare_title", lang, level=data.level_name(view["level"], lang),
              year=view["year"])
    return figures.status_matrix(rows, data.catalog, lang, title=title)


def scatter_only(data: store.DashboardData, view: View, lang: str) -> figures.go.Figure | None:
    """The scatter of a view as :func:`render` draws it (the same rows and names), alone — for
    a change of the second indicator, which nothing else on the page depends on."""
    ind = data.catalog.get(view["indicator"]) if view["indicator"] else None
    if ind is None or view["year"] is None:
        return None
    rows = components.readable_names(
        data.level_rows(view["year"], view["level"], ind.id, view["unit"]),
        data.level_name(view["level"], lang))
    return _scatter(data, view, rows, lang)


def _scatter(data: store.DashboardData, view: View, rows: pd.DataFrame,
             lang: str) -> figures.go.Figure | None:
    """The two-indicator scatter (same units, level, year and scope), or None."""
    if not view["vs"] or rows.empty:
        return None
    x_ind, y_ind = data.catalog[view["indicator"]], data.catalog[view["vs"]]
    y_rows = data.level_rows(view["year"], view["level"], y_ind.id, view["unit"])
    title = t("scatter_title", lang, x=x_ind.name(lang), y=y_ind.name(lang),
              level=data.level_name(view["level"], lang), year=view["year"])
    return figures.two_indicator_scatter(rows, y_rows, x_ind, y_ind, lang, title=title)


def breadcrumb(data: store.DashboardData, view: View, lang: str) -> html.Nav:
    """Where the view sits in the hierarchy: the whole dataset, then each unit down to the
    scope, then the level shown. Every unit above is a link that shows its own children, so a
    click goes back up."""
    chain = data.unit_chain(view["unit"])
    items = []
    for k, (level, unit_id) in enumerate(chain):
        below = data.level_below(level)
        current = k == len(chain) - 1 and below == view["level"]
        query = _query({**view, "unit": store.unit_key(level, unit_id), "level": below,
                        "q": ""}, lang)
        items.append((data.unit_label(level, unit_id, lang),
                      None if current else page_href(PATH, query)))
    return components.breadcrumb(items, lang, tail=data.level_name(view["level"], lang))


def _definition(ind: Any, lang: str) -> html.Div:
    """Formula, standard and published references with their sources, and the min-count rule."""
    colon, stop = t("colon", lang), t("full_stop", lang)
    en = lang == "en"
    items = [html.Div([html.Strong(t("formula", lang) + colon),
                       ind.formula_en if en else ind.formula_zh])]
    marks = [(t("standard", lang) + colon, ind.standard)] if ind.standard is not None else []
    marks += [("┈ ", ref) for ref in ind.references]
    for mark, std in marks:
        items.append(html.Div([
            html.Strong(mark, className="ref-mark" if mark == "┈ " else None),
            (std.label_en if en else std.label_zh) + stop,
            html.Span(t("source", lang) + colon + (std.source_en if en else std.source_zh),
                      className="text-muted"),
        ]))
    if ind.min_count:
        items.append(html.Div(t("small_count_note", lang, min_count=ind.min_count),
                              className="text-muted"))
    return html.Div(items, className="definition")


def _graph(graph_id: str, figure: Any, lang: str, **config: Any) -> dcc.Graph:
    return dcc.Graph(id=graph_id, figure=figure if figure is not None else figures.go.Figure(),
                     config=graph_config(lang, responsive=True, **config))


def _shown(figure: Any) -> dict:
    """Style of a box that holds an optional figure."""
    return {} if figure is not None else {"display": "none"}


def layout(indicator: str | None = None, level: str | None = None, year: str | None = None,
           unit: str | None = None, n: str | None = None, q: str | None = None,
           vs: str | None = None, lang: str | None = None, **_other: Any) -> html.Div:
    """Page layout for the query string (see module docstring); unknown values fall back to
    the defaults: first indicator with data, the second level (the first when there are at most
    two), latest year."""
    data = store.get()
    lang = normalise_lang(lang)
    texts = dropdown_labels(lang)
    view = _valid(data, indicator, level, year, unit, n, q, vs)
    out = render(data, view, lang)
    ind_options = [{"label": data.catalog[i].name(lang), "value": i} for i in data.indicator_ids]
    level_options = [{"label": data.level_name(lv, lang), "value": lv} for lv in data.levels]
    scope_options = [{"label": o.label, "value": o.key}
                     for o in data.unit_options(lang, max_depth=len(data.levels) - 2)]
    allowed = may("export")          # a viewer's download would be refused (403): say so

    def control(label_key: str, component: Any, **col: Any) -> dbc.Col:
        return dbc.Col([dbc.Label(t(label_key, lang), html_for=component.id), component], **col)

    return html.Div([
        dcc.Location(id=ids.CMP_URL, refresh=False),
        dcc.Store(id=ids.CMP_LANG, data=lang),
        header(data.dataset_name(lang), bool(data.dataset.is_sample), lang, PATH,
               _query(view, lang), ids.CMP_LANG_SWITCH),
        dbc.Container(fluid=True, className="page", children=[
            dbc.Row(className="controls g-3 align-items-end", children=[
                control("label_indicator", dcc.Dropdown(labels=texts, 
                    id=ids.CMP_INDICATOR, options=ind_options, value=view["indicator"],
                    clearable=False), xs=12, md=3),
                control("label_level", dcc.Dropdown(labels=texts, 
                    id=ids.CMP_LEVEL, options=level_options, value=view["level"],
                    clearable=False, searchable=False), xs=6, md=2),
                control("label_year", dcc.Dropdown(labels=texts, 
                    id=ids.CMP_YEAR, options=data.years, value=view["year"], clearable=False,
                    searchable=False), xs=6, md=1),
                control("label_scope", dcc.Dropdown(labels=texts, 
                    id=ids.CMP_SCOPE, options=scope_options, value=view["unit"],
                    clearable=False), xs=12, md=3),
                control("label_top_n", dcc.Dropdown(labels=texts, 
                    id=ids.CMP_TOP_N, options=list(TOP_N_CHOICES), value=view["n"],
                    clearable=False, searchable=False), xs=4, md=1),
                control("label_search", dbc.Input(
                    id=ids.CMP_SEARCH, type="search", value=view["q"], debounce=True,
                    placeholder=t("search_placeholder", lang)), xs=8, md=2),
            ]),
            html.Div(breadcrumb(data, view, lang), id=ids.CMP_BREADCRUMB,
                     className="crumbs mt-3"),
            html.P(out["note"], id=ids.CMP_NOTE, className="summary"),
            _graph(ids.CMP_GRAPH, out["figure"], lang),
            html.Div(out["definition"], id=ids.CMP_DEFINITION),
            dbc.Row(className="controls g-2 align-items-center mt-2", children=[
                dbc.Col(dbc.Label(t("label_vs", lang), html_for=ids.CMP_VS, className="mb-0"),
                        width="auto"),
                dbc.Col(dcc.Dropdown(labels=texts, id=ids.CMP_VS, options=ind_options,
                                     value=view["vs"], placeholder=t("vs_placeholder", lang)),
                        xs=12, md=3),
            ]),
            html.Div(_graph(ids.CMP_SCATTER, out["scatter"], lang), id=ids.CMP_SCATTER_BOX,
                     style=_shown(out["scatter"])),
            html.Div(className="d-flex flex-wrap align-items-center gap-2 mt-2 no-print",
                     children=[
                html.Span(t("drill_hint", lang), className="text-muted small me-auto"),
                html.Span(t("download_not_allowed", lang), id=ids.CMP_DOWNLOAD_NOTE,
                          className="text-muted small") if not allowed else None,
                dbc.Button(t("download_csv", lang), id=ids.CMP_DOWNLOAD_CSV, size="sm",
                           color="secondary", outline=True, disabled=not allowed),
                dbc.Button(t("download_xlsx", lang), id=ids.CMP_DOWNLOAD_XLSX, size="sm",
                           color="secondary", outline=True, disabled=not allowed),
                dcc.Download(id=ids.CMP_DOWNLOAD),
                dbc.Button(t("download_chart_csv", lang), id=ids.CMP_CHART_CSV, size="sm",
                           color="secondary", outline=True, disabled=not allowed),
                dbc.Button(t("download_chart_xlsx", lang), id=ids.CMP_CHART_XLSX, size="sm",
                           color="secondary", outline=True, disabled=not allowed),
                dcc.Download(id=ids.CMP_CHART_DOWNLOAD),
            ]),
            html.Div(out["print_table"], id=ids.CMP_PRINT_TABLE, className="print-only"),
            dag.AgGrid(
                id=ids.CMP_GRID, rowData=out["rows"], columnDefs=out["columns"],
                defaultColDef={"sortable": True, "resizable": True, "floatingFilter": False},
                getRowId="params.data.unit_id",
                dashGridOptions={"domLayout": "autoHeight", "pagination": True,
                                 "paginationPageSize": 20, "loadThemeGoogleFonts": False,
                                 "localeText": grid_locale(lang)},
                className="ag-theme-quartz compare-grid",
                style={"width": "100%"},
            ),
            html.Div(_graph(ids.CMP_MATRIX, out["matrix"], lang, displayModeBar=False),
                     id=ids.CMP_MATRIX_BOX, className="mt-4", style=_shown(out["matrix"])),
        ]),
    ])


def drill_target(data: store.DashboardData, level: str | None,
                 unit_id: str | None) -> tuple[str, str] | None:
    """Where a click on a unit of ``level`` leads: ``(scope unit key, level below)`` — the
    units one level below the clicked unit — or None (no unit, unknown level, or already the
    finest level)."""
    if not unit_id or level not in data.levels:
        return None
    below = data.level_below(level)
    if below is None:
        return None
    return store.unit_key(level, str(unit_id)), below


def clicked_unit(trigger: str | None, bar: dict | None, matrix: dict | None,
                 scatter: dict | None, cell: dict | None) -> str | None:
    """The unit id a click names: a bar (its y category), a matrix column (x), a scatter point
    (customdata[0]) or a table cell of the unit column (the grid's row id); None otherwise."""
    def point(click: dict | None) -> dict:
        return (click or {}).get("points", [{}])[0] or {}

    if trigger == ids.CMP_GRAPH:
        return point(bar).get("y")
    if trigger == ids.CMP_MATRIX:
        return point(matrix).get("x")
    if trigger == ids.CMP_SCATTER:
        custom = point(scatter).get("customdata")
        return custom[0] if custom else None
    if trigger == ids.CMP_GRID and cell and cell.get("colId") == "unit_name":
        return cell.get("rowId")
    return None


_CLICKS = (ids.CMP_GRAPH, ids.CMP_MATRIX, ids.CMP_SCATTER, ids.CMP_GRID)


@callback(
    Output(ids.CMP_GRAPH, "figure"),
    Output(ids.CMP_GRID, "rowData"),
    Output(ids.CMP_GRID, "columnDefs"),
    Output(ids.CMP_NOTE, "children"),
    Output(ids.CMP_DEFINITION, "children"),
    Output(ids.CMP_URL, "search"),
    Output(ids.CMP_LANG_SWITCH, "href"),
    Output(ids.CMP_MATRIX, "figure"),
    Output(ids.CMP_MATRIX_BOX, "style"),
    Output(ids.CMP_SCATTER, "figure"),
    Output(ids.CMP_SCATTER_BOX, "style"),
    Output(ids.CMP_BREADCRUMB, "children"),
    Output(ids.CMP_LEVEL, "value"),
    Output(ids.CMP_SCOPE, "value"),
    Output(ids.CMP_INDICATOR, "value"),
    Output(ids.CMP_YEAR, "value"),
    Output(ids.CMP_TOP_N, "value"),
    Output(ids.CMP_SEARCH, "value"),
    Output(ids.CMP_VS, "value"),
    Output(ids.CMP_PRINT_TABLE, "children"),
    Input(ids.CMP_INDICATOR, "value"),
    Input(ids.CMP_LEVEL, "value"),
    Input(ids.CMP_YEAR, "value"),
    Input(ids.CMP_SCOPE, "value"),
    Input(ids.CMP_TOP_N, "value"),
    Input(ids.CMP_SEARCH, "value"),
    Input(ids.CMP_VS, "value"),
    Input(ids.CMP_GRAPH, "clickData"),
    Input(ids.CMP_MATRIX, "clickData"),
    Input(ids.CMP_SCATTER, "clickData"),
    Input(ids.CMP_GRID, "cellClicked"),
    Input(ids.CMP_URL, "search"),
    State(ids.CMP_LANG, "data"),
    prevent_initial_call=True,
)
def update(indicator, level, year, unit, n, q, vs, bar_click, matrix_click, scatter_click,
           cell_click, search, lang):
    """Controls (or a click on a unit in the bars, the matrix, the scatter or the table: drill
    down one level inside it; or the browser's back/forward changing the query string) →
    every part of the page, the query string and the controls (a scope not above the level is
    reset)."""
    data = store.get()
    lang = normalise_lang(lang)
    trigger = ctx.triggered_id
    if trigger == ids.CMP_URL:  # back/forward: the URL is the truth
        asked = query_params(search)
        from_url = [asked.get(k) for k in ("indicator", "level", "year", "unit", "n", "q", "vs")]
        if _valid(data, *from_url) == _valid(data, indicator, level, year, unit, n, q, vs):
            raise PreventUpdate  # the page already shows it (the URL was read on page load)
        indicator, level, year, unit, n, q, vs = from_url
    if trigger in _CLICKS:
        target = drill_target(data, level, clicked_unit(trigger, bar_click, matrix_click,
                                                        scatter_click, cell_click))
        if target is None:
            raise PreventUpdate
        unit, level = target
        q = ""  # a search names units of the level left behind
    view = _valid(data, indicator, level, year, unit, n, q, vs)
    query = _query(view, lang)
    new_search = "?" + urlencode({k: v for k, v in query.items() if v is not None})
    other = "en" if lang == "zh" else "zh"
    href = page_href(PATH, {**query, "lang": other if other != "zh" else None})
    controls = (view["level"], view["unit"], view["indicator"], view["year"], view["n"],
                view["q"], view["vs"])
    if trigger == ids.CMP_VS and view["indicator"] and view["year"] is not None:
        # only the scatter depends on the second indicator: the bars, the 16,000-row table
        # and the matrix already on the page stay (3.3 MB of the 4.3 MB answer at grid level)
        scatter = scatter_only(data, view, lang)
        keep = dash.no_update
        return (keep, keep, keep, keep, keep, new_search, href, keep, keep,
                scatter if scatter is not None else figures.go.Figure(), _shown(scatter), keep,
                *controls, keep)
    out = render(data, view, lang)
    return (out["figure"], out["rows"], out["columns"], out["note"], out["definition"],
            # writing the URL back after back/forward would add a history entry
            dash.no_update if trigger == ids.CMP_URL else new_search, href,
            out["matrix"] if out["matrix"] is not None else figures.go.Figure(),
            _shown(out["matrix"]),
            out["scatter"] if out["scatter"] is not None else figures.go.Figure(),
            _shown(out["scatter"]), breadcrumb(data, view, lang), *controls,
            out["print_table"])


@callback(
    Output(ids.CMP_DOWNLOAD, "data"),
    Input(ids.CMP_DOWNLOAD_CSV, "n_clicks"),
    Input(ids.CMP_DOWNLOAD_XLSX, "n_clicks"),
    State(ids.CMP_GRID, "virtualRowData"),
    State(ids.CMP_INDICATOR, "value"),
    State(ids.CMP_LEVEL, "value"),
    State(ids.CMP_YEAR, "value"),
    State(ids.CMP_LANG, "data"),
    prevent_initial_call=True,
)
def download(_csv, _xlsx, shown, indicator, level, year, lang):
    """The table as the user sees it — the grid's rows after their filter and sort, in that
    order — as CSV (UTF-8 with BOM) or Excel."""
    data = store.get()
    lang = normalise_lang(lang)
    ind = data.catalog.get(indicator)
    if ind is None:
        raise PreventUpdate
    rows = downloads.shown_rows(shown)
    title = t("compare_title", lang, indicator=ind.name(lang),
              level=data.level_name(level, lang) if level in data.levels else "", year=year)
    stem = f"{ind.name(lang)}_{data.level_name(level, lang)}_{year}"
    if ctx.triggered_id == ids.CMP_DOWNLOAD_XLSX:
        return dcc.send_bytes(downloads.table_xlsx(rows, ind, lang, title=title),
                              filename=f"{stem}.xlsx")
    return dcc.send_bytes(downloads.table_csv(rows, ind, lang), filename=f"{stem}.csv")


@callback(
    Output(ids.CMP_CHART_DOWNLOAD, "data"),
    Input(ids.CMP_CHART_CSV, "n_clicks"),
    Input(ids.CMP_CHART_XLSX, "n_clicks"),
    State(ids.CMP_INDICATOR, "value"),
    State(ids.CMP_LEVEL, "value"),
    State(ids.CMP_YEAR, "value"),
    State(ids.CMP_SCOPE, "value"),
    State(ids.CMP_TOP_N, "value"),
    State(ids.CMP_SEARCH, "value"),
    State(ids.CMP_LANG, "data"),
    prevent_initial_call=True,
)
def download_chart(_csv, _xlsx, indicator, level, year, unit, n, q, lang):
    """Exactly the units the bar chart draws (all of them, the best and worst n, or the search
    hits; in the chart's order, within the user's scope) as CSV or Excel."""
    data = store.get()
    lang = normalise_lang(lang if isinstance(lang, str) else None)
    view = _valid(data, indicator, level, year, unit, n, q)
    ind = data.catalog.get(view["indicator"]) if view["indicator"] else None
    if ind is None or view["year"] is None:
        raise PreventUpdate
    rows = data.level_rows(view["year"], view["level"], ind.id, view["unit"])
    drawn = figures.select_chart_rows(rows, view["n"], view["q"]).rows
    shown = downloads.shown_rows(_row_data(drawn))
    title = t("compare_title", lang, indicator=ind.name(lang),
              level=data.level_name(view["level"], lang), year=view["year"])
    stem = f"{ind.name(lang)}_{data.level_name(view['level'], lang)}_{view['year']}_图"
    if ctx.triggered_id == ids.CMP_CHART_XLSX:
        return dcc.send_bytes(downloads.table_xlsx(shown, ind, lang, title=title),
                              filename=f"{stem}.xlsx")
    return dcc.send_bytes(downloads.table_csv(shown, ind, lang), filename=f"{stem}.csv")
