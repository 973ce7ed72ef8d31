"""Reporting progress (上报进度) and the yearly cycle around it. URL: ``/progress``.

* 上报进度: per submitting unit (street office) and table, 按时报送 / 逾期报送 / 未报送 against the
  due dates of the manifest, with when and by whom, and the reporting completeness rate per
  level (data/submissions.py). Arrivals are recorded in the register when the page is shown.
* 年度锁定: frozen years with their date, and every later change of a published figure (unit,
  indicator, frozen value, current value, changed file); an administrator freezes a year or
  unfreezes it (recorded, indicators/freeze.py).
* 填报模板: download a fill-in template per table, for the whole dataset or one street office
  (reports/template.py).
* 退回修改: every street office's rejected rows, one workbook each, as a zip (reports/sendback.py).
* 区划调整: units split, merged, renamed or moved, and how their year-on-year change was made
  comparable (indicators/crosswalk.py).

Scoped accounts see their own units only and no freeze, template or send-back controls.
"""
from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import Any

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, dcc, html

from layouts import ids, store
from layouts.components import header
from layouts.i18n import normalise_lang, t

PATH = "/progress"

dash.register_page(__name__, path=PATH, order=6, name="上报进度", nav_key="nav_progress",
                   title="上报进度 · 党建引领基层治理指标看板")

TABLES = ("grids", "stations", "volunteer_hours", "complaints")
_STATUS_COLOR = {"submitted": "primary", "late": "warning", "missing": "secondary"}


def _account() -> Any:
    """(accounts installed?, the signed-in account or None)."""
    from server import auth
    return bool(auth._installed), auth.signed_in_user()     # noqa: SLF001 — read-only flag


def whole_dataset() -> bool:
    """Whether the request sees every unit: no accounts (the local user), or an account whose
    scope is the whole dataset that may export (templates and rejected rows name every unit)."""
    installed, user = _account()
    if not installed:
        return True
    return user is not None and getattr(user, "scope", "") is None and _may(user, "export")


def is_admin() -> bool:
    """Whether the request may freeze or unfreeze a year: an account with role ``admin``
    (server.accounts.ROLES: the ``admin`` permission) over the whole dataset; the local user
    when the app runs without accounts."""
    installed, user = _account()
    if not installed:
        return True
    return user is not None and getattr(user, "scope", "") is None and _may(user, "admin")


def _may(user: Any, action: str) -> bool:
    may = getattr(user, "may", None)
    if callable(may):
        return bool(may(action))
    return bool(getattr(user, "may_upload", False))     # accounts without roles: uploaders


def _user_name() -> str:
    from server.auth import signed_in_user
    user = signed_in_user()
    return getattr(user, "username", "") or "本机用户"


def _pct(value: Any) -> str:
    return "—" if value is None or pd.isna(value) else f"{value * 100:.1f}%"


def _value(value: Any, indicator: Any) -> str:
    if value is None or pd.isna(value):
        return "—"
    kind = getattr(indicator, "kind", "")
    decimals = getattr(indicator, "decimals", 1)
    if kind == "rate":
        return f"{value * 100:.{decimals}f}%"
    return f"{value:,.{decimals}f}"


def _table_name(name: str, lang: str) -> str:
    try:
        return t(f"table_{name}", lang)
    except KeyError:
        return name


