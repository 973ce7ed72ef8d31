"""What a callback request may carry: every input and state checked by type and range before
any callback runs (server.guards calls :func:`check_callback_body` on each POST to
``/_dash-update-component``; a failure answers 400 with a short Chinese text, no traceback).

Rules are by component property (``value``, ``search``, ``n_clicks``, ``clickData``, …) with
per-component overrides (:data:`BY_ID`). A property this module does not know is allowed only
as a short scalar. Callbacks that produce files are listed in :data:`PERMISSIONS` by the input
that triggers them: the role must allow ``export`` or ``upload`` (server.accounts.ROLES).

Also: :func:`graph_config`, the one Plotly configuration every ``dcc.Graph`` uses (no share,
Chart Studio or cloud buttons; mode-bar tooltips in the page's language via Plotly's locale;
the map's topojson served from ``assets/topojson/``).
"""
from __future__ import annotations

import math
from typing import Any, Callable

import dash

from layouts import ids, store
from layouts.i18n import t

#: the longest text any input may hold (a URL query, a search box)
MAX_TEXT = 2_000
#: the most items in a list value (multi-select dropdowns) and the deepest nesting of an event
MAX_ITEMS = 2_000
MAX_DEPTH = 8
#: grid rows a download may send back (the compare grid shows one level of one dataset)
MAX_ROWS = 200_000


class BadInput(ValueError):
    """A callback input of the wrong type or out of range (message names id and property)."""


Rule = Callable[[Any], bool]


def _scalar(value: Any) -> bool:
    if isinstance(value, bool) or value is None:
        return True
    if isinstance(value, str):
        return len(value) <= MAX_TEXT
    if isinstance(value, int):
        return abs(value) < 10 ** 15
    return isinstance(value, float) and math.isfinite(value)


def text(value: Any) -> bool:
    return value is None or (isinstance(value, str) and len(value) <= MAX_TEXT)


def choice(value: Any) -> bool:
    """A dropdown / radio value: a scalar (never a list or dict)."""
    return _scalar(value)


def choices(value: Any) -> bool:
    """A multi-select value: a list of scalars, or one scalar, or None."""
    if isinstance(value, list):
        return len(value) <= MAX_ITEMS and all(
            isinstance(v, (str, int, float)) and not isinstance(v, bool) and _scalar(v)
            for v in value)
    return _scalar(value)


def count(value: Any) -> bool:
    """``n_clicks``: None or a non-negative integer."""
    return value is None or (isinstance(value, int) and not isinstance(value, bool)
                             and 0 <= value < 10 ** 9)


def number(low: float, high: float) -> Rule:
    def rule(value: Any) -> bool:
        return value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)
                                 and math.isfinite(value) and low <= value <= high)
    return rule


def _json(value: Any, depth: int = 0) -> bool:
    if depth > MAX_DEPTH:
        return False
    if isinstance(value, dict):
        return len(value) <= MAX_ITEMS and all(
            isinstance(k, str) and len(k) <= 200 and _json(v, depth + 1)
            for k, v in value.items())
    if isinstance(value, list):
        return len(value) <= MAX_ITEMS and all(_json(v, depth + 1) for v in value)
    return _scalar(value)


def event(value: Any) -> bool:
    """A Plotly click or a grid cell click: None or a small JSON object."""
    return value is None or (isinstance(value, dict) and _json(value))


def rows(value: Any) -> bool:
    """A grid's rows: None or a list of flat objects of scalars."""
    return value is None or (isinstance(value, list) and len(value) <= MAX_ROWS and all(
        isinstance(r, dict) and len(r) <= 200 and all(
            isinstance(k, str) and _scalar(v) for k, v in r.items()) for r in value))


def lang(value: Any) -> bool:
    return value is None or value in ("zh", "en")


def upload_contents(value: Any) -> bool:
    """A dcc.Upload data URL (its size is bounded by the request limit) or None."""
    return value is None or (isinstance(value, str) and value.startswith("data:"))


