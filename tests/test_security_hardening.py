"""Issue 14: the findings of an attacker on 127.0.0.1, each replayed against the production app
(server.wsgi.create_server_app over the embedded sample, Flask test client — nothing leaves the
process): open redirect, CSRF, cross-origin callbacks, revocable sessions and timeouts,
throttling and lockout, headers, Plotly's cloud buttons, wrong input types, roles, audit log.
"""
from __future__ import annotations

import copy
import json
import re
import sqlite3
import time
from pathlib import Path

import pytest
import yaml
from plotly.utils import PlotlyJSONEncoder

from layouts import store
from server import reload as reload_mod
from server.accounts import hash_password
from tests.security_helpers import ORIGIN, browser, csrf_token, logout, post_login, signed_in

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample" / "dataset.yaml"
PAYLOADS = json.loads((ROOT / "bench" / "payloads" / "sample_callbacks.json")
                      .read_text(encoding="utf-8"))
SECRET = "test-secret-key-0123456789abcdef"
EAST = "district:511602"
ACCOUNTS = {
    "admin": ("admin-password", "all", "admin"),
    "city": ("city-password", "all", "data_manager"),
    "east": ("east-password", [EAST], "analyst"),
    "look": ("look-password", [EAST], "viewer"),
    "temp": ("temp-password", [EAST], "analyst"),
}
POLICY = {"session": {"idle_minutes": 30, "absolute_hours": 12},
          "lockout": {"free_failures": 3, "lock_after": 6}}


def users_yaml(accounts: dict, **extra) -> str:
    return yaml.safe_dump({**POLICY, **extra, "users": [
        {"username": name, "name": f"{name}-名称", "password_hash": hash_password(pw),
         "scope": scope, "role": role} for name, (pw, scope, role) in accounts.items()]},
        allow_unicode=True)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from server.auth import _installed
    from server.wsgi import create_server_app

    folder = tmp_path_factory.mktemp("hardening")
    users = folder / "users.yaml"
    users.write_text(users_yaml(ACCOUNTS), encoding="utf-8")
    app = create_server_app(SAMPLE, users, SECRET, max_upload_mb=1, reload_interval_s=3600)
    _installed["users"].check_s = 0.0           # see every edit of the users file at once
    app.server.config["LOGIN_RATE"] = "10000 per minute"    # many sign-ins from 127.0.0.1
    yield app, users, folder / ".dashboard-state"
    store.set_access(None, None)
    reload_mod._watcher = None


def sign_in(app, name: str):
    return signed_in(app, name, ACCOUNTS[name][0])


def state_db(state: Path) -> sqlite3.Connection:
    return sqlite3.connect(str(state / "sessions.sqlite"), isolation_level=None)


def audit_records(state: Path) -> list[dict]:
    path = state / "audit.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def body_for(prefix: str) -> dict:
    return copy.deepcopy(next(r["body"] for r in PAYLOADS
                              if r["body"]["output"].startswith(prefix)))


# -- 1. open redirect -------------------------------------------------------------------------
@pytest.mark.parametrize("target", [
    "/\t/evil.example/phish", "/\r/evil.example", "/\n/evil.example", " //evil.example",
    "/ /evil.example", "//evil.example", "/\\evil.example", "https://evil.example/",
    "javascript:alert(1)", "/\x00/evil.example", "http:/evil.example",
])
def test_sign_in_never_redirects_off_site(served, target):
    app, _, _ = served
    client = browser(app)
    answer = post_login(client, "east", ACCOUNTS["east"][0], next=target)
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/"
    form = client.get("/login", query_string={"next": target}).get_data(as_text=True)
    assert 'name="next" value="/"' in form


def test_sign_in_keeps_a_same_site_target(served):
    app, _, _ = served
    answer = post_login(browser(app), "east", ACCOUNTS["east"][0],
                        next="/compare?level=street")
    assert answer.headers["Location"] == "/compare?level=street"


