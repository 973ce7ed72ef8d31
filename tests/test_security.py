"""Accounts, sign-in on every route, scope enforced on replayed callbacks, caches keyed by
scope and data version, generic errors (server/, issue 9). Flask test client, no browser.

The callback bodies replayed here are the ones a real browser sent
(bench/payloads/sample_callbacks.json, recorded by bench/record_payloads.py); only the unit
value is changed, as a tampering client would.
"""
from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from layouts import store
from server import reload as reload_mod
from server.accounts import AccountsError, hash_password, load_users
from server.scope import restrict_results
from tests.security_helpers import browser, logout, post_login, signed_in

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample" / "dataset.yaml"
PAYLOADS = json.loads((ROOT / "bench" / "payloads" / "sample_callbacks.json")
                      .read_text(encoding="utf-8"))
SECRET = "test-secret-key-0123456789abcdef"
PASSWORDS = {"city": "city-password", "east": "east-password"}
EAST = "district:511602"            # 示例区


def body_for(prefix: str, page: str | None = None) -> dict:
    """A deep copy of the first recorded callback body whose output starts with ``prefix``."""
    for item in PAYLOADS:
        if item["body"]["output"].startswith(prefix) and (page is None or item["page"] == page):
            return copy.deepcopy(item["body"])
    raise LookupError(prefix)