def progress_section(data: store.DashboardData, lang: str) -> list[Any]:
    """The progress cards and table (what the page shows, also for tests)."""
    from data.submissions import (STATUS_ZH, SubmissionsError, completeness, progress, record_arrivals,
                                  settings)

    dataset = store.results().dataset        # restricted to the account's units
    try:
        conf = settings(dataset)
        record_arrivals(dataset)
        prog = progress(dataset)
        comp = completeness(dataset, prog)
    except SubmissionsError as exc:
        return [dbc.Alert(str(exc), color="danger")]
    except OSError:
        return [dbc.Alert(t("progress_unavailable", lang), color="secondary")]
    if not len(prog):
        return [dbc.Alert(t("progress_no_due", lang), color="secondary")]
    names = {**{lv: data.level_name(lv, lang) for lv in data.levels}, "total": t("progress_all", lang)}
    cards = [dbc.Col(dbc.Card(dbc.CardBody([
        html.Div(f"{names.get(r.level, r.level)} · {r.unit_name}" if r.level != "total"
                 else names["total"], className="text-muted small"),
        html.Div(_pct(r.rate), className="fs-4 fw-bold", id=f"progress-rate-{r.unit_id}"),
        html.Div(t("progress_card", lang, on_time=f"{r.on_time:,}", expected=f"{r.expected:,}",
                   late=f"{r.late:,}", missing=f"{r.missing:,}"), className="small"),
    ])), md=3, className="mb-2") for r in comp.itertuples() if r.level in ("total", data.levels[0])
        or len(comp) <= 8]
    body = []
    for r in prog.itertuples():
        status = STATUS_ZH[r.status] if lang == "zh" else t(f"progress_{r.status}", lang)
        body.append(html.Tr([
            html.Td(r.unit_name), html.Td(_table_name(r.table, lang)),
            html.Td(f"{r.due:%Y-%m-%d}"),
            html.Td(dbc.Badge(status, color=_STATUS_COLOR[r.status],
                              text_color="dark" if r.status == "late" else None)),
            html.Td("—" if pd.isna(r.arrived_at) else f"{r.arrived_at:%Y-%m-%d %H:%M}"),
            html.Td(r.by or "—"),
            html.Td(f"{r.rows_read:,}", className="text-end"),
            html.Td(f"{r.accepted:,}", className="text-end"),
            html.Td(f"{r.rejected:,}", className="text-end"),
        ]))
    heads = ["progress_unit", "progress_table", "progress_due", "progress_status",
             "progress_arrived", "progress_by", "col_rows_read", "col_accepted", "col_rejected"]
    history = register_rows(dataset, set(prog["unit_id"]), lang)
    return [
        html.P(t("progress_intro", lang, period=conf["period"], level=data.level_name(conf["level"], lang)),
               className="text-muted"),
        dbc.Row(cards),
        dbc.Table([html.Thead(html.Tr([html.Th(t(h, lang)) for h in heads])), html.Tbody(body)],
                  id=ids.PG_TABLE, size="sm", hover=True, className="bg-white"),
        html.Details([html.Summary(t("register_heading", lang, n=f"{len(history):,}")),
                      dbc.Table([html.Thead(html.Tr([html.Th(t(h, lang)) for h in (
                          "progress_unit", "progress_table", "register_file", "progress_arrived",
                          "progress_by", "col_rows_read", "col_accepted", "col_rejected",
                          "register_replaces")])), html.Tbody(history)],
                          size="sm", className="bg-white mt-2", id=ids.PG_REGISTER)],
                     className="mb-3"),
    ]


def register_rows(dataset: Any, units: set[str], lang: str) -> list[html.Tr]:
    """Every recorded arrival of the visible units' files, newest first: unit, table, file
    name, when, by whom, rows read/accepted/rejected, and whether it replaced an earlier
    version (that version's arrival time)."""
    from data.submissions import read_register

    reg = read_register(dataset.manifest_path)
    reg = reg[reg["unit_id"].isin(units)]
    names = dict(zip(dataset.units["unit_id"].astype(str), dataset.units["unit_name"].astype(str)))
    when = dict(zip(reg["sha256"], reg["arrived_at"]))
    rows = []
    for r in reg.sort_values("arrived_at", ascending=False, kind="stable").itertuples():
        before = when.get(r.replaces) if r.replaces else None
        rows.append(html.Tr([
            html.Td(names.get(r.unit_id, r.unit_id)), html.Td(_table_name(r.table, lang)),
            html.Td(Path(str(r.file)).name),
            html.Td("—" if pd.isna(r.arrived_at) else f"{r.arrived_at:%Y-%m-%d %H:%M}"),
            html.Td(r.by or "—"),
            html.Td(f"{int(r.rows_read):,}", className="text-end"),
            html.Td(f"{int(r.accepted):,}", className="text-end"),
            html.Td(f"{int(r.rejected):,}", className="text-end"),
            html.Td(t("register_replaced", lang, time=f"{before:%Y-%m-%d %H:%M}")
                    if before is not None and not pd.isna(before) else "—"),
        ]))
    return rows