BY_PROPERTY: dict[str, Rule] = {
    "value": choice, "search": text, "pathname": text, "hash": text, "href": text,
    "n_clicks": count, "n_clicks_timestamp": number(0, 10 ** 14), "clickData": event,
    "hoverData": event, "selectedData": event, "relayoutData": event, "cellClicked": event,
    "virtualRowData": rows, "rowData": rows, "contents": upload_contents,
    "filename": text, "last_modified": number(0, 10 ** 14),
}
BY_ID: dict[tuple[str, str], Rule] = {
    (ids.TR_UNIT, "value"): choices,
    (ids.MAP_TYPES, "value"): choices,
    (ids.MAP_LAYERS, "value"): choices,
    (ids.MAP_RADIUS, "value"): number(0, 100_000),
    (ids.CMP_TOP_N, "value"): number(0, 100_000),
}
#: callbacks that make files, by the input that triggers them: the permission they need and
#: the audit action they are logged as
PERMISSIONS: dict[str, tuple[str, str]] = {
    ids.EXP_BUTTON: ("export", "export"),
    ids.CMP_DOWNLOAD_XLSX: ("export", "download"),
    ids.CMP_DOWNLOAD_CSV: ("export", "download"),
    ids.DQ_DOWNLOAD_BUTTON: ("export", "download"),
    ids.DQ_REJECTED_BUTTON: ("export", "download"),
    ids.UP_FILE: ("upload", "upload"),
    # issue 16: the Word/PDF report, the chart's own data, the indicator page's downloads
    ids.EXP_REPORT_BUTTON: ("export", "export"),
    ids.CMP_CHART_CSV: ("export", "download"),
    ids.CMP_CHART_XLSX: ("export", "download"),
    ids.IND_DOWNLOAD_CSV: ("export", "download"),
    ids.IND_DOWNLOAD_XLSX: ("export", "download"),
    ids.PG_TEMPLATE_BUTTON: ("export", "download"),      # 上报进度 / 上传数据 (issue 17)
    ids.PG_SENDBACK_BUTTON: ("export", "download"),
    ids.PG_FREEZE_BUTTON: ("admin", "freeze"),
    ids.PG_UNFREEZE_BUTTON: ("admin", "unfreeze"),
}


def _store_data(component_id: str) -> Rule | None:
    """``data`` of a page's language store (``*-lang``) is a language code."""
    return lang if component_id.endswith("-lang") else None


def check_item(item: Any) -> tuple[str, str, Any]:
    """One ``{"id", "property", "value"}`` entry of a callback body: ``(id, property, value)``.
    Raises BadInput when it is malformed or its value breaks the rule."""
    if not isinstance(item, dict):
        raise BadInput("callback input is not an object")
    component, prop = item.get("id"), item.get("property")
    if not isinstance(component, str) or not isinstance(prop, str) or \
            len(component) > 200 or len(prop) > 100:
        raise BadInput("callback input without a plain id and property")
    value = item.get("value")
    rule = BY_ID.get((component, prop)) or \
        (_store_data(component) if prop == "data" else None) or BY_PROPERTY.get(prop) or \
        _scalar
    if not rule(value):
        raise BadInput(f"{component}.{prop}: {type(value).__name__} not accepted")
    return component, prop, value


def check_callback_body(body: Any) -> list[tuple[str, str, Any]]:
    """Every input and state of a callback request body, checked; returns them as
    ``(id, property, value)``. Raises BadInput for anything else (a list where a text is
    expected, a dict for a dropdown value, a missing ``inputs`` list, …)."""
    if not isinstance(body, dict) or not isinstance(body.get("output"), str):
        raise BadInput("not a callback request")
    found = []
    for key in ("inputs", "state"):
        items = body.get(key, [])
        if not isinstance(items, list) or len(items) > 200:
            raise BadInput(f"{key} is not a list")
        for item in items:
            if isinstance(item, list):         # pattern-matching inputs: a list of entries
                found += [check_item(sub) for sub in item[:MAX_ITEMS]]
            else:
                found.append(check_item(item))
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
        raise BadInput("changedPropIds is not a list of texts")
    return found


