"""The annual review as a document (reports.review, issue 16): the Word file holds the narrative,
a chart image per indicator family and the tables of the failing units; the PDF is
LibreOffice's rendering of that Word file (same page count). Synthetic data of
tests/test_workbook.py; expected units worked out from its table, not from the report code."""
from __future__ import annotations

import io
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from reports.review import write_report
from tests.test_workbook import CATALOG, make_results

docx = pytest.importorskip("docx")
pytestmark = pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Chromium")
WHEN = datetime(2026, 1, 15, 9, 30)


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    return write_report(make_results(), 2025, tmp_path_factory.mktemp("rep") / "r.docx",
                        generated_at=WHEN)


def _failing_by_hand(results, level: str, year: str = "2025") -> dict[str, set[str]]:
    """indicator name → names of the units of ``level`` below its standard, from the table."""
    t = results.table
    names = dict(zip(results.dataset.units["unit_id"], results.dataset.units["unit_name"]))
    out = {}
    for ind in CATALOG.values():
        std = ind.standard
        if std is None:
            continue
        rows = t[(t["level"] == level) & (t["period"] == year) & (t["indicator_id"] == ind.id)]
        v = rows["value"].astype(float)
        if std.comparison == ">=":
            bad = v < std.value - 1e-9
        elif std.comparison == "<=":
            bad = v > std.value + 1e-9
        else:
            bad = (v < std.low - 1e-9) | (v > std.high + 1e-9)
        out[ind.name_zh] = {names[u] for u in rows.loc[bad.to_numpy(), "unit_id"]}
    return out


def test_docx_holds_narrative_charts_and_failing_tables(report):
    doc = docx.Document(str(report))
    text = "\n".join(p.text for p in doc.paragraphs)
    # cover and narrative
    assert "2025 年度党建引领基层治理指标评议报告" in text
    assert "生成日期：2026 年 01 月 15 日" in text and "【示例数据】" in text
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert headings[:2] == ["一、总体情况", "二、分项评议"]
    assert {"三、评议标准及来源", "四、数据质量说明"} <= set(headings)
    results = make_results()
    with_std = [i for i in CATALOG.values() if i.standard is not None]
    assert f"共评议 {len(CATALOG)} 项指标，其中 {len(with_std)} 项设有标准" in text
    bullets = [p.text for p in doc.paragraphs if p.style.name == "List Bullet"]
    assert len(bullets) == len(CATALOG) and any("办结率" in b for b in bullets)
    # one chart per family: 群众诉求办理 (complaints), 网格化治理 (grids), 志愿服务
    families = [h for h in headings if h.startswith("（")]
    assert families == ["（一）群众诉求办理", "（二）网格化治理", "（三）志愿服务"]
    images = [r for r in doc.part.rels.values() if "image" in r.reltype]
    assert len(images) == len(families)
    assert all(r.target_part.blob.startswith(b"\x89PNG") for r in images)
    assert len(doc.inline_shapes) == len(families)
    # failing-unit tables: the districts below each standard, as computed by hand
    expected = {k: v for k, v in _failing_by_hand(results, "district").items() if v}
    assert expected, "the fixture must have a failing district"
    tables = [tb for tb in doc.tables if tb.rows[0].cells[0].text == "区县"]
    shown = [{r.cells[0].text for r in tb.rows[1:]} for tb in tables]
    assert sorted(map(sorted, shown)) == sorted(map(sorted, expected.values()))
    for tb in tables:      # the gap is written in words beside the value
        assert all(r.cells[2].text.startswith(("低于", "高于")) for r in tb.rows[1:])
    # the standards table names every standard's source
    sources = next(tb for tb in doc.tables if tb.rows[0].cells[0].text == "指标")
    assert {r.cells[2].text for r in sources.rows[1:]} == {i.standard.source_zh for i in with_std}


def _pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    return int(next(line.split()[-1] for line in info.stdout.splitlines()
                    if line.startswith("Pages:")))


@pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdfinfo") is None,
                    reason="needs LibreOffice Writer and poppler-utils")
def test_pdf_is_libreoffice_rendering_of_the_docx(report, tmp_path):
    pdf = write_report(make_results(), 2025, tmp_path / "r.pdf", format="pdf", generated_at=WHEN)
    assert pdf.read_bytes().startswith(b"%PDF")
    # the same .docx rendered here, independently
    profile = tmp_path / "profile"
    subprocess.run(["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(tmp_path / "lo"), str(report)],
                   capture_output=True, timeout=180, check=True)
    assert _pages(pdf) == _pages(tmp_path / "lo" / "r.pdf") >= 4


def test_bad_format_and_year_are_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="docx 或 pdf"):
        write_report(make_results(), 2025, tmp_path / "x.odt", format="odt")
    with pytest.raises(ValueError):
        write_report(make_results(), 1999, tmp_path / "x.docx")


def test_export_page_report_job_sends_the_word_file():
    """The 导出 page's report button (a background job): the right file name, a .docx, progress
    reported part by part, and a bad choice answered in Chinese, never a traceback."""
    from layouts import create_app, store

    results = make_results()
    create_app(results)                 # Dash registers the pages with an app
    from layouts.pages import export

    data = store.DashboardData(results)
    seen = []
    sent, status = export.run_report_job(data, results, "2025", None, "docx", "zh", seen.append)
    assert sent["filename"] == "年度评议报告_2025_全部.docx"
    body = io.BytesIO(__import__("base64").b64decode(sent["content"]))
    assert "二、分项评议" in [p.text for p in docx.Document(body).paragraphs]
    assert status.startswith("已生成 年度评议报告_2025_全部.docx")
    assert seen[0][0] == 2 and seen[-1][0] == 100
    _, refused = export.run_report_job(data, results, "1999", None, "docx", "zh", seen.append)
    assert refused == "所选年度或范围不在本数据集中，请重新选择。"