def _served() -> Any:
    """The served Results (the whole dataset: only whole-dataset accounts reach the tools)."""
    return store.results()


def frozen_section(data: store.DashboardData, lang: str) -> list[Any]:
    """Frozen years with their date and the differences since (filtered to visible units)."""
    from indicators.freeze import frozen_label, published_state

    dataset = store.results().dataset
    frozen, diffs = published_state(dataset.manifest_path)
    if not frozen:
        return [html.P(t("freeze_none", lang), className="text-muted")]
    visible = set(dataset.units["unit_id"].astype(str)) | {"total"}
    out: list[Any] = []
    for year in sorted(frozen, reverse=True):
        meta = frozen[year]
        diff = diffs.get(year, pd.DataFrame())
        if len(diff):
            order = {lv: i for i, lv in enumerate(["total", *data.levels])}
            diff = diff[diff["unit_id"].isin(visible)]
            diff = diff.assign(_o=diff["level"].map(order)).sort_values(
                ["_o", "unit_id", "indicator_id"], kind="stable")
        out.append(html.H3([f"{year} ", dbc.Badge(frozen_label(meta), color="dark", className="ms-1",
                                                  id=f"frozen-badge-{year}")], className="h6 mt-3"))
        if not len(diff):
            out.append(html.P(t("freeze_no_changes", lang), className="small"))
            continue
        out.append(html.P(t("freeze_changes", lang, n=f"{len(diff):,}"), className="small"))
        rows = []
        for r in diff.head(200).itertuples():
            ind = data.catalog.get(r.indicator_id)
            level = data.level_name(r.level, lang) if r.level != "total" else t("progress_all", lang)
            rows.append(html.Tr([html.Td(f"{level} · {r.unit_name}"), html.Td(r.indicator_name),
                                 html.Td(_value(r.frozen_value, ind), className="text-end"),
                                 html.Td(_value(r.current_value, ind), className="text-end"),
                                 html.Td(", ".join(Path(f).name for f in str(r.changed_files).split("、")
                                                   if f))]))
        heads = ["freeze_unit", "freeze_indicator", "freeze_frozen", "freeze_current", "freeze_file"]
        out.append(dbc.Table([html.Thead(html.Tr([html.Th(t(h, lang)) for h in heads])),
                              html.Tbody(rows)], size="sm", className="bg-white",
                             id=f"frozen-diff-{year}"))
        if len(diff) > 200:
            out.append(html.P(t("freeze_more", lang, n=f"{len(diff) - 200:,}"), className="small"))
    return out


def boundary_section(data: store.DashboardData, lang: str) -> list[Any]:
    """区划调整: the units redrawn in a year (manifest ``crosswalk``) and how their change on
    last year was made comparable; nothing when the manifest has no crosswalk."""
    from indicators.crosswalk import CrosswalkError, changed_units

    results = store.results()
    try:
        changed = changed_units(results.dataset)
    except CrosswalkError as exc:
        return [html.H2(t("boundary_heading", lang), className="h5 mt-4"),
                dbc.Alert(str(exc), color="danger")]
    if not len(changed):
        return []
    visible = set(results.dataset.units["unit_id"].astype(str))
    changed = changed[changed["unit_id"].astype(str).isin(visible)]
    table = results.table
    notes = {}
    if "boundary_note" in table.columns:
        yearly = table[table["period"].astype(str).str.len() == 4]
        for (period, uid), group in yearly.groupby(["period", "unit_id"]):
            texts = [n for n in pd.unique(group["boundary_note"].fillna("")) if n and "不能按权重折算" not in n]
            if texts:
                notes[(str(period), str(uid))] = texts[0]
    names = dict(zip(results.dataset.units["unit_id"].astype(str), results.dataset.units["unit_name"].astype(str)))
    rows = [html.Tr([html.Td(str(r.year)), html.Td(data.level_name(r.level, lang)),
                     html.Td(f"{names.get(str(r.unit_id), r.unit_id)}（{r.unit_id}）"), html.Td(r.kind),
                     html.Td(r.from_units), html.Td(r.weights),
                     html.Td(notes.get((str(r.year), str(r.unit_id)), ""))])
            for r in changed.itertuples()]
    heads = ["boundary_year", "boundary_level", "boundary_unit", "boundary_kind", "boundary_from",
             "boundary_weights", "boundary_note"]
    return [html.H2(t("boundary_heading", lang), className="h5 mt-4"),
            html.P(t("boundary_intro", lang), className="text-muted small"),
            dbc.Table([html.Thead(html.Tr([html.Th(t(h, lang)) for h in heads])), html.Tbody(rows)],
                      size="sm", className="bg-white", id=ids.PG_BOUNDARIES)]


