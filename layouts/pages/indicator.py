"""One page per indicator (指标详情, after Open SDG): what it measures and how, its standard and
where the standard comes from, every year's value of the chosen unit, the ranking and the map of
the units one level below in the chosen year, the units below the standard, and downloads of
its data with the metadata in the file.

URL: ``/indicator?indicator=resolution_rate&year=2025&unit=district:511602&lang=zh`` —
``year`` defaults to the latest year, ``unit`` (a store.unit_key) to the whole dataset. Every
KPI card and every row of 指标说明 links here.
"""
from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, dcc, html
from dash.exceptions import PreventUpdate

from indicators.catalog import format_change, format_value, status
from layouts import downloads, figures, ids, store
from layouts.components import (STATUS_ICON, chart_footer, dropdown_labels, header,
                                 page_href)
from layouts.guards import graph_config, may
from layouts.i18n import normalise_lang, t
from reports.frames import FAIL, evaluate

PATH = "/indicator"

dash.register_page(__name__, path=PATH, title="指标详情 · 党建引领基层治理指标看板")

#: Units drawn in the ranking (the best and the worst when there are more).
RANKING_ROWS = 30
#: Failing units listed on the page (all of them are in the downloads).
FAILING_ROWS = 50


def _valid(data: store.DashboardData, indicator: Any, year: Any,
           unit: Any) -> tuple[str | None, str | None, str]:
    indicator = indicator if indicator in data.catalog else (
        data.indicator_ids[0] if data.indicator_ids else None)
    year = year if year in data.years else data.latest_year
    keys = {o.key for o in data.unit_options("zh", max_depth=len(data.levels) - 2)}
    unit = unit if unit in keys else store.TOTAL
    return indicator, year, unit


def _query(indicator: str | None, year: str | None, unit: str, lang: str) -> dict[str, Any]:
    return {"indicator": indicator, "year": year,
            "unit": None if unit == store.TOTAL else unit, "lang": None if lang == "zh" else lang}


def metadata(ind: Any, lang: str) -> list[tuple[str, str]]:
    """(label, text) pairs describing the indicator — the page's definition block and the
    第一部分 of every download: name, formula, unit, direction, standard (from which year),
    its source, references with their sources, minimum count, the records left out."""
    en = lang == "en"
    std = ind.standard
    rows = [(t("ind_name", lang), ind.name(lang)),
            (t("formula", lang), ind.formula_en if en else ind.formula_zh),
            (t("col_unit", lang), ind.unit(lang) or "—"),
            (t("col_direction", lang), t(f"direction_{ind.direction}", lang))]
    if std is not None:
        since = getattr(std, "effective_year", None)
        label = std.label_en if en else std.label_zh
        rows.append((t("standard", lang), label + (
            f"（{t('standard_since', lang, year=since)}）" if since else "")))
        rows.append((t("ind_standard_source", lang), std.source_en if en else std.source_zh))
    else:
        rows.append((t("standard", lang), t("no_standard", lang)))
    for ref in ind.references:
        rows.append((t("ind_reference", lang),
                     f"{ref.label_en if en else ref.label_zh}（{ref.source_en if en else ref.source_zh}）"))
    if ind.min_count:
        rows.append((t("col_min_count", lang), t("ind_min_count", lang, n=f"{ind.min_count:,}")))
    for ex in getattr(ind, "excluded", ()) or ():
        reason = getattr(ex, "reason_en" if en else "reason_zh", "") or ""
        if reason:
            rows.append((t("ind_excluded", lang), reason))
    return rows


def years_rows(data: store.DashboardData, ind: Any, unit: str) -> pd.DataFrame:
    """The chosen unit's value in every year, oldest first: period, value, numerator,
    denominator, change, change_good, small_count, prev_value."""
    level, unit_id = store.parse_unit_key(unit)
    parts = [data.unit_rows(y, level, unit_id) for y in sorted(data.years)]
    rows = pd.concat([p[p["indicator_id"] == ind.id] for p in parts], ignore_index=True)
    return rows


def failing_units(rows: pd.DataFrame, ind: Any) -> pd.DataFrame:
    """Units of ``rows`` (one level, one year) below the standard, the largest gap first, with
    the gap in the value's unit (see reports.frames.evaluate)."""
    if ind.standard is None or rows.empty:
        return rows.iloc[0:0].assign(gap=pd.Series(dtype=float))
    period = rows["period"].iloc[0] if "period" in rows else None
    if not ind.standard.applies(period):
        return rows.iloc[0:0].assign(gap=pd.Series(dtype=float))
    st, gap = evaluate(rows["value"], ind.standard)
    out = rows.assign(gap=gap.to_numpy())[(st == FAIL).to_numpy()]
    return out.assign(_abs=out["gap"].abs()).sort_values("_abs", ascending=False,
                                                          kind="stable").drop(columns="_abs")


