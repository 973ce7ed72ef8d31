"""Request guards every served app gets (with or without accounts):

- **headers** on every response: a Content-Security-Policy allowing this site only
  (``frame-ancestors 'none'``), ``X-Frame-Options: DENY``, ``X-Content-Type-Options: nosniff``,
  ``Referrer-Policy: same-origin`` (and ``Strict-Transport-Security`` when the session cookie is
  Secure, i.e. behind a TLS proxy);
- **same origin** on Dash's callback endpoint: a POST to ``/_dash-update-component`` must be
  JSON and carry an ``Origin`` (or, failing that, ``Referer``) of this very site — a page on
  another site cannot make a signed-in browser run callbacks (403 otherwise);
- **callback inputs** checked by type and range (layouts.guards) before any callback runs:
  anything else answers 400 with a short Chinese text, never a traceback;
- **permissions** for callbacks that make files (exports, downloads, uploads: 403 and an audit
  record when the role does not allow them) and an audit record when they start;
- **scope**: a unit key outside the user's scope in any input or URL query is logged as
  ``scope_refused`` (the pages themselves fall back to the user's own units).
"""
from __future__ import annotations

import base64
import hashlib
import json
import re
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

import dash
import flask

from layouts.guards import PERMISSIONS, BadInput, check_callback_body
from server import audit

CALLBACK_PATH = "/_dash-update-component"
_UNIT_KEY = re.compile(r"^([a-z_]+):([\w.-]{1,64})$")


def content_security_policy(script_hashes: list[str]) -> str:
    """The CSP header: this site only. Dash's inline scripts are allowed by their hashes; Plotly needs inline styles, ``blob:`` workers (maps) and ``data:`` images."""
    scripts = " ".join(f"'sha256-{h}'" for h in script_hashes)
    return ("default-src 'self'; "
            f"script-src 'self' {scripts} 'unsafe-eval'; "
            "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
            "font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
            "child-src 'self' blob:; object-src 'none'; base-uri 'self'; "
            "form-action 'self'; frame-ancestors 'none'")


_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>(.*?)</script>",
                            re.S | re.I)


def inline_script_hashes(page: str) -> list[str]:
    """sha256 (base64) of every inline executable ``<script>`` in an HTML page (Dash's index:
    the renderer bootstrap and its clientside callbacks); JSON data blocks are not scripts."""
    return sorted({base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode()
                   for body in _INLINE_SCRIPT.findall(page) if body.strip()})


def same_origin(request: flask.Request) -> bool:
    """Whether a request's Origin (or Referer when there is no Origin) is this site (same
    scheme, host and port as the request itself, as the proxy reports them)."""
    source = request.headers.get("Origin") or request.headers.get("Referer")
    if not source or source == "null":
        return False
    parts = urlsplit(source)
    here = urlsplit(request.host_url)
    return (parts.scheme, parts.netloc.lower()) == (here.scheme, here.netloc.lower())


def refused(status: int, message: str) -> flask.Response:
    return flask.Response(message, status=status, mimetype="text/plain; charset=utf-8")


def unit_keys(values: list[tuple[str, str, Any]]) -> set[str]:
    """Unit keys (``district:511602``) named by callback values or a URL query's ``unit``."""
    keys: set[str] = set()
    for _component, prop, value in values:
        items = value if isinstance(value, list) else [value]
        for item in items:
            if not isinstance(item, str):
                continue
            if prop in ("search", "href"):
                query = parse_qs(urlsplit(item).query or item.lstrip("?"))
                keys.update(v for v in query.get("unit", []) + query.get("vs", []))
            elif _UNIT_KEY.match(item):
                keys.add(item)
    return {k for k in keys if _UNIT_KEY.match(k)}


def _known_callback(app: dash.Dash, output: Any) -> bool:
    """Whether ``output`` names a callback the app has (Dash answers an unknown one with a 500
    and a traceback in the log)."""
    from dash._callback import GLOBAL_CALLBACK_MAP

    return isinstance(output, str) and (output in app.callback_map or output in GLOBAL_CALLBACK_MAP)