def _admin_controls(data: store.DashboardData, lang: str) -> list[Any]:
    from indicators.freeze import frozen_years

    manifest = store.results().dataset.manifest_path
    frozen = frozen_years(manifest)
    open_years = [y for y in sorted(data.years, reverse=True) if int(y) not in frozen]
    return [
        dbc.Row([
            dbc.Col([dbc.Label(t("freeze_year", lang), html_for=ids.PG_FREEZE_YEAR),
                     dcc.Dropdown(id=ids.PG_FREEZE_YEAR, clearable=False,
                                  options=[{"label": y, "value": y} for y in open_years],
                                  value=open_years[0] if open_years else None)], md=3),
            dbc.Col(dbc.Button(t("freeze_button", lang), id=ids.PG_FREEZE_BUTTON, color="dark",
                               className="mt-4"), md=2),
            dbc.Col([dbc.Label(t("unfreeze_year", lang), html_for=ids.PG_UNFREEZE_YEAR),
                     dcc.Dropdown(id=ids.PG_UNFREEZE_YEAR, clearable=False,
                                  options=[{"label": str(y), "value": str(y)} for y in sorted(frozen)],
                                  value=str(max(frozen)) if frozen else None)], md=2),
            dbc.Col([dbc.Label(t("unfreeze_reason", lang), html_for=ids.PG_UNFREEZE_REASON),
                     dbc.Input(id=ids.PG_UNFREEZE_REASON, maxLength=200)], md=3),
            dbc.Col(dbc.Button(t("unfreeze_button", lang), id=ids.PG_UNFREEZE_BUTTON,
                               color="outline-danger", className="mt-4"), md=2),
        ], className="g-2"),
        dcc.Loading(html.Div(id=ids.PG_FREEZE_RESULT, className="mt-2", role="status")),
    ]


def _tools(data: store.DashboardData, lang: str) -> list[Any]:
    return [*template_controls(data, lang), *sendback_controls(lang)]


def template_controls(data: store.DashboardData, lang: str) -> list[Any]:
    """填报模板: table, street office (optional) and the download button. Also shown on 上传数据
    (the same component ids: the callback below serves both pages)."""
    levels = data.levels
    level = "street" if "street" in levels else levels[min(1, len(levels) - 1)]
    units = store.results().dataset.units
    units = units[units["level"] == level]
    try:
        manifest_tables = [tb for tb in TABLES if tb in _manifest().tables]
    except (ValueError, OSError):          # the manifest cannot be read now: no templates
        return []
    return [
        html.H2(t("template_heading", lang), className="h6 mt-4"),
        html.P(t("template_intro", lang), className="text-muted small"),
        dbc.Row([
            dbc.Col(dcc.Dropdown(id=ids.PG_TEMPLATE_TABLE, clearable=False,
                                 options=[{"label": _table_name(x, lang), "value": x} for x in manifest_tables],
                                 value=manifest_tables[0] if manifest_tables else None), md=3),
            dbc.Col(dcc.Dropdown(id=ids.PG_TEMPLATE_SCOPE, placeholder=t("template_all_units", lang),
                                 options=[{"label": f"{n}（{u}）", "value": u} for u, n in
                                          zip(units["unit_id"].astype(str), units["unit_name"].astype(str))]),
                    md=4),
            dbc.Col(dbc.Button(t("template_button", lang), id=ids.PG_TEMPLATE_BUTTON,
                               color="primary"), md=2),
        ], className="g-2"),
        dcc.Download(id=ids.PG_TEMPLATE_DOWNLOAD),
        html.Div(id=ids.PG_TEMPLATE_ERROR, className="mt-2"),
    ]


