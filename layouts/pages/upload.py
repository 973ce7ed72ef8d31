"""Upload (上传数据): an analyst adds or replaces this year's files (server/uploads.py).

The file travels base64 in the callback POST; the server's ``MAX_CONTENT_LENGTH``
(server/auth.py) answers 413 to anything larger, whatever the browser's ``max_size`` says.
Only whole-dataset accounts may upload (a file feeds every unit). The page also says which data
version is served and, when a changed file failed validation, why the previous one still is.
"""
from __future__ import annotations

import base64
import binascii
import re
import time
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html

from layouts import ids, store
from layouts.components import header
from layouts.i18n import normalise_lang, t
from layouts.pages.progress import template_controls
from layouts.pages.quality import _table_name

PATH = "/upload"

dash.register_page(__name__, path=PATH, order=7, name="上传数据", nav_key="nav_upload",
                   title="上传数据 · 党建引领基层治理指标看板")


def _clock(stamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(stamp)) if stamp else "—"


def status_text(lang: str) -> list[Any]:
    """The served data version and, if the last change was refused, why (plain text)."""
    from server.reload import watcher

    w = watcher()
    if w is None:
        return [html.P(t("upload_disabled", lang))]
    s = w.status
    out = [html.P(t("upload_status", lang, version=s.version, time=_clock(s.loaded_at)))]
    if s.failed_reason:
        out.append(dbc.Alert(t("upload_status_failed", lang, time=_clock(s.failed_at),
                               reason=s.failed_reason), color="warning"))
    return out


def _year_of(path: str) -> int | None:
    """The year a file's name carries (``grids_2024.xlsx`` → 2024), or None."""
    found = re.findall(r"(?<!\d)(?:19|20)\d{2}(?!\d)", path.replace("\\", "/").split("/")[-1])
    return int(found[-1]) if found else None


def target_options(found: list[Any], data: store.DashboardData, lang: str) -> list[dict]:
    """Dropdown options for the upload targets (server.uploads.Target) in words an analyst
    uses — the table, the year or the unit a file is for — never the manifest's path, glob or
    unit codes: ``网格台账 · 2025 年（替换现有文件）``, ``群众诉求 · 示例区（新增一个文件）``.
    The newest year's files come first (the first option is preselected), then every other
    table and year; the same label twice is numbered."""
    names = dict(zip(data.dataset.units["unit_id"].astype(str),
                     data.dataset.units["unit_name"].astype(str)))
    rows, order = [], {}
    for x in found:
        table = _table_name(x.table, lang)
        units = [names[c] for c in re.findall(r"\d{4,}", x.path) if c in names]
        year = _year_of(x.path)
        what = "、".join(units) if units else (t("upload_year", lang, year=year) if year else "")
        key = "upload_target_add" if x.is_glob else "upload_target_replace"
        label = t(key, lang, table=table, what=what) if what else \
            t(key + "_plain", lang, table=table)
        rows.append((order.setdefault(x.table, len(order)), -(year or 0), label, x.key))
    rows.sort(key=lambda r: r[:2])          # tables as the manifest lists them, newest first
    newest = min((r[1] for r in rows), default=0)
    rows.sort(key=lambda r: r[1] != newest)  # this year's files first: the preselected option
    seen: dict[str, int] = {}
    options = []
    for _, _, label, key in rows:
        seen[label] = seen.get(label, 0) + 1
        options.append({"label": label if seen[label] == 1 else f"{label}（{seen[label]}）",
                        "value": key})
    return options


