"""Send-back (reports/sendback.py): one workbook per street office with only its rejected rows and
Chinese reasons, a zip of all, and a returned workbook matched to the rows it fixes."""
from __future__ import annotations

import datetime as dt
import zipfile

import openpyxl
import pytest

from data import load_dataset
from reports.sendback import SendbackError, match_returned, write_sendback
from tests.yearly_fixtures import TICKETS, make_dataset

BAD = {
    "S1": TICKETS["S1"] + [("A8", dt.datetime(2025, 3, 1, 9), None, "搁置", "G11"),      # bad_value, row 6
                           ("A9", "2025-02-30", None, "办理中", "G12")],                  # bad_date, row 7
    "S2": TICKETS["S2"],
    "S3": TICKETS["S3"] + [("C9", dt.datetime(2025, 3, 1, 9), dt.datetime(2025, 2, 1, 9), "已办结", "G31"),
                           ("C8", dt.datetime(2025, 3, 1, 9), None, "办理中", "G99")],     # unknown grid
}


def _rows(path, sheet):
    ws = openpyxl.load_workbook(path)[sheet]
    return [[c.value for c in row] for row in ws.iter_rows()]


def test_one_workbook_per_street_and_a_zip(tmp_path):
    manifest = make_dataset(tmp_path / "ds", tickets=BAD)
    ds = load_dataset(manifest, use_cache=False)
    result = write_sendback(ds, tmp_path / "out")
    assert [(u["unit_id"], u["unit_name"], u["rows"]) for u in result.units] == \
        [("S1", "一街道", 2), ("S3", "三街道", 1), ("未能确定责任单位", "未能确定责任单位", 1)]
    s1 = result.units[0]["path"]
    assert s1.name == "退回修改_一街道_S1.xlsx"
    wb = openpyxl.load_workbook(s1)
    assert wb.sheetnames == ["说明", "S1-工单"]
    rows = _rows(s1, "S1-工单")
    assert rows[0][:2] == ["原文件行号", "工单编号"]
    assert [r[0] for r in rows[1:]] == [6, 7] and [r[1] for r in rows[1:]] == ["A8", "A9"]
    reasons = [r[-1] for r in rows[1:]]
    assert reasons[0].startswith("「办理状态」") and "bad_value" not in reasons[0]
    assert "不是有效日期" in reasons[1] and "bad_date" not in reasons[1]
    s3 = _rows(result.units[1]["path"], "S3-工单")
    assert [r[1] for r in s3[1:]] == ["C9"]        # the unknown-grid row is not S3's
    with zipfile.ZipFile(result.zip_path) as zf:
        assert sorted(zf.namelist()) == sorted(u["path"].name for u in result.units)


def test_returned_workbook_is_matched_to_the_rows_it_fixes(tmp_path):
    manifest = make_dataset(tmp_path / "ds", tickets=BAD)
    ds = load_dataset(manifest, use_cache=False)
    s1 = write_sendback(ds, tmp_path / "out").units[0]["path"]
    wb = openpyxl.load_workbook(s1)
    ws = wb["S1-工单"]
    heads = [c.value for c in ws[1]]
    ws.cell(2, heads.index("办理状态") + 1).value = "办理中"   # A8 fixed
    ws.cell(3, heads.index("受理时间") + 1).value = "2025-02-31"  # A9 still a bad date
    wb.save(tmp_path / "returned.xlsx")
    matched = match_returned(ds, tmp_path / "returned.xlsx")
    assert matched[["excel_row", "matched", "fixed"]].values.tolist() == [[6, True, True], [7, True, False]]
    assert "不是有效日期" in matched["reasons"].iloc[1]
    with pytest.raises(SendbackError, match="缺少「说明」工作表"):
        match_returned(ds, manifest.parent / "grids.xlsx")
    (tmp_path / "renamed.xlsx").write_text("工单编号,受理时间\nA1,2025-01-01\n", encoding="utf-8")
    with pytest.raises(SendbackError, match="无法安全读取"):                 # a CSV renamed .xlsx
        match_returned(ds, tmp_path / "renamed.xlsx")
