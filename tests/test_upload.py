"""Uploads and atomic reload (server/uploads.py, server/reload.py, layouts/pages/upload.py).

Each test module works on a copy of the embedded sample in a temporary folder: the repository's
files are never touched. Uploads are replayed as the browser sends them: a callback POST whose
``contents`` is a base64 data URL.
"""
from __future__ import annotations

import base64
import hashlib
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
import yaml

from layouts import store
from server import reload as reload_mod
from server.accounts import hash_password
from server.reload import DataWatcher, data_version, write_atomic
from server.uploads import UploadRefused, apply_upload, destination, targets
from tests.security_helpers import signed_in

ROOT = Path(__file__).resolve().parent.parent
SECRET = "test-secret-key-0123456789abcdef"
PASSWORDS = {"city": "city-password", "east": "east-password"}
LIMIT_MB = 1
COMPLAINTS_EAST = "complaints/*_511602_*.xlsx"


def copy_sample(folder: Path) -> Path:
    shutil.copytree(ROOT / "data" / "sample", folder,
                    ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    return folder / "dataset.yaml"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def upload_body(content: bytes, filename: str, target: str) -> dict:
    """The callback request dcc.Upload makes (same shape as the recorded ones)."""
    url = "data:application/octet-stream;base64," + base64.b64encode(content).decode()
    return {"output": "..up-result.children...up-status.children..",
            "outputs": [{"id": "up-result", "property": "children"},
                        {"id": "up-status", "property": "children"}],
            "inputs": [{"id": "up-file", "property": "contents", "value": url}],
            "changedPropIds": ["up-file.contents"],
            "state": [{"id": "up-file", "property": "filename", "value": filename},
                      {"id": "up-target", "property": "value", "value": target},
                      {"id": "up-lang", "property": "data", "value": "zh"}]}


def renumbered(path: Path, prefix: str) -> tuple[bytes, int]:
    """A complaints workbook with every ticket id prefixed (new tickets, same rows) and the
    number of tickets in it."""
    book = openpyxl.load_workbook(path)
    sheet = book["工单"]
    header = [c.value for c in sheet[1]]
    col = header.index("工单编号") + 1
    count = 0
    for row in range(2, sheet.max_row + 1):
        cell = sheet.cell(row=row, column=col)
        if cell.value not in (None, ""):
            cell.value = f"{prefix}{cell.value}"
            count += 1
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), count


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from server.wsgi import create_server_app

    folder = tmp_path_factory.mktemp("upload")
    manifest = copy_sample(folder / "sample")
    users = folder / "users.yaml"
    users.write_text(yaml.safe_dump({"users": [
        {"username": "city", "password_hash": hash_password(PASSWORDS["city"]), "scope": "all",
         "role": "data_manager"},
        {"username": "east", "password_hash": hash_password(PASSWORDS["east"]),
         "scope": ["district:511602"]}]}), encoding="utf-8")
    app = create_server_app(manifest, users, SECRET, max_upload_mb=LIMIT_MB,
                            reload_interval_s=3600)
    app.server.config["LOGIN_RATE"] = "10000 per minute"   # many sign-ins from 127.0.0.1
    yield app, manifest
    store.set_access(None, None)
    reload_mod._watcher = None


def sign_in(app, name: str):
    return signed_in(app, name, PASSWORDS[name])


def target_key(manifest: Path, path: str) -> str:
    return next(t.key for t in targets(manifest) if t.path == path)


def text_of(response) -> str:
    return json.dumps(response.get_json(), ensure_ascii=False)