# -- 2. CSRF, logout by POST, same-origin callbacks -------------------------------------------
def test_cross_site_sign_in_and_sign_out_are_refused(served):
    app, _, _ = served
    victim = sign_in(app, "east")
    attacker_form = victim.post("/login", data={"username": "city",
                                                "password": ACCOUNTS["city"][0]})
    assert attacker_form.status_code == 400                 # no token: not signed in as city
    assert "页面已过期" in attacker_form.get_data(as_text=True)
    assert victim.get("/logout").status_code == 200          # a link only asks
    assert victim.post("/logout").status_code == 400         # no token: still signed in
    assert victim.get("/_dash-layout").status_code == 200
    index = victim.get("/").get_data(as_text=True)
    assert "east-名称" in index and "分析员" in index        # the user bar: who and role
    assert re.search(r'<form method="post" action="/logout"', index)
    assert logout(victim).status_code == 302
    assert victim.get("/_dash-layout").status_code == 401


def test_callbacks_need_same_origin_json(served):
    app, _, _ = served
    client = sign_in(app, "east")
    body = body_for("..ov-cards")
    assert client.post("/_dash-update-component", json=body).status_code in (200, 204)
    evil = client.post("/_dash-update-component", json=body,
                       headers={"Origin": "http://evil.example"})
    assert evil.status_code == 403
    bare = app.server.test_client()
    bare.set_cookie("session", client.get_cookie("session").value)
    assert bare.post("/_dash-update-component", json=body).status_code == 403
    referer = bare.post("/_dash-update-component", json=body,
                        headers={"Referer": ORIGIN + "/compare"})
    assert referer.status_code in (200, 204)
    form = client.post("/_dash-update-component", data=json.dumps(body),
                       content_type="text/plain")
    assert form.status_code == 400


# -- 4. sessions ------------------------------------------------------------------------------
def test_a_copied_cookie_dies_with_logout(served):
    app, _, _ = served
    client = sign_in(app, "east")
    stolen = client.get_cookie("session").value
    thief = browser(app)
    thief.set_cookie("session", stolen)
    assert thief.get("/_dash-layout").status_code == 200
    logout(client)
    assert thief.get("/_dash-layout").status_code == 401


def test_users_file_edits_end_sessions_without_restart(served):
    app, users, _ = served
    original = users.read_text(encoding="utf-8")
    try:
        temp = sign_in(app, "temp")
        east = sign_in(app, "east")
        changed = yaml.safe_load(original)
        next(u for u in changed["users"] if u["username"] == "temp")["password_hash"] = \
            hash_password("temp-password-2")
        users.write_text(yaml.safe_dump(changed, allow_unicode=True), encoding="utf-8")
        assert temp.get("/_dash-layout").status_code == 401
        assert east.get("/_dash-layout").status_code == 200           # others unaffected
        assert post_login(browser(app), "temp", "temp-password-2").status_code == 302
        temp = sign_in(app, "east")
        disabled = yaml.safe_load(users.read_text(encoding="utf-8"))
        next(u for u in disabled["users"] if u["username"] == "east")["disabled"] = True
        users.write_text(yaml.safe_dump(disabled, allow_unicode=True), encoding="utf-8")
        assert temp.get("/_dash-layout").status_code == 401
        assert post_login(browser(app), "east", ACCOUNTS["east"][0]).status_code == 401
        changed["users"] = [u for u in changed["users"] if u["username"] != "temp"]
        users.write_text(yaml.safe_dump(changed, allow_unicode=True), encoding="utf-8")
        assert post_login(browser(app), "temp", "temp-password-2").status_code == 401
    finally:
        users.write_text(original, encoding="utf-8")
    assert sign_in(app, "east").get("/_dash-layout").status_code == 200


def test_idle_and_absolute_timeouts(served):
    app, _, state = served
    db = state_db(state)
    idle = sign_in(app, "east")
    assert idle.get("/_dash-layout").status_code == 200
    db.execute("UPDATE sessions SET last_seen = last_seen - 31 * 60")   # 31 min idle
    assert idle.get("/_dash-layout").status_code == 401
    busy = sign_in(app, "east")
    db.execute("UPDATE sessions SET created = created - 12 * 3600 - 60, "
               "last_seen = ?", (time.time(),))                        # active, but 12 h old
    assert busy.get("/_dash-layout").status_code == 401
    fresh = sign_in(app, "east")
    db.execute("UPDATE sessions SET last_seen = last_seen - 29 * 60")   # 29 min: still valid
    assert fresh.get("/_dash-layout").status_code == 200