def install_guards(app: dash.Dash, *, user: Callable[[], Any] | None = None,
                   out_of_scope: Callable[[set[str]], set[str]] | None = None,
                   secure: bool = False) -> None:
    """Hook the guards into ``app``'s Flask server.

    user: returns the signed-in server.accounts.User (None: no accounts, everything allowed).
    out_of_scope: ``unit keys → those the user may not see`` (for the audit record).
    secure: the session cookie is Secure (TLS proxy): adds Strict-Transport-Security.
    """
    server = app.server
    policy = content_security_policy([])

    @server.after_request
    def security_headers(response: flask.Response) -> flask.Response:
        headers = response.headers
        own = policy
        if response.mimetype == "text/html" and not response.direct_passthrough:
            hashes = inline_script_hashes(response.get_data(as_text=True))
            if hashes:                     # exactly the inline scripts this page carries
                own = content_security_policy(hashes)
        headers.setdefault("Content-Security-Policy", own)
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response

    @server.before_request
    def guard_callbacks():
        request = flask.request
        if request.path != CALLBACK_PATH or request.method != "POST":
            return None
        if not same_origin(request):
            audit.record("cross_origin_refused", object=request.headers.get("Origin", ""),
                         result="refused")
            return refused(403, "请求来源不是本站，已拒绝。")
        if not request.is_json:
            return refused(400, "请求格式不正确。")
        body = request.get_json(silent=True)
        try:
            values = check_callback_body(body)
        except BadInput:
            return refused(400, "请求参数不正确，请刷新页面后重试。")
        if not _known_callback(app, body.get("output")):   # a stale page or a forged output
            return refused(400, "页面已更新，请刷新页面后重试。")
        current = user() if user is not None else None
        starting = "job" not in request.args           # a background job's poll is no new job
        changed = {c.split(".", 1)[0] for c in body.get("changedPropIds", [])}
        for component, (permission, action) in PERMISSIONS.items():
            if component not in changed:
                continue
            detail = {c: v for c, _p, v in values if c != component and isinstance(v, str)
                      and len(v) < 200}
            if current is not None and not current.may(permission):
                audit.record("permission_refused", object={"action": action, **detail},
                             result="refused")
                if permission != "upload":   # the Upload page refuses with its own message
                    return refused(403, "当前账号没有此项权限。")
                continue
            if starting:
                audit.record(action, object={"output": body["output"][:120], **detail},
                             result="started")
        if out_of_scope is not None and current is not None:
            outside = out_of_scope(unit_keys(values))
            if outside:
                audit.record("scope_refused", object=sorted(outside)[:20], result="refused")
        return None



#: what the export page says when its job's worker process died (the poll found no job and no
#: result); the build button, enabled again, becomes the retry button
JOB_LOST = "导出未完成：处理进程意外结束。请点击「重新导出」再试一次。"
RETRY_LABEL = "重新导出"


def install_job_watch(app: dash.Dash) -> None:
    """Answer an export poll whose job process is gone with a message and a retry button.

    Dash's background-callback poll answers 204 (no update) when the job's process no longer
    runs and left no result — the browser would stop polling with no word. This hook turns that
    answer into the export callback's status text (:data:`JOB_LOST`) and relabels the build
    button (re-enabled when the job ends) as 「重新导出」."""
    from layouts import ids

    @app.server.after_request
    def lost_export_job(response: flask.Response) -> flask.Response:
        request = flask.request
        job = request.args.get("job")
        if request.path != CALLBACK_PATH or response.status_code != 204 or not job:
            return response
        body = request.get_json(silent=True) or {}
        if f"{ids.EXP_STATUS}.children" not in str(body.get("output", "")):
            return response
        from layouts.pages.export import MANAGER
        try:                      # Dash's handle is "<pid>~<signature>"
            running = MANAGER.job_running(job.split("~", 1)[0])
        except (ValueError, OSError):
            running = False
        if running:
            return response
        audit.record("export", object={"job": job[:20]}, result="worker_lost")
        payload = {"multi": True, "response": {ids.EXP_STATUS: {"children": JOB_LOST}},
                   "sideUpdate": {ids.EXP_BUTTON: {"children": RETRY_LABEL}}}
        return flask.Response(json.dumps(payload, ensure_ascii=False), status=200,
                              mimetype="application/json")