def sendback_button(lang: str) -> list[Any]:
    """The send-back zip button alone, for the data-quality page (same ids and callback);
    nothing for a scoped account (it sees no rejected rows)."""
    if not whole_dataset():
        return []
    return [dbc.Button(t("sendback_button", lang), id=ids.PG_SENDBACK_BUTTON, size="sm",
                       color="secondary", outline=True, className="mb-2 ms-2",
                       title=t("sendback_intro", lang)),
            dcc.Download(id=ids.PG_SENDBACK_DOWNLOAD),
            html.Span(id=ids.PG_SENDBACK_ERROR, className="ms-2")]


def sendback_controls(lang: str) -> list[Any]:
    """退回修改: the zip download."""
    return [
        html.H2(t("sendback_heading", lang), className="h6 mt-4"),
        html.P(t("sendback_intro", lang), className="text-muted small"),
        dbc.Button(t("sendback_button", lang), id=ids.PG_SENDBACK_BUTTON, color="primary"),
        dcc.Download(id=ids.PG_SENDBACK_DOWNLOAD),
        html.Div(id=ids.PG_SENDBACK_ERROR, className="mt-2"),
    ]


def _manifest() -> Any:
    from data.manifest import load_manifest
    return load_manifest(store.results().dataset.manifest_path)


def layout(lang: str | None = None, **_other: Any) -> html.Div:
    """Progress, frozen years and (whole-dataset accounts) the yearly tools."""
    data = store.get()
    lang = normalise_lang(lang)
    admin = is_admin()
    return html.Div([
        dcc.Store(id=ids.PG_LANG, data=lang),
        header(data.dataset_name(lang), bool(data.dataset.is_sample), lang, PATH,
               {"lang": None if lang == "zh" else lang}, ids.PG_LANG_SWITCH),
        dbc.Container(fluid=True, className="page", children=[
            html.H2(t("progress_heading", lang), className="h5 mt-2"),
            *progress_section(data, lang),
            html.H2(t("freeze_heading", lang), className="h5 mt-4"),
            html.Div(frozen_section(data, lang), id=ids.PG_FROZEN),
            *(_admin_controls(data, lang) if admin else []),
            *boundary_section(data, lang),
            *(_tools(data, lang) if whole_dataset() else []),
        ]),
    ])


@callback(Output(ids.PG_FREEZE_RESULT, "children", allow_duplicate=True),
          Input(ids.PG_FREEZE_BUTTON, "n_clicks"),
          State(ids.PG_FREEZE_YEAR, "value"), State(ids.PG_LANG, "data"),
          prevent_initial_call=True)
def freeze(_clicks: Any, year: Any, lang: Any):
    """Freeze the chosen year (administrators only; the role is checked again here)."""
    from indicators.freeze import FreezeError, freeze_year

    lang = normalise_lang(lang if isinstance(lang, str) else None)
    if not is_admin():
        return dbc.Alert(t("freeze_not_allowed", lang), color="danger")
    if not isinstance(year, str) or not year.isdigit() or len(year) != 4:
        return dbc.Alert(t("freeze_pick_year", lang), color="warning")
    try:
        meta = freeze_year(_served(), int(year), by=_user_name())
    except (FreezeError, OSError) as exc:
        _audit("freeze", year, "refused")
        return dbc.Alert(str(exc), color="danger")
    _audit("freeze", year, "ok")
    _reload()
    return dbc.Alert(t("freeze_done", lang, year=year, date=meta["frozen_at"][:10],
                       rows=f"{meta['rows']:,}"), color="success")


@callback(Output(ids.PG_FREEZE_RESULT, "children", allow_duplicate=True),
          Input(ids.PG_UNFREEZE_BUTTON, "n_clicks"),
          State(ids.PG_UNFREEZE_YEAR, "value"), State(ids.PG_UNFREEZE_REASON, "value"),
          State(ids.PG_LANG, "data"), prevent_initial_call=True)
