"""Sign-in on every route (Flask-Login), scope from the session, generic error pages and the
server-side request size limit.

:func:`install_auth` hooks a Dash app's Flask server:

- every request except ``/login`` needs a signed-in user — pages, ``/_dash-layout``,
  ``/_dash-dependencies``, ``/_dash-update-component`` (callbacks and their downloads),
  ``/_dash-component-suites/…``, ``/assets/…``, ``/_reload-hash``, ``/_version``; a page
  request is redirected to the sign-in form, anything else gets 401;
- the user's scope (``server.accounts.User.scope``) is read from the server-side session
  through Flask-Login and installed into ``layouts.store``; callback arguments never choose it;
- ``MAX_CONTENT_LENGTH`` makes Flask answer 413 to any larger request body (an upload arrives
  base64 in a callback POST, a third larger than the file);
- errors are generic Chinese pages (no traceback); the session cookie is HttpOnly, SameSite=Lax.

:func:`install_local_only` is the no-accounts mode: requests from anywhere but the loopback
address are refused (403).
"""
from __future__ import annotations

import html
import logging
from typing import Any
from urllib.parse import quote

import dash
import flask
from flask_login import LoginManager, current_user, login_user, logout_user
from werkzeug.security import check_password_hash

from layouts import store
from server.accounts import User
from server.scope import restrict_results

log = logging.getLogger(__name__)

LOGIN_PATH = "/login"
LOGOUT_PATH = "/logout"
#: the upload limit in MB when none is configured (the file itself; the request may be 4/3 of it)
DEFAULT_UPLOAD_MB = 50
LOOPBACK = {"127.0.0.1", "::1"}

_PAGE = """<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
<style>body{{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;background:#f5f6f8;
margin:0}}main{{max-width:360px;margin:12vh auto;background:#fff;padding:2rem;border-radius:8px;
box-shadow:0 1px 4px #0002}}h1{{font-size:1.2rem;margin:0 0 1.2rem}}label{{display:block;
margin:.8rem 0 .3rem}}input{{width:100%;box-sizing:border-box;padding:.45rem;font-size:1rem}}
button{{margin-top:1.2rem;width:100%;padding:.55rem;background:#b22222;color:#fff;border:0;
border-radius:4px;font-size:1rem}}.err{{color:#b22222}}</style></head><body><main>{body}</main>
</body></html>"""


def page(title: str, body_html: str) -> str:
    """A small standalone Chinese page (sign-in, errors); ``body_html`` must be escaped."""
    return _PAGE.format(title=html.escape(title), body=body_html)


def _login_form(message: str = "", next_url: str = "/") -> str:
    err = f'<p class="err" role="alert">{html.escape(message)}</p>' if message else ""
    return page("登录 · 党建引领基层治理指标看板", (
        "<h1>党建引领基层治理指标看板</h1>" + err +
        f'<form method="post" action="{LOGIN_PATH}">'
        f'<input type="hidden" name="next" value="{html.escape(next_url)}">'
        '<label for="u">用户名</label><input id="u" name="username" autocomplete="username" required>'
        '<label for="p">密码</label><input id="p" name="password" type="password" '
        'autocomplete="current-password" required><button type="submit">登录</button></form>'))


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no scheme, no host, no ``//``) — never an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def current_scope() -> frozenset[str] | None:
    """The signed-in user's scope, from the server-side session.

    In a request: Flask-Login's ``current_user``. In a background callback's job process
    (Dash runs it outside any request) the session cookie Dash hands to the job is verified
    with the app's SECRET_KEY — a forged or missing cookie is refused. Raises PermissionError
    when nobody is signed in.
    """
    if flask.has_request_context():
        user = current_user
        if not getattr(user, "is_authenticated", False):
            raise PermissionError("not signed in")
        return user.scope
    app, users = _installed["app"], _installed["users"]
    cookies = dash.callback_context.cookies or {}
    cookie = cookies.get(app.config.get("SESSION_COOKIE_NAME", "session"))
    serializer = app.session_interface.get_signing_serializer(app)
    try:
        session = serializer.loads(cookie) if cookie and serializer else {}
    except Exception as exc:  # noqa: BLE001 - itsdangerous raises several; all mean "refuse"
        raise PermissionError("bad session") from exc
    user = users.get(session.get("_user_id", ""))
    if user is None:
        raise PermissionError("not signed in")
    return user.scope