# -- 3. throttling and lockout ----------------------------------------------------------------
def test_wrong_passwords_slow_down_then_lock_until_an_admin_unlocks(served):
    app, _, state = served
    db = state_db(state)
    right = ACCOUNTS["temp"][0]
    client = browser(app)
    wrong_page = None
    for _ in range(3):                                   # free failures: answered normally
        wrong = post_login(client, "temp", "guess")
        assert wrong.status_code == 401
        wrong_page = wrong.get_data(as_text=True)
    delayed = post_login(client, "temp", right)          # the 4th try comes too soon
    assert delayed.status_code == 401
    assert _strip_token(delayed.get_data(as_text=True)) == _strip_token(wrong_page)
    for _ in range(3):                                   # wait out each delay (backdated)
        db.execute("UPDATE failures SET last = last - 120")
        assert post_login(client, "temp", "guess").status_code == 401
    db.execute("UPDATE failures SET last = last - 3600")
    locked = post_login(client, "temp", right)           # 6 failures: locked, even an hour on
    assert locked.status_code == 401
    assert _strip_token(locked.get_data(as_text=True)) == _strip_token(wrong_page)
    actions = [(r["action"], r["result"]) for r in audit_records(state) if r["object"] == "temp"]
    assert ("lockout", "locked") in actions and ("sign_in_failed", "locked") in actions
    # an analyst cannot unlock; the admin can, from the admin page
    east = sign_in(app, "east")
    assert east.get("/admin").status_code == 403
    admin = sign_in(app, "admin")
    page = admin.get("/admin").get_data(as_text=True)
    assert "已锁定" in page and "解除锁定" in page
    token = csrf_token(admin, "/admin")
    assert admin.post("/admin/unlock", data={"username": "temp"}).status_code == 400
    assert admin.post("/admin/unlock", data={"username": "temp",
                                             "csrf_token": token}).status_code == 302
    assert post_login(browser(app), "temp", right).status_code == 302


def test_one_client_guessing_many_accounts_is_slowed(served):
    app, _, state = served
    client = browser(app)
    client.environ_base["REMOTE_ADDR"] = "127.0.0.7"
    for n in range(10):
        assert post_login(client, f"nobody{n}", "guess").status_code == 401
    # the 11th attempt from this address waits, even with another account's right password
    assert post_login(client, "east", ACCOUNTS["east"][0]).status_code == 401
    other = browser(app)
    other.environ_base["REMOTE_ADDR"] = "127.0.0.8"
    assert post_login(other, "east", ACCOUNTS["east"][0]).status_code == 302
    state_db(state).execute("DELETE FROM failures WHERE key = '127.0.0.7'")


def test_flask_limiter_caps_sign_in_attempts_per_client(served):
    app, _, state = served
    app.server.config["LOGIN_RATE"] = "5 per minute"
    try:
        client = browser(app)
        client.environ_base["REMOTE_ADDR"] = "127.0.0.9"
        answers = [post_login(client, "admin", "guess").status_code for _ in range(7)]
    finally:
        app.server.config["LOGIN_RATE"] = "10000 per minute"
        state_db(state).execute("DELETE FROM failures")
    assert answers[:5] == [401] * 5 and answers[5:] == [429, 429]


def _strip_token(page: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]+"', "", page)


# -- 5. headers -------------------------------------------------------------------------------
def test_every_response_carries_the_security_headers(served):
    app, _, _ = served
    client = sign_in(app, "east")
    answers = [browser(app).get("/login"), client.get("/"), client.get("/_dash-layout"),
               client.get("/assets/style.css"), client.get("/no-such-page"),
               client.post("/_dash-update-component", json=body_for("..ov-cards")),
               app.server.test_client().get("/_dash-layout")]
    for answer in answers:
        csp = answer.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
        assert "http" not in csp                         # no third-party origin
        assert answer.headers["X-Frame-Options"] == "DENY"
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["Referrer-Policy"] == "same-origin"
    # the one inline script of the index page is allowed by its hash
    index = client.get("/").get_data(as_text=True)
    assert "'sha256-" in answers[1].headers["Content-Security-Policy"]
    assert "new DashRenderer" in index


