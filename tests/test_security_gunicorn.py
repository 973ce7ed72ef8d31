"""Issue 14 where worker processes matter: a real gunicorn (3 workers) on 127.0.0.1.

A cookie copied before logout is refused by every worker, and wrong passwords sent to different
workers add up to one lockout (the state is in the shared SQLite file, not in a worker's
memory). Each check opens a new connection per request (``Connection: close``), so the requests
spread over the workers; the answering worker's pid is read from ``/_version``.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
import yaml

from server.accounts import hash_password

ROOT = Path(__file__).resolve().parent.parent
PORT = int(os.environ.get("SECURITY_TEST_PORT", "8075"))
BASE = f"http://127.0.0.1:{PORT}"
CLOSE = {"Connection": "close"}


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gunicorn")
    shutil.copytree(ROOT / "data" / "sample", folder / "sample",
                    ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    users = folder / "users.yaml"
    users.write_text(yaml.safe_dump({"lockout": {"free_failures": 100, "lock_after": 6},
                                     "users": [
        {"username": "east", "password_hash": hash_password("east-password"),
         "scope": ["district:511602"]},
        {"username": "temp", "password_hash": hash_password("temp-password"),
         "scope": ["district:511602"]}]}), encoding="utf-8")
    env = {**os.environ, "SECRET_KEY": "gunicorn-test-" + os.urandom(16).hex(),
           "DASHBOARD_DATASET": str(folder / "sample" / "dataset.yaml"),
           "DASHBOARD_USERS": str(users), "DASHBOARD_STATE_DIR": str(folder / "state"),
           "DASHBOARD_LOGIN_RATE": "1000 per minute", "PYTHONPATH": str(ROOT)}
    command = [str(Path(sys.executable).parent / "gunicorn"), "--workers", "3", "--threads",
               "2", "--bind", f"127.0.0.1:{PORT}", "--log-level", "warning",
               "server.wsgi:application"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if requests.get(BASE + "/login", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail("gunicorn did not start")
            time.sleep(0.5)
        yield
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def _token(session: requests.Session, path: str = "/login") -> str:
    page = session.get(BASE + path, headers=CLOSE, timeout=60).text
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _sign_in(session: requests.Session, name: str, password: str) -> int:
    return session.post(BASE + "/login", data={"username": name, "password": password,
                                               "csrf_token": _token(session)},
                        headers=CLOSE, allow_redirects=False, timeout=60).status_code


def test_logout_revokes_a_copied_cookie_in_every_worker(gunicorn):
    browser = requests.Session()
    assert _sign_in(browser, "east", "east-password") == 302
    stolen = browser.cookies.get("session")
    thief = requests.Session()
    thief.cookies.set("session", stolen)
    # Each worker loads the dataset on its own after /login first answers, and sequential
    # requests tend to land on one idle worker: ask concurrently until two workers have answered.
    with ThreadPoolExecutor(8) as pool:
        pids, deadline = set(), time.monotonic() + 180
        while len(pids) < 2 and time.monotonic() < deadline:
            answers = list(pool.map(lambda _: thief.get(BASE + "/_version", headers=CLOSE,
                                                        timeout=60), range(16)))
            assert all(answer.status_code == 200 for answer in answers)
            pids |= {answer.json()["pid"] for answer in answers}
        assert len(pids) >= 2                   # the copy worked in several workers
        browser.post(BASE + "/logout", data={"csrf_token": _token(browser, "/logout")},
                     headers=CLOSE, timeout=60)
        after = list(pool.map(lambda _: thief.get(BASE + "/_version", headers=CLOSE,
                                                  timeout=60).status_code, range(48)))
    assert after == [401] * 48


def test_failures_in_different_workers_add_up_to_one_lockout(gunicorn):
    for _ in range(6):
        assert _sign_in(requests.Session(), "temp", "wrong") == 401
    assert _sign_in(requests.Session(), "temp", "temp-password") == 401    # locked everywhere
    assert _sign_in(requests.Session(), "east", "east-password") == 302