#: mode-bar buttons that send a figure anywhere (none is shown); the remaining ones (zoom, pan,
#: download as PNG, reset) stay, with their tooltips translated by Plotly's locale
CLOUD_BUTTONS = ["sendChartToCloud", "sendDataToCloud", "editInChartStudio"]
#: mode-bar texts of plotly.js 3 that its zh-CN locale (assets/plotly-locale-zh-cn.js) lacks;
#: Plotly looks a text up in ``config.locales`` first, then in the registered locale
ZH_EXTRA = {
    "Download plot as JSON": "下载图表数据（JSON）",
    "JSON download succeeded": "JSON 下载成功",
    "Sorry, there was a problem downloading your JSON file!": "抱歉，JSON 文件下载失败！",
    "Download plot as a PNG": "下载图表为PNG格式",
    "Download plot as a SVG": "下载图表为SVG格式",
    "Draw line": "画线", "Draw rectangle": "画矩形", "Draw circle": "画圆",
    "Draw open freeform": "画开放曲线", "Draw closed freeform": "画封闭曲线",
    "Erase active shape": "删除所选图形",
}


#: where plotly.js finds the base-map topojson of ``geo`` subplots (``world_110m.json``),
#: inside the app's assets folder (assets/topojson/README.md says where the file comes from)
TOPOJSON_FOLDER = "topojson/"


def topojson_url() -> str:
    """The URL of ``assets/topojson/`` as the browser sees it (``/assets/topojson/``, under
    ``url_base_pathname`` when the app has one); the plain path outside a Dash app."""
    try:
        return dash.get_asset_url(TOPOJSON_FOLDER)
    except (AttributeError, KeyError):       # no Dash app configured yet (unit tests)
        return "/assets/" + TOPOJSON_FOLDER


def graph_config(lang: str, **extra: Any) -> dict[str, Any]:
    """The ``config`` of every ``dcc.Graph``: Plotly locale (``zh-CN`` is served from
    ``assets/plotly-locale-zh-cn.js``), no Plotly logo, no link to or upload to Plotly's
    cloud (``showLink``, ``showSendToCloud``, ``showEditInChartStudio`` off, those buttons
    removed, no server URL), the map's topojson from this server (``topojsonURL``, never
    Plotly's CDN), no PNG download for a role that may not ``export`` (:func:`may`);
    ``extra`` adds page-specific keys (e.g. ``scrollZoom``)."""
    config: dict[str, Any] = {
        "locale": "zh-CN" if lang == "zh" else "en",
        "displaylogo": False, "showLink": False, "showSendToCloud": False,
        "showEditInChartStudio": False, "plotlyServerURL": "", "linkText": "",
        "modeBarButtonsToRemove": list(CLOUD_BUTTONS), "topojsonURL": topojson_url(),
    }
    if not may("export"):               # a role that may not download gets no 下载图表 button
        config["modeBarButtonsToRemove"].append("toImage")
    if lang == "zh":
        config["locales"] = {"zh-CN": {"dictionary": dict(ZH_EXTRA)}}
    for key, value in extra.items():
        if key == "modeBarButtonsToRemove":
            config[key] = sorted(set(config[key]) | set(value))
        elif key not in ("showLink", "showSendToCloud", "showEditInChartStudio",
                         "plotlyServerURL", "topojsonURL"):
            config[key] = value
    return config


def whole_view() -> bool:
    """Whether the current user sees the whole dataset (no scope, or no accounts)."""
    try:
        return store.access_key().endswith("|*")
    except PermissionError:
        return False


def rank_column(lang: str, small: str) -> dict[str, Any]:
    """The rank column of a ranked grid: ``排名`` for the whole dataset; for a scoped user
    ``本区排名`` shown as ``k/N`` (ranks among the units in scope, server.scope.rerank_within)."""
    base = {"field": "rank", "width": 100, "type": "numericColumn",
            "filter": "agNumberColumnFilter"}
    if whole_view():
        return {**base, "headerName": t("rank", lang), "valueFormatter": {
            "function": f"params.value == null ? '{small}' : params.value"}}
    return {**base, "headerName": t("rank_in_scope", lang), "width": 120, "valueFormatter": {
        "function": f"params.value == null ? '{small}' : params.value + '/' + "
                    "(params.data.rank_of == null ? '' : params.data.rank_of)"}}


_permission: Callable[[str], bool] | None = None


def set_permission_check(check: Callable[[str], bool] | None) -> None:
    """Install (server.auth) or remove the check :func:`may` asks: ``action → allowed``."""
    global _permission
    _permission = check


def may(action: str) -> bool:
    """Whether the signed-in user's role allows ``action`` (``export``, ``upload`` …); True
    without accounts. Pages use it to disable what the server would refuse anyway."""
    return True if _permission is None else _permission(action)