def test_secure_cookie_from_the_environment(tmp_path, monkeypatch):
    import dash

    from server import audit
    from server.accounts import load_users
    from server.auth import _installed, current_scope, install_auth
    from server.scope import restrict_results

    users = tmp_path / "u.yaml"
    users.write_text(users_yaml({"east": ACCOUNTS["east"]}), encoding="utf-8")
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "1")
    app = dash.Dash(__name__)
    app.layout = dash.html.Div()
    before, audit_before = dict(_installed), audit.installed()
    try:
        install_auth(app, load_users(users), SECRET, state_dir=tmp_path / "state")
        assert app.server.config["SESSION_COOKIE_SECURE"] is True
        client = app.server.test_client(use_cookies=True)
        answer = client.get("/login", base_url="https://localhost")
        assert "Secure" in answer.headers["Set-Cookie"]
        assert "max-age" in answer.headers["Strict-Transport-Security"]
    finally:                                    # the module's served app again
        _installed.clear()
        _installed.update(before)
        audit.install(audit_before)
        store.set_access(current_scope, restrict_results)


# -- 7. wrong types ---------------------------------------------------------------------------
BAD_VALUES = {"list": ["district:511603", "x"], "dict": {"a": {"b": 1}}, "huge": 10 ** 30,
              "nested": [[["x"]]]}


@pytest.mark.parametrize("kind", list(BAD_VALUES))
def test_wrong_types_answer_400_without_traceback(served, kind):
    app, _, _ = served
    client = sign_in(app, "city")
    statuses = []
    for item in PAYLOADS:
        for position in range(len(item["body"]["inputs"])):
            body = copy.deepcopy(item["body"])
            entry = body["inputs"][position]
            if entry["property"] in ("clickData", "cellClicked") and kind == "dict":
                continue                                 # an event is an object
            if entry["id"] in ("tr-unit",) and kind == "list":
                continue                                 # a multi-select value is a list
            entry["value"] = BAD_VALUES[kind]
            answer = client.post("/_dash-update-component", json=body)
            text = answer.get_data(as_text=True)
            assert "Traceback" not in text and 'File "' not in text
            statuses.append(answer.status_code)
    assert 500 not in statuses
    assert statuses.count(400) >= len(statuses) // 2


def test_an_unknown_or_stale_callback_answers_400_and_every_recorded_one_is_known(served):
    """A page open from before an update (or a forged body) names an output the app no longer
    has: Dash would answer 500 with a traceback in the log; the guard answers 400. The load
    test's recorded bodies must all name callbacks the app has, or it measures errors."""
    app, _, _ = served
    client = sign_in(app, "city")
    for item in PAYLOADS:
        assert item["body"]["output"] in app.callback_map, item["body"]["output"][:80]
    body = body_for("..ov-cards")
    body["output"] = "..ov-cards.children...no-such-output.children.."
    answer = client.post("/_dash-update-component", json=body)
    assert answer.status_code == 400
    assert "刷新" in answer.get_data(as_text=True) and "Traceback" not in answer.get_data(as_text=True)


def test_export_with_a_list_as_scope_is_refused_before_it_starts(served):
    from layouts.pages.export import validate_choice

    app, _, _ = served
    client = sign_in(app, "east")
    body = body_for("..exp-")
    body["state"][1]["value"] = ["district:511603"]
    answer = client.post("/_dash-update-component", json=body)
    assert answer.status_code == 400 and "job" not in answer.get_data(as_text=True)
    with app.server.test_request_context():
        from flask_login import login_user

        from server.auth import _installed
        login_user(_installed["users"]["east"])
        data = store.get()
        for year, unit in (("2025", ["district:511603"]), (["2025"], EAST), ("2025", {"a": 1}),
                           (True, EAST)):
            with pytest.raises(ValueError):
                validate_choice(data, year, unit)


# -- 6. Plotly config -------------------------------------------------------------------------
def _find(component, component_id):
    """The component with ``id`` in a layout tree (None if absent)."""
    if getattr(component, "id", None) == component_id:
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, (list, tuple)) else [children]:
        if child is not None and hasattr(child, "to_plotly_json"):
            found = _find(child, component_id)
            if found is not None:
                return found
    return None