def test_oversize_request_is_refused_by_the_server_with_413(served):
    app, manifest = served
    city = sign_in(app, "city")
    limit = app.server.config["MAX_CONTENT_LENGTH"]
    # 1 MB file → base64 is 4/3 larger: the limit leaves room for exactly that
    assert limit >= LIMIT_MB * 1024 * 1024 * 4 // 3
    target = target_key(manifest, "stations.xlsx")
    big = upload_body(b"x" * (LIMIT_MB * 1024 * 1024 + 200_000), "大文件.xlsx", target)
    answer = city.post("/_dash-update-component", json=big)
    assert answer.status_code == 413
    assert "文件过大" in answer.get_data(as_text=True)
    # just under the limit reaches the callback (which refuses a non-workbook politely)
    small = upload_body(b"x" * (LIMIT_MB * 1024 * 1024 - 200_000), "小文件.xlsx", target)
    answer = city.post("/_dash-update-component", json=small)
    assert answer.status_code == 200 and "未接收" in text_of(answer)


@pytest.mark.parametrize("content", [
    b"ticket,received\n1,2025-01-01\n",                # a CSV renamed .xlsx
    b"PK\x03\x04" + b"\x00" * 200,                      # a truncated zip
    b"",                                               # nothing
], ids=["renamed-csv", "truncated-zip", "empty"])
def test_bad_upload_leaves_served_data_and_files_unchanged(served, content):
    app, manifest = served
    city = sign_in(app, "city")
    before_version = city.get("/_version").get_json()["version"]
    before_results = store._results
    before_files = {p: sha(p) for p in manifest.parent.rglob("*.xlsx")}
    answer = city.post("/_dash-update-component",
                       json=upload_body(content, "网格台账2025.xlsx",
                                        target_key(manifest, "grids_2025.xlsx")))
    assert answer.status_code == 200
    assert "未接收" in text_of(answer) or "无法识别" in text_of(answer)
    assert city.get("/_version").get_json()["version"] == before_version
    assert store._results is before_results
    assert {p: sha(p) for p in manifest.parent.rglob("*.xlsx")} == before_files
    assert not list((manifest.parent / ".uploads").glob("stage-*"))
    assert not list((manifest.parent / ".uploads").glob("*.xlsx"))   # refused bytes not kept


def test_good_upload_is_stored_under_a_generated_name_and_reloaded(served):
    app, manifest = served
    city = sign_in(app, "city")
    source = manifest.parent / "complaints" / "2025_511602_示例区.xlsx"
    content, tickets = renumbered(source, "U")
    accepted_before = sum(s.accepted for s in store._results.dataset.report.sources
                          if s.file.endswith("2025_511602_示例区.xlsx"))
    before = city.get("/_version").get_json()["version"]
    answer = city.post("/_dash-update-component",
                       json=upload_body(content, "投诉.xlsx", target_key(manifest, COMPLAINTS_EAST)))
    text = text_of(answer)
    assert "已接收「投诉.xlsx」" in text, text[:500]
    after = city.get("/_version").get_json()["version"]
    assert after != before
    added = sorted((manifest.parent / "complaints").glob("upload-*_511602_upload-*.xlsx"))
    assert len(added) == 1 and "投诉" not in added[0].name
    assert added[0].read_bytes() == content
    meta = [json.loads(p.read_text(encoding="utf-8"))
            for p in (manifest.parent / ".uploads").glob("*.json")]
    mine = [m for m in meta if m["accepted"]]
    assert mine[-1]["original_name"] == "投诉.xlsx"
    assert mine[-1]["stored_as"] == added[0].relative_to(manifest.parent).as_posix()
    assert mine[-1]["sha256"] == hashlib.sha256(content).hexdigest()
    # the new file's rows were read like the original's: same rows accepted, new ticket ids
    report = store._results.dataset.report
    new_rows = [s for s in report.sources if s.file.endswith(added[0].name)]
    assert new_rows and new_rows[0].rows_read >= tickets
    assert new_rows[0].accepted == accepted_before


