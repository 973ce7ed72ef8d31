"""Issue 14 follow-up: each role sees only what it may do. Every control that makes a file for
the user (the ones server.guards answers 403 for a role without ``export``: layouts.guards.
PERMISSIONS) is disabled on the page for such a role, with a Chinese reason beside it, and
enabled for a role that may export. Pages are built as the signed-in user would get them
(server.wsgi.create_server_app over the embedded sample, Flask test request contexts).
"""
from __future__ import annotations

import json

import dash
import pytest
from plotly.utils import PlotlyJSONEncoder

from layouts import ids, store
from layouts.guards import PERMISSIONS
from layouts.i18n import t
from server import reload as reload_mod
from tests.security_helpers import signed_in
from tests.test_security_hardening import SAMPLE, SECRET, _as, _find, _graphs, users_yaml

#: a whole-city viewer and a whole-city analyst (the sample's problem rows are theirs to see)
ACCOUNTS = {"seer": ("seer-password", "all", "viewer"),
            "sage": ("sage-password", "all", "analyst")}

#: every download control by page: the ids PERMISSIONS guards with ``export``
DOWNLOADS = {"/compare": [ids.CMP_DOWNLOAD_CSV, ids.CMP_DOWNLOAD_XLSX,
                          ids.CMP_CHART_CSV, ids.CMP_CHART_XLSX],
             "/quality": [ids.DQ_DOWNLOAD_BUTTON, ids.DQ_REJECTED_BUTTON],
             "/export": [ids.EXP_BUTTON, ids.EXP_REPORT_BUTTON],
             "/indicator": [ids.IND_DOWNLOAD_CSV, ids.IND_DOWNLOAD_XLSX]}

#: download controls that are left out of the page altogether for a role that may not export
#: (templates and send-back workbooks name every unit: 上报进度 offers them to exporters only)
HIDDEN = {"/progress": [ids.PG_TEMPLATE_BUTTON, ids.PG_SENDBACK_BUTTON]}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from server.wsgi import create_server_app

    users = tmp_path_factory.mktemp("roles") / "users.yaml"
    users.write_text(users_yaml(ACCOUNTS), encoding="utf-8")
    app = create_server_app(SAMPLE, users, SECRET, max_upload_mb=1, reload_interval_s=3600)
    app.server.config["LOGIN_RATE"] = "10000 per minute"
    yield app
    store.set_access(None, None)
    reload_mod._watcher = None


def sign_in(app, name: str):
    return signed_in(app, name, ACCOUNTS[name][0])


def _page(app, name: str, path: str):
    """The layout of ``path`` as user ``name`` gets it, and its JSON text."""
    page = next(p for p in dash.page_registry.values() if p["path"] == path)
    context = _as(app, name)
    try:
        layout = page["layout"]()
        return layout, json.dumps(layout, cls=PlotlyJSONEncoder, ensure_ascii=False)
    finally:
        context.pop()


def test_every_guarded_download_control_is_listed():
    listed = [c for page in (DOWNLOADS, HIDDEN) for ids_ in page.values() for c in ids_]
    assert sorted(listed) == sorted(
        c for c, (permission, _) in PERMISSIONS.items() if permission == "export")


def test_a_viewer_is_not_offered_templates_or_send_back(served):
    """上报进度's template and send-back downloads: absent for the viewer, there for the analyst."""
    for name, allowed in (("seer", False), ("sage", True)):
        for path, controls in HIDDEN.items():
            layout, _text = _page(served, name, path)
            for control in controls:
                assert (_find(layout, control) is not None) is allowed, (name, path, control)


def test_a_viewer_sees_every_download_disabled_with_a_reason(served):
    from server.auth import _installed

    app = served
    reason = t("download_not_allowed", "zh")
    assert "只读" in reason and "下载" in reason
    for name in ("seer", "sage"):                       # viewer, analyst (same scope)
        allowed = _installed["users"][name].may("export")
        assert allowed is (name == "sage")
        for path, controls in DOWNLOADS.items():
            layout, text = _page(app, name, path)
            for control in controls:
                button = _find(layout, control)
                assert button is not None, (path, control)
                assert bool(button.disabled) is not allowed, (name, path, control)
            if path != "/export":                       # the export page has its own text
                assert (reason in text) is not allowed, (name, path)
            # a graph's mode bar offers no PNG download to a viewer either
            for graph in _graphs(layout):
                removed = graph.config["modeBarButtonsToRemove"]
                assert ("toImage" in removed) is not allowed, (name, path)


def test_the_server_refuses_what_the_page_disables(served):
    """The buttons' state matches the server: the viewer's problem-list download is refused
    (403), the analyst's answered with the CSV."""
    app = served
    body = {"output": "dq-download.data", "outputs": {"id": "dq-download", "property": "data"},
            "inputs": [{"id": ids.DQ_DOWNLOAD_BUTTON, "property": "n_clicks", "value": 1}],
            "changedPropIds": [f"{ids.DQ_DOWNLOAD_BUTTON}.n_clicks"],
            "state": [{"id": ids.DQ_LANG, "property": "data", "value": "zh"}]}
    viewer = sign_in(app, "seer").post("/_dash-update-component", json=body)
    assert viewer.status_code == 403
    analyst = sign_in(app, "sage").post("/_dash-update-component", json=body)
    assert analyst.status_code == 200
    sent = analyst.get_json()["response"]["dq-download"]["data"]
    assert sent["filename"] == "问题清单.csv" and sent["content"]
