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
- errors are generic Chinese pages (no traceback); the session cookie is HttpOnly, SameSite=Lax
  and Secure when ``SESSION_COOKIE_SECURE`` is set (behind a TLS proxy);
- sessions are server-side (server.sessions): the cookie holds a random id checked on every
  request, so logout, a changed password or role, a disabled or removed account end a session
  at once in every worker; idle and absolute timeouts come from the users file;
- the sign-in form and the sign-out button carry a CSRF token (Flask-WTF); sign-out is a POST;
  sign-in attempts are throttled per account and per client (server.throttle, Flask-Limiter);
- sign-ins, failures, lockouts and sign-outs go to the audit log (server.audit);
- the headers and callback guards of server.guards; a user bar on every page (who, role,
  sign-out) and the admin pages (server.admin).

:func:`install_local_only` is the no-accounts mode: requests from anywhere but the loopback
address are refused (403).
"""
from __future__ import annotations

import html
import logging
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import dash
import flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf
from werkzeug.security import check_password_hash

from layouts import store
from layouts.guards import set_permission_check
from server import audit
from server.accounts import ROLE_NAMES, Policy, User, UsersFile
from server.audit import AuditLog
from server.guards import install_guards
from server.scope import restrict_results
from server.sessions import SessionStore
from server.throttle import Throttle

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
        f'<input type="hidden" name="csrf_token" value="{html.escape(generate_csrf())}">'
        f'<input type="hidden" name="next" value="{html.escape(next_url)}">'
        '<label for="u">用户名</label><input id="u" name="username" autocomplete="username" required>'
        '<label for="p">密码</label><input id="p" name="password" type="password" '
        'autocomplete="current-password" required><button type="submit">登录</button></form>'))


_UNSAFE = re.compile(r"[\x00-\x20\x7f\\]")


def safe_next(target: Any) -> str:
    """A redirect target after sign-in: a path on this site only, else ``"/"``.

    Refused: anything not a string; any control character, whitespace (browsers strip tab, CR
    and LF, so ``/%09/evil.example`` arrives as ``/\t/evil.example`` and would become
    ``//evil.example``) or backslash; anything ``urlsplit`` finds a scheme or host in; a
    path not starting with a single ``/``.
    """
    if not isinstance(target, str) or not target or len(target) > 2000 or \
            _UNSAFE.search(target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


_safe_next = safe_next


def current_scope() -> frozenset[str] | None:
    """The signed-in user's scope, from the server-side session.

    In a request: Flask-Login's ``current_user``. In a background callback's job process
    (Dash runs it outside any request) the session cookie Dash hands to the job is verified
    with the app's SECRET_KEY and its session id checked in the session store — a forged,
    missing, logged-out or expired session is refused. Raises PermissionError when nobody is
    signed in.
    """
    if flask.has_request_context():
        user = current_user
        if not getattr(user, "is_authenticated", False):
            raise PermissionError("not signed in")
        return user.scope
    app = _installed["app"]
    cookies = dash.callback_context.cookies or {}
    cookie = cookies.get(app.config.get("SESSION_COOKIE_NAME", "session"))
    serializer = app.session_interface.get_signing_serializer(app)
    try:
        session = serializer.loads(cookie) if cookie and serializer else {}
    except Exception as exc:  # noqa: BLE001 - itsdangerous raises several; all mean "refuse"
        raise PermissionError("bad session") from exc
    user = _installed["load_user"](session.get("_user_id", ""), session.get("sid"))
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

    @server.errorhandler(400)
    def bad_request(_exc: Any):
        return page("请求有误", "<h1>请求有误</h1><p>请刷新页面后重试。</p>"), 400

    @server.errorhandler(405)
    def not_allowed(_exc: Any):
        return page("请求有误", "<h1>请求方式不被允许</h1>"), 405


def env_flag(name: str) -> bool:
    """An environment switch: ``1``, ``true``, ``yes``, ``on`` (any case) are on."""
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def install_local_only(app: dash.Dash, max_upload_mb: float = DEFAULT_UPLOAD_MB,
                       protections: bool = True) -> None:
    """No accounts: serve the loopback address only (403 to anyone else), everyone sees
    everything. Error pages and the size limit as in :func:`install_auth`; the headers and
    callback guards of server.guards unless ``protections`` is False (load-test baseline)."""
    server = app.server
    _common(server, max_upload_mb)
    store.set_access(None, None)
    set_permission_check(None)
    _installed.clear()

    @server.before_request
    def loopback_only():
        if flask.request.remote_addr not in LOOPBACK:
            flask.abort(403)

    if protections:
        install_guards(app)


def state_folder(users_path: str | Path | None) -> Path:
    """Where sessions, sign-in counters and the audit log live: ``DASHBOARD_STATE_DIR``, else
    ``.dashboard-state/`` beside the users file."""
    configured = os.environ.get("DASHBOARD_STATE_DIR")
    if configured:
        return Path(configured)
    return (Path(users_path).resolve().parent if users_path else Path.cwd()) / ".dashboard-state"


def _client() -> str:
    return (flask.request.remote_addr or "")[:64]


def install_auth(app: dash.Dash, users: UsersFile | dict[str, User], secret_key: str,
                 max_upload_mb: float = DEFAULT_UPLOAD_MB, *, state_dir: str | Path | None = None,
                 secure_cookie: bool | None = None, protections: bool = True) -> None:
    """Require sign-in on every route of ``app`` and restrict every page to the user's scope.

    users: a server.accounts.UsersFile (re-read when it changes) or a fixed ``{name: User}``.
    secret_key: signs the session cookie (SECRET_KEY; at least 16 characters). state_dir:
    sessions.sqlite (server.sessions), the sign-in counters (server.throttle) and audit.jsonl
    (server.audit); default :func:`state_folder`. secure_cookie: the cookie only over HTTPS
    (default: environment ``SESSION_COOKIE_SECURE``). protections False drops the server-side
    session check, throttling, audit and guards (only for bench/load_test.py's baseline).
    Raises ValueError for no users or a short key.
    """
    registry = users if isinstance(users, UsersFile) else _FixedUsers(users)
    if not registry.users:
        raise ValueError("no users")
    if not secret_key or len(secret_key) < 16:
        raise ValueError("SECRET_KEY must be at least 16 characters")
    secure = env_flag("SESSION_COOKIE_SECURE") if secure_cookie is None else secure_cookie
    server = app.server
    server.config.update(SECRET_KEY=secret_key, SESSION_COOKIE_HTTPONLY=True,
                         SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_SECURE=secure,
                         WTF_CSRF_CHECK_DEFAULT=False, WTF_CSRF_SSL_STRICT=True,
                         WTF_CSRF_TIME_LIMIT=None)
    _common(server, max_upload_mb)
    csrf = CSRFProtect(server)
    folder = Path(state_dir) if state_dir else state_folder(None)
    sessions = SessionStore(folder / "sessions.sqlite") if protections else None
    throttle = Throttle(folder / "sessions.sqlite") if protections else None
    audit_log = AuditLog(folder / "audit.jsonl") if protections else None
    audit.install(audit_log)
    limiter = Limiter(get_remote_address, app=server, default_limits=[],
                      storage_uri=os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
                      enabled=protections, headers_enabled=False)
    server.extensions["dashboard_limiter"] = limiter    # Flask-Limiter keeps only a weak ref

    def load_user(username: Any, sid: Any = None) -> User | None:
        user = registry.get(username)
        if user is None or sessions is None:
            return user
        policy = registry.policy
        ok = sessions.check(sid, user, policy.idle_minutes * 60, policy.absolute_hours * 3600)
        return user if ok else None

    manager = LoginManager()
    manager.init_app(server)
    manager.user_loader(lambda name: load_user(name, flask.session.get("sid")))
    _installed.clear()
    _installed.update(app=server, users=registry, load_user=load_user, sessions=sessions,
                      throttle=throttle, audit=audit_log, csrf=csrf)
    store.set_access(current_scope, restrict_results)
    set_permission_check(lambda action: (user := signed_in_user()) is not None and
                         user.may(action))
    dummy = next(iter(registry.users.values())).password_hash

    @server.errorhandler(CSRFError)
    def csrf_failed(_exc: Any):
        if flask.request.path == LOGIN_PATH:
            return _login_form("页面已过期，请重新输入。",
                               safe_next(flask.request.form.get("next"))), 400
        return page("页面已过期", f'<h1>页面已过期</h1><p><a href="/">返回首页</a></p>'), 400

    @server.errorhandler(429)
    def too_many(_exc: Any):
        audit.record("sign_in_failed", result="rate_limited", user="", client=_client())
        return page("请稍后再试", "<h1>登录尝试过于频繁</h1><p>请一分钟后再试。</p>"), 429

    @server.before_request
    def require_sign_in():
        path = flask.request.path
        if path == LOGIN_PATH or current_user.is_authenticated:
            return None
        if "sid" in flask.session:
            flask.session.clear()              # a revoked or expired session: sign in again
        if flask.request.method == "GET" and not path.startswith(("/_", "/assets")):
            full = flask.request.full_path.rstrip("?")
            return flask.redirect(f"{LOGIN_PATH}?next={quote(full, safe='/')}")
        return flask.Response("需要登录 / sign-in required", status=401,
                              mimetype="text/plain; charset=utf-8")

    @server.route(LOGIN_PATH, methods=["GET", "POST"])
    @limiter.limit(lambda: server.config.get("LOGIN_RATE") or LOGIN_RATE, methods=["POST"])
    def login():
        if flask.request.method != "POST":             # GET and HEAD: the form
            return _login_form(next_url=safe_next(flask.request.args.get("next")))
        csrf.protect()
        form = flask.request.form
        name = form.get("username", "")[:64]
        password = form.get("password", "")
        next_url = safe_next(form.get("next"))
        policy, client = registry.policy, _client()
        verdict = throttle.check(name, client, policy) if throttle else None
        if verdict is not None and not verdict.allowed:
            audit.record("sign_in_failed", object=name, result=verdict.reason, user=name,
                         role="", client=client, scope="")
            log.warning("sign-in for %r from %s refused (%s)", name, client, verdict.reason)
            return _login_form(WRONG, next_url), 401
        user = registry.get(name)
        # a password check for an unknown user costs as much as for a known one
        ok = user.check_password(password) if user is not None else \
            check_password_hash(dummy, password) and False
        if not ok:
            locked = throttle.failed(name, client, policy) if throttle else False
            audit.record("sign_in_failed", object=name, result="wrong_password", user=name,
                         role="", client=client, scope="")
            if locked:
                audit.record("lockout", object=name, result="locked", user=name, role="",
                             client=client, scope="")
            log.warning("failed sign-in for %r from %s", name, client)
            return _login_form(WRONG, next_url), 401
        if throttle:
            throttle.succeeded(name, client)
        flask.session.clear()
        if sessions is not None:
            flask.session["sid"] = sessions.create(user.username, user.fingerprint, client)
        login_user(user)
        audit.record("sign_in", object=user.username)
        return flask.redirect(next_url)

    @server.route(LOGOUT_PATH, methods=["GET", "POST"])
    def logout():
        if flask.request.method != "POST":     # a link must not sign anyone out: ask first
            return page("退出登录", '<h1>退出登录</h1>' + logout_form("确认退出"))
        csrf.protect()
        audit.record("sign_out")
        if sessions is not None:
            sessions.revoke(flask.session.get("sid"))
        logout_user()
        flask.session.clear()
        return flask.redirect(LOGIN_PATH)

    if protections:
        install_guards(app, user=signed_in_user, out_of_scope=_outside_scope, secure=secure)
    install_user_bar(app)
    from server.admin import install_admin
    install_admin(app)


WRONG = "用户名或密码不正确。"
#: Flask-Limiter's per-client rate on sign-in attempts (each worker counts its own unless
#: RATELIMIT_STORAGE_URI names a shared store such as redis://)
LOGIN_RATE = os.environ.get("DASHBOARD_LOGIN_RATE") or "60 per minute"


class _FixedUsers:
    """A ``{name: User}`` dict behaving like UsersFile (never re-read)."""

    def __init__(self, users: dict[str, User]) -> None:
        self.users, self.policy = dict(users), Policy()

    def __getitem__(self, username: str) -> User:
        return self.users[username]

    def get(self, username: Any) -> User | None:
        user = self.users.get(username) if isinstance(username, str) else None
        return None if user is None or user.disabled else user


def logout_form(label: str = "退出") -> str:
    """The sign-out button: a POST form with the CSRF token."""
    return (f'<form method="post" action="{LOGOUT_PATH}" style="display:inline;margin:0">'
            f'<input type="hidden" name="csrf_token" value="{html.escape(generate_csrf())}">'
            f'<button type="submit" class="userbar-logout">{html.escape(label)}</button></form>')


def user_bar_html(user: User) -> str:
    """Who is signed in, the role, an admin link for admins, and the sign-out button."""
    admin = ' · <a href="/admin">账号与审计</a>' if user.may("admin") else ""
    scope = "全部单位" if user.scope is None else "本单位"
    return ('<div class="userbar no-print" role="navigation" aria-label="账号" '
            'style="display:flex;justify-content:flex-end;gap:.6rem;align-items:center;'
            'padding:.25rem 1rem;font-size:.85rem;background:#f1f1f3">'
            f'<span>当前用户：{html.escape(user.name)}（{html.escape(ROLE_NAMES.get(user.role, user.role))}'
            f' · {scope}）{admin}</span>{logout_form()}</div>')


def install_user_bar(app: dash.Dash) -> None:
    """Put the user bar at the top of every Dash page (the index page is made per request)."""
    original = app.interpolate_index

    def interpolate_index(**kwargs: Any) -> str:
        index = original(**kwargs)
        user = signed_in_user()
        if user is None:
            return index
        return index.replace("<body>", "<body>" + user_bar_html(user), 1)

    app.interpolate_index = interpolate_index


def _outside_scope(keys: set[str]) -> set[str]:
    """The unit keys the signed-in user may not see."""
    user = signed_in_user()
    if user is None or user.scope is None or not keys:
        return set()
    from server.scope import allowed_units
    allowed = {f"{lv}:{uid}" for lv, uid in allowed_units(store._results.dataset.units,
                                                          user.scope)}
    return {k for k in keys if k != store.TOTAL and k not in allowed}


def signed_in_user() -> User | None:
    """The signed-in account, or None (no accounts, or no request)."""
    if not _installed or not flask.has_request_context():
        return None
    user = current_user
    return user if getattr(user, "is_authenticated", False) else None


def may_upload() -> bool:
    """Whether the current request may replace data files: with accounts, a whole-dataset
    data manager only; without accounts, the local user (the app serves 127.0.0.1 only)."""
    if not _installed:
        return True
    user = signed_in_user()
    return user is not None and user.may_upload
