"""Trends (趋势): one indicator for one unit, month by month, one line per year.

URL: ``/trends?indicator=resolution_rate&unit=district:110101&lang=zh`` — ``indicator``
defaults to the first indicator with monthly values, ``unit`` to the whole dataset.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html

from layouts import figures, ids, store
from layouts.components import header, page_href
from layouts.i18n import normalise_lang, t

PATH = "/trends"

dash.register_page(__name__, path=PATH, order=2, name="趋势", nav_key="nav_trends",
                   title="趋势 · 党建引领基层治理指标看板")


def _valid(data: store.DashboardData, indicator: str | None,
           unit: str | None) -> tuple[str | None, str]:
    choices = data.monthly_indicator_ids
    indicator = indicator if indicator in choices else (choices[0] if choices else None)
    unit = unit if unit in {o.key for o in data.unit_options("zh")} else store.TOTAL
    return indicator, unit


def _query(indicator: str | None, unit: str, lang: str) -> dict[str, Any]:
    return {"indicator": indicator, "unit": None if unit == store.TOTAL else unit,
            "lang": None if lang == "zh" else lang}


def render(data: store.DashboardData, indicator: str | None, unit: str,
           lang: str) -> tuple[Any, str]:
    """The trend figure and a note for an (already validated) indicator and unit."""
    if indicator is None:
        return figures.go.Figure(), t("no_monthly", lang)
    level, unit_id = store.parse_unit_key(unit)
    rows = data.month_rows(level, unit_id, indicator)
    ind = data.catalog[indicator]
    title = t("trend_title", lang, indicator=ind.name(lang),
              unit=data.unit_name(level, unit_id, lang))
    note = "" if not rows.empty else t("no_data", lang)
    return figures.monthly_trend(rows, ind, lang, title=title), note


def layout(indicator: str | None = None, unit: str | None = None, lang: str | None = None,
           **_other: Any) -> html.Div:
    """Page layout for the query string ``indicator``, ``unit``, ``lang``."""
    data = store.get()
    lang = normalise_lang(lang)
    indicator, unit = _valid(data, indicator, unit)
    fig, note = render(data, indicator, unit, lang)
    options = [{"label": o.label, "value": o.key}
               for o in data.unit_options(lang, max_depth=len(data.levels) - 2)]
    if not any(o["value"] == unit for o in options):
        options = [{"label": o.label, "value": o.key} for o in data.unit_options(lang)]
    return html.Div([
        dcc.Location(id=ids.TR_URL, refresh=False),
        dcc.Store(id=ids.TR_LANG, data=lang),
        header(data.dataset_name(lang), bool(data.dataset.is_sample), lang, PATH,
               _query(indicator, unit, lang), ids.TR_LANG_SWITCH),
        dbc.Container(fluid=True, className="page", children=[
            dbc.Row(className="controls g-3 align-items-end", children=[
                dbc.Col(xs=12, md=4, children=[
                    dbc.Label(t("label_indicator", lang), html_for=ids.TR_INDICATOR),
                    dcc.Dropdown(id=ids.TR_INDICATOR, value=indicator, clearable=False,
                                 options=[{"label": data.catalog[i].name(lang), "value": i}
                                          for i in data.monthly_indicator_ids]),
                ]),
                dbc.Col(xs=12, md=5, children=[
                    dbc.Label(t("label_unit", lang), html_for=ids.TR_UNIT),
                    dcc.Dropdown(id=ids.TR_UNIT, options=options, value=unit, clearable=False),
                ]),
            ]),
            html.P(note, id=ids.TR_NOTE, className="summary"),
            dcc.Graph(id=ids.TR_GRAPH, figure=fig,
                      config={"locale": "zh-CN" if lang == "zh" else "en",
                              "displaylogo": False, "responsive": True}),
        ]),
    ])


@callback(
    Output(ids.TR_GRAPH, "figure"),
    Output(ids.TR_NOTE, "children"),
    Output(ids.TR_URL, "search"),
    Output(ids.TR_LANG_SWITCH, "href"),
    Input(ids.TR_INDICATOR, "value"),
    Input(ids.TR_UNIT, "value"),
    State(ids.TR_LANG, "data"),
    prevent_initial_call=True,
)
def update(indicator: str | None, unit: str | None, lang: str | None):
    """Controls → figure, note and the query string."""
    data = store.get()
    lang = normalise_lang(lang)
    indicator, unit = _valid(data, indicator, unit)
    fig, note = render(data, indicator, unit, lang)
    query = _query(indicator, unit, lang)
    other = "en" if lang == "zh" else "zh"
    return (fig, note, "?" + urlencode({k: v for k, v in query.items() if v}),
            page_href(PATH, {**query, "lang": other if other != "zh" else None}))
