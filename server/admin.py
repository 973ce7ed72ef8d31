"""Admin pages (role ``admin`` only): accounts with their sign-in state and an unlock button,
and the audit log filtered by user, action, result and dates, downloadable as JSON lines.

- ``GET /admin`` — the page (``?user=&action=&result=&since=&until=`` filter the log; the
  newest 200 matching records are shown);
- ``POST /admin/unlock`` — lift an account's lockout (CSRF token; audited as ``unlock``);
- ``GET /admin/audit.jsonl`` — the matching records as a download (audited).

Server-rendered HTML forms (the CSRF token travels in each form); anyone else gets 403 and an
audit record.
"""
from __future__ import annotations

import html
import json
from datetime import datetime
from typing import Any

import dash
import flask
from flask_wtf.csrf import generate_csrf

from server import audit
from server.accounts import ROLE_NAMES

ADMIN_PATH = "/admin"
SHOWN = 200
_FILTERS = ("user", "action", "result", "since", "until")
ACTION_NAMES = {
    "sign_in": "登录", "sign_in_failed": "登录失败", "lockout": "账号锁定",
    "sign_out": "退出", "export": "导出", "download": "下载", "upload": "上传",
    "reload": "数据重载", "scope_refused": "越权访问（已拒绝）",
    "permission_refused": "无权限操作（已拒绝）", "cross_origin_refused": "跨站请求（已拒绝）",
    "unlock": "解除锁定", "audit_download": "下载审计日志",
}

RESULT_NAMES = {
    "ok": "成功", "wrong_password": "密码错误", "delay": "尝试过快（已拒绝）", "locked": "账号已锁定",
    "refused": "已拒绝", "started": "已开始", "accepted": "已接收", "worker_lost": "处理进程中断",
    "rate_limited": "尝试过于频繁", "nothing_to_lift": "无需解除", "failed": "失败",
}

_STYLE = """<style>body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:0;
background:#f5f6f8}main{max-width:1200px;margin:1rem auto;background:#fff;padding:1.2rem 1.6rem;
border-radius:8px}table{border-collapse:collapse;width:100%;font-size:.85rem}td,th{border-bottom:
1px solid #ddd;padding:.3rem .4rem;text-align:left;vertical-align:top}th{background:#f1f1f3}
form.inline{display:inline}input,select{padding:.25rem;margin-right:.4rem}button{padding:.25rem
.7rem}h1{font-size:1.25rem}h2{font-size:1.05rem;margin-top:1.4rem}.muted{color:#666}</style>"""


def _page(body: str) -> str:
    return ('<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>账号与审计 · '
            f'党建引领基层治理指标看板</title>{_STYLE}</head><body><main>{body}</main></body></html>')


def _filters(args: Any) -> dict[str, str]:
    return {k: str(args.get(k, ""))[:64] for k in _FILTERS}


def _admin_user() -> Any:
    from server.auth import signed_in_user

    user = signed_in_user()
    if user is None or not user.may("admin"):
        audit.record("permission_refused", object=flask.request.path, result="refused")
        flask.abort(403)
    return user


def _when(stamp: float) -> str:
    return datetime.fromtimestamp(stamp).strftime("%Y-%m-%d %H:%M:%S") if stamp else ""


def _accounts_html() -> str:
    from server.auth import _installed

    registry, throttle = _installed["users"], _installed.get("throttle")
    sessions = _installed.get("sessions")
    counters = throttle.accounts() if throttle else {}
    active = sessions.active() if sessions else {}
    policy = registry.policy
    rows = []
    for name, user in sorted(registry.users.items()):
        failures, last = counters.get(name, (0, 0.0))
        state = "已停用" if user.disabled else ("已锁定" if failures >= policy.lock_after else
                                              (f"连续失败 {failures} 次" if failures else "正常"))
        unlock = ""
        if failures:
            unlock = (f'<form class="inline" method="post" action="{ADMIN_PATH}/unlock">'
                      f'<input type="hidden" name="csrf_token" value="{html.escape(generate_csrf())}">'
                      f'<input type="hidden" name="username" value="{html.escape(name)}">'
                      '<button type="submit">解除锁定</button></form>')
        scope = _scope_text("all" if user.scope is None else ",".join(sorted(user.scope)))
        rows.append(f"<tr><td>{html.escape(name)}</td><td>{html.escape(user.name)}</td>"
                    f"<td>{ROLE_NAMES.get(user.role, user.role)}</td><td>{html.escape(scope)}</td>"
                    f"<td>{active.get(name, 0):,}</td><td>{state}</td><td>{_when(last)}</td>"
                    f"<td>{unlock}</td></tr>")
    return ("<h2>账号</h2><table><tr><th>用户名</th><th>名称</th><th>角色</th><th>范围</th>"
            "<th>会话数</th><th>状态</th><th>最近失败</th><th></th></tr>" + "".join(rows) +
            "</table>" + f'<p class="muted">会话空闲 {policy.idle_minutes:g} 分钟或登录满 '
            f"{policy.absolute_hours:g} 小时后失效；连续 {policy.lock_after} 次密码错误锁定账号。"
            "增删账号、改密码、停用账号请修改用户文件，保存后立即生效。</p>")


