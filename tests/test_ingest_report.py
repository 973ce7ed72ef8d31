"""The rejected-rows workbook a street office gets back: original columns + row number + reasons,
every input value a text cell (never a formula)."""
from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pandas as pd

import data
from data.model import LoadReport, SourceReport
from reports.rejected_rows import REASON_HEADER, ROW_HEADER, rejected_rows_workbook


def _report() -> LoadReport:
    rejected = pd.DataFrame({
        "excel_row": [3, 7],
        "网格编号": ["0101", "=HYPERLINK(\"http://x\",\"点我\")"],
        "户数": ["-5", "120"],
        "备注": ["", "@SUM(A1)"],
        "reasons": ["out_of_range：「户数」不能为负数",
                    "unknown_unit：网格不在网格台账中；missing_required：必填项「社区」为空"],
    })
    good = SourceReport(table="grids", file="grids.xlsx", sheet="网格台账", sha256="0" * 64,
                        rows_read=10, accepted=8, rejected=2, blank=0, rejected_rows=rejected)
    clean = SourceReport(table="complaints", file="c.csv", sheet=None, sha256="1" * 64,
                         rows_read=4, accepted=4)
    return LoadReport(sources=[good, clean], fatal=[{"file": "bad.xlsx", "message": "bad.xlsx 是空文件"}])


def test_rejected_rows_keep_original_columns_as_text():
    wb = openpyxl.load_workbook(io.BytesIO(rejected_rows_workbook(_report())))
    assert wb.sheetnames == ["说明", "grids-网格台账"]
    ws = wb["grids-网格台账"]
    assert [c.value for c in ws[1]] == [ROW_HEADER, "网格编号", "户数", "备注", REASON_HEADER]
    assert [c.value for c in ws[2]] == [3, "0101", "-5", None, "out_of_range：「户数」不能为负数"]
    row3 = ws[3]
    assert row3[0].value == 7 and row3[0].data_type == "n"
    assert row3[1].value == '=HYPERLINK("http://x","点我")' and row3[1].data_type == "s"
    assert row3[3].value == "@SUM(A1)" and row3[3].data_type == "s"
    assert row3[4].value.count("；") == 1                      # both reasons of the row
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    assert ws.freeze_panes == "B2" and ws.auto_filter.ref == "A1:E3"


def test_guide_sheet_lists_every_source_and_the_unreadable_files():
    ws = openpyxl.load_workbook(io.BytesIO(rejected_rows_workbook(_report())))["说明"]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=5, max_row=6)]
    assert rows[0] == ["网格台账", "grids.xlsx", "网格台账", 10, 2, "grids-网格台账"]
    assert rows[1] == ["12345 工单", "c.csv", None, 4, 0, None]
    texts = [c.value for r in ws.iter_rows(min_row=7) for c in r if c.value]
    assert "无法读取的文件" in texts and "bad.xlsx 是空文件" in texts


def test_end_to_end_from_a_loaded_dataset(tmp_path: Path):
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "grids.csv").write_text("街道编号,网格编号,户数,常住人口\n01,0101,100,300\n01,0102,abc,-1\n",
                                      encoding="utf-8")
    (folder / "dataset.yaml").write_text(
        "name: 测试\nlevels: [street, grid]\ntables:\n  grids:\n    sources:\n"
        "      - path: grids.csv\n        columns: {street_id: 街道编号, grid_id: 网格编号, "
        "households: 户数, population: 常住人口}\n", encoding="utf-8")
    d = data.load_dataset(folder / "dataset.yaml", use_cache=False)
    ws = openpyxl.load_workbook(io.BytesIO(rejected_rows_workbook(d.report)))["grids"]
    assert [c.value for c in ws[1]][:5] == [ROW_HEADER, "街道编号", "网格编号", "户数", "常住人口"]
    row = [c.value for c in ws[2]]
    assert row[:5] == [3, "01", "0102", "abc", "-1"]
    assert "not_a_number" in row[5] and "out_of_range" in row[5]
    assert ws.max_row == 2


def test_quality_page_download_is_the_rejected_rows_workbook():
    import base64

    from layouts import create_app, store
    from tests.layouts_synthetic import make_results

    create_app(make_results())
    from layouts.pages import quality

    sent = quality.download_rejected(1)
    assert sent["filename"] == "被拒收的行.xlsx"
    wb = openpyxl.load_workbook(io.BytesIO(base64.b64decode(sent["content"])))
    report = store.get().dataset.report
    with_rows = [s for s in report.sources if s.rejected_rows is not None and len(s.rejected_rows)]
    assert len(wb.sheetnames) == 1 + len(with_rows)
    assert wb["说明"].max_row >= 4 + len(report.sources)