def text_of(response) -> str:
    """A response body with JSON \\u escapes decoded (Chinese names searchable)."""
    raw = response.get_data(as_text=True)
    try:
        return json.dumps(json.loads(raw), ensure_ascii=False)
    except ValueError:
        return raw


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The production app over the sample with two accounts: city (whole) and east (示例区)."""
    from server.wsgi import create_server_app

    folder = tmp_path_factory.mktemp("accounts")
    users = folder / "users.yaml"
    users.write_text(yaml.safe_dump({"users": [
        {"username": "city", "password_hash": hash_password(PASSWORDS["city"]), "scope": "all"},
        {"username": "east", "password_hash": hash_password(PASSWORDS["east"]), "scope": [EAST]},
    ]}), encoding="utf-8")
    app = create_server_app(SAMPLE, users, SECRET, max_upload_mb=1)
    app.server.config["LOGIN_RATE"] = "10000 per minute"   # many sign-ins from 127.0.0.1
    yield app
    store.set_access(None, None)
    reload_mod._watcher = None


def sign_in(app, name: str):
    return signed_in(app, name, PASSWORDS[name])


def neighbour_names(results) -> list[str]:
    """Names of units outside 示例区 (computed from the grid register, not from server.scope)."""
    grids = results.dataset.tables["grids"]
    outside = grids[grids["district_id"] != "511602"]
    inside = grids[grids["district_id"] == "511602"]
    names = set(outside["district_name"]) | set(outside["street_name"]) | \
        set(outside["community_name"])
    return sorted(names - (set(inside["street_name"]) | set(inside["community_name"])))


# -- accounts ---------------------------------------------------------------------------------
def test_users_file_refuses_plain_passwords_and_bad_scopes(tmp_path):
    path = tmp_path / "u.yaml"
    good = {"username": "a", "password_hash": hash_password("long-enough"), "scope": "all"}
    path.write_text(yaml.safe_dump({"users": [good]}), encoding="utf-8")
    user = load_users(path)["a"]
    assert user.scope is None and user.check_password("long-enough")
    assert not user.check_password("long-enougH")
    assert "long-enough" not in path.read_text(encoding="utf-8")
    for bad in ({**good, "password": "x"}, {**good, "password_hash": "plain"},
                {**good, "scope": "511602"}, {**good, "scope": []}):
        path.write_text(yaml.safe_dump({"users": [bad]}), encoding="utf-8")
        with pytest.raises(AccountsError):
            load_users(path)
    path.write_text(yaml.safe_dump({"users": [good, good]}), encoding="utf-8")
    with pytest.raises(AccountsError, match="重复"):
        load_users(path)


def test_accounts_without_secret_key_refuse_to_start(tmp_path):
    from server.wsgi import StartupError, create_server_app

    path = tmp_path / "u.yaml"
    path.write_text(yaml.safe_dump({"users": [
        {"username": "a", "password_hash": hash_password("long-enough"), "scope": "all"}]}))
    with pytest.raises(StartupError, match="SECRET_KEY"):
        create_server_app(SAMPLE, path, None, build=lambda p: pytest.fail("must not load"))


# -- sign-in on every route -------------------------------------------------------------------
def _routes(app) -> list[tuple[str, str]]:
    """Every kind of route the app serves, with real paths taken from a signed-in session."""
    client = sign_in(app, "city")
    index = client.get("/").get_data(as_text=True)
    suites = re.findall(r'src="(/_dash-component-suites/[^"]+)"', index)
    assert suites, "the index page names component scripts"
    return [("GET", p) for p in ("/", "/compare", "/trends", "/map", "/quality", "/catalog",
                                 "/export", "/upload", "/no-such-page", "/_dash-layout",
                                 "/_dash-dependencies", "/_reload-hash", "/_version",
                                 "/assets/style.css", "/assets/bootstrap.min.css",
                                 "/_favicon.ico", suites[0], suites[-1])] + \
        [("POST", "/_dash-update-component")]


def test_every_route_refuses_without_sign_in_and_serves_after(served):
    anonymous = served.server.test_client()
    city = sign_in(served, "city")
    body = body_for("..ov-cards")
    for method, path in _routes(served):
        kwargs = {"json": body} if method == "POST" else {}
        refused = anonymous.open(path, method=method, **kwargs)
        if method == "GET" and not path.startswith(("/_", "/assets")):
            assert refused.status_code == 302, path
            assert refused.headers["Location"].startswith("/login?next=")
        else:
            assert refused.status_code == 401, path
        assert "示例" not in text_of(refused), path           # no dataset content leaks
        allowed = city.open(path, method=method, **kwargs)
        assert allowed.status_code in (200, 204, 404), (path, allowed.status_code)


def test_wrong_password_unknown_user_and_open_redirect(served):
    client = browser(served)
    wrong = post_login(client, "city", "city-passworD")
    unknown = post_login(client, "nobody", "x")
    assert wrong.status_code == unknown.status_code == 401
    assert "用户名或密码不正确" in wrong.get_data(as_text=True)
    assert client.get("/_dash-layout").status_code == 401
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        ok = post_login(client, "city", PASSWORDS["city"], next=target)
        assert ok.headers["Location"] == "/", target
    assert client.get("/logout").status_code == 200          # a GET only asks
    assert client.get("/_dash-layout").status_code == 200
    assert logout(client).status_code == 302
    assert client.get("/_dash-layout").status_code == 401


# -- scope ------------------------------------------------------------------------------------
TAMPERED = {
    "neighbour": "district:511603",
    "ALL": "ALL",
    "total": "total",
    "None": None,
    "list": ["district:511603", "district:511604"],
    "10 MB": "district:511603" + "x" * (10 * 1024 * 1024),
    "expression": "__import__('os').system('id') or district:511603",
    "query": "district:511602' or unit_id == unit_id or '",
}


@pytest.fixture(scope="module")
def big_limit(served):
    """The 10 MB string must reach the callback: raise the size limit for these requests."""
    before = served.server.config["MAX_CONTENT_LENGTH"]
    served.server.config["MAX_CONTENT_LENGTH"] = 32 * 1024 * 1024
    yield
    served.server.config["MAX_CONTENT_LENGTH"] = before


@pytest.mark.parametrize("case", list(TAMPERED))
def test_replayed_overview_callback_never_returns_another_units_data(served, big_limit, case):
    full = store._results          # the unrestricted bundle, for the expected names
    foreign = neighbour_names(full)
    assert "演示区" in foreign and "示例区" not in foreign
    body = body_for("..ov-cards")
    body["inputs"][1]["value"] = TAMPERED[case]
    east = sign_in(served, "east")
    answer = east.post("/_dash-update-component", json=body)
    text = text_of(answer)
    assert answer.status_code in (200, 204, 400, 500)
    leaked = [name for name in foreign if name in text]
    assert leaked == []
    if answer.status_code == 200:             # a refusal falls back to the user's own unit
        assert "示例区" in text
    # the same request by the whole-city account does show the neighbour: the check can fail
    if case == "neighbour":
        city_text = text_of(sign_in(served, "city").post("/_dash-update-component", json=body))
        assert "演示区" in city_text


def test_replayed_compare_and_page_callbacks_stay_in_scope(served):
    east = sign_in(served, "east")
    foreign = neighbour_names(store._results)
    for item in PAYLOADS:
        body = copy.deepcopy(item["body"])
        if body["output"].startswith("..exp-"):
            continue
        for value in body["inputs"] + body.get("state", []):
            if isinstance(value.get("value"), str) and value["value"].startswith("?"):
                value["value"] = "?unit=district:511603&level=community"
        text = text_of(east.post("/_dash-update-component", json=body))
        assert [n for n in foreign if n in text] == [], item["page"]


def test_restricted_results_hold_only_the_scope(served):
    full = store._results
    east = restrict_results(full, frozenset({EAST}))
    grids = full.dataset.tables["grids"]
    own_grids = set(grids.loc[grids["district_id"] == "511602", "grid_id"])
    table = east.table
    assert set(table.loc[table["level"] == "grid", "unit_id"]) <= own_grids
    assert set(table.loc[table["level"] == "district", "unit_id"]) == {"511602"}
    # the scope's rows stand in for the total: same values as the district's own rows
    mine = table[(table["level"] == "district") & (table["period"] == "2025")]
    as_total = table[(table["level"] == "total") & (table["period"] == "2025")]
    pd.testing.assert_series_equal(
        mine.set_index("indicator_id")["value"].sort_index(),
        as_total.set_index("indicator_id")["value"].sort_index(), check_names=False)
    full_total = full.table[(full.table["level"] == "total") & (full.table["period"] == "2025")]
    assert not full_total.set_index("indicator_id")["value"].sort_index().equals(
        as_total.set_index("indicator_id")["value"].sort_index())
    # records: stations of 示例区's units only (by the register, independently; record tables
    # such as complaints are filtered the same way when a build keeps them)
    inside = set(grids.loc[grids["district_id"] == "511602",
                           ["district_id", "street_id", "community_id", "grid_id"]].stack())
    stations = east.dataset.tables["stations"]
    all_stations = full.dataset.tables["stations"]
    assert 0 < len(stations) < len(all_stations)
    assert set(stations["unit_id"]) <= inside
    assert len(stations) == all_stations["unit_id"].isin(inside).sum()
    assert east.dataset.report.sources == [] and east.dataset.report.fatal == []
    assert any(s.errors for s in full.dataset.report.sources)
    # unknown or malformed scopes see nothing at all
    for scope in ({"district:999999"}, {"total"}, {"511602"}, set()):
        nothing = restrict_results(full, frozenset(scope))
        assert nothing.table.empty and nothing.dataset.tables["stations"].empty
        assert nothing.dataset.units.empty


def test_caches_are_keyed_by_scope_and_version(served):
    east = sign_in(served, "east")
    city = sign_in(served, "city")
    with served.server.test_request_context():
        from flask_login import login_user

        from server.auth import _installed
        login_user(_installed["users"]["east"])
        east_data, east_key = store.get(), store.access_key()
        assert store.get() is east_data                     # cached
        login_user(_installed["users"]["city"])
        city_data, city_key = store.get(), store.access_key()
    assert east_data is not city_data and east_key != city_key
    assert [o.key for o in east_data.unit_options("zh", 0)] == ["total", EAST]
    assert len(city_data.unit_options("zh", 0)) > 2
    version = store.version()
    store.set_results(store._results, version + "-next")
    try:
        with served.server.test_request_context():
            from flask_login import login_user

            from server.auth import _installed
            login_user(_installed["users"]["east"])
            assert store.get() is not east_data
            assert store.access_key() == f"{version}-next|{EAST}"
    finally:
        store.set_results(store._results, version)
    assert east.get("/_dash-layout").status_code == city.get("/_dash-layout").status_code == 200


def test_background_job_scope_comes_from_the_signed_session_cookie(served):
    from dash._callback_context import context_value
    from dash._utils import AttributeDict

    from server.auth import current_scope

    east = sign_in(served, "east")
    cookie = east.get_cookie("session").value
    # what Dash hands a background job: the request's cookies in an AttributeDict
    token = context_value.set(AttributeDict(cookies={"session": cookie}))
    try:
        assert current_scope() == frozenset({EAST})
        context_value.set(AttributeDict(cookies={"session": cookie[:-3] + "abc"}))
        with pytest.raises(PermissionError):
            current_scope()
        context_value.set(AttributeDict(cookies={}))
        with pytest.raises(PermissionError):
            current_scope()
    finally:
        context_value.reset(token)


def test_export_choices_are_limited_to_the_scope(served):
    from layouts.pages.export import scope_options, validate_choice

    with served.server.test_request_context():
        from flask_login import login_user

        from server.auth import _installed
        login_user(_installed["users"]["east"])
        data = store.get()
        keys = {o["value"] for o in scope_options(data, "zh")}
        assert "district:511603" not in keys and EAST in keys
        with pytest.raises(ValueError):
            validate_choice(data, data.latest_year, "district:511603")
        assert 0 < len(store.results().dataset.tables["stations"]) < \
            len(store._results.dataset.tables["stations"])


def test_failing_request_gets_a_generic_page_without_traceback(served):
    city = sign_in(served, "city")
    answer = city.post("/_dash-update-component", json={"output": "no-such.children",
                                                        "outputs": {"id": "no-such",
                                                                    "property": "children"},
                                                        "inputs": [], "changedPropIds": []})
    text = answer.get_data(as_text=True)
    assert answer.status_code >= 400
    assert "Traceback" not in text and 'File "' not in text and ".py" not in text


def test_no_code_evaluates_strings():
    """No user input can reach DataFrame.query / DataFrame.eval / eval / exec: none of them is
    called anywhere in the application's packages (a source scan; a new call fails this test)."""
    # (cKDTree's nearest-neighbour ``tree.query(points)`` is not a string query)
    pattern = re.compile(r"(?<!tree)\.query\(|\.eval\(|(?<![\w.])eval\(|(?<![\w.])exec\(")
    hits = [f"{path.relative_to(ROOT)}:{n}" for package in ("data", "indicators", "layouts",
                                                           "reports", "server")
            for path in (ROOT / package).rglob("*.py")
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if pattern.search(line.split("#", 1)[0])]
    assert hits == []
    assert pattern.search("frame.query('a == 1')") and pattern.search("eval(x)")
    assert not pattern.search("d, i = tree.query(points)")
