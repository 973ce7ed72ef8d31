"""Data quality (数据质量): the load report — what was read, accepted and rejected, and why.

Every file × sheet reconciles (rows read = accepted + rejected + blank); every rejected row is
listed with its Excel row number, column, raw value and rule, and can be downloaded as CSV.
URL: ``/quality?lang=zh``.
"""
from __future__ import annotations

from typing import Any

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, dcc, html

from layouts import downloads, ids, store
from layouts.components import grid_locale, header
from layouts.i18n import normalise_lang, t

PATH = "/quality"

dash.register_page(__name__, path=PATH, order=3, name="数据质量", nav_key="nav_quality",
                   title="数据质量 · 党建引领基层治理指标看板")

def _table_name(name: str, lang: str) -> str:
    try:
        return t(f"table_{name}", lang)
    except KeyError:
        return name


#: Relative column widths (AG Grid flex); numbers are right-aligned.
_FLEX = {"message": 3, "file": 2, "warnings": 2}
_NUMERIC = ("row", "rows_read", "accepted", "rejected", "blank")


def _columns(names: tuple[str, ...], lang: str) -> list[dict]:
    return [{"field": c, "headerName": t(f"col_{c}", lang), "filter": True,
             "tooltipField": c,
             **({"type": "numericColumn", "width": 120} if c in _NUMERIC
                else {"flex": _FLEX.get(c, 1), "minWidth": 90})} for c in names]


def layout(lang: str | None = None, **_other: Any) -> html.Div:
    """The load report of the dataset being shown."""
    data = store.get()
    lang = normalise_lang(lang)
    sources, errors, fatal = data.load_report()
    counts = sources[["rows_read", "accepted", "rejected", "blank"]].sum()
    summary = t("quality_summary", lang, sources=len(sources), rows=f"{counts['rows_read']:,}",
                accepted=f"{counts['accepted']:,}", rejected=f"{counts['rejected']:,}",
                blank=f"{counts['blank']:,}")
    unreconciled = int((~sources["reconciles"]).sum())
    check = (t("quality_reconciled", lang) if unreconciled == 0
             else t("quality_not_reconciled", lang, n=unreconciled))
    shown_sources = sources.assign(
        table=sources["table"].map(lambda n: _table_name(n, lang)),
        reconciles=sources["reconciles"].map(
            {True: "✓ " + t("answer_yes", lang), False: "✗ " + t("answer_no", lang)}))
    shown_errors = errors.assign(table=errors["table"].map(lambda n: _table_name(n, lang)))
    return html.Div([
        dcc.Store(id=ids.DQ_LANG, data=lang),
        header(data.dataset_name(lang), bool(data.dataset.is_sample), lang, PATH,
               {"lang": None if lang == "zh" else lang}, ids.DQ_LANG_SWITCH),
        dbc.Container(fluid=True, className="page", children=[
            html.P([summary, " ", html.Span(check, className=(
                "text-success" if unreconciled == 0 else "text-danger fw-bold"))],
                id=ids.DQ_SUMMARY, className="summary"),
            dbc.Alert([html.Strong(t("quality_fatal", lang)),
                       html.Ul([html.Li(f"{f}：{m}") for f, m in fatal.itertuples(index=False)])],
                      color="danger") if len(fatal) else None,
            html.H2(t("quality_errors", lang), className="h6 mt-3"),
            html.P(t("quality_errors_hint", lang), className="text-muted small"),
            dbc.Button(t("download_errors", lang), id=ids.DQ_DOWNLOAD_BUTTON, size="sm",
                       color="secondary", outline=True, className="mb-2",
                       disabled=errors.empty),
            dcc.Download(id=ids.DQ_DOWNLOAD),
            dag.AgGrid(
                id=ids.DQ_ERRORS, rowData=shown_errors.to_dict("records"),
                columnDefs=_columns(store.ERROR_COLUMNS, lang),
                defaultColDef={"sortable": True, "resizable": True},
                dashGridOptions={"domLayout": "autoHeight", "pagination": True,
                                 "paginationPageSize": 20, "loadThemeGoogleFonts": False,
                                 "localeText": {**grid_locale(lang),
                                                "noRowsToShow": t("quality_no_errors", lang)}},
                className="ag-theme-quartz", style={"width": "100%"}),
            html.H2(t("quality_sources", lang), className="h6 mt-4"),
            dag.AgGrid(
                id=ids.DQ_SOURCES, rowData=shown_sources.to_dict("records"),
                columnDefs=_columns(store.SOURCE_COLUMNS, lang),
                defaultColDef={"sortable": True, "resizable": True},
                dashGridOptions={"domLayout": "autoHeight", "loadThemeGoogleFonts": False,
                                 "localeText": grid_locale(lang)},
                className="ag-theme-quartz", style={"width": "100%"}),
        ]),
    ])


@callback(
    Output(ids.DQ_DOWNLOAD, "data"),
    Input(ids.DQ_DOWNLOAD_BUTTON, "n_clicks"),
    State(ids.DQ_LANG, "data"),
    prevent_initial_call=True,
)
def download(_clicks: int | None, lang: str | None):
    """The problem list as a CSV file (UTF-8 with BOM, opens in Excel)."""
    lang = normalise_lang(lang)
    _, errors, _ = store.get().load_report()
    names = {name: _table_name(name, lang) for name in errors["table"].unique()}
    return dcc.send_bytes(downloads.errors_csv(errors, names, lang),
                          filename="问题清单.csv" if lang == "zh" else "problems.csv")