def _audit_html(filters: dict[str, str]) -> str:
    log = audit.installed()
    records = log.read(**filters) if log else []
    shown = records[-SHOWN:][::-1]
    options = "".join(f'<option value="{k}"{" selected" if filters["action"] == k else ""}>'
                      f"{v}</option>" for k, v in ACTION_NAMES.items())
    results = "".join(f'<option value="{k}"{" selected" if filters["result"] == k else ""}>'
                      f"{v}</option>" for k, v in RESULT_NAMES.items())
    form = (f'<form method="get" action="{ADMIN_PATH}">用户 <input name="user" value="'
            f'{html.escape(filters["user"])}" size="10"> 操作 <select name="action"><option '
            f'value="">全部</option>{options}</select> 结果 <select name="result"><option value="">全部</option>'
            f'{results}</select> 自 <input name="since" type="date" value="'
            f'{html.escape(filters["since"])}"> 至 <input name="until" type="date" value="'
            f'{html.escape(filters["until"])}"> <button type="submit">筛选</button></form>')
    query = "&".join(f"{k}={html.escape(v)}" for k, v in filters.items() if v)
    rows = "".join(_row(r) for r in shown)
    return (f"<h2>审计日志</h2>{form}<p>共 {len(records):,} 条符合条件，显示最近 "
            f"{len(shown):,} 条。<a href=\"{ADMIN_PATH}/audit.jsonl?{query}\">下载全部符合条件的记录"
            "</a></p><table><tr><th>时间（UTC）</th><th>用户</th><th>角色</th><th>来源地址</th>"
            "<th>操作</th><th>范围</th><th>对象</th><th>结果</th></tr>" + rows + "</table>")


def _scope_text(value: Any) -> str:
    """``all`` → 全部单位; unit keys → unit names (the raw key only if the unit is unknown)."""
    if value in ("", None):
        return ""
    if value == "all":
        return "全部单位"
    from layouts import store
    units = store._results.dataset.units if store._results is not None else None
    names = {} if units is None else dict(zip(
        units["level"].astype(str) + ":" + units["unit_id"].astype(str),
        units["unit_name"].astype(str)))
    return "、".join(names.get(k, k) for k in str(value).split(","))


def _row(r: dict) -> str:
    cells = [str(r.get("time", "")).replace("T", " ").replace("+00:00", ""),
             _cell(r.get("user")), ROLE_NAMES.get(str(r.get("role")), _cell(r.get("role"))),
             _cell(r.get("client")),
             ACTION_NAMES.get(str(r.get("action")), _cell(r.get("action"))),
             _scope_text(r.get("scope")), _cell(r.get("object")),
             RESULT_NAMES.get(str(r.get("result")), _cell(r.get("result")))]
    return "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>"


def _cell(value: Any) -> str:
    """A record's field as text for the page: objects as their values joined by ·, unit keys
    as unit names, no internal names (output ids, field keys)."""
    if isinstance(value, dict):
        parts = [_cell(v) for k, v in value.items() if k not in ("output", "sha256", "id")
                 and not str(k).endswith("-lang") and v not in ("", None)]
        return " · ".join(p for p in parts if p)[:300]
    if isinstance(value, list):
        return "、".join(_cell(v) for v in value)[:300]
    if isinstance(value, str) and ":" in value and " " not in value and len(value) < 80:
        return _scope_text(value)
    return "" if value is None else str(value)[:300]


def install_admin(app: dash.Dash) -> None:
    """Add the admin routes to ``app``'s server (after server.auth's sign-in hook)."""
    server = app.server

    @server.route(ADMIN_PATH)
    def admin_page():
        _admin_user()
        filters = _filters(flask.request.args)
        return _page('<p><a href="/">← 返回看板</a></p><h1>账号与审计</h1>' +
                     _accounts_html() + _audit_html(filters))

    @server.route(ADMIN_PATH + "/unlock", methods=["POST"])
    def unlock():
        from server.auth import _installed

        _admin_user()
        _installed["csrf"].protect()
        name = str(flask.request.form.get("username", ""))[:64]
        throttle = _installed.get("throttle")
        lifted = throttle.unlock(name) if throttle else False
        audit.record("unlock", object=name, result="ok" if lifted else "nothing_to_lift")
        return flask.redirect(ADMIN_PATH)

    @server.route(ADMIN_PATH + "/audit.jsonl")
    def audit_download():
        _admin_user()
        filters = _filters(flask.request.args)
        log = audit.installed()
        records = log.read(**filters) if log else []
        audit.record("audit_download", object={k: v for k, v in filters.items() if v})
        body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
        return flask.Response(body, mimetype="application/x-ndjson; charset=utf-8", headers={
            "Content-Disposition": "attachment; filename=audit.jsonl"})
