"""Trends (趋势): one indicator for one or more units — month by month, this year against last
(``view=months``, the default), or over every year the data hold, one line per unit
(``view=years``, Our World in Data style).

URL: ``/trends?indicator=resolution_rate&unit=district:110101&unit=district:110102&year=2025``
(``&view=years``) — ``indicator`` defaults to the first indicator with monthly values (any
indicator with yearly values in the years view), ``unit`` (repeatable, at most
figures.MAX_TREND_UNITS) to the whole dataset, ``year`` to the latest year with months (not used
by the years view).
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, ctx, dcc, html
from dash.exceptions import PreventUpdate

from layouts import figures, ids, store
from layouts.components import dropdown_labels, header, page_href, query_params
from layouts.guards import graph_config
from layouts.i18n import normalise_lang, t

PATH = "/trends"

dash.register_page(__name__, path=PATH, order=2, name="趋势", nav_key="nav_trends",
                   title="趋势 · 党建引领基层治理指标看板")


VIEWS = ("months", "years")


def _view(view: Any) -> str:
    return view if view in VIEWS else VIEWS[0]


def _choices(data: store.DashboardData, view: str) -> list[str]:
    """Indicators the view can draw: with monthly values, or (years) with any values."""
    return data.indicator_ids if view == "years" else data.monthly_indicator_ids


def _valid(data: store.DashboardData, indicator: str | None, units: Any,
           year: str | None, view: str = "months") -> tuple[str | None, list[str], str | None]:
    """Known indicator, known units (a str or a list; duplicates and unknown keys dropped, at
    most MAX_TREND_UNITS, the whole dataset when none is left) and a year with months."""
    choices = _choices(data, _view(view))
    indicator = indicator if indicator in choices else (choices[0] if choices else None)
    known = {o.key for o in data.unit_options("zh")}
    asked = [units] if isinstance(units, str) else list(units or [])
    kept = list(dict.fromkeys(u for u in asked if u in known))[: figures.MAX_TREND_UNITS]
    year = year if year in data.month_years else (data.month_years[0] if data.month_years
                                                  else None)
    return indicator, kept or [store.TOTAL], year


def _query(indicator: str | None, units: list[str], year: str | None,
           lang: str, view: str = "months") -> dict[str, Any]:
    return {"indicator": indicator,
            "unit": None if units == [store.TOTAL] else units, "year": year,
            "view": None if _view(view) == "months" else view,
            "lang": None if lang == "zh" else lang}


def _search(query: dict[str, Any]) -> str:
    return "?" + urlencode({k: v for k, v in query.items() if v}, doseq=True)


def render_years(data: store.DashboardData, indicator: str | None, units: list[str],
                 lang: str) -> tuple[Any, str]:
    """Every year the data hold, one line per unit (yearly rows of the indicator table)."""
    if indicator is None or not data.years:
        return figures.go.Figure(), t("no_data", lang)
    parts, labels = [], []
    for key in units:  # ≤ MAX_TREND_UNITS units × the years: slices of precomputed frames
        level, unit_id = store.parse_unit_key(key)
        labels.append(data.unit_label(level, unit_id, lang))
        for year in sorted(data.years):
            rows = data.unit_rows(year, level, unit_id)
            parts.append(rows[rows["indicator_id"] == indicator]
                         .assign(unit_id=key, unit_name=labels[-1]))
    rows = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    ind = data.catalog[indicator]
    years = sorted(data.years)
    title = t("trend_title_years", lang, indicator=ind.name(lang),
              unit=("、" if lang == "zh" else ", ").join(labels), first=years[0], last=years[-1])
    if rows.empty or rows["value"].isna().all():
        return figures.go.Figure(), t("no_data", lang)
    return figures.yearly_trend(rows, ind, lang, title=title), ""


def render(data: store.DashboardData, indicator: str | None, units: list[str],
           year: str | None, lang: str, view: str = "months") -> tuple[Any, str]:
    """The trend figure and a note for an (already validated) indicator, units and year."""
    if _view(view) == "years":
        return render_years(data, indicator, units, lang)
    if indicator is None or year is None:
        return figures.go.Figure(), t("no_monthly", lang)
    parts, labels = [], []
    for key in units:  # ≤ MAX_TREND_UNITS slices of the precomputed monthly rows
        level, unit_id = store.parse_unit_key(key)
        labels.append(data.unit_label(level, unit_id, lang))
        part = data.month_rows(level, unit_id, indicator)
        parts.append(part.assign(unit_id=key, unit_name=labels[-1]))
    rows = pd.concat(parts, ignore_index=True)
    ind = data.catalog[indicator]
    previous = str(int(year) - 1)
    has_previous = rows["period"].astype(str).str.startswith(previous + "-").any()
    title = t("trend_title" if has_previous else "trend_title_single", lang,
              indicator=ind.name(lang), unit=("、" if lang == "zh" else ", ").join(labels),
              year=year, previous=previous)
    note = "" if not rows.empty else t("no_data", lang)
    return figures.monthly_trend(rows, ind, year, lang, title=title), note


def _legend(view: str, lang: str) -> str:
    return t("trend_legend_years" if _view(view) == "years" else "trend_legend", lang)


def layout(indicator: str | None = None, unit: Any = None, year: str | None = None,
           lang: str | None = None, view: str | None = None, **_other: Any) -> html.Div:
    """Page layout for the query string ``indicator``, ``unit`` (repeatable), ``year``,
    ``view`` (months | years), ``lang``."""
    data = store.get()
    lang = normalise_lang(lang)
    view = _view(view)
    texts = dropdown_labels(lang)
    indicator, units, year = _valid(data, indicator, unit, year, view)
    fig, note = render(data, indicator, units, year, lang, view)
    options = [{"label": o.label, "value": o.key}
               for o in data.unit_options(lang, max_depth=len(data.levels) - 2)]
    shown = {o["value"] for o in options}
    if any(u not in shown for u in units):
        options = [{"label": o.label, "value": o.key} for o in data.unit_options(lang)]
    return html.Div([
        dcc.Location(id=ids.TR_URL, refresh=False),
        dcc.Store(id=ids.TR_LANG, data=lang),
        header(data.dataset_name(lang), bool(data.dataset.is_sample), lang, PATH,
               _query(indicator, units, year, lang, view), ids.TR_LANG_SWITCH),
        dbc.Container(fluid=True, className="page", children=[
            dbc.Row(className="controls g-3 align-items-end", children=[
                dbc.Col(xs=12, md=3, children=[
                    dbc.Label(t("label_indicator", lang), html_for=ids.TR_INDICATOR),
                    dcc.Dropdown(labels=texts, id=ids.TR_INDICATOR, value=indicator,
                                 clearable=False, options=_options(data, view, lang)),
                ]),
                dbc.Col(xs=12, md=2, children=[
                    dbc.Label(t("label_trend_view", lang), html_for=ids.TR_VIEW),
                    dbc.RadioItems(id=ids.TR_VIEW, value=view, inline=True,
                                   options=[{"label": t(f"trend_view_{v}", lang), "value": v}
                                            for v in VIEWS]),
                ]),
                dbc.Col(xs=12, md=5, children=[
                    dbc.Label(t("label_units", lang, n=figures.MAX_TREND_UNITS),
                              html_for=ids.TR_UNIT),
                    dcc.Dropdown(labels=texts, id=ids.TR_UNIT, options=options, value=units,
                                 multi=True, clearable=False),
                ]),
                dbc.Col(xs=6, md=2, children=[
                    dbc.Label(t("label_year", lang), html_for=ids.TR_YEAR),
                    dcc.Dropdown(labels=texts, id=ids.TR_YEAR, options=data.month_years, value=year,
                                 clearable=False, searchable=False, disabled=view == "years"),
                ]),
            ]),
            html.P([note, html.Span(_legend(view, lang), className="text-muted")],
                   id=ids.TR_NOTE, className="summary"),
            dcc.Graph(id=ids.TR_GRAPH, figure=fig,
                      config=graph_config(lang, responsive=True)),
        ]),
    ])


def _options(data: store.DashboardData, view: str, lang: str) -> list[dict]:
    return [{"label": data.catalog[i].name(lang), "value": i} for i in _choices(data, view)]


@callback(
    Output(ids.TR_GRAPH, "figure"),
    Output(ids.TR_NOTE, "children"),
    Output(ids.TR_URL, "search"),
    Output(ids.TR_LANG_SWITCH, "href"),
    Output(ids.TR_UNIT, "value"),
    Output(ids.TR_INDICATOR, "value"),
    Output(ids.TR_YEAR, "value"),
    Output(ids.TR_VIEW, "value"),
    Output(ids.TR_INDICATOR, "options"),
    Output(ids.TR_YEAR, "disabled"),
    Input(ids.TR_INDICATOR, "value"),
    Input(ids.TR_UNIT, "value"),
    Input(ids.TR_YEAR, "value"),
    Input(ids.TR_URL, "search"),
    Input(ids.TR_VIEW, "value"),
    State(ids.TR_LANG, "data"),
    prevent_initial_call=True,
)
def update(indicator: str | None, units: list[str] | None, year: str | None,
           search: str | None, view: str | None, lang: str | None = None):
    """Controls, or the browser's back/forward changing the query string → figure, note, the
    query string and the controls (the unit list trimmed to the maximum)."""
    data = store.get()
    lang = normalise_lang(lang)
    from_url = ctx.triggered_id == ids.TR_URL
    view = _view(view)
    if from_url:  # back/forward: the URL is the truth
        asked = query_params(search)
        wanted = (asked.get("indicator"), asked.get("unit"), asked.get("year"))
        asked_view = _view(asked.get("view"))
        if asked_view == view and _valid(data, *wanted, view) == \
                _valid(data, indicator, units, year, view):
            raise PreventUpdate  # the page already shows it (the URL was read on page load)
        indicator, units, year = wanted
        view = asked_view
    indicator, units, year = _valid(data, indicator, units, year, view)
    fig, note = render(data, indicator, units, year, lang, view)
    query = _query(indicator, units, year, lang, view)
    other = "en" if lang == "zh" else "zh"
    return (fig, [note, html.Span(_legend(view, lang), className="text-muted")],
            dash.no_update if from_url else _search(query),
            page_href(PATH, {**query, "lang": other if other != "zh" else None}),
            units, indicator, year, view, _options(data, view, lang), view == "years")
