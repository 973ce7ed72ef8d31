"""Export (导出): the annual review workbook, built in the background and downloaded.

URL: ``/export?year=2025&unit=district:511602&lang=zh`` — ``year`` defaults to the latest year,
``unit`` (a unit key, see store.unit_key; any level above the finest) to the whole dataset.

The workbook is the one ``python app.py export --year Y [--scope UNIT] --out F.xlsx`` writes:
both call :func:`reports.write_workbook` with the same arguments (see :func:`build_export`).
It is written by a Dash *background* callback (DiskcacheManager, one worker process per job):
the request that starts it returns at once, a progress bar follows the sheets being written,
and the chart callbacks of the other pages are never queued behind a slow export (FACTS:
two 35 s exports in normal callbacks stalled chart callbacks ≈ 31 s under gunicorn).
"""
from __future__ import annotations

import logging
import os
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

import dash
import dash_bootstrap_components as dbc
from dash import DiskcacheManager, Input, Output, State, callback, dcc, html

from layouts import ids, store
from layouts.components import header
from layouts.guards import may
from layouts.i18n import normalise_lang, t

PATH = "/export"

log = logging.getLogger(__name__)

dash.register_page(__name__, path=PATH, order=5, name="导出", nav_key="nav_export",
                   title="导出 · 党建引领基层治理指标看板")

#: Where background jobs keep their state (results are removed once read). Inside the project's
#: cache folder, which may be deleted at any time.
JOB_CACHE_DIR = Path(__file__).resolve().parents[2] / ".cache" / "export-jobs"


def _manager() -> DiskcacheManager:
    import diskcache

    folder = JOB_CACHE_DIR
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:          # an unwritable project cache must not stop the server
        folder = Path(tempfile.gettempdir()) / "dashboard-export-jobs"
        log.warning("export job folder %s unusable (%s); using %s", JOB_CACHE_DIR, exc, folder)
        folder.mkdir(parents=True, exist_ok=True)
    # expire: a finished job's workbook is kept at most an hour if the browser never fetches it;
    # cache_by: jobs are keyed by the user's scope and the data version too (server/), so two
    # users asking for the same year and unit never share a job or its workbook
    return DiskcacheManager(diskcache.Cache(str(folder)), cache_by=[store.access_key],
                            expire=3600)


MANAGER = _manager()


def scope_options(data: store.DashboardData, lang: str) -> list[dict[str, str]]:
    """The whole dataset and every unit above the finest level (a workbook needs levels below
    its scope), as dropdown options ``{"label", "value": unit key}``."""
    return [{"label": o.label, "value": o.key}
            for o in data.unit_options(lang, max_depth=len(data.levels) - 2)]


def validate_choice(data: store.DashboardData, year: Any, unit: Any) -> tuple[int, str | None]:
    """The export's year and scope from what a browser sent, checked against this server's own
    data (a client may send anything): ``(year, scope unit_id or None for the whole dataset)``.

    Raises ValueError when the year has no indicator rows or the unit key is not one of
    :func:`scope_options`.
    """
    if isinstance(year, bool) or not isinstance(year, (str, int)) or str(year) not in data.years:
        raise ValueError(f"unknown year {year!r}")
    if unit is not None and not isinstance(unit, str):
        raise ValueError(f"scope is not a unit key: {type(unit).__name__}")
    key = unit or store.TOTAL
    if key not in {o["value"] for o in scope_options(data, "zh")}:
        raise ValueError(f"unknown scope {unit!r}")
    level, unit_id = store.parse_unit_key(key)
    if level == store.TOTAL:
        return int(year), own_scope_unit(data)
    return int(year), unit_id


def own_scope_unit(data: store.DashboardData) -> str | None:
    """None for a whole-dataset user; for a user scoped to one unit, that unit's id, so the
    workbook is titled with the scope's own name (示例区), never the city's (示例市（全部单位）)."""
    from layouts.guards import whole_view

    if whole_view():
        return None
    units = data.dataset.units
    top = units[units["level"].astype(str) == data.dataset.levels[0]]
    return str(top["unit_id"].iloc[0]) if len(top) == 1 else None


