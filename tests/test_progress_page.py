"""The 上报进度 page (layouts/pages/progress.py) and the 已锁定 mark on the overview, on the tiny
three-street dataset: S1 on time, S2 late, S3 missing; 2025 frozen, then S1's file corrected."""
from __future__ import annotations

import datetime as dt
import os

import pytest

from indicators.freeze import build_live, build_published, freeze_year
from tests.test_layouts import _texts
from tests.yearly_fixtures import MANIFEST, TICKET_HEADERS, TICKETS, make_dataset, ticket, write_sheet

SUBMISSIONS = """\
submissions:
  period: 2025
  due: {complaints: 2026-01-15}
  files: {complaints: '(?P<unit>S\\d)\\.xlsx$'}
"""


@pytest.fixture()
def served(tmp_path, monkeypatch):
    from layouts import create_app

    monkeypatch.setattr("server.auth._installed", {})      # no accounts (another test may install them)

    manifest = make_dataset(tmp_path / "ds", MANIFEST + SUBMISSIONS,
                            tickets={"S1": TICKETS["S1"], "S2": TICKETS["S2"]})
    folder = manifest.parent / "complaints"
    for name, when in (("S1.xlsx", dt.datetime(2026, 1, 14, 9)), ("S2.xlsx", dt.datetime(2026, 1, 17, 9))):
        os.utime(folder / name, (when.timestamp(), when.timestamp()))
    cache = tmp_path / "cache"
    freeze_year(build_live(manifest, cache_dir=cache), 2025, by="city")
    # the S1 correction after the freeze: A4 closed (3 of 4 → 4 of 4)
    write_sheet(folder / "S1.xlsx", "工单", TICKET_HEADERS, TICKETS["S1"][:3] + [ticket("A4", "G12", 4, True)])
    os.utime(folder / "S1.xlsx", (dt.datetime(2026, 1, 14, 9).timestamp(),) * 2)
    create_app(build_published(manifest, cache_dir=cache))
    return manifest


def test_progress_page_shows_hand_counts_and_the_frozen_year(served):
    from layouts import store
    from layouts.pages import overview, progress

    texts = _texts(progress.layout())
    statuses = [s for s in texts if s in ("按时报送", "逾期报送", "未报送")]
    assert statuses == ["按时报送", "逾期报送", "未报送"]          # S1, S2, S3 in unit order
    assert "33.3%" in texts                                        # whole: 1 on time of 3 expected
    assert "按时 1 / 应报 3；逾期 1，未报 1" in texts
    # the register: S1's corrected file replaced the one received 2026-01-14 09:00
    assert "报送记录（3 次）" in texts and "替换 2026-01-14 09:00 报送的版本" in texts
    badge = [s for s in texts if s.startswith("已锁定（")]
    assert badge == [f"已锁定（{dt.date.today():%Y-%m-%d}）"]
    # the difference: S1's resolution rate frozen 75.0%, now 100.0%, file complaints/S1.xlsx
    start = texts.index(badge[0])
    i = next(j for j in range(start, len(texts) - 1)
             if texts[j] == "街道 · 一街道" and texts[j + 1] == "办结率")
    assert texts[i + 1:i + 5] == ["办结率", "75.0%", "100.0%", "S1.xlsx"]
    summary = overview.cards_and_summary(store.get(), "2025", "total", "zh")[1]
    assert summary.startswith(f"2025 年数据已锁定（{dt.date.today():%Y-%m-%d}），显示锁定时的数字")


def test_completeness_is_an_indicator(served):
    from layouts import store

    table = store.results().table
    rows = table[table["indicator_id"] == "reporting_completeness"].set_index("unit_id")
    assert rows.loc["total", ["numerator", "denominator"]].tolist() == [1.0, 3.0]
    assert rows.loc["total", "value"] == pytest.approx(1 / 3) and rows.loc["S2", "value"] == 0.0
    assert store.results().catalog["reporting_completeness"].name_zh == "按时报送率"