def unfreeze(_clicks: Any, year: Any, reason: Any, lang: Any):
    """Unfreeze a year (administrators only; recorded with the reason)."""
    from indicators.freeze import FreezeError, unfreeze_year

    lang = normalise_lang(lang if isinstance(lang, str) else None)
    if not is_admin():
        return dbc.Alert(t("freeze_not_allowed", lang), color="danger")
    if not isinstance(year, str) or not year.isdigit():
        return dbc.Alert(t("freeze_pick_year", lang), color="warning")
    reason = reason[:200] if isinstance(reason, str) else ""
    try:
        unfreeze_year(store.results().dataset.manifest_path, int(year), by=_user_name(), reason=reason)
    except (FreezeError, OSError) as exc:
        _audit("unfreeze", year, "refused")
        return dbc.Alert(str(exc), color="danger")
    _audit("unfreeze", year, "ok")
    _reload()
    return dbc.Alert(t("unfreeze_done", lang, year=year), color="success")


def _audit(action: str, year: Any, result: str) -> None:
    """Also record a freeze/unfreeze in the server's audit log when it has one (issue 14)."""
    try:
        from server.audit import record
    except ImportError:
        return
    try:
        record(action, f"{year} 年", result)
    except Exception:     # noqa: BLE001 — the freeze log (frozen/log.jsonl) already has it
        pass


def _reload() -> None:
    """Serve the new state: the reload watcher rebuilds (the frozen folder changed the data
    version); without one (tests, embedded use) the snapshots are applied in place."""
    from server.reload import watcher

    w = watcher()
    if w is not None:
        w.reload_now()
        return
    from indicators.freeze import build_published
    store.set_results(build_published(_served().dataset.manifest_path), store.version())


@callback(Output(ids.PG_TEMPLATE_DOWNLOAD, "data"), Output(ids.PG_TEMPLATE_ERROR, "children"),
          Input(ids.PG_TEMPLATE_BUTTON, "n_clicks"),
          State(ids.PG_TEMPLATE_TABLE, "value"), State(ids.PG_TEMPLATE_SCOPE, "value"),
          prevent_initial_call=True)
def download_template(_clicks: Any, table: Any, scope: Any):
    """The fill-in template of a table, optionally for one street office."""
    from reports.template import TABLE_ZH, write_template

    if not whole_dataset():
        return dash.no_update, dbc.Alert("无权下载", color="danger")
    if table not in TABLES or (scope is not None and not isinstance(scope, str)):
        return dash.no_update, dbc.Alert("请选择数据表", color="warning")
    served = _served()
    try:
        with tempfile.TemporaryDirectory(prefix="template-") as tmp:
            path = write_template(_manifest(), table, Path(tmp) / "t.xlsx",
                                  units=served.dataset.units, scope=scope or None)
            content = path.read_bytes()
    except (ValueError, OSError) as exc:       # TemplateError, a manifest that cannot be read
        return dash.no_update, dbc.Alert(str(exc), color="danger")
    units = served.dataset.units
    name = units.loc[units["unit_id"].astype(str) == str(scope), "unit_name"] if scope else []
    suffix = f"_{name.iloc[0]}" if len(name) else ""
    return dcc.send_bytes(content, filename=f"{TABLE_ZH[table]}填报模板{suffix}.xlsx"), None


@callback(Output(ids.PG_SENDBACK_DOWNLOAD, "data"), Output(ids.PG_SENDBACK_ERROR, "children"),
          Input(ids.PG_SENDBACK_BUTTON, "n_clicks"), prevent_initial_call=True)
def download_sendback(_clicks: Any):
    """Every street office's rejected rows, one workbook each, in a zip."""
    from reports.sendback import write_sendback

    if not whole_dataset():
        return dash.no_update, dbc.Alert("无权下载", color="danger")
    try:
        with tempfile.TemporaryDirectory(prefix="sendback-") as tmp:
            result = write_sendback(_served().dataset, tmp)
            if result.zip_path is None:
                return dash.no_update, dbc.Alert("没有被拒收的数据行，无需退回。", color="success")
            content = io.BytesIO(result.zip_path.read_bytes()).getvalue()
    except (ValueError, OSError) as exc:       # SendbackError, a manifest that cannot be read
        return dash.no_update, dbc.Alert(str(exc), color="danger")
    return dcc.send_bytes(content, filename="退回修改_全部.zip"), None
