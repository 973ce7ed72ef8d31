"""Map (地图): an indicator by unit on the dataset's own boundaries, service stations, walking-radius
circles and the grids outside them (15分钟生活圈).

URL: ``/map?indicator=service_circle_coverage&level=street&year=2025&unit=district:511602&radius=500``
``&types=社区党群服务中心&layers=stations,uncovered`` — ``level`` is a level with a boundary file,
``unit`` the drilled-down scope (a unit above ``level``), ``radius`` the walking radius in metres
(default: the manifest's ``settings.service_radius_m``), ``types`` the station types that count for
coverage (default: the manifest's ``settings.service_station_types`` or all), ``layers`` what is
drawn over the polygons. A click on a unit drills down to the level below when it has a boundary,
otherwise opens that unit's overview.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import dash
import dash_bootstrap_components as dbc
import numpy as np
import pandas as pd
from dash import Input, Output, State, callback, ctx, dcc, html
from dash.exceptions import PreventUpdate

from layouts import ids, store
from layouts.components import chart_footer, header, page_href
from layouts.guards import graph_config
from layouts.i18n import normalise_lang, t
from layouts.mapview import MapData, map_data, map_figure, units_under

PATH = "/map"
RADIUS_CHOICES = (300, 500, 800, 1000, 1500, 2000)
LAYERS = ("stations", "circles", "uncovered")
DEFAULT_LAYERS = ("stations", "uncovered")
LIST_ROWS = 10
COVERAGE_ID = "service_circle_coverage"
#: the graph's height (a responsive graph takes its container's height: fixed so that a long
#: side panel does not stretch the map)
MAP_HEIGHT_PX = 660

dash.register_page(__name__, path=PATH, order=2.5, name="地图", nav_key="nav_map",
                   title="地图 · 党建引领基层治理指标看板")

View = dict[str, Any]


def _split(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v for v in value.split(",") if v]
    return [str(v) for v in value]


def _valid(data: store.DashboardData, geo: MapData, indicator: str | None, level: str | None,
           year: str | None, unit: str | None, radius: Any, types: Any, layers: Any) -> View:
    """The view after validation; unknown values fall back to the defaults."""
    levels = geo.levels or list(data.levels[:1])
    indicator = indicator if indicator in data.indicator_ids else (
        COVERAGE_ID if COVERAGE_ID in data.indicator_ids
        else data.indicator_ids[0] if data.indicator_ids else None)
    level = level if level in levels else levels[0]
    year = year if year in data.years else data.latest_year
    depth = data.levels.index(level) if level in data.levels else 0
    scope_keys = {o.key for o in data.unit_options("zh", max_depth=depth - 1)} if depth else set()
    unit = unit if unit in scope_keys else store.TOTAL
    try:
        radius = float(radius)
    except (TypeError, ValueError):
        radius = geo.default_radius_m
    radius = radius if 0 < radius <= 10_000 else geo.default_radius_m
    chosen = [x for x in _split(types) if x in geo.station_types]
    types_ = tuple(chosen) if chosen else geo.default_types
    asked = _split(layers) if layers is not None else list(DEFAULT_LAYERS)
    return {"indicator": indicator, "level": level, "year": year, "unit": unit,
            "radius": radius, "types": types_,
            "layers": [x for x in LAYERS if x in asked]}


def _query(view: View, geo: MapData, lang: str) -> dict[str, Any]:
    return {"indicator": view["indicator"], "level": view["level"], "year": view["year"],
            "unit": None if view["unit"] == store.TOTAL else view["unit"],
            "radius": None if view["radius"] == geo.default_radius_m else f"{view['radius']:g}",
            "types": None if view["types"] == geo.default_types else ",".join(view["types"] or ()),
            "layers": None if view["layers"] == list(DEFAULT_LAYERS) else
            (",".join(view["layers"]) or "none"),
            "lang": None if lang == "zh" else lang}


def _table(frame: pd.DataFrame, columns: dict[str, str], empty: str) -> Any:
    """A small Bootstrap table of ``frame``'s ``columns`` ({column: header})."""
    if frame.empty:
        return html.P(empty, className="text-muted")
    head = html.Thead(html.Tr([html.Th(h) for h in columns.values()]))
    body = html.Tbody([html.Tr([html.Td(v) for v in row])
                       for row in frame[list(columns)].itertuples(index=False)])
    return dbc.Table([head, body], size="sm", striped=True, responsive=True,
                     className="map-table")