def _gap_text(ind: Any, gap: float, lang: str) -> str:
    if ind.kind == "rate":
        return f"{abs(gap) * 100:.1f} {'pp' if lang == 'en' else '个百分点'}"
    return format_value(ind, abs(gap), lang)


def _table(head: list[str], body: list[list[Any]], class_name: str = "") -> dbc.Table:
    return dbc.Table([html.Thead(html.Tr([html.Th(h) for h in head])),
                      html.Tbody([html.Tr([html.Td(c) for c in row]) for row in body])],
                     size="sm", striped=True, className=f"bg-white {class_name}")


def content(data: store.DashboardData, indicator: str | None, year: str | None, unit: str,
            lang: str) -> list:
    """Everything below the controls for a validated view."""
    if indicator is None or year is None:
        return [html.P(t("no_data", lang), className="text-muted")]
    ind = data.catalog[indicator]
    level, unit_id = store.parse_unit_key(unit)
    unit_name = data.unit_label(level, unit_id, lang)
    out: list = []

    # what it is
    out.append(html.H2(t("ind_definition", lang), className="h6 mt-3"))
    out.append(html.Dl([part for label, text in metadata(ind, lang)
                        for part in (html.Dt(label, className="col-sm-2"),
                                     html.Dd(text, className="col-sm-10"))],
                       className="row definition mb-2", id=ids.IND_META))

    # every year's value of the unit
    yrs = years_rows(data, ind, unit)
    out.append(html.H2(t("ind_years", lang, unit=unit_name), className="h6 mt-3"))
    body = []
    for r in yrs.itertuples(index=False):
        st = status(ind, r.value, r.period)
        body.append([r.period, format_value(ind, r.value, lang),
                     figures.count_text(r.numerator), figures.count_text(r.denominator),
                     f"{STATUS_ICON[st]} {t('status_' + st, lang)}",
                     "—" if pd.isna(r.change) else format_change(ind, r.change, lang)])
    out.append(_table([t("label_year", lang), t("value", lang), t("numerator", lang),
                       t("denominator", lang), t("standard", lang), t("change", lang)], body,
                      "ind-years"))
    if len(yrs) >= 2:
        out.append(dcc.Graph(id=ids.IND_YEARS_GRAPH,
                             figure=figures.yearly_line(yrs, ind, lang),
                             config=graph_config(lang)))

    # the units one level below: ranking, map, failing units
    child = data.level_below(level) if level in data.levels else data.levels[0]
    if level == store.TOTAL:
        child = data.levels[0]
    if child is not None:
        rows = data.level_rows(year, child, ind.id, None if unit == store.TOTAL else unit)
        child_name = data.level_name(child, lang)
        picked = figures.select_chart_rows(rows, RANKING_ROWS // 2)
        title = t("compare_title", lang, indicator=ind.name(lang), level=child_name, year=year)
        out.append(html.H2(t("ind_ranking", lang, level=child_name, year=year),
                           className="h6 mt-4"))
        if rows.empty:
            out.append(html.P(t("no_data", lang), className="text-muted"))
        else:
            enough = rows[~rows["small_count"].astype("boolean").fillna(False).to_numpy()]
            band = figures.quartiles(enough["value"])
            out.append(dcc.Graph(id=ids.IND_RANKING, figure=figures.ranked_bar(
                picked.rows, ind, lang, title=title, peer_band=band,
                gap_after=picked.n if picked.mode == "top_bottom" else None),
                config=graph_config(lang)))
            out.append(chart_footer(data.dataset, ind, lang, note=t("peer_band_label", lang)
                                    if band is not None else None))
            out.append(dcc.Link(t("ind_to_compare", lang), href=page_href("/compare", {
                "indicator": ind.id, "level": child, "year": year,
                "unit": None if unit == store.TOTAL else unit,
                "lang": None if lang == "zh" else lang}), className="small"))
        figure = _map(data, ind, child, year, unit, rows, lang)
        if figure is not None:
            out.append(html.H2(t("ind_map", lang, level=child_name, year=year),
                               className="h6 mt-4"))
            out.append(dcc.Graph(id=ids.IND_MAP, figure=figure,
                                 config=graph_config(lang, scrollZoom=True),
                                 style={"height": "560px"}))
        fails = failing_units(rows, ind)
        out.append(html.H2(t("ind_failing", lang, level=child_name, year=year,
                             n=f"{len(fails):,}"), className="h6 mt-4"))
        if ind.standard is None:
            out.append(html.P(t("ind_no_standard_no_failing", lang), className="text-muted"))
        elif fails.empty:
            out.append(html.P(t("ind_none_failing", lang), className="text-muted"))
        else:
            out.append(_table(
                [t("unit_name", lang), t("value", lang), t("ind_gap", lang)],
                [[dcc.Link(r.unit_name, href=page_href("/", {
                    "unit": store.unit_key(child, str(r.unit_id)), "year": year,
                    "lang": None if lang == "zh" else lang})),
                  format_value(ind, r.value, lang), _gap_text(ind, r.gap, lang)]
                 for r in fails.head(FAILING_ROWS).itertuples(index=False)], "ind-failing"))
    allowed = may("export")          # a viewer's download would be refused (403): say so
    out.append(html.Div(className="d-flex gap-2 mt-3 no-print", children=[
        dbc.Button(t("download_csv", lang), id=ids.IND_DOWNLOAD_CSV, size="sm",
                   color="secondary", outline=True, disabled=not allowed),
        dbc.Button(t("download_xlsx", lang), id=ids.IND_DOWNLOAD_XLSX, size="sm",
                   color="secondary", outline=True, disabled=not allowed),
        html.Span(t("ind_download_hint", lang) if allowed else t("download_not_allowed", lang),
                  className="text-muted small align-self-center"),
    ]))
    return out


def _map(data: store.DashboardData, ind: Any, level: str, year: str, unit: str,
         rows: pd.DataFrame, lang: str) -> Any:
    """The latest map of ``level`` coloured by the indicator, or None without boundaries."""
    from layouts.mapview import map_data, map_figure, units_under

    geo = map_data(data.dataset)
    boundary = geo.boundaries.get(level)
    if boundary is None or rows.empty:
        return None
    scope_level, scope_id = store.parse_unit_key(unit)
    only = None if scope_level == store.TOTAL else {
        u for lv, u in units_under(data.dataset.units, scope_level, scope_id) if lv == level}
    title = t("map_title", lang, indicator=ind.name(lang), level=data.level_name(level, lang),
              year=year)
    return map_figure(boundary, rows, ind, lang, title=title, only=only, year=year,
                      show_stations=False, show_uncovered=False)


def layout(indicator: str | None = None, year: str | None = None, unit: str | None = None,
           lang: str | None = None, **_other: Any) -> html.Div:
    """Page layout for the query string (unknown values fall back to the defaults)."""
    data = store.get()
    lang = normalise_lang(lang)
    texts = dropdown_labels(lang)
    indicator, year, unit = _valid(data, indicator, year, unit)
    name = data.catalog[indicator].name(lang) if indicator else ""
    return html.Div([
        dcc.Location(id=ids.IND_NAV, refresh="callback-nav"),
        dcc.Store(id=ids.IND_LANG, data=lang),
        dcc.Download(id=ids.IND_DOWNLOAD),
        header(data.dataset_name(lang), bool(data.dataset.is_sample), lang, PATH,
               _query(indicator, year, unit, lang), ids.IND_LANG_SWITCH),
        dbc.Container(fluid=True, className="page", children=[
            html.Nav(html.Ol([
                html.Li(dcc.Link(t("nav_catalog", lang), href=page_href(
                    "/catalog", {"lang": None if lang == "zh" else lang})),
                    className="breadcrumb-item"),
                html.Li(name, className="breadcrumb-item active")], className="breadcrumb mb-1"),
                className="crumbs"),
            html.H1(name, className="h4 mt-1", id=ids.IND_TITLE),
            dbc.Row(className="controls g-3 align-items-end", children=[
                dbc.Col(xs=12, md=3, children=[
                    dbc.Label(t("label_indicator", lang), html_for=ids.IND_INDICATOR),
                    dcc.Dropdown(labels=texts, id=ids.IND_INDICATOR, value=indicator,
                                 clearable=False,
                                 options=[{"label": data.catalog[i].name(lang), "value": i}
                                          for i in data.indicator_ids])]),
                dbc.Col(xs=6, md=2, children=[
                    dbc.Label(t("label_year", lang), html_for=ids.IND_YEAR),
                    dcc.Dropdown(labels=texts, id=ids.IND_YEAR, options=data.years,
                                 value=year, clearable=False, searchable=False)]),
                dbc.Col(xs=12, md=4, children=[
                    dbc.Label(t("label_unit", lang), html_for=ids.IND_UNIT),
                    dcc.Dropdown(labels=texts, id=ids.IND_UNIT, value=unit, clearable=False,
                                 options=[{"label": o.label, "value": o.key} for o in
                                          data.unit_options(lang,
                                                            max_depth=len(data.levels) - 2)])]),
            ]),
            html.Div(content(data, indicator, year, unit, lang), id=ids.IND_CONTENT),
        ]),
    ])


@callback(
    Output(ids.IND_NAV, "href"),
    Input(ids.IND_INDICATOR, "value"),
    Input(ids.IND_YEAR, "value"),
    Input(ids.IND_UNIT, "value"),
    State(ids.IND_LANG, "data"),
    prevent_initial_call=True,
)
def choose(indicator: Any, year: Any, unit: Any, lang: Any) -> str:
    """A new indicator, year or unit → the page's own address for it (a copied link shows
    the same view)."""
    data = store.get()
    lang = normalise_lang(lang if isinstance(lang, str) else None)
    return page_href(PATH, _query(*_valid(data, indicator, year, unit), lang))


@callback(
    Output(ids.IND_DOWNLOAD, "data"),
    Input(ids.IND_DOWNLOAD_CSV, "n_clicks"),
    Input(ids.IND_DOWNLOAD_XLSX, "n_clicks"),
    State(ids.IND_INDICATOR, "value"),
    State(ids.IND_UNIT, "value"),
    State(ids.IND_LANG, "data"),
    prevent_initial_call=True,
)
def download(_csv: Any, _xlsx: Any, indicator: Any, unit: Any, lang: Any):
    """The indicator's yearly values for the unit and every unit below it, every year, with the
    metadata (:func:`metadata`, data set and cut-off) in the file."""
    data = store.get()
    lang = normalise_lang(lang if isinstance(lang, str) else None)
    indicator, _, unit = _valid(data, indicator, None, unit)
    if indicator is None:
        raise PreventUpdate
    ind = data.catalog[indicator]
    frame = data_frame(data, ind, unit, lang)
    meta = metadata(ind, lang) + [(t("ind_dataset", lang), data.dataset_name(lang))]
    cutoff = getattr(data.dataset, "cutoff", None)
    if cutoff is not None and not pd.isna(cutoff):
        meta.append((t("ind_cutoff", lang), pd.Timestamp(cutoff).strftime("%Y-%m-%d")))
    stem = f"{ind.name(lang)}_{data.unit_label(*store.parse_unit_key(unit), lang)}"
    if dash.ctx.triggered_id == ids.IND_DOWNLOAD_XLSX:
        return dcc.send_bytes(downloads.indicator_xlsx(frame, ind, meta, lang),
                              filename=f"{stem}.xlsx")
    return dcc.send_bytes(downloads.indicator_csv(frame, ind, meta, lang), filename=f"{stem}.csv")


def data_frame(data: store.DashboardData, ind: Any, unit: str, lang: str) -> pd.DataFrame:
    """The unit's rows and those of every level below it (within the unit), every year:
    period, level (its name), unit_id, unit_name, value, numerator, denominator, status
    (达标 / 未达标 / 无标准), small_count — what the downloads hold."""
    level, unit_id = store.parse_unit_key(unit)
    parts = [years_rows(data, ind, unit)]
    below = data.levels if level == store.TOTAL else data.levels[data.levels.index(level) + 1:]
    for lv in below:
        for y in sorted(data.years):
            parts.append(data.level_rows(y, lv, ind.id, None if unit == store.TOTAL else unit))
    rows = pd.concat([p for p in parts if len(p)], ignore_index=True)
    return pd.DataFrame({
        "period": rows["period"].astype(str),
        "level": rows["level"].map(lambda lv: data.level_name(lv, lang)),
        "unit_id": rows["unit_id"].astype(str),
        "unit_name": rows["unit_name"].astype(str),
        "value": rows["value"].astype(float),
        "numerator": rows["numerator"].astype(float),
        "denominator": rows["denominator"].astype(float),
        "status": [t("status_" + status(ind, v, p), lang)
                   for v, p in zip(rows["value"], rows["period"])],
        "small_count": rows["small_count"].astype("boolean").fillna(False).astype(bool),
    })