def test_scoped_account_cannot_upload(served):
    app, manifest = served
    east = sign_in(app, "east")
    before = {p: sha(p) for p in manifest.parent.rglob("*.xlsx")}
    content = (manifest.parent / "stations.xlsx").read_bytes()
    answer = east.post("/_dash-update-component",
                       json=upload_body(content, "阵地.xlsx", target_key(manifest, "stations.xlsx")))
    # the refusal says who may upload (a whole-city data manager), in the role's Chinese name
    from layouts.i18n import t
    from server.accounts import ROLE_NAMES
    refusal = t("upload_not_allowed", "zh")
    assert "全市范围的数据管理员" in refusal and ROLE_NAMES["data_manager"] == "数据管理员"
    assert "data_manager" not in refusal and refusal in text_of(answer)
    assert {p: sha(p) for p in manifest.parent.rglob("*.xlsx")} == before


def test_apply_upload_refuses_before_staging(tmp_path):
    manifest = copy_sample(tmp_path / "s")
    key = target_key(manifest, "stations.xlsx")
    never = lambda p: pytest.fail("must not build")  # noqa: E731
    for target, name, content, message in [
            ("nope:0", "a.xlsx", b"x", "数据来源"),
            (["stations:0"], "a.xlsx", b"x", "数据来源"),
            (key, "a.csv", b"x", "需要 .xlsx"),
            (key, "a.xlsx", b"", "为空"),
            (key, "a.xlsx", b"x" * 101, "上限")]:
        with pytest.raises(UploadRefused, match=message):
            apply_upload(manifest, target, name, content, "t", never, max_bytes=100)
    assert not (manifest.parent / ".uploads").exists() or \
        not list((manifest.parent / ".uploads").glob("stage-*"))


def test_destination_names_match_their_glob():
    from fnmatch import fnmatch

    from server.uploads import Target

    for pattern in ("complaints/*_511602_*.xlsx", "volunteer_*.xlsx", "grids.xlsx"):
        name = destination(Target("t:0", "t", pattern), "20251231-abcd")
        assert fnmatch(name, pattern) and "投诉" not in name
    with pytest.raises(UploadRefused):
        destination(Target("t:0", "t", "grids_202?.xlsx"), "x")


def test_reload_keeps_the_last_good_snapshot_and_says_why(tmp_path):
    from indicators.pipeline import build

    manifest = copy_sample(tmp_path / "s")
    watcher = DataWatcher(manifest, build)
    good = watcher.load_initial()
    store.set_results(good, watcher.status.version)
    served_version = store.version()
    stations = manifest.parent / "stations.xlsx"
    original = stations.read_bytes()
    write_atomic(stations, b"not a workbook at all")
    assert watcher.reload_now() is False
    assert store._results is good and store.version() == served_version
    assert "stations.xlsx" in watcher.status.failed_reason
    # a later poll does not retry the same failed version
    assert watcher.status.failed_version == data_version(manifest)
    write_atomic(stations, original)
    assert watcher.reload_now() is True
    assert store.version() == watcher.status.version != served_version
    assert watcher.status.failed_reason == ""


def test_write_atomic_replaces_whole_files_and_leaves_no_temporaries(tmp_path):
    path = tmp_path / "f.bin"
    write_atomic(path, b"old")
    write_atomic(path, b"new content")
    assert path.read_bytes() == b"new content"
    assert [p.name for p in tmp_path.iterdir()] == ["f.bin"]
    with pytest.raises(IsADirectoryError):
        write_atomic(tmp_path, b"x")          # a failing replace leaves nothing behind
    assert [p.name for p in tmp_path.iterdir()] == ["f.bin"]


def test_data_version_is_the_same_in_every_process_and_follows_the_files(tmp_path):
    manifest = copy_sample(tmp_path / "s")
    mine = data_version(manifest)
    other = subprocess.run(
        [sys.executable, "-c", "import sys; from server.reload import data_version; "
         "print(data_version(sys.argv[1]))", str(manifest)],
        cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    assert other == mine and len(mine) == 16
    (manifest.parent / ".cache").mkdir()
    (manifest.parent / ".cache" / "x.parquet").write_bytes(b"x")
    assert data_version(manifest) == mine                  # caches do not count
    write_atomic(manifest.parent / "stations.xlsx",
                 (manifest.parent / "stations.xlsx").read_bytes())
    assert data_version(manifest) != mine                  # a rewritten file does