def file_name(data: store.DashboardData, year: int, unit: str | None) -> str:
    """``年度评议_2025_示例区.xlsx`` (``_全部`` for the whole dataset)."""
    level, unit_id = store.parse_unit_key(unit)
    own = own_scope_unit(data) if level == store.TOTAL else None
    if own is not None:
        level, unit_id = data.dataset.levels[0], own
    scope = "全部" if level == store.TOTAL else data.unit_name(level, unit_id, "zh")
    safe = "".join(ch for ch in scope if ch not in '\\/:*?"<>|').strip() or unit_id
    return f"年度评议_{year}_{safe}.xlsx"


def build_export(results: Any, year: int, scope: str | None, *,
                 progress: Callable[[int, int, str], None] | None = None,
                 generated_at: datetime | None = None) -> bytes:
    """The annual review workbook as .xlsx bytes: ``reports.write_workbook(results, year, path,
    scope=scope)`` exactly as ``app.py export`` calls it, written to a temporary file.

    Raises ValueError as write_workbook does (year without rows, unknown scope).
    """
    from reports import write_workbook

    with tempfile.TemporaryDirectory(prefix="export-") as folder:
        path = write_workbook(results, year, Path(folder) / "review.xlsx", scope=scope,
                              generated_at=generated_at, progress=progress)
        return path.read_bytes()


def layout(year: str | None = None, unit: str | None = None, lang: str | None = None,
           **_other: Any) -> html.Div:
    """Year and scope pickers, the build button, a progress bar and the download."""
    data = store.get()
    lang = normalise_lang(lang)
    options = scope_options(data, lang)
    year = year if year in data.years else data.latest_year
    unit = unit if unit in {o["value"] for o in options} else store.TOTAL
    return html.Div([
        dcc.Store(id=ids.EXP_LANG, data=lang),
        header(data.dataset_name(lang), bool(data.dataset.is_sample), lang, PATH,
               {"year": year, "unit": None if unit == store.TOTAL else unit,
                "lang": None if lang == "zh" else lang}, ids.EXP_LANG_SWITCH),
        dbc.Container(fluid=True, className="page", children=[
            html.H2(t("export_heading", lang), className="h5 mt-2"),
            html.P(t("export_intro", lang), className="text-muted"),
            html.P(t("export_contents", lang), className="text-muted small"),
            dbc.Row(className="controls g-3 align-items-end", children=[
                dbc.Col(xs=6, md=2, children=[
                    dbc.Label(t("export_year", lang), html_for=ids.EXP_YEAR),
                    dcc.Dropdown(id=ids.EXP_YEAR, options=data.years, value=year,
                                 clearable=False, searchable=False),
                ]),
                dbc.Col(xs=12, md=5, children=[
                    dbc.Label(t("export_scope", lang), html_for=ids.EXP_SCOPE),
                    dcc.Dropdown(id=ids.EXP_SCOPE, options=options, value=unit,
                                 clearable=False),
                ]),
                dbc.Col(xs=12, md=5, children=[
                    dbc.Button(t("export_button", lang), id=ids.EXP_BUTTON, color="primary",
                               className="me-2", disabled=year is None or not may("export")),
                    dbc.Button(t("export_cancel", lang), id=ids.EXP_CANCEL, color="secondary",
                               outline=True, disabled=True),
                ]),
            ]),
            html.Div(id=ids.EXP_PROGRESS_BOX, className="mt-3", style={"display": "none"},
                     children=dbc.Progress(id=ids.EXP_PROGRESS, value=0, max=100, striped=True,
                                           animated=True, label=t("export_starting", lang),
                                           style={"height": "1.5rem"})),
            html.P(t("export_no_years", lang) if year is None else
                   ("" if may("export") else t("export_not_allowed", lang)), id=ids.EXP_STATUS,
                   className="summary mt-3", role="status"),
            dcc.Download(id=ids.EXP_DOWNLOAD),
            *report_controls(year, lang),
        ]),
    ])


