"""Data quality (数据质量): the load report — what was read, accepted and rejected, and why.

Every file × sheet reconciles (rows read = accepted + rejected + blank); every rejected row is
listed with its Excel row number, column, raw value and rule, and can be downloaded as CSV.
URL: ``/quality?lang=zh``.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, ctx, dcc, html
from dash.exceptions import PreventUpdate

from layouts import downloads, ids, store
from layouts.components import dropdown_labels, grid_locale, header, page_href, query_params
from layouts.guards import may
from layouts.i18n import normalise_lang, t
from layouts.pages.progress import sendback_button

PATH = "/quality"

dash.register_page(__name__, path=PATH, order=3, name="数据质量", nav_key="nav_quality",
                   title="数据质量 · 党建引领基层治理指标看板")

def _table_name(name: str, lang: str) -> str:
    try:
        return t(f"table_{name}", lang)
    except KeyError:
        return name


#: Relative column widths (AG Grid flex); numbers are right-aligned.  Short labels (数据表,
#: 工作表) stay narrow so that the column, raw value, rule and explanation are read whole.
_FLEX = {"message": 4, "file": 2, "warnings": 3, "value": 2, "rule": 2, "column": 1.5,
         "sheet": 1, "table": 1}
_MIN_WIDTH = {"table": 120, "sheet": 100, "file": 200, "column": 110, "value": 120, "rule": 140,
              "message": 220}
#: Long texts wrap inside their cell and the row grows, instead of ending in "…".
_WRAP = ("sheet", "column", "value", "rule", "message", "warnings")
_NUMERIC = ("row", "rows_read", "accepted", "rejected", "blank", "not_data")
#: Counts get thousands separators (16,838); an Excel row number is shown as Excel shows it.
_COUNT_FORMAT = {"function": "params.value == null ? '' : d3.format(',')(params.value)"}


def _with_file_name(frame: pd.DataFrame) -> pd.DataFrame:
    """Adds file_name: the last part of the path in ``file`` (the grid shows the name, the path
    the manifest gave is its tooltip)."""
    return frame.assign(file_name=frame["file"].astype("string").str.split(r"[\\/]", regex=True)
                        .str[-1])


def _columns(names: tuple[str, ...], lang: str) -> list[dict]:
    return [{"field": c, "headerName": t(f"col_{c}", lang), "filter": True,
             "tooltipField": c, **({"field": "file_name"} if c == "file" else {}),
             **({"type": "numericColumn", "width": 120,
                 **({"valueFormatter": _COUNT_FORMAT} if c != "row" else {"width": 90})}
                if c in _NUMERIC else {"flex": _FLEX.get(c, 1), "minWidth": _MIN_WIDTH.get(c, 90)}),
             **({"wrapText": True, "autoHeight": True, "cellClass": "cell-wrap"}
                if c in _WRAP else {})}
            for c in names]



def _valid_units_view(data: store.DashboardData, level: str | None,
                      year: str | None) -> tuple[str | None, str | None]:
    level = level if level in data.levels else (data.levels[0] if data.levels else None)
    year = year if year in data.years else data.latest_year
    return level, year


def unit_rows(data: store.DashboardData, level: str | None, year: str | None,
              lang: str) -> list[dict]:
    """Per-unit completeness for the grid: unit, indicators with a value (``12 / 18``), of
    them too few cases, and the names of the indicators without a value."""
    if level is None or year is None:
        return []
    cov = data.unit_coverage(year, level)
    total = len(data.indicator_ids)
    sep = "、" if lang == "zh" else ", "
    names = {i: data.catalog[i].name(lang) for i in data.indicator_ids}
    return pd.DataFrame({
        "unit_name": cov["unit_name"],
        "with_value": cov["with_value"].astype(str) + f" / {total}",
        "small_count": cov["small_count"],
        "missing": [sep.join(names[i] for i in m) for m in cov["missing"]],
    }).to_dict("records")


_UNIT_COLUMNS = ("unit_name", "with_value", "small_count", "missing")


def finding_rows(data: store.DashboardData, lang: str) -> list[dict]:
    """Data-quality findings over time (indicators.quality) for the grid: check, unit (with its
    level), period, what was checked, value, expected range and why — numbers formatted as the
    catalog formats the indicator (counts with thousands separators)."""
    from indicators.catalog import format_value

    found = data.quality_findings()
    if found.empty:
        return []

    def text(ind_id: str, v: float) -> str:
        if pd.isna(v):
            return "—"
        ind = data.catalog.get(ind_id)
        if ind is not None and ind.kind != "count" and ind_id not in ("",):
            return format_value(ind, v, lang)
        return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}"

    level_name = {lv: data.level_name(lv, lang) for lv in data.levels}
    level_name["grid_register"] = t("quality_register", lang)
    rows = []
    for r in found.itertuples(index=False):
        shown_id = r.indicator_id if r.check in ("outlier_peer", "consistency_internal") else ""
        low, high = text(shown_id, r.expected_low), text(shown_id, r.expected_high)
        rows.append({"check": r.check_zh, "unit_name": r.unit_name,
                     "level": level_name.get(r.level, r.level), "period": r.period,
                     "item": r.item_zh, "value": text(shown_id, r.value),
                     "expected": (f"≥ {low}" if high == "—" else f"{low} – {high}"),
                     "reason": r.reason_zh})
    return rows


def findings_section(data: store.DashboardData, lang: str) -> list:
    """Heading, explanation and grid of the data-quality findings over time."""
    rows = finding_rows(data, lang)
    counts = pd.Series([r["check"] for r in rows]).value_counts()
    summary = ("、".join(f"{k} {v:,} 条" for k, v in counts.items()) if lang == "zh"
               else ", ".join(f"{k}: {v:,}" for k, v in counts.items()))
    cols = [("check", 1.2), ("unit_name", 1), ("level", 0.6), ("period", 0.7), ("item", 1.2),
            ("value", 0.8), ("expected", 1.2), ("reason", 3)]
    return [
        html.H2(t("quality_findings", lang), className="h6 mt-4"),
        html.P([t("quality_findings_hint", lang), " ",
                html.Strong(summary or t("quality_no_findings", lang))],
               className="text-muted small", id=ids.DQ_FINDINGS + "-summary"),
        dag.AgGrid(
            id=ids.DQ_FINDINGS, rowData=rows,
            columnDefs=[{"field": c, "headerName": t(f"col_finding_{c}", lang), "flex": f,
                         "filter": True, "tooltipField": c, "minWidth": 80} for c, f in cols],
            defaultColDef={"sortable": True, "resizable": True},
            dashGridOptions={"domLayout": "autoHeight", "pagination": True,
                             "paginationPageSize": 20, "loadThemeGoogleFonts": False,
                             "localeText": {**grid_locale(lang),
                                            "noRowsToShow": t("quality_no_findings", lang)}},
            className="ag-theme-quartz", style={"width": "100%"}),
    ]


def _unit_columns(lang: str) -> list[dict]:
    return [{"field": "unit_name", "headerName": t("unit_name", lang), "filter": True,
             "flex": 1, "minWidth": 140},
            {"field": "with_value", "headerName": t("col_with_value", lang), "width": 150,
             "type": "numericColumn"},
            {"field": "small_count", "headerName": t("col_small_count", lang), "width": 160,
             "type": "numericColumn", "filter": "agNumberColumnFilter"},
            {"field": "missing", "headerName": t("col_missing", lang), "flex": 3,
             "filter": True, "tooltipField": "missing"}]


def layout(lang: str | None = None, level: str | None = None, year: str | None = None,
           **_other: Any) -> html.Div:
    """The load report of the dataset being shown, and how complete each unit's indicators are
    (``level`` and ``year`` from the query string; defaults the top level, latest year)."""
    data = store.get()
    lang = normalise_lang(lang)
    level, year = _valid_units_view(data, level, year)
    texts = dropdown_labels(lang)
    sources, errors, fatal = data.load_report()
    counts = sources[["rows_read", "accepted", "rejected", "blank", "not_data"]].sum()
    summary = t("quality_summary", lang, sources=len(sources), rows=f"{counts['rows_read']:,}",
                accepted=f"{counts['accepted']:,}", rejected=f"{counts['rejected']:,}",
                blank=f"{counts['blank']:,}")
    if counts["not_data"]:
        summary += t("quality_not_data", lang, n=f"{counts['not_data']:,}")
    unreconciled = int((~sources["reconciles"]).sum())
    check = (t("quality_reconciled", lang) if unreconciled == 0
             else t("quality_not_reconciled", lang, n=unreconciled))
    shown_sources = _with_file_name(sources).assign(
        table=sources["table"].map(lambda n: _table_name(n, lang)),
        reconciles=sources["reconciles"].map(
            {True: "✓ " + t("answer_yes", lang), False: "✗ " + t("answer_no", lang)}))
    shown_errors = _with_file_name(errors).assign(
        table=errors["table"].map(lambda n: _table_name(n, lang)),
        rule=errors["rule"].map(lambda r: downloads.rule_name(r, lang)))
    allowed = may("export")          # a viewer's download would be refused (403): say so
    return html.Div([
        dcc.Store(id=ids.DQ_LANG, data=lang),
        dcc.Location(id=ids.DQ_URL, refresh=False),
        header(data.dataset_name(lang), bool(data.dataset.is_sample), lang, PATH,
               _query(level, year, lang), ids.DQ_LANG_SWITCH),
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
                       disabled=errors.empty or not allowed),
            dcc.Download(id=ids.DQ_DOWNLOAD),
            dbc.Button(t("download_rejected", lang), id=ids.DQ_REJECTED_BUTTON, size="sm",
                       color="secondary", outline=True, className="mb-2 ms-2",
                       disabled=errors.empty or not allowed),
            dcc.Download(id=ids.DQ_REJECTED_DOWNLOAD),
            *sendback_button(lang),     # one workbook per street office, zipped (issue 17)
            html.Span(t("download_not_allowed", lang), id=ids.DQ_DOWNLOAD_NOTE,
                      className="text-muted small ms-2") if not allowed else None,
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
            *findings_section(data, lang),
            html.H2(t("quality_units", lang), className="h6 mt-4"),
            html.P(t("quality_units_hint", lang), className="text-muted small"),
            dbc.Row(className="controls g-3 align-items-end mb-2", children=[
                dbc.Col(xs=6, md=2, children=[
                    dbc.Label(t("label_level", lang), html_for=ids.DQ_LEVEL),
                    dcc.Dropdown(labels=texts, id=ids.DQ_LEVEL, value=level, clearable=False,
                                 searchable=False,
                                 options=[{"label": data.level_name(lv, lang), "value": lv}
                                          for lv in data.levels]),
                ]),
                dbc.Col(xs=6, md=2, children=[
                    dbc.Label(t("label_year", lang), html_for=ids.DQ_YEAR),
                    dcc.Dropdown(labels=texts, id=ids.DQ_YEAR, options=data.years, value=year,
                                 clearable=False, searchable=False),
                ]),
            ]),
            dag.AgGrid(
                id=ids.DQ_UNITS, rowData=unit_rows(data, level, year, lang),
                columnDefs=_unit_columns(lang),
                defaultColDef={"sortable": True, "resizable": True},
                dashGridOptions={"domLayout": "autoHeight", "pagination": True,
                                 "paginationPageSize": 20, "loadThemeGoogleFonts": False,
                                 "localeText": grid_locale(lang)},
                className="ag-theme-quartz", style={"width": "100%"}),
        ]),
    ])


def _query(level: str | None, year: str | None, lang: str) -> dict[str, Any]:
    return {"level": level, "year": year, "lang": None if lang == "zh" else lang}


@callback(
    Output(ids.DQ_UNITS, "rowData"),
    Output(ids.DQ_URL, "search"),
    Output(ids.DQ_LANG_SWITCH, "href"),
    Output(ids.DQ_LEVEL, "value"),
    Output(ids.DQ_YEAR, "value"),
    Input(ids.DQ_LEVEL, "value"),
    Input(ids.DQ_YEAR, "value"),
    Input(ids.DQ_URL, "search"),
    State(ids.DQ_LANG, "data"),
    prevent_initial_call=True,
)
def update_units(level: str | None, year: str | None, search: str | None, lang: str | None):
    """Level or year, or the browser's back/forward changing the query string → the per-unit
    completeness rows, the query string and the controls."""
    data = store.get()
    lang = normalise_lang(lang)
    from_url = ctx.triggered_id == ids.DQ_URL
    if from_url:  # back/forward: the URL is the truth
        asked = query_params(search)
        if _valid_units_view(data, asked.get("level"), asked.get("year")) == \
                _valid_units_view(data, level, year):
            raise PreventUpdate  # the page already shows it (the URL was read on page load)
        level, year = asked.get("level"), asked.get("year")
    level, year = _valid_units_view(data, level, year)
    query = _query(level, year, lang)
    other = "en" if lang == "zh" else "zh"
    new_search = "?" + urlencode({k: v for k, v in query.items() if v})
    return (unit_rows(data, level, year, lang), dash.no_update if from_url else new_search,
            page_href(PATH, {**query, "lang": other if other != "zh" else None}), level, year)


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


@callback(
    Output(ids.DQ_REJECTED_DOWNLOAD, "data"),
    Input(ids.DQ_REJECTED_BUTTON, "n_clicks"),
    prevent_initial_call=True,
)
def download_rejected(_clicks: int | None):
    """The rejected rows (original columns, row number, reasons) as an .xlsx to send back."""
    from reports.rejected_rows import rejected_rows_workbook

    return dcc.send_bytes(rejected_rows_workbook(store.get().dataset.report),
                          filename="被拒收的行.xlsx")