def test_template_and_sendback_downloads(served):
    import base64
    import io

    import openpyxl

    from layouts.pages import progress

    sent, error = progress.download_template(1, "grids", "S2")
    assert error is None and sent["filename"] == "网格台账填报模板_二街道.xlsx"
    wb = openpyxl.load_workbook(io.BytesIO(base64.b64decode(sent["content"])))
    assert [c.value for c in wb.worksheets[0][2]][:3] == ["S2", "二街道", "G21"]
    assert progress.download_template(1, "tickets", None)[1] is not None      # unknown table refused
    sent, error = progress.download_sendback(1)                               # nothing rejected
    assert "无需退回" in str(error.children)


def test_freeze_button_errors_are_chinese(served):
    from layouts.pages import progress

    assert progress.is_admin()                     # no accounts: the local user
    assert "2025 年已于" in str(progress.freeze(1, "2025", "zh").children)
    assert "2024 年没有任何指标数据" in str(progress.freeze(1, "2024", "zh").children)
    assert "请先选择年度" in str(progress.freeze(1, {"year": "2025"}, "zh").children)
    assert "2023 年没有锁定" in str(progress.unfreeze(1, "2023", None, "zh").children)


def test_no_boundary_sheet_without_crosswalk(served, tmp_path):
    import openpyxl

    from layouts import store
    from reports import write_workbook

    table = store.results().table               # no crosswalk: no boundary notes at all
    assert "boundary_note" not in table.columns or (table["boundary_note"].fillna("") == "").all()
    wb = openpyxl.load_workbook(write_workbook(store.results(), 2025, tmp_path / "wb.xlsx"))
    assert "区划调整" not in wb.sheetnames and "锁定后变动" in wb.sheetnames


def test_scoped_account_sees_its_own_units_and_no_controls(served, monkeypatch):
    from layouts import store
    from layouts.pages import progress
    from server.scope import restrict_results

    monkeypatch.setattr(progress, "whole_dataset", lambda: False)
    monkeypatch.setattr(progress, "is_admin", lambda: False)
    store.set_access(lambda: frozenset({"street:S2"}), restrict_results)
    try:
        texts = _texts(progress.layout())
    finally:
        store.set_access(None, None)
    assert [s for s in texts if s in ("按时报送", "逾期报送", "未报送")] == ["逾期报送"]   # S2 only
    assert "一街道" not in texts and "三街道" not in texts
    assert "锁定该年度" not in texts and "下载填报模板" not in texts
    assert "街道 · 一街道" not in texts                                       # S1's difference hidden


def test_page_renders_without_a_readable_manifest(monkeypatch):
    from layouts import create_app
    from tests.layouts_synthetic import make_results

    monkeypatch.setattr("server.auth._installed", {})
    create_app(make_results())                       # a bundle whose manifest file does not exist
    from layouts.pages import progress

    texts = _texts(progress.layout())
    assert "本数据集没有设置各表的报送截止日期，无法统计上报进度。请在数据集清单中设置后再查看。" in texts
    assert "下载填报模板" not in texts and "下载退回修改压缩包" in texts
    assert "找不到数据集清单" in str(progress.download_sendback(1)[1].children)


def test_who_may_freeze_and_download(monkeypatch):
    from layouts import create_app
    from server.accounts import User
    from tests.layouts_synthetic import make_results

    create_app(make_results())
    from layouts.pages import progress

    def as_user(role, scope=None):
        user = User("u", "u", "scrypt:x", None if scope is None else frozenset(scope), role)
        monkeypatch.setattr(progress, "_account", lambda: (True, user))

    as_user("admin")
    assert progress.is_admin() and progress.whole_dataset()
    as_user("data_manager")
    assert not progress.is_admin() and progress.whole_dataset()
    as_user("admin", ["district:D1"])                     # an admin of one district: no freeze
    assert not progress.is_admin() and not progress.whole_dataset()
    as_user("viewer")
    assert not progress.is_admin() and not progress.whole_dataset()
    assert "只有管理员" in str(progress.freeze(1, "2025", "zh").children)
    monkeypatch.setattr(progress, "_account", lambda: (True, None))
    assert not progress.is_admin() and not progress.whole_dataset()
