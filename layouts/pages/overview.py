"""Overview (概览): KPI cards of every indicator for one unit and year.

URL: ``/?year=2025&unit=district:110101&lang=zh`` — ``year`` defaults to the latest year,
``unit`` (a store.unit_key) to the whole dataset, ``lang`` to Chinese.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, ctx, dcc, html
from dash.exceptions import PreventUpdate

from indicators.catalog import format_value, status
from indicators.narrative import narrate
from layouts import components, figures, ids, store
from layouts.components import (dropdown_labels, header, kpi_card, page_href, query_params,
                                 sparkline_svg)
from layouts.guards import graph_config
from layouts.i18n import normalise_lang, t

PATH = "/"

dash.register_page(__name__, path=PATH, order=0, name="概览", nav_key="nav_overview",
                   title="概览 · 党建引领基层治理指标看板")


def _state(year: str | None, unit: str | None, lang: str) -> dict[str, Any]:
    return {"year": year, "unit": None if unit == store.TOTAL else unit,
            "lang": None if lang == "zh" else lang}


def _valid(data: store.DashboardData, year: str | None, unit: str | None) -> tuple[str | None, str]:
    year = year if year in data.years else data.latest_year
    keys = {o.key for o in data.unit_options("zh")}
    unit = unit if unit in keys else store.TOTAL
    return year, unit


def cards_and_summary(data: store.DashboardData, year: str | None, unit: str,
                      lang: str) -> tuple[list, str]:
    """KPI cards (one per indicator with a value) and the one-line summary for a unit and year."""
    if year is None:
        return [html.P(t("no_cards", lang), className="text-muted")], ""
    level, unit_id = store.parse_unit_key(unit)
    rows = data.unit_rows(year, level, unit_id)
    rows = rows[rows["value"].notna() & rows["indicator_id"].isin(data.catalog)]
    if rows.empty:
        return [html.P(t("no_cards", lang), className="text-muted")], ""
    cards, counts = [], {"meets": 0, "fails": 0, "none": 0, "provisional": 0}
    month_title = t("spark_title", lang, year=year)
    yearly = _years_of(data, level, unit_id, year)
    scored = sum(1 for i in data.catalog.values()
                 if getattr(i, "score_weight", 0) and i.standard is not None)
    for _, row in rows.iterrows():  # one row per indicator (≤ ~20): display, not computation
        ind = data.catalog[row["indicator_id"]]
        counts[status(ind, row["value"], row["period"], row.get("provisional", False))] += 1
        href = indicator_href(ind.id, year, unit, lang)
        # every card has a sparkline: the months of the year, or the years for registers
        spark = sparkline_svg(_months_of(data, level, unit_id, ind.id, year))
        spark_title = month_title
        if spark is None and ind.id in yearly:
            spark = sparkline_svg(yearly[ind.id])
            spark_title = t("spark_years_title", lang, first=min(data.years), year=year)
        note = t("score_note", lang, n=scored) if ind.kind == "score" else None
        peer = peer_text(data, ind, year, level, unit_id, lang)
        cards.append(dbc.Col(kpi_card(ind, row, lang, href=href, spark=spark,
                                      spark_title=spark_title, note=note, peer=peer),
                             xs=12, sm=6, lg=4, xl=3, className="mb-3"))
    from layouts.frozen import frozen_note   # the 已锁定 mark of a frozen year (indicators/freeze.py)
    summary = frozen_note(year, lang) + t(
        "overview_summary", lang, unit=data.unit_label(level, unit_id, lang), year=year,
                n=len(rows), meets=counts["meets"], fails=counts["fails"])
    return [dbc.Row(cards, className="g-3")], summary


def narrative(data: store.DashboardData, year: str | None, unit: str, lang: str) -> list:
    """The auto-narrative (indicators.narrative) of the unit and year: one sentence per
    indicator with a value, those below their standard first; nothing without rows."""
    if year is None:
        return []
    level, unit_id = store.parse_unit_key(unit)
    rows = data.unit_rows(year, level, unit_id)
    if rows.empty:
        return []
    names = {lv: data.level_name(lv, lang) for lv in data.levels}
    sentences = narrate(rows, unit_id, year, data.catalog, lang=lang, level=level,
                        level_names=names)
    failing = {r.indicator_id for r in rows.itertuples(index=False)
               if r.indicator_id in sentences
               and status(data.catalog[r.indicator_id], r.value, r.period,
                          getattr(r, "provisional", False)) == "fails"}
    ordered = sorted(sentences, key=lambda i: i not in failing)  # stable: catalog order
    return [html.H2(t("narrative_title", lang), className="h6 mt-3"),
            html.Ul([html.Li(sentences[i], className="fails" if i in failing else None)
                     for i in ordered], className="narrative")]


def _months_of(data: store.DashboardData, level: str, unit_id: str, indicator_id: str,
               year: str) -> list[float]:
    """The 12 monthly values of ``year`` (NaN for a month without a value)."""
    rows = data.month_rows(level, unit_id, indicator_id)
    months = rows[rows["period"].astype(str).str.startswith(f"{year}-")]
    by_month = pd.Series(months["value"].astype("float64").to_numpy(),
                         index=months["period"].astype(str).str.slice(5, 7).astype(int))
    return by_month.reindex(range(1, 13)).tolist()


def peer_text(data: store.DashboardData, ind: Any, year: str, level: str, unit_id: str,
              lang: str) -> str | None:
    """The unit's peers in words: the median and the middle half (Q1–Q3) of the units of its
    level — of its peer group when the dataset defines one — with enough cases; for the whole
    dataset, of the units one level below. None with fewer than four peers."""
    peer_level = level if level in data.levels else (data.levels[0] if data.levels else None)
    if peer_level is None:
        return None
    rows = data.level_rows(year, peer_level, ind.id)
    rows = rows[~rows["small_count"].astype("boolean").fillna(False).to_numpy()]
    group = None
    if level in data.levels and "peer_group" in rows:
        own = rows.loc[rows["unit_id"].astype(str) == str(unit_id), "peer_group"]
        if len(own) and pd.notna(own.iloc[0]):
            group = str(own.iloc[0])
            rows = rows[rows["peer_group"].astype("string") == group]
    q = figures.quartiles(rows["value"])
    if q is None:
        return None
    fields = {"n": len(rows), "median": format_value(ind, q[1], lang),
              "q1": format_value(ind, q[0], lang), "q3": format_value(ind, q[2], lang)}
    if group:
        return t("peer_card_group", lang, group=group, **fields)
    if level not in data.levels:
        return t("peer_card_below", lang, level=data.level_name(peer_level, lang), **fields)
    return t("peer_card", lang, **fields)


def _years_of(data: store.DashboardData, level: str, unit_id: str,
              year: str) -> dict[str, list[float]]:
    """indicator id → its yearly values up to ``year`` (first year first; NaN where missing)."""
    years = sorted(y for y in data.years if y <= year)
    out: dict[str, list[float]] = {}
    for k, y in enumerate(years):
        rows = data.unit_rows(y, level, unit_id)
        for ind_id, v in zip(rows["indicator_id"], rows["value"].astype("float64")):
            out.setdefault(ind_id, [float("nan")] * len(years))[k] = v
    return out


def indicator_href(indicator_id: str, year: str | None, unit: str | None, lang: str) -> str:
    """The indicator's own page (layouts/pages/indicator.py) for ``year`` and ``unit``."""
    return page_href("/indicator", {"indicator": indicator_id, "year": year,
                                    "unit": None if unit in (None, store.TOTAL) else unit,
                                    "lang": None if lang == "zh" else lang})


