"""上报进度 in Chrome (dash[testing], --headless): an administrator freezes 2025 with the button and
the page then shows the year as 已锁定."""
from __future__ import annotations

import datetime as dt
import functools

from indicators import freeze
from layouts import create_app, ids
from tests.yearly_fixtures import make_dataset


def test_freeze_button_freezes_the_year(dash_duo, tmp_path, monkeypatch):
    monkeypatch.setattr("server.auth._installed", {})      # no accounts: the local user is admin
    manifest = make_dataset(tmp_path / "ds")
    cache = tmp_path / "cache"
    monkeypatch.setattr(freeze, "build_published",
                        functools.partial(freeze.build_published, cache_dir=cache))
    app = create_app(freeze.build_published(manifest))
    dash_duo.start_server(app)
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/progress")
    dash_duo.wait_for_text_to_equal(f"#{ids.PG_FROZEN} p", "还没有锁定任何年度。锁定后，该年度已发布的数字不再随文件更正而改变。")
    dash_duo.find_element(f"#{ids.PG_FREEZE_BUTTON}").click()
    today = f"{dt.date.today():%Y-%m-%d}"
    dash_duo.wait_for_contains_text(f"#{ids.PG_FREEZE_RESULT}", f"2025 年已锁定（{today}）", timeout=20)
    assert freeze.frozen_years(manifest)[2025]["by"] == "本机用户"
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/progress")
    dash_duo.wait_for_text_to_equal("#frozen-badge-2025", f"已锁定（{today}）")
    assert dash_duo.get_logs() in ([], None)