def layout(lang: str | None = None, **_other: Any) -> html.Div:
    """Source picker, the drop zone and the data status."""
    from server.auth import DEFAULT_UPLOAD_MB, may_upload
    from server.reload import watcher
    from server.uploads import targets

    data = store.get()
    lang = normalise_lang(lang)
    w = watcher()
    allowed = may_upload() and w is not None
    options = target_options(targets(w.manifest_path), data, lang) if allowed else []
    limit = dash.get_app().server.config.get("MAX_CONTENT_LENGTH")
    mb = round(limit * 3 / 4 / 1024 / 1024) if limit else DEFAULT_UPLOAD_MB
    body: list[Any]
    if not allowed:
        body = [dbc.Alert(t("upload_not_allowed" if w is not None else "upload_disabled", lang),
                          color="secondary")]
    else:
        body = [
            dbc.Label(t("upload_target", lang), html_for=ids.UP_TARGET),
            dcc.Dropdown(id=ids.UP_TARGET, options=options,
                         value=options[0]["value"] if options else None, clearable=False),
            dcc.Upload(id=ids.UP_FILE, multiple=False, max_size=mb * 1024 * 1024,
                       accept=".xlsx,.xlsm,.xls,.csv,.gz",
                       className="upload-drop mt-3 p-4 text-center border rounded",
                       style={"borderStyle": "dashed", "cursor": "pointer"},
                       children=html.Div(t("upload_drop", lang, mb=mb))),
            dcc.Loading(html.Div(id=ids.UP_RESULT, className="mt-3", role="status")),
        ]
    return html.Div([
        dcc.Store(id=ids.UP_LANG, data=lang),
        header(data.dataset_name(lang), bool(data.dataset.is_sample), lang, PATH,
               {"lang": None if lang == "zh" else lang}, ids.UP_LANG_SWITCH),
        dbc.Container(fluid=True, className="page", children=[
            html.H2(t("upload_heading", lang), className="h5 mt-2"),
            html.P(t("upload_intro", lang), className="text-muted"),
            *body,
            *(template_controls(data, lang) if allowed else []),   # fill-in templates (issue 17)
            html.Div(status_text(lang), id=ids.UP_STATUS, className="mt-3 text-muted small"),
        ]),
    ])


def decode_contents(contents: Any) -> bytes:
    """The bytes of a dcc.Upload ``contents`` data URL (``data:…;base64,…``). Raises ValueError
    for anything else (a client may send any value)."""
    if not isinstance(contents, str) or not contents.startswith("data:") or \
            ";base64," not in contents[:200]:
        raise ValueError("not a base64 data URL")
    try:
        return base64.b64decode(contents.split(",", 1)[1], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("bad base64") from exc


@callback(
    Output(ids.UP_RESULT, "children"),
    Output(ids.UP_STATUS, "children"),
    Input(ids.UP_FILE, "contents"),
    State(ids.UP_FILE, "filename"),
    State(ids.UP_TARGET, "value"),
    State(ids.UP_LANG, "data"),
    prevent_initial_call=True,
)
def upload(contents: Any, filename: Any, target: Any, lang: Any):
    """A dropped file → staged, validated with the whole dataset, applied or refused."""
    from server.auth import may_upload, signed_in_user
    from server.reload import watcher
    from server.uploads import UploadRefused, apply_upload, clean_name

    lang = normalise_lang(lang if isinstance(lang, str) else None)
    w = watcher()
    if w is None or not may_upload():
        return dbc.Alert(t("upload_not_allowed", lang), color="danger"), dash.no_update
    try:
        content = decode_contents(contents)
    except ValueError:
        return dbc.Alert(t("upload_bad_request", lang), color="danger"), dash.no_update
    name = clean_name(filename)
    limit = dash.get_app().server.config.get("MAX_CONTENT_LENGTH") or 0
    user = signed_in_user()
    try:
        result = apply_upload(w.manifest_path, target, name, content,
                              user.username if user else "local", w.build,
                              max_bytes=int(limit * 3 / 4) if limit else 50 * 1024 * 1024,
                              known_fatal=w.known_fatal)
    except UploadRefused as exc:
        return (dbc.Alert(t("upload_refused", lang, name=name, reason=str(exc)), color="danger"),
                dash.no_update)
    rows = [html.Li(t("upload_rows", lang, **{k: (f"{v:,}" if isinstance(v, int) else v)
                                              for k, v in s.items()}))
            for s in result.sources]
    if not result.accepted:
        return (dbc.Alert([t("upload_refused", lang, name=name, reason=result.message),
                           html.Ul(rows)], color="danger"), status_text(lang))
    w.reload_now()
    return (dbc.Alert([t("upload_accepted", lang, name=name, stored=result.stored_as,
                         version=w.status.version), html.Ul(rows)], color="success"),
            status_text(lang))
