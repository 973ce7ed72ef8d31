"""Both doors to the annual review workbook: ``python app.py export`` and the Export page.

The page's job (:func:`layouts.pages.export.build_export`) and the CLI must write the same
workbook — same sheets, same value in every cell — except the generation time on the cover.
A headless browser then clicks the page's button and receives the file as a download, built by
a background callback.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import dash
import openpyxl
import pytest
from click.testing import CliRunner

from indicators.pipeline import build
from layouts import create_app, ids, store

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample" / "dataset.yaml"
TIMEOUT = 60


@pytest.fixture(scope="module")
def results():
    # the same cache folder the CLI uses, so both doors read one indicator table
    return build(SAMPLE)


@pytest.fixture(scope="module")
def page(results):
    create_app(results)                          # registers the pages (Dash Pages)
    from layouts.pages import export
    return export


def cells(path: Path) -> dict[str, list[tuple]]:
    """Every sheet's values; the cover's 生成时间 row is left out (it is the time of writing)."""
    wb = openpyxl.load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        rows = [r for r in ws.iter_rows(values_only=True)]
        if ws.title == "封面":
            rows = [r for r in rows if r[0] != "生成时间"]
        out[ws.title] = rows
    return out


@pytest.mark.parametrize("scope", [None, "district"])
def test_cli_and_page_write_the_same_workbook(results, page, tmp_path, scope):
    from app import cli

    units = results.dataset.units
    unit_id = None if scope is None else str(units.loc[units["level"] == scope, "unit_id"].iloc[0])
    args = ["export", "--dataset", str(SAMPLE), "--year", "2025", "--out", str(tmp_path / "cli.xlsx")]
    run = CliRunner().invoke(cli, args + (["--scope", unit_id] if unit_id else []))
    assert run.exit_code == 0, run.output

    year, chosen = page.validate_choice(store.get(), "2025",
                                        None if unit_id is None else f"{scope}:{unit_id}")
    content = page.build_export(store.results(), year, chosen,
                                generated_at=datetime(2026, 1, 5, 9, 30))
    (tmp_path / "page.xlsx").write_bytes(content)

    from_cli, from_page = cells(tmp_path / "cli.xlsx"), cells(tmp_path / "page.xlsx")
    assert list(from_cli) == list(from_page)
    assert len(from_cli) >= 10
    for sheet in from_cli:
        assert from_cli[sheet] == from_page[sheet], sheet
    cover = openpyxl.load_workbook(tmp_path / "page.xlsx")["封面"]
    assert "2026-01-05 09:30" in [c.value for row in cover.iter_rows() for c in row]


def test_page_accepts_only_this_datasets_year_and_scope(results, page):
    data = store.get()
    levels = results.dataset.levels
    units = results.dataset.units
    district = str(units.loc[units["level"] == levels[0], "unit_id"].iloc[0])
    grid = str(units.loc[units["level"] == levels[-1], "unit_id"].iloc[0])
    assert page.validate_choice(data, "2025", None) == (2025, None)
    assert page.validate_choice(data, "2025", "total") == (2025, None)
    assert page.validate_choice(data, "2025", f"{levels[0]}:{district}") == (2025, district)
    for year, unit in [("1999", None), ("2025", f"{levels[0]}:NOPE"),
                       ("2025", f"{levels[-1]}:{grid}"),          # finest level: nothing below
                       ("2025", "../../etc/passwd"), ("2025; DROP", None)]:
        with pytest.raises(ValueError):
            page.validate_choice(data, year, unit)
    assert page.file_name(data, 2025, None) == "年度评议_2025_全部.xlsx"


def test_export_is_a_background_callback(page):
    """The export runs in the background manager's worker, with progress and cancel, so the
    chart callbacks are never queued behind it."""
    from dash._callback import GLOBAL_CALLBACK_MAP

    spec = next(v for k, v in GLOBAL_CALLBACK_MAP.items() if ids.EXP_DOWNLOAD in k)
    background = spec.get("background")
    assert background and background["manager"] is page.MANAGER
    assert {p.component_id for p in background["progress"]} == {ids.EXP_PROGRESS}


def test_browser_click_downloads_the_workbook(dash_duo, results):
    app = create_app(results)
    dash_duo.start_server(app)
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/export")
    dash_duo.wait_for_element(f"#{ids.EXP_BUTTON}", timeout=TIMEOUT).click()
    dash_duo.wait_for_contains_text(f"#{ids.EXP_STATUS}", "已生成", timeout=TIMEOUT)
    status = dash_duo.find_element(f"#{ids.EXP_STATUS}").text
    assert "年度评议_2025_全部.xlsx" in status and "11 个工作表" in status
    target = Path(dash_duo.download_path) / "年度评议_2025_全部.xlsx"
    import time
    for _ in range(40):
        if target.is_file() and target.stat().st_size > 0:
            break
        time.sleep(0.25)
    wb = openpyxl.load_workbook(target)
    assert wb.sheetnames[:2] == ["封面", "汇总"] and "对标参考" in wb.sheetnames
    assert dash_duo.get_logs() == []


def test_job_reports_progress_and_never_fails_as_a_server_error(results, page, monkeypatch):
    data, res = store.get(), store.results()
    steps: list[tuple[int, str]] = []
    download, status = page.run_job(data, res, "2025", None, "zh", steps.append)
    assert download["filename"] == "年度评议_2025_全部.xlsx" and download["base64"]
    assert status.startswith("已生成 年度评议_2025_全部.xlsx（11 个工作表")
    percents = [p for p, _ in steps]
    assert percents[0] == 2 and percents[-1] == 100 and percents == sorted(percents)
    assert any(label.startswith("正在生成：对标参考") for _, label in steps)

    assert page.run_job(data, res, "1999", None, "zh", steps.append) == \
        (dash.no_update, "所选年度或范围不在本数据集中，请重新选择。")

    def broken(*_args, **_kwargs):
        raise RuntimeError("disk full")
    monkeypatch.setattr(page, "build_export", broken)
    download, status = page.run_job(data, res, "2025", None, "en", steps.append)
    assert download is dash.no_update and status.startswith("Building the workbook failed")
    assert "disk full" not in status                        # no internals shown to the user