def _fmt(x: Any, pattern: str = "{:,.0f}") -> str:
    return "—" if x is None or (isinstance(x, float) and not np.isfinite(x)) or pd.isna(x) \
        else pattern.format(x)


def render(data: store.DashboardData, geo: MapData, view: View, lang: str) -> dict[str, Any]:
    """Figure, coverage note and side panel for a validated view."""
    year = int(view["year"]) if view["year"] else None
    ind = data.catalog.get(view["indicator"]) if view["indicator"] else None
    level = view["level"]
    scope_level, scope_id = store.parse_unit_key(view["unit"])
    boundary = geo.boundaries.get(level)
    rows = (data.level_rows(view["year"], level, ind.id, view["unit"])
            if ind is not None and view["year"] else pd.DataFrame())
    if ind is not None and ind.id == COVERAGE_ID and year is not None and (
            view["radius"] != geo.default_radius_m or view["types"] != geo.default_types):
        # the indicator table holds coverage at the manifest's radius and station types only
        rows = geo.coverage_rows(year, view["radius"], view["types"], level)
    yv = geo.view(year, view["radius"], view["types"], view["unit"]) if year else None
    coverage = yv.coverage if yv is not None else None
    only = None if scope_level == store.TOTAL else {
        u for lv, u in units_under(data.dataset.units, scope_level, scope_id) if lv == level}
    title = t("map_title", lang, indicator=ind.name(lang), level=data.level_name(level, lang),
              year=view["year"] or "") if ind else ""
    fig = map_figure(boundary, rows, ind, lang, stations=yv.stations if yv else None,
                     coverage=coverage, show_stations="stations" in view["layers"],
                     show_circles="circles" in view["layers"],
                     show_uncovered="uncovered" in view["layers"], qualifying=view["types"],
                     title=title, only=only,
                     circle_stations=yv.open_stations if yv is not None else None,
                     year=view["year"])
    notes = []
    if geo.boundary_error:
        notes.append(geo.boundary_error)
    elif not geo.boundaries:
        notes.append(t("map_no_boundaries", lang))
    if coverage is None or coverage.population_located == 0:
        notes.append(t("map_no_coverage", lang))
    else:
        notes.append(t("map_coverage_summary", lang, radius=f"{coverage.radius_m:,.0f}",
                       located=f"{coverage.population_located:,.0f}",
                       covered=f"{coverage.population_covered:,.0f}",
                       share=f"{coverage.share:.1%}", uncovered=f"{len(coverage.uncovered):,}"))
    return {"figure": fig, "note": t("semicolon", lang).join(notes),
            # the map's source line first (spanning the panel), then the tables
            "panel": ([chart_footer(data.dataset, ind, lang)] if ind is not None else [])
            + _panel(geo, yv, coverage, lang)}