def _graphs(component):
    from dash import dcc

    found = []
    if isinstance(component, dcc.Graph):
        found.append(component)
    children = getattr(component, "children", None)
    for child in children if isinstance(children, (list, tuple)) else [children]:
        if child is not None and hasattr(child, "to_plotly_json"):
            found += _graphs(child)
    return found


def test_no_graph_offers_a_cloud_button(served):
    import dash
    from flask_login import login_user

    from server.auth import _installed

    app, _, _ = served
    graphs = []
    with app.server.test_request_context():
        login_user(_installed["users"]["city"])
        for page in dash.page_registry.values():
            layout = page["layout"]
            graphs += _graphs(layout() if callable(layout) else layout)
    assert len(graphs) >= 4                               # overview, compare, trends, map …
    for graph in graphs:
        config = graph.config
        assert config["showSendToCloud"] is False and config["showEditInChartStudio"] is False
        assert config["showLink"] is False and config["displaylogo"] is False
        assert {"sendChartToCloud", "sendDataToCloud", "editInChartStudio"} <= \
            set(config["modeBarButtonsToRemove"])
        assert config["locale"] == "zh-CN"
    # and every dcc.Graph in the code takes its config from the one place
    for path in (ROOT / "layouts").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"dcc\.Graph\((.{0,400})", text, re.S):
            assert "graph_config(" in match.group(1) or "def " in text[match.start() - 80:
                                                                         match.start()], path


def test_remaining_mode_bar_tooltips_have_chinese_texts():
    """Every mode-bar button plotly.js 3 can show on our 2-D and map charts (titles read from
    the served plotly bundle) is translated by the zh-CN locale or graph_config's extra texts."""
    import plotly

    from layouts.guards import CLOUD_BUTTONS, ZH_EXTRA

    bundle = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_text()
    titles = dict(re.findall(r'name:"(\w+)",(?:_cat:"\w+",)?title:function\(\w\)\{return '
                             r'\w+\(\w,"([^"]+)"\)', bundle))
    assert titles["sendChartToCloud"] == "Share chart..."       # the leak this removes
    locale = (ROOT / "assets" / "plotly-locale-zh-cn.js").read_text(encoding="utf-8")
    dictionary = json.loads(re.search(r'"dictionary":(\{.*?\})', locale).group(1))
    shown = {name: title for name, title in titles.items() if name not in CLOUD_BUTTONS and
             not name.endswith(("3d", "Geo", "Pie", "Sankey"))}
    missing = {t for t in shown.values() if t not in dictionary and t not in ZH_EXTRA}
    assert missing == set()


# -- 9/10. roles and the audit log ------------------------------------------------------------
def test_roles_and_audit_records(served):
    app, _, state = served
    viewer = sign_in(app, "look")
    export = body_for("..exp-")
    assert viewer.post("/_dash-update-component", json=export).status_code == 403
    analyst = sign_in(app, "east")
    started = analyst.post("/_dash-update-component", json=export)
    assert started.status_code == 200 and "job" in started.get_json()
    logout(analyst)
    records = audit_records(state)
    for record in records:
        assert set(record) == {"time", "user", "role", "client", "action", "scope", "object",
                               "result"}
    mine = [(r["user"], r["role"], r["action"], r["result"]) for r in records]
    assert ("look", "viewer", "permission_refused", "refused") in mine
    assert ("east", "analyst", "export", "started") in mine
    assert ("east", "analyst", "sign_in", "ok") in mine
    assert ("east", "analyst", "sign_out", "ok") in mine
    east_export = next(r for r in records if r["action"] == "export" and r["user"] == "east")
    assert east_export["scope"] == EAST and east_export["client"] == "127.0.0.1"
    # the admin page filters and downloads
    admin = sign_in(app, "admin")
    page = admin.get("/admin", query_string={"user": "east", "action": "export"})
    assert page.status_code == 200 and "east" in page.get_data(as_text=True)
    download = admin.get("/admin/audit.jsonl", query_string={"user": "look"})
    lines = [json.loads(x) for x in download.get_data(as_text=True).splitlines()]
    assert lines and all(x["user"] == "look" for x in lines)
    assert "attachment" in download.headers["Content-Disposition"]