def report_controls(year: str | None, lang: str) -> list:
    """年度评议报告: the Word or PDF report of the same year and scope, built in the
    background like the workbook (reports.review.write_report)."""
    return [
        html.H2(t("report_heading", lang), className="h5 mt-5"),
        html.P(t("report_intro", lang), className="text-muted"),
        dbc.Row(className="controls g-3 align-items-center", children=[
            dbc.Col(dbc.RadioItems(id=ids.EXP_REPORT_FORMAT, value="docx", inline=True,
                                   options=[{"label": t("report_docx", lang), "value": "docx"},
                                            {"label": t("report_pdf", lang), "value": "pdf"}]),
                    width="auto"),
            dbc.Col(dbc.Button(t("report_button", lang), id=ids.EXP_REPORT_BUTTON,
                               color="primary", disabled=year is None or not may("export")),
                    width="auto"),
        ]),
        html.Div(id=ids.EXP_REPORT_PROGRESS_BOX, className="mt-3", style={"display": "none"},
                 children=dbc.Progress(id=ids.EXP_REPORT_PROGRESS, value=0, max=100,
                                       striped=True, animated=True,
                                       label=t("export_starting", lang),
                                       style={"height": "1.5rem"})),
        html.P("", id=ids.EXP_REPORT_STATUS, className="summary mt-3", role="status"),
        dcc.Download(id=ids.EXP_REPORT_DOWNLOAD),
    ]


def report_name(data: store.DashboardData, year: int, unit: str | None, fmt: str) -> str:
    """``年度评议报告_2025_示例区.docx`` (``_全部`` for the whole dataset)."""
    return file_name(data, year, unit).replace("年度评议_", "年度评议报告_", 1) \
        .removesuffix(".xlsx") + f".{fmt}"


@callback(
    Output(ids.EXP_REPORT_DOWNLOAD, "data"),
    Output(ids.EXP_REPORT_STATUS, "children"),
    Input(ids.EXP_REPORT_BUTTON, "n_clicks"),
    State(ids.EXP_YEAR, "value"),
    State(ids.EXP_SCOPE, "value"),
    State(ids.EXP_REPORT_FORMAT, "value"),
    State(ids.EXP_LANG, "data"),
    background=True,
    manager=MANAGER,
    progress=[Output(ids.EXP_REPORT_PROGRESS, "value"),
              Output(ids.EXP_REPORT_PROGRESS, "label")],
    running=[(Output(ids.EXP_REPORT_BUTTON, "disabled"), True, False),
             (Output(ids.EXP_REPORT_PROGRESS_BOX, "style"), {"display": "block"},
              {"display": "none"})],
    interval=500,
    prevent_initial_call=True,
)
def export_report(set_progress: Callable[[tuple[int, str]], None], _clicks: int | None,
                  year: Any, unit: Any, fmt: Any, lang: str | None):
    """Build the Word or PDF report in a worker process; send it as a download."""
    return run_report_job(store.get(), store.results(), year, unit, fmt,
                          normalise_lang(lang), set_progress)