def matrix(data: store.DashboardData, year: str | None, unit: str,
           lang: str) -> figures.go.Figure | None:
    """The status matrix of the units one level below ``unit``; None at the finest level or
    without rows."""
    if year is None:
        return None
    child, rows = data.children_rows(year, unit)
    if child is None or rows.empty:
        return None
    level, unit_id = store.parse_unit_key(unit)
    title = t("matrix_title", lang, unit=data.unit_label(level, unit_id, lang),
              level=data.level_name(child, lang), year=year)
    return figures.status_matrix(rows, data.catalog, lang, title=title)


def drill_unit(data: store.DashboardData, unit: str, click: dict | None) -> str | None:
    """The unit key a click on the matrix leads to — the clicked column's unit, one level below
    ``unit`` — or None."""
    child = data.level_below(store.parse_unit_key(unit)[0])
    point = ((click or {}).get("points") or [{}])[0] or {}
    if child is None or not point.get("x"):
        return None
    return store.unit_key(child, str(point["x"]))


def breadcrumb(data: store.DashboardData, year: str | None, unit: str, lang: str) -> html.Nav:
    """The whole dataset and each unit above the chosen one as links to their own overview."""
    chain = data.unit_chain(unit)
    if len(chain) <= 1:       # the whole dataset: the unit picker and the summary name it
        return html.Nav()
    items = [(data.unit_label(level, unit_id, lang),
              None if k == len(chain) - 1 else page_href(
                  PATH, _state(year, store.unit_key(level, unit_id), lang)))
             for k, (level, unit_id) in enumerate(chain)]
    return components.breadcrumb(items, lang)


def _unit_options(data: store.DashboardData, unit: str, lang: str) -> list[dict]:
    """Units above the finest level, or every unit when the chosen one is at the finest."""
    options = [{"label": o.label, "value": o.key}
               for o in data.unit_options(lang, max_depth=len(data.levels) - 2)]
    if not any(o["value"] == unit for o in options):
        options = [{"label": o.label, "value": o.key} for o in data.unit_options(lang)]
    return options


def _shown(figure: Any) -> dict:
    return {} if figure is not None else {"display": "none"}


def _compare_href(data: store.DashboardData, indicator_id: str, year: str, unit: str,
                  lang: str) -> str:
    """Link to the ranking of the units one level below ``unit`` (the top level for the whole
    dataset; the unit's own level for a unit at the finest level) — where a KPI card and a
    matrix cell lead."""
    level, _ = store.parse_unit_key(unit)
    depth = data.levels.index(level) + 1 if level in data.levels else 0
    below = data.levels[min(depth, len(data.levels) - 1)]
    scope = unit if level in data.levels[:-1] else None
    return page_href("/compare", {"indicator": indicator_id, "level": below, "year": year,
                                  "unit": scope, "lang": None if lang == "zh" else lang})