_installed: dict[str, Any] = {}


def _common(server: flask.Flask, max_upload_mb: float) -> None:
    server.config["MAX_CONTENT_LENGTH"] = int(max_upload_mb * 1024 * 1024 * 4 / 3) + 64 * 1024
    server.config["PROPAGATE_EXCEPTIONS"] = False

    @server.errorhandler(413)
    def too_large(_exc: Any):
        return page("文件过大", f"<h1>文件过大</h1><p>单个请求不能超过 {max_upload_mb:g} MB 的文件。</p>"), 413

    @server.errorhandler(500)
    def server_error(_exc: Any):
        return page("服务器错误", "<h1>服务器内部错误</h1><p>请稍后重试；如果问题持续，请联系管理员。</p>"), 500

    @server.errorhandler(404)
    def not_found(_exc: Any):
        return page("未找到", "<h1>未找到该页面</h1>"), 404


def install_local_only(app: dash.Dash, max_upload_mb: float = DEFAULT_UPLOAD_MB) -> None:
    """No accounts: serve the loopback address only (403 to anyone else), everyone sees
    everything. Error pages and the size limit as in :func:`install_auth`."""
    server = app.server
    _common(server, max_upload_mb)
    store.set_access(None, None)

    @server.before_request
    def loopback_only():
        if flask.request.remote_addr not in LOOPBACK:
            flask.abort(403)


def install_auth(app: dash.Dash, users: dict[str, User], secret_key: str,
                 max_upload_mb: float = DEFAULT_UPLOAD_MB) -> None:
    """Require sign-in on every route of ``app`` and restrict every page to the user's scope.

    users: ``server.accounts.load_users``. secret_key: signs the session cookie (from the
    SECRET_KEY environment variable; at least 16 characters). Raises ValueError for an empty
    users dict or a short key.
    """
    if not users:
        raise ValueError("no users")
    if not secret_key or len(secret_key) < 16:
        raise ValueError("SECRET_KEY must be at least 16 characters")
    server = app.server
    server.config.update(SECRET_KEY=secret_key, SESSION_COOKIE_HTTPONLY=True,
                         SESSION_COOKIE_SAMESITE="Lax")
    _common(server, max_upload_mb)
    manager = LoginManager()
    manager.init_app(server)
    manager.user_loader(users.get)
    _installed.update(app=server, users=users)
    store.set_access(current_scope, restrict_results)
    dummy = next(iter(users.values())).password_hash

    @server.before_request
    def require_sign_in():
        path = flask.request.path
        if path == LOGIN_PATH or current_user.is_authenticated:
            return None
        if flask.request.method == "GET" and not path.startswith(("/_", "/assets")):
            full = flask.request.full_path.rstrip("?")
            return flask.redirect(f"{LOGIN_PATH}?next={quote(full, safe='/')}")
        return flask.Response("需要登录 / sign-in required", status=401,
                              mimetype="text/plain; charset=utf-8")

    @server.route(LOGIN_PATH, methods=["GET", "POST"])
    def login():
        if flask.request.method == "GET":
            return _login_form(next_url=_safe_next(flask.request.args.get("next")))
        form = flask.request.form
        user = users.get(form.get("username", ""))
        password = form.get("password", "")
        # a password check for an unknown user costs as much as for a known one
        ok = user.check_password(password) if user is not None else \
            check_password_hash(dummy, password) and False
        if not ok:
            log.warning("failed sign-in for %r from %s", form.get("username", "")[:64],
                        flask.request.remote_addr)
            return _login_form("用户名或密码不正确。", _safe_next(form.get("next"))), 401
        flask.session.clear()
        login_user(user)
        return flask.redirect(_safe_next(form.get("next")))

    @server.route(LOGOUT_PATH)
    def logout():
        logout_user()
        flask.session.clear()
        return flask.redirect(LOGIN_PATH)



def signed_in_user() -> User | None:
    """The signed-in account, or None (no accounts, or no request)."""
    if not _installed or not flask.has_request_context():
        return None
    user = current_user
    return user if getattr(user, "is_authenticated", False) else None


def may_upload() -> bool:
    """Whether the current request may replace data files: with accounts, a whole-dataset
    account only; without accounts, the local user (the app then serves 127.0.0.1 only)."""
    if not _installed:
        return True
    user = signed_in_user()
    return user is not None and user.may_upload