def run_report_job(data: store.DashboardData, results: Any, year: Any, unit: Any, fmt: Any,
                   lang: str, set_progress: Callable[[tuple[int, str]], None]) -> tuple[Any, str]:
    """The report job: ``(download or dash.no_update, status text)``; checks the choice like
    :func:`run_job` and turns every failure into a status line (traceback to the log)."""
    from reports.review import write_report

    try:
        year_int, scope = validate_choice(data, year, unit)
    except ValueError:
        return dash.no_update, t("export_bad_choice", lang)
    fmt = fmt if fmt in ("docx", "pdf") else "docx"
    set_progress((2, t("export_starting", lang)))
    started = time.perf_counter()

    def progress(done: int, total: int, step: str) -> None:
        # the PDF conversion comes after the last part: keep a little of the bar for it
        share = 0.85 if fmt == "pdf" else 1.0
        set_progress((round(100 * share * done / total),
                      t("export_running", lang, sheet=step, done=done, total=total)))

    try:
        with tempfile.TemporaryDirectory(prefix="report-") as folder:
            path = write_report(results, year_int, Path(folder) / f"report.{fmt}", scope=scope,
                                format=fmt, progress=progress)
            content = path.read_bytes()
    except (ValueError, RuntimeError) as exc:
        return dash.no_update, t("export_error", lang, message=str(exc))
    except Exception:               # noqa: BLE001 - the job's edge: log it, tell the user plainly
        log.exception("report of %s / %s failed", year_int, scope)
        return dash.no_update, t("report_failed", lang)
    name = report_name(data, year_int, unit, fmt)
    status = t("report_done", lang, file=name, size=f"{len(content) / 1024:,.0f} KB",
               seconds=f"{time.perf_counter() - started:.1f}")
    return dcc.send_bytes(content, filename=name), status


@callback(
    Output(ids.EXP_DOWNLOAD, "data"),
    Output(ids.EXP_STATUS, "children"),
    Input(ids.EXP_BUTTON, "n_clicks"),
    State(ids.EXP_YEAR, "value"),
    State(ids.EXP_SCOPE, "value"),
    State(ids.EXP_LANG, "data"),
    background=True,
    manager=MANAGER,
    progress=[Output(ids.EXP_PROGRESS, "value"), Output(ids.EXP_PROGRESS, "label")],
    running=[(Output(ids.EXP_BUTTON, "disabled"), True, False),
             (Output(ids.EXP_CANCEL, "disabled"), False, True),
             (Output(ids.EXP_PROGRESS_BOX, "style"), {"display": "block"}, {"display": "none"})],
    cancel=[Input(ids.EXP_CANCEL, "n_clicks")],
    interval=400,                # ms between the browser's progress polls
    prevent_initial_call=True,
)
def export(set_progress: Callable[[tuple[int, str]], None], _clicks: int | None,
           year: Any, unit: Any, lang: str | None):
    """Build the workbook in a worker process, reporting each sheet; send it as a download."""
    return run_job(store.get(), store.results(), year, unit, normalise_lang(lang), set_progress)


def run_job(data: store.DashboardData, results: Any, year: Any, unit: Any, lang: str,
            set_progress: Callable[[tuple[int, str]], None]) -> tuple[Any, str]:
    """The export job: ``(download or dash.no_update, status text)``.

    Checks the year and scope (:func:`validate_choice`), writes the workbook reporting
    ``(percent, label)`` through ``set_progress``, and never lets an error reach the browser as a
    server error: an unexportable choice or a failed build become a Chinese (or English) status
    line, the failure's traceback goes to the server log.
    """
    try:
        year_int, scope = validate_choice(data, year, unit)
    except ValueError:
        return dash.no_update, t("export_bad_choice", lang)
    set_progress((2, t("export_starting", lang)))
    started = time.perf_counter()
    sheets: list[str] = []

    def progress(done: int, total: int, sheet: str) -> None:
        if sheet:
            sheets.append(sheet)
        set_progress((round(100 * done / total),
                      t("export_running", lang, sheet=sheet or "…", done=done, total=total)))

    try:
        content = build_export(results, year_int, scope, progress=progress)
    except ValueError as exc:       # the year or scope cannot be exported: say why
        return dash.no_update, t("export_error", lang, message=str(exc))
    except Exception:               # noqa: BLE001 - the job's edge: log it, tell the user plainly
        log.exception("export of %s / %s failed", year_int, scope)
        return dash.no_update, t("export_failed", lang)
    name = file_name(data, year_int, unit)
    size = f"{len(content) / 1024:,.0f} KB"
    status = t("export_done", lang, file=name, sheets=len(sheets), size=size,
               seconds=f"{time.perf_counter() - started:.1f}")
    return dcc.send_bytes(content, filename=name), status