def layout(year: str | None = None, unit: str | None = None, lang: str | None = None,
           **_other: Any) -> html.Div:
    """Page layout for the query string ``year``, ``unit``, ``lang`` (unknown values fall back
    to the defaults; other parameters are ignored)."""
    data = store.get()
    lang = normalise_lang(lang)
    texts = dropdown_labels(lang)
    year, unit = _valid(data, year, unit)
    cards, summary = cards_and_summary(data, year, unit, lang)
    fig = matrix(data, year, unit, lang)
    return html.Div([
        dcc.Location(id=ids.OV_URL, refresh=False),
        dcc.Store(id=ids.OV_LANG, data=lang),
        header(data.dataset_name(lang), bool(data.dataset.is_sample), lang, PATH,
               _state(year, unit, lang), ids.OV_LANG_SWITCH),
        dbc.Container(fluid=True, className="page", children=[
            dbc.Row(className="controls g-3 align-items-end", children=[
                dbc.Col(xs=6, md=2, children=[
                    dbc.Label(t("label_year", lang), html_for=ids.OV_YEAR),
                    dcc.Dropdown(labels=texts, id=ids.OV_YEAR, options=data.years, value=year,
                                 clearable=False),
                ]),
                dbc.Col(xs=12, md=5, children=[
                    dbc.Label(t("label_unit", lang), html_for=ids.OV_UNIT),
                    dcc.Dropdown(labels=texts, id=ids.OV_UNIT,
                                 options=_unit_options(data, unit, lang), value=unit,
                                 clearable=False, searchable=True),
                ]),
            ]),
            html.Div(breadcrumb(data, year, unit, lang), id=ids.OV_BREADCRUMB,
                     className="crumbs mt-3"),
            html.P(summary, id=ids.OV_SUMMARY, className="summary"),
            html.Div(cards, id=ids.OV_CARDS),
            html.Div(narrative(data, year, unit, lang), id=ids.OV_NARRATIVE),
            html.Div(id=ids.OV_MATRIX_BOX, className="mt-2", style=_shown(fig), children=[
                dcc.Graph(id=ids.OV_MATRIX,
                          figure=fig if fig is not None else figures.go.Figure(),
                          config=graph_config(lang, displayModeBar=False)),
                html.P(t("matrix_hint", lang), className="text-muted small no-print"),
            ]),
        ]),
    ])


@callback(
    Output(ids.OV_CARDS, "children"),
    Output(ids.OV_SUMMARY, "children"),
    Output(ids.OV_NARRATIVE, "children"),
    Output(ids.OV_MATRIX, "figure"),
    Output(ids.OV_MATRIX_BOX, "style"),
    Output(ids.OV_BREADCRUMB, "children"),
    Output(ids.OV_URL, "search"),
    Output(ids.OV_LANG_SWITCH, "href"),
    Output(ids.OV_UNIT, "value"),
    Output(ids.OV_UNIT, "options"),
    Output(ids.OV_YEAR, "value"),
    Input(ids.OV_YEAR, "value"),
    Input(ids.OV_UNIT, "value"),
    Input(ids.OV_MATRIX, "clickData"),
    Input(ids.OV_URL, "search"),
    State(ids.OV_LANG, "data"),
    prevent_initial_call=True,
)
def update(year: str | None, unit: str | None, click: dict | None, search: str | None,
           lang: str | None):
    """Controls, a click on a unit's column in the matrix (drill down into that unit), or the
    browser's back/forward changing the query string → cards, summary, matrix, breadcrumb,
    the query string (a copied link reproduces the view) and the controls."""
    data = store.get()
    lang = normalise_lang(lang)
    if ctx.triggered_id == ids.OV_URL:  # back/forward: the URL is the truth
        asked = query_params(search)
        if _valid(data, asked.get("year"), asked.get("unit")) == _valid(data, year, unit):
            raise PreventUpdate  # the page already shows it (the URL was read on page load)
        year, unit = asked.get("year"), asked.get("unit")
    if ctx.triggered_id == ids.OV_MATRIX:
        unit = drill_unit(data, unit or store.TOTAL, click)
        if unit is None:
            raise PreventUpdate
    year, unit = _valid(data, year, unit)
    cards, summary = cards_and_summary(data, year, unit, lang)
    fig = matrix(data, year, unit, lang)
    state = _state(year, unit, lang)
    other = "en" if lang == "zh" else "zh"
    new_search = "?" + urlencode({k: v for k, v in state.items() if v})
    return (cards, summary, narrative(data, year, unit, lang),
            fig if fig is not None else figures.go.Figure(), _shown(fig),
            breadcrumb(data, year, unit, lang),
            dash.no_update if ctx.triggered_id == ids.OV_URL else new_search,
            page_href(PATH, {**state, "lang": other if other != "zh" else None}), unit,
            _unit_options(data, unit, lang), year)
