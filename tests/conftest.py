"""Shared pytest configuration.

Browser tests (tests/test_browser*.py) use dash[testing]'s ``dash_duo`` with Debian's
/usr/bin/chromium and /usr/bin/chromedriver; run them headless:
``pytest tests/test_browser.py --headless``. On failure dash[testing] saves a screenshot to
/tmp/dash_artifacts/.
"""
from __future__ import annotations

import os
import shutil

import pytest

os.environ.setdefault("DASH_TEST_CHROMEPATH", shutil.which("chromium") or "/usr/bin/chromium")


#: A proxy address nothing listens on (port 9, "discard"): the browser tests' internet.
DEAD_PROXY = "http://127.0.0.1:9"


def pytest_setup_options():
    """Extra Chromium flags for dash[testing] (it already adds --no-sandbox, --disable-gpu and
    --disable-dev-shm-usage): no background connections and no internet (the tests must pass
    offline), a 1366×768 window (the smallest screen the dashboard is designed for)."""
    from selenium.webdriver.chrome.options import Options

    options = Options()
    options.add_argument("--disable-background-networking")
    # No internet: every request that is not to the app on localhost goes to a dead proxy
    # (loopback addresses bypass proxies), so anything fetched from a CDN fails loudly.
    options.add_argument(f"--proxy-server={DEAD_PROXY}")
    options.add_argument("--window-size=1366,768")
    options.add_argument("--lang=zh-CN")
    return options


@pytest.fixture(scope="session")
def sample_results(tmp_path_factory):
    """The embedded sample dataset built once per test session (ingest → indicator table), with
    its own cache folder so the run never depends on, or writes to, the project's `.cache/`.
    Read-only: tests must not modify it."""
    from pathlib import Path

    from indicators.pipeline import build

    manifest = Path(__file__).resolve().parents[1] / "data" / "sample" / "dataset.yaml"
    if not manifest.is_file():
        pytest.skip("the embedded sample dataset is not generated")
    return build(manifest, cache_dir=tmp_path_factory.mktemp("sample-cache"))


@pytest.fixture(scope="module", autouse=True)
def _no_accounts_left_behind():
    """After each test module: no accounts installed, no permission check, no scope (a module
    that installs accounts on the process-wide app state must not leave a later module's app
    without them: its buttons would be disabled for want of a signed-in user)."""
    yield
    from layouts import store
    from layouts.guards import set_permission_check
    from server import auth

    set_permission_check(None)
    auth._installed.clear()
    store.set_access(None, None)