def test_scope_tampering_is_audited(served):
    app, _, state = served
    east = sign_in(app, "east")
    body = body_for("..ov-cards")
    body["inputs"][1]["value"] = "district:511603"
    east.post("/_dash-update-component", json=body)
    refused = [r for r in audit_records(state) if r["action"] == "scope_refused"]
    assert refused and refused[-1]["object"] == ["district:511603"]
    assert refused[-1]["user"] == "east"


def test_audit_log_rotates_by_size(tmp_path):
    from server.audit import AuditLog

    log = AuditLog(tmp_path / "audit.jsonl", max_bytes=2_000, backups=3)
    for n in range(60):
        log.write("download", user=f"u{n}", object={"n": n})
    files = log.files()
    assert 2 <= len(files) <= 4
    assert all(p.stat().st_size <= 2_000 for p in files)
    kept = log.read()
    numbers = [r["object"]["n"] for r in kept]
    assert numbers == sorted(numbers) and numbers[-1] == 59     # oldest dropped, order kept
    assert [r["user"] for r in log.read(user="u59")] == ["u59"]


# -- 8. scope everywhere ----------------------------------------------------------------------
def _as(app, name):
    """A request context signed in as ``name`` (for page layouts and jobs called directly)."""
    from flask_login import login_user

    from server.auth import _installed

    context = app.server.test_request_context()
    context.push()
    login_user(_installed["users"][name])
    return context


def test_map_sends_only_the_units_in_scope(served):
    from layouts.mapview import map_data
    from layouts.pages import map as map_page

    app, _, _ = served
    grids = store._results.dataset.tables["grids"]
    foreign_ids = set(grids.loc[grids["district_id"] != "511602", "district_id"]) | \
        set(grids.loc[grids["district_id"] != "511602", "street_id"])
    own_streets = set(grids.loc[grids["district_id"] == "511602", "street_id"])
    context = _as(app, "east")
    try:
        geo = map_data(store.get().dataset)
        sent = {str(f["id"]) for b in geo.boundaries.values() for f in b.geojson["features"]}
        page = json.dumps(map_page.layout(level="street"), cls=PlotlyJSONEncoder,
                          ensure_ascii=False)
    finally:
        context.pop()
    assert sent and not sent & foreign_ids
    assert own_streets & sent
    assert not [i for i in foreign_ids if f'"{i}"' in page]
    assert [i for i in own_streets if f'"{i}"' in page]       # the map itself was drawn
    context = _as(app, "city")                     # the whole-city account sees them all
    try:
        geo = map_data(store.get().dataset)
        everything = {str(f["id"]) for b in geo.boundaries.values() for f in b.geojson["features"]}
    finally:
        context.pop()
    assert foreign_ids & everything


def test_compare_ranks_are_within_scope(served):
    app, _, _ = served
    east = sign_in(app, "east")
    body = body_for("..cmp-graph")
    body["changedPropIds"] = ["cmp-level.value"]
    answer = east.post("/_dash-update-component", json=body)
    assert answer.status_code == 200, answer.status_code
    grid = answer.get_json()["response"]["cmp-grid"]
    rows = grid["rowData"]
    ranked = [r for r in rows if r["rank"] is not None]
    assert ranked and {r["rank_of"] for r in ranked} == {len(ranked)}
    # expected: the city-wide order of the same units, renumbered 1..N (ties share a rank)
    full = store._results.table
    city = {r["unit_id"]: r["rank"] for r in ranked}
    level = body["inputs"][1]["value"]
    city_ranks = full[(full["level"] == level) & (full["period"] == body["inputs"][2]["value"])
                      & (full["indicator_id"] == body["inputs"][0]["value"])
                      & full["unit_id"].isin(city)].set_index("unit_id")["rank"]
    expected = city_ranks.rank(method="min").astype(int).to_dict()
    assert {u: int(r) for u, r in city.items()} == expected
    assert max(city_ranks) > len(ranked)            # the city rank would have leaked
    header = next(c for c in grid["columnDefs"] if c["field"] == "rank")
    assert header["headerName"] == "本区排名" and "rank_of" in header["valueFormatter"]["function"]
    city_grid = sign_in(app, "city").post("/_dash-update-component", json=body).get_json()
    assert max(r["rank"] or 0 for r in city_grid["response"]["cmp-grid"]["rowData"]) > len(ranked)
    city_header = next(c for c in city_grid["response"]["cmp-grid"]["columnDefs"]
                       if c["field"] == "rank")
    assert city_header["headerName"] == "排名"