def _panel(geo: MapData, yv: Any, coverage: Any, lang: str) -> list:
    """Side panel: coverage by station type, uncovered grids, station standards, failing list."""
    out: list = []
    if coverage is not None and len(coverage.by_type):
        by_type = coverage.by_type.assign(
            stations=coverage.by_type["stations"].map(_fmt),
            population_covered=coverage.by_type["population_covered"].map(_fmt),
            share=coverage.by_type["share"].map(lambda x: _fmt(x, "{:.1%}")))
        out += [html.H6(t("map_by_type", lang, radius=f"{coverage.radius_m:,.0f}")),
                _table(by_type, {"station_type": t("map_col_station_type", lang),
                                 "stations": t("map_col_stations", lang),
                                 "population_covered": t("map_col_covered_pop", lang),
                                 "share": t("map_col_share", lang)}, "")]
    if coverage is not None:
        un = coverage.uncovered.head(LIST_ROWS)
        un = un.assign(name=un["unit_name"] if "unit_name" in un else un["unit_id"],
                       pop=un["population"].map(_fmt), dist=un["distance_m"].map(_fmt),
                       near=un["station_name"].fillna("—"))
        out += [html.H6(t("map_uncovered_list", lang, n=LIST_ROWS,
                          total=f"{len(coverage.uncovered):,}")),
                _table(un, {"name": t("map_col_grid", lang), "pop": t("map_col_population", lang),
                            "dist": t("map_col_distance", lang),
                            "near": t("map_col_nearest", lang)}, t("map_all_covered", lang))]
    if yv is not None and yv.standards is not None and len(yv.standards.by_type):
        st = yv.standards.by_type
        names = geo.dataset.level_names if lang == "zh" else (geo.dataset.level_names_en or {})
        st = st.assign(level=st["unit_level"].map(lambda lv: names.get(lv, t("map_no_unit", lang))),
                       n=st["stations"].map(_fmt), min=st["minimum_m2"].map(_fmt),
                       comp=[_fmt(c, "{:.0%}") + (f"（{m}/{w}）" if w else "")
                             for c, m, w in zip(st["compliance"], st["meeting"], st["with_area"])],
                       hours=st["weekly_hours_mean"].map(lambda x: _fmt(x, "{:,.1f}")),
                       per=st["per_10k"].map(lambda x: _fmt(x, "{:,.2f}")))
        out += [html.H6(t("map_standards", lang, per_10k=_fmt(yv.standards.stations_per_10k,
                                                                "{:,.2f}"))),
                _table(st, {"station_type": t("map_col_station_type", lang),
                            "level": t("map_col_level", lang), "n": t("map_col_stations", lang),
                            "min": t("map_col_minimum", lang),
                            "comp": t("map_col_compliance", lang),
                            "hours": t("map_col_hours", lang),
                            "per": t("map_col_per_10k", lang)}, "")]
        fail = yv.standards.failing.head(LIST_ROWS)
        fail = fail.assign(area=fail["area_m2"].map(_fmt), min=fail["minimum_m2"].map(_fmt),
                           gap=fail["gap_m2"].map(lambda x: t("map_area_missing", lang)
                                                  if pd.isna(x) else _fmt(x)))
        out += [html.H6(t("map_failing_list", lang, n=LIST_ROWS,
                          total=f"{len(yv.standards.failing):,}")),
                _table(fail, {"station_name": t("map_col_station", lang),
                              "station_type": t("map_col_station_type", lang),
                              "area": t("map_col_area", lang), "min": t("map_col_minimum", lang),
                              "gap": t("map_col_gap", lang)}, t("map_none_failing", lang))]
    # each heading with its table, laid out side by side under the map (assets/style.css)
    return [html.Div(out[i:i + 2], className="map-section") for i in range(0, len(out), 2)]


def drill_target(data: store.DashboardData, geo: MapData, level: str | None,
                 click: dict | None) -> tuple[str, str | None] | None:
    """Where a click on a unit leads: ``(unit key, child level)`` when the level below has a
    boundary (drill down on the map), ``(unit key, None)`` otherwise (open its overview), or
    None (no unit clicked)."""
    if not click or not click.get("points") or level not in data.levels:
        return None
    location = click["points"][0].get("location")
    if location is None:
        return None
    key = store.unit_key(level, str(location))
    depth = data.levels.index(level)
    child = data.levels[depth + 1] if depth + 1 < len(data.levels) else None
    return key, (child if child in geo.boundaries else None)


def layout(indicator: str | None = None, level: str | None = None, year: str | None = None,
           unit: str | None = None, radius: str | None = None, types: str | None = None,
           layers: str | None = None, lang: str | None = None, **_other: Any) -> html.Div:
    """Page layout for the query string (see module docstring)."""
    data = store.get()
    geo = map_data(data.dataset)
    lang = normalise_lang(lang)
    view = _valid(data, geo, indicator, level, year, unit, radius, types, layers)
    out = render(data, geo, view, lang)
    levels = geo.levels or list(data.levels[:1])
    radius_options = sorted(set(RADIUS_CHOICES) | {int(geo.default_radius_m), int(view["radius"])})

    def control(label_key: str, component: Any, **col: Any) -> dbc.Col:
        return dbc.Col([dbc.Label(t(label_key, lang), html_for=component.id), component], **col)

    scope_options = [{"label": o.label, "value": o.key}
                     for o in data.unit_options(lang, max_depth=len(data.levels) - 2)]
    return html.Div([
        dcc.Location(id=ids.MAP_URL, refresh=False),
        dcc.Location(id=ids.MAP_NAV, refresh="callback-nav"),
        dcc.Store(id=ids.MAP_LANG, data=lang),
        header(data.dataset_name(lang), bool(data.dataset.is_sample), lang, PATH,
               _query(view, geo, lang), ids.MAP_LANG_SWITCH),
        dbc.Container(fluid=True, className="page", children=[
            dbc.Row(className="controls g-3 align-items-end", children=[
                control("label_indicator", dcc.Dropdown(
                    id=ids.MAP_INDICATOR, value=view["indicator"], clearable=False,
                    options=[{"label": data.catalog[i].name(lang), "value": i}
                             for i in data.indicator_ids]), xs=12, md=3),
                control("label_level", dcc.Dropdown(
                    id=ids.MAP_LEVEL, value=view["level"], clearable=False, searchable=False,
                    options=[{"label": data.level_name(lv, lang), "value": lv}
                             for lv in levels]), xs=6, md=2),
                control("label_year", dcc.Dropdown(
                    id=ids.MAP_YEAR, options=data.years, value=view["year"], clearable=False,
                    searchable=False), xs=6, md=1),
                control("label_scope", dcc.Dropdown(
                    id=ids.MAP_SCOPE, options=scope_options, value=view["unit"],
                    clearable=False), xs=6, md=2),
                control("map_label_radius", dcc.Dropdown(
                    id=ids.MAP_RADIUS, value=view["radius"], clearable=False, searchable=False,
                    options=[{"label": f"{r:,} 米" if lang == "zh" else f"{r:,} m", "value": r}
                             for r in radius_options]), xs=6, md=2),
                control("map_label_types", dcc.Dropdown(
                    id=ids.MAP_TYPES, value=list(view["types"] or []), multi=True,
                    placeholder=t("map_all_types", lang),
                    options=geo.station_types), xs=6, md=2),
            ]),
            dbc.Row(className="controls g-3 align-items-center mt-1", children=[
                dbc.Col(dbc.Label(t("map_label_layers", lang), html_for=ids.MAP_LAYERS,
                                  className="mb-0"), width="auto"),
                dbc.Col(dcc.Checklist(
                    id=ids.MAP_LAYERS, value=view["layers"], inline=True,
                    inputClassName="me-1", labelClassName="me-3",
                    options=[{"label": t("map_layer_" + x, lang), "value": x}
                             for x in LAYERS]), width="auto"),
            ]),
            html.P(out["note"], id=ids.MAP_NOTE, className="summary"),
            html.P(t("map_drill_hint", lang), className="text-muted small"),
            dbc.Row(className="align-items-start", children=[
                dbc.Col(dcc.Graph(id=ids.MAP_GRAPH, figure=out["figure"],
                                  config=graph_config(lang, responsive=True, scrollZoom=True),
                                  style={"height": f"{MAP_HEIGHT_PX}px"}), xs=12),
                # the tables under the map, side by side: wide enough that no column wraps
                # a word a character a line
                dbc.Col(html.Div(out["panel"], id=ids.MAP_PANEL, className="map-panel"),
                        xs=12),
            ]),
        ]),
    ])


@callback(
    Output(ids.MAP_GRAPH, "figure"),
    Output(ids.MAP_NOTE, "children"),
    Output(ids.MAP_PANEL, "children"),
    Output(ids.MAP_URL, "search"),
    Output(ids.MAP_LANG_SWITCH, "href"),
    Output(ids.MAP_LEVEL, "value"),
    Output(ids.MAP_SCOPE, "value"),
    Output(ids.MAP_NAV, "href"),
    Input(ids.MAP_INDICATOR, "value"),
    Input(ids.MAP_LEVEL, "value"),
    Input(ids.MAP_YEAR, "value"),
    Input(ids.MAP_SCOPE, "value"),
    Input(ids.MAP_RADIUS, "value"),
    Input(ids.MAP_TYPES, "value"),
    Input(ids.MAP_LAYERS, "value"),
    Input(ids.MAP_GRAPH, "clickData"),
    State(ids.MAP_LANG, "data"),
    prevent_initial_call=True,
)
def update(indicator, level, year, unit, radius, types, layers, click, lang):
    """Controls (or a click on a unit: drill down, or open its overview) → map, note, panel,
    the query string, and the level and scope controls."""
    data = store.get()
    geo = map_data(data.dataset)
    lang = normalise_lang(lang)
    if ctx.triggered_id == ids.MAP_GRAPH:
        target = drill_target(data, geo, level, click)
        if target is None:
            raise PreventUpdate
        key, child = target
        if child is None:
            href = page_href("/", {"unit": key, "year": year,
                                   "lang": None if lang == "zh" else lang})
            return (dash.no_update,) * 7 + (href,)
        unit, level = key, child
    view = _valid(data, geo, indicator, level, year, unit, radius, types, layers or [])
    out = render(data, geo, view, lang)
    query = _query(view, geo, lang)
    search = "?" + urlencode({k: v for k, v in query.items() if v is not None})
    other = "en" if lang == "zh" else "zh"
    return (out["figure"], out["note"], out["panel"], search,
            page_href(PATH, {**query, "lang": other if other != "zh" else None}),
            view["level"], view["unit"], dash.no_update)