def test_scoped_export_is_titled_with_the_scope(served):
    import io

    import openpyxl

    from layouts.pages.export import run_job

    app, _, _ = served
    context = _as(app, "east")
    try:
        data = store.get()
        download, status = run_job(data, store.results(), data.latest_year, "total", "zh",
                                   lambda _p: None)
    finally:
        context.pop()
    assert download["filename"] == f"年度评议_{data.latest_year}_示例区.xlsx", status
    import base64
    book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(download["content"])))
    first = book.worksheets[0]
    texts = " ".join(str(c.value) for row in first.iter_rows(max_row=4) for c in row if c.value)
    assert "示例区" in texts and "全部单位" not in texts


# -- 11. faults -------------------------------------------------------------------------------
def test_an_export_whose_worker_dies_is_reported_with_a_retry(served):
    import os
    import signal

    from server.guards import JOB_LOST, RETRY_LABEL

    app, _, state = served
    east = sign_in(app, "east")
    end_id = re.search(r'"end_id":\s*"([^"]+)"', east.get("/").get_data(as_text=True))
    params = {"endId": end_id.group(1)} if end_id else {}
    body = body_for("..exp-")
    body["inputs"][0]["value"] = time.time_ns() % 10 ** 9    # a new click: a new job
    started = east.post("/_dash-update-component", json=body, query_string=params)
    assert started.status_code == 200, started.status_code
    handles = started.get_json()
    os.kill(int(str(handles["job"]).split("~")[0]), signal.SIGKILL)         # the job's worker process dies
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        poll = east.post("/_dash-update-component", json=body, query_string={
            **params, "cacheKey": handles["cacheKey"], "job": handles["job"]})
        assert poll.status_code in (200, 204)
        answer = poll.get_json(silent=True) or {}
        if "response" in answer:
            break
        time.sleep(0.3)
    else:
        pytest.fail("the poll never reported the lost job")
    assert answer["response"]["exp-status"]["children"] == JOB_LOST
    assert answer["sideUpdate"]["exp-button"]["children"] == RETRY_LABEL
    lost = [r for r in audit_records(state) if r["result"] == "worker_lost"]
    assert lost and lost[-1]["user"] == "east"


def test_only_data_managers_upload(served):
    """A whole-city analyst or admin may no longer upload (before: every scope-all account)."""
    import base64

    app, _, state = served
    url = "data:application/octet-stream;base64," + base64.b64encode(b"x" * 100).decode()
    body = {"output": "..up-result.children...up-status.children..",
            "outputs": [{"id": "up-result", "property": "children"},
                        {"id": "up-status", "property": "children"}],
            "inputs": [{"id": "up-file", "property": "contents", "value": url}],
            "changedPropIds": ["up-file.contents"],
            "state": [{"id": "up-file", "property": "filename", "value": "x.xlsx"},
                      {"id": "up-target", "property": "value", "value": "stations:0"},
                      {"id": "up-lang", "property": "data", "value": "zh"}]}
    for name in ("admin",):
        text = json.dumps(sign_in(app, name).post("/_dash-update-component", json=body)
                          .get_json(), ensure_ascii=False)
        assert "可以上传" in text and "已接收" not in text
    refused = [r for r in audit_records(state) if r["action"] == "permission_refused"
               and r["user"] == "admin"]
    assert refused and refused[-1]["object"]["action"] == "upload"
    from server.auth import _installed
    assert _installed["users"]["city"].may_upload and not _installed["users"]["admin"].may_upload


def test_a_viewer_sees_the_export_button_disabled_with_a_reason(served):
    from layouts import ids
    from layouts.pages import export as export_page

    app, _, _ = served
    for name, allowed in (("look", False), ("east", True)):
        context = _as(app, name)
        try:
            layout = export_page.layout()
            page = json.dumps(layout, cls=PlotlyJSONEncoder, ensure_ascii=False)
            button = _find(layout, ids.EXP_BUTTON)
        finally:
            context.pop()
        assert bool(button.disabled) is not allowed, name
        assert ("只读账号" in page) is not allowed
