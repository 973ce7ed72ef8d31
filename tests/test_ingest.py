"""Ingest tests on tiny fixtures written into tmp_path; expected values worked out by hand below.

The main fixture is a 4-level city (district → street → community → grid):

grids.xlsx, sheet 网格台账 — title on row 1, blank row 2, header on row 3 (``户数 `` has a trailing
space), data rows 4–9:
    row 4  01 城东街道 东一社区 101  350 1000  是        accepted
    row 5  01 城东街道 东一社区 102  420 1300  否        accepted
    row 6  01 城东街道 东二社区 103  380 1100  是        accepted
    row 7  02 城西街道 西一社区 201   -5  900  是        out_of_range 户数
    row 8  (blank)
    row 9  02 城西街道 西一社区 202  300  abc  也许      not_a_number 常住人口, bad_value 是否建立党支部
    row 10 02 城西街道 西一社区 203  (empty) 800 是      missing_required 户数
complaints.csv — header row 1, one ticket per row 2–13 (see COMPLAINT_ROWS).
"""
from __future__ import annotations

import datetime as dt
import gzip
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import yaml

import data
from data import loader as loader_module
from data.coords import gcj02_to_wgs84, wgs84_to_gcj02
from data.manifest import ManifestError
from data.transforms import apply_transforms
from data.validate import parse_dates
from data.workdays import add_working_days

GRID_HEADER = ["区县代码", "街道", "社区", "网格编号", "户数 ", "常住人口", "是否建立党支部"]
GRID_ROWS = [
    ["01", "城东街道", "东一社区", 101, 350, 1000, "是"],
    ["01", "城东街道", "东一社区", 102, 420, 1300, "否"],
    ["01", "城东街道", "东二社区", 103, 380, 1100, "是"],
    ["02", "城西街道", "西一社区", 201, -5, 900, "是"],
    [None] * 7,
    ["02", "城西街道", "西一社区", 202, 300, "abc", "也许"],
    ["02", "城西街道", "西一社区", 203, None, 800, "是"],
]
COMPLAINT_HEADER = "工单编号,受理时间,办结时间,状态,诉求类别,网格编号,社区,满意度,办理时限"
COMPLAINT_ROWS = [
    "T001,2024-03-05 09:00,2024-03-06 10:00,已办结,噪音,101,,满意,",   # 2 accepted
    ",2024-03-05,,办理中,噪音,101,,,",                                  # 3 missing_required 工单编号
    "T003,2024-02-30,,办理中,噪音,101,,,",                              # 4 bad_date 受理时间
    "T004,2024-03-05 10:00,2024-03-04 10:00,已办结,噪音,102,,,",        # 5 closed_before_received
    ",,,,,,,,",                                                          # 6 blank
    "T006,2024/3/5,,办理中,道路,103,,4,",                               # 7 accepted (first copy)
    "T006,2024年3月6日,,办理中,道路,103,,,",                            # 8 duplicate_key (of row 7)
    "T008,2024-03-07,,办理中,道路,999,,,",                              # 9 unknown_unit 网格编号
    "T009,2024-03-07,,已撤销,道路,101,,,",                              # 10 bad_value 状态
    "T010,1999-01-01,,办理中,道路,101,,很好,五",                        # 11 three errors
    "T011,2024-09-30 10:00,,办理中,其他,,东二社区,2,5",                 # 12 accepted (community)
    "T012,2024-03-08,2024-03-09,,其他,103,,3,",                         # 13 accepted (status derived)
]


def write_xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def write_manifest(folder: Path, tables: dict, **extra) -> Path:
    doc = {"name": "测试市", "levels": ["district", "street", "community", "grid"],
           "cutoff": "2024-12-31", "dates": {"min": "2020-01-01", "max": "2030-12-31"},
           "tables": tables, **extra}
    path = folder / "dataset.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


GRIDS_SOURCE = {
    "path": "grids.xlsx", "sheet": "网格台账", "header_row": 3,
    "columns": {"district_id": "区县代码", "street_name": "街道", "community_name": "社区",
                "grid_id": "网格编号", "households": "户数", "population": "常住人口",
                "has_party_branch": "是否建立党支部"},
    "transforms": {"grid_id": [{"zfill": 4}]},
}
COMPLAINTS_SOURCE = {
    "path": "complaints.csv",
    "columns": {"ticket_id": "工单编号", "received_at": "受理时间", "closed_at": "办结时间",
                "status": "状态", "category": "诉求类别", "grid_id": "网格编号",
                "community_name": "社区", "satisfaction": "满意度",
                "deadline_working_days": "办理时限"},
    "values": {"status": {"已办结": "closed", "办理中": "open"},
               "satisfaction": {"满意": "satisfied", "基本满意": "basically_satisfied",
                                "不满意": "dissatisfied"}},
    "transforms": {"grid_id": [{"zfill": 4}]},
}


@pytest.fixture
def city(tmp_path: Path) -> Path:
    write_xlsx(tmp_path / "grids.xlsx",
               {"网格台账": [["示例市网格台账（2025年）"], [], GRID_HEADER, *GRID_ROWS]})
    (tmp_path / "complaints.csv").write_text(
        "\n".join([COMPLAINT_HEADER, *COMPLAINT_ROWS]) + "\n", encoding="utf-8")
    return write_manifest(tmp_path, {"grids": {"sources": [GRIDS_SOURCE]},
                                     "complaints": {"sources": [COMPLAINTS_SOURCE]}})


def errors_of(report, table: str) -> set[tuple[int, str, str]]:
    src = next(s for s in report.sources if s.table == table)
    return {(e.row, e.column, e.rule) for e in src.errors}


def test_grid_register_header_below_title_and_trailing_space(city, tmp_path):
    d = data.load_dataset(city, cache_dir=tmp_path / "cache")
    grids = d.tables["grids"]
    # 101 typed as a number in Excel → "101" → zfill 4 → "0101"; rows 7 and 9 rejected
    assert grids["unit_id"].tolist() == ["0101", "0102", "0103"]
    assert grids["households"].tolist() == [350.0, 420.0, 380.0]     # header "户数 " matched
    assert grids["has_party_branch"].tolist() == [True, False, True]
    assert str(grids["unit_id"].dtype) == "string"
    units = d.units.set_index(["level", "unit_id"])
    # only accepted grids build the hierarchy: district 02 had no valid grid (rows 7, 9, 10)
    assert sorted(d.units.loc[d.units["level"] == "district", "unit_id"]) == ["01"]
    assert units.loc[("community", "东二社区"), "parent_id"] == "城东街道"
    assert units.loc[("grid", "0103"), "parent_id"] == "东二社区"
    assert units.loc[("grid", "0103"), "depth"] == 3
    assert errors_of(d.report, "grids") == {
        (7, "户数", "out_of_range"), (9, "常住人口", "not_a_number"),
        (9, "是否建立党支部", "bad_value"), (10, "户数", "missing_required")}
    src = d.report.sources[0]
    assert (src.rows_read, src.accepted, src.rejected, src.blank) == (7, 3, 3, 1)


def test_every_rule_with_row_and_column(city, tmp_path):
    d = data.load_dataset(city, cache_dir=tmp_path / "cache")
    assert errors_of(d.report, "complaints") == {
        (3, "工单编号", "missing_required"),
        (4, "受理时间", "bad_date"),
        (5, "办结时间", "closed_before_received"),
        (8, "工单编号", "duplicate_key"),
        (9, "网格编号", "unknown_unit"),
        (10, "状态", "bad_value"),
        (11, "受理时间", "out_of_range"), (11, "满意度", "bad_value"),
        (11, "办理时限", "not_a_number"),
    }
    src = next(s for s in d.report.sources if s.table == "complaints")
    # 12 rows read: rows 2, 7, 12, 13 accepted; 3, 4, 5, 8, 9, 10, 11 rejected; row 6 blank
    assert (src.rows_read, src.accepted, src.rejected, src.blank) == (12, 4, 7, 1)
    assert src.reconciles and d.report.rows_read == d.report.accepted + d.report.rejected + d.report.blank
    bad_value = next(e for e in src.errors if e.row == 10)
    assert bad_value.value == "已撤销"
    duplicate = next(e for e in src.errors if e.row == 8)
    assert duplicate.value == "T006" and "第 7 行" in duplicate.message
    rejected = src.rejected_rows
    assert rejected["excel_row"].tolist() == [3, 4, 5, 8, 9, 10, 11]
    assert rejected.loc[rejected["excel_row"] == 11, "满意度"].item() == "很好"
    reasons = rejected.loc[rejected["excel_row"] == 11, "reasons"].item()
    assert "out_of_range" in reasons and "bad_value" in reasons and "not_a_number" in reasons


def test_accepted_complaints_values(city, tmp_path):
    d = data.load_dataset(city, cache_dir=tmp_path / "cache")
    c = d.tables["complaints"].set_index("ticket_id")
    assert c.index.tolist() == ["T001", "T006", "T011", "T012"]
    assert c.loc["T006", "received_at"] == pd.Timestamp("2024-03-05")   # the first copy, row 7
    assert c.loc["T006", "satisfaction"] == "satisfied"                 # score 4
    assert c.loc["T001", "status"] == "closed"
    assert c.loc["T001", "satisfaction"] == "satisfied"
    assert c.loc["T001", "received_at"] == pd.Timestamp("2024-03-05 09:00")
    # T011 names only a community: attached to the finest level it names
    assert (c.loc["T011", "unit_level"], c.loc["T011", "unit_id"]) == ("community", "东二社区")
    assert c.loc["T011", "satisfaction"] == "dissatisfied"             # score 2
    # received Mon 2024-09-30 + 5 working days: 1–7 Oct National Day holiday, 8, 9, 10, 11 Oct
    # are days 1–4 and Saturday 12 Oct is a 调休 make-up workday → day 5
    assert c.loc["T011", "due_at"] == pd.Timestamp("2024-10-12 23:59:59")
    assert c.loc["T012", "status"] == "closed"                          # no status: closed_at given
    assert c.loc["T012", "satisfaction"] == "basically_satisfied"      # score 3
    assert (c.loc["T012", "unit_level"], c.loc["T012", "unit_id"]) == ("grid", "0103")
    assert pd.isna(c.loc["T001", "due_at"])


def test_format_report_lists_rows(city, tmp_path):
    d = data.load_dataset(city, cache_dir=tmp_path / "cache")
    text = data.format_report(d.report)
    assert "读取 12 = 接收 4 + 拒收 7 + 空行 1" in text
    assert "第 5 行 · 办结时间" in text
    assert "closed before received" in data.format_report(d.report, lang="en")


def test_cache_hit_does_not_reread(city, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    first = data.load_dataset(city, cache_dir=cache)
    calls = []
    real = loader_module.read_source_file
    monkeypatch.setattr(loader_module, "read_source_file",
                        lambda *a, **k: calls.append(a[0]) or real(*a, **k))
    second = data.load_dataset(city, cache_dir=cache)
    assert calls == []
    assert second.config["cache"] == {"hits": 2, "misses": 0}
    for name in ("grids", "complaints"):
        pd.testing.assert_frame_equal(first.tables[name], second.tables[name])
    assert first.report.to_dict() == second.report.to_dict()
    pd.testing.assert_frame_equal(first.report.sources[1].rejected_rows,
                                  second.report.sources[1].rejected_rows)
    # a changed file is re-read (key = content hash), the unchanged one is not
    csv = tmp_path / "complaints.csv"
    csv.write_text(csv.read_text(encoding="utf-8") + "T099,2024-05-01,,办理中,其他,101,,,\n",
                   encoding="utf-8")
    third = data.load_dataset(city, cache_dir=cache)
    assert [Path(p).name for p in calls] == ["complaints.csv"]
    assert third.config["cache"] == {"hits": 1, "misses": 1}
    assert "T099" in set(third.tables["complaints"]["ticket_id"])


def test_duplicate_header_is_a_clear_fatal_error(tmp_path):
    header = ["网格编号", "区县代码", "网格编号"]
    write_xlsx(tmp_path / "grids.xlsx", {"Sheet": [header, [101, "01", 102]]})
    m = write_manifest(tmp_path, {"grids": {"sources": [{
        "path": "grids.xlsx", "columns": {"grid_id": "网格编号", "district_id": "区县代码",
                                          "street_id": "区县代码", "community_id": "区县代码"}}]}})
    d = data.load_dataset(m, cache_dir=tmp_path / "cache")
    assert len(d.report.fatal) == 1
    msg = d.report.fatal[0]["message"]
    assert "网格编号" in msg and "列 A" in msg and "列 C" in msg
    assert "grids" not in d.tables


def test_missing_header_names_the_headers_found(tmp_path):
    write_xlsx(tmp_path / "g.xlsx", {"Sheet": [["编号", "区"], ["1", "01"]]})
    m = write_manifest(tmp_path, {"grids": {"sources": [{
        "path": "g.xlsx", "columns": {"grid_id": "网格编号", "district_id": "区",
                                      "street_id": "区", "community_id": "区"}}]}})
    d = data.load_dataset(m, cache_dir=tmp_path / "cache")
    assert "找不到表头「网格编号」" in d.report.fatal[0]["message"]
    assert "「编号」" in d.report.fatal[0]["message"]


def test_join_two_sheets_on_the_key(tmp_path):
    write_xlsx(tmp_path / "g.xlsx", {
        "人口": [["网格", "区", "人口"], ["0001", "A", 100], ["0002", "A", 200], ["0003", "B", 300]],
        "户数": [["网格", "户数"], ["0002", 70], ["0001", 40], ["0009", 5]],
    })
    m = write_manifest(tmp_path, {"grids": {"sources": [
        {"path": "g.xlsx", "sheet": "人口", "columns": {"grid_id": "网格", "district_id": "区",
                                                       "population": "人口"}},
        {"path": "g.xlsx", "sheet": "户数", "join": "grid_id",
         "columns": {"grid_id": "网格", "households": "户数"}}]}},
        levels=["district", "grid"])
    d = data.load_dataset(m, cache_dir=tmp_path / "cache")
    g = d.tables["grids"].set_index("unit_id")
    assert g["population"].to_dict() == {"0001": 100.0, "0002": 200.0, "0003": 300.0}
    assert g.loc["0001", "households"] == 40.0 and g.loc["0002", "households"] == 70.0
    assert np.isnan(g.loc["0003", "households"])
    # 0009 in the households sheet matches no grid: rejected on its own sheet's row 4
    assert errors_of(d.report, "grids") == set()  # first sheet clean
    joined = d.report.sources[1]
    assert joined.sheet == "户数"
    assert [(e.row, e.column, e.rule) for e in joined.errors] == [(4, "网格", "unknown_unit")]
    assert (joined.rows_read, joined.accepted, joined.rejected) == (3, 2, 1)


def test_stacking_by_glob_reports_each_file(tmp_path):
    write_xlsx(tmp_path / "grids.xlsx", {"S": [["网格", "区"], ["0001", "A"], ["0002", "A"]]})
    for year, rows in ((2024, ["K1,2024-01-02,0001", "K2,2024-02-03,0002"]),
                       (2025, ["K3,2025-01-02,0001", "K1,2025-01-03,0002"])):
        (tmp_path / f"complaints_{year}.csv").write_text(
            "\n".join(["编号,受理,网格", *rows]), encoding="utf-8")
    m = write_manifest(tmp_path, {
        "grids": {"sources": [{"path": "grids.xlsx", "columns": {"grid_id": "网格", "district_id": "区"}}]},
        "complaints": {"sources": [{"path": "complaints_*.csv", "columns": {
            "ticket_id": "编号", "received_at": "受理", "grid_id": "网格"}}]}},
        levels=["district", "grid"])
    d = data.load_dataset(m, cache_dir=tmp_path / "cache")
    files = [(s.file, s.rows_read, s.accepted, s.rejected) for s in d.report.sources if s.table == "complaints"]
    # K1 appears in both files: the first copy (2024, row 2) is kept, the 2025 copy (row 3) rejected
    assert files == [("complaints_2024.csv", 2, 2, 0), ("complaints_2025.csv", 2, 1, 1)]
    assert sorted(d.tables["complaints"]["ticket_id"]) == ["K1", "K2", "K3"]
    later = d.report.sources[2].errors
    assert [(e.row, e.column, e.rule) for e in later] == [(3, "编号", "duplicate_key")]
    assert "complaints_2024.csv 第 2 行" in later[0].message


@pytest.mark.parametrize("encoding,expect_warning", [
    ("utf-8", False), ("utf-8-sig", False), ("gb18030", True)])
def test_csv_encodings(tmp_path, encoding, expect_warning):
    text = "编号,受理,类别\nA1,2024-01-02,䶮𠮷路灯\nA2,2024-01-03,噪音\n"
    (tmp_path / "c.csv").write_bytes(text.encode(encoding))
    m = write_manifest(tmp_path, {"complaints": {"sources": [{"path": "c.csv", "columns": {
        "ticket_id": "编号", "received_at": "受理", "category": "类别"}}]}}, levels=["grid"])
    d = data.load_dataset(m, cache_dir=tmp_path / "cache")
    assert d.tables["complaints"]["category"].tolist() == ["䶮𠮷路灯", "噪音"]
    assert any("GB18030" in w for w in d.report.sources[0].warnings) == expect_warning


def test_csv_gz_and_undecodable_csv(tmp_path):
    (tmp_path / "ok.csv.gz").write_bytes(gzip.compress("编号,受理\nA1,2024-01-02\n".encode("gb18030")))
    (tmp_path / "bad.csv").write_bytes(b"id,date\n\xff\xfe\xff,2024-01-02\n")
    m = write_manifest(tmp_path, {"complaints": {"sources": [
        {"path": "ok.csv.gz", "columns": {"ticket_id": "编号", "received_at": "受理"}},
        {"path": "bad.csv", "columns": {"ticket_id": "id", "received_at": "date"}}]}},
        levels=["grid"])
    d = data.load_dataset(m, cache_dir=tmp_path / "cache")
    assert d.tables["complaints"]["ticket_id"].tolist() == ["A1"]
    # issue 12: a line that does not decode is one rejected row (its Excel row), not a fatal file
    assert d.report.fatal == []
    bad = d.report.sources[1]
    assert (bad.file, bad.rows_read, bad.accepted, bad.rejected) == ("bad.csv", 1, 0, 1)
    assert [(e.row, e.column, e.rule) for e in bad.errors] == [(2, "id", "encoding")]


def test_parse_dates_formats_and_impossible_dates():
    s = pd.Series(["2024/3/5", "2024-03-05 08:00", "2024年3月5日", "45356", "45356.5",
                   "2024-02-30", "", "2024-03-05 08:00:00", "昨天"], dtype="str")
    values, bad = parse_dates(s)
    mar5 = pd.Timestamp("2024-03-05")
    # Excel serial 45356: 2024-01-01 is 45292, +31 → 1 Feb (45323), +29 → 1 Mar (45352), +4 → 5 Mar
    assert values.tolist()[:5] == [mar5, mar5 + pd.Timedelta(hours=8), mar5, mar5,
                                   mar5 + pd.Timedelta(hours=12)]
    assert bad.tolist() == [False] * 5 + [True, False, False, True]
    assert pd.isna(values[5]) and pd.isna(values[6])


def test_transforms():
    s = pd.Series(["101", " 7 ", "", "Ward 5", "503.0", "１，２３４"], dtype="str")
    assert apply_transforms(s, (("strip", None), ("zfill", 4))).tolist()[:3] == ["0101", "0007", ""]
    ward = apply_transforms(pd.Series(["Ward 5", "05", "5", "", "none"], dtype="str"),
                            (("regex", r"(\d+)$"), ("zfill", 2)))
    assert ward.tolist() == ["05", "05", "05", "", ""]   # no match → empty (issue 12)
    pre = apply_transforms(pd.Series(["503.0", "0306", "1801.0"], dtype="str"),
                           (("regex", r"^(\d+)(?:\.0+)?$"), ("zfill", 4)))
    assert pre.tolist() == ["0503", "0306", "1801"]
    assert apply_transforms(pd.Series(["１，２３４"], dtype="str"), (("number", True),)).tolist() == ["1234"]
    when = apply_transforms(pd.Series(["01/03/2015 06:06:20 AM", "13/45/2015 01:00:00 PM"], dtype="str"),
                            (("date_format", "%m/%d/%Y %I:%M:%S %p"),))
    assert when.tolist() == ["2015-01-03 06:06:20", "13/45/2015 01:00:00 PM"]   # bad left as typed
    mapped = apply_transforms(pd.Series(["A", "B"], dtype="str"), (("map", (("A", "甲"),)),))
    assert mapped.tolist() == ["甲", "B"]


def test_excel_datetime_cells_and_serials(tmp_path):
    write_xlsx(tmp_path / "c.xlsx", {"S": [["编号", "受理"], ["A1", dt.datetime(2024, 3, 5, 8, 30)],
                                           ["A2", 45356], ["A3", "2024/3/6"]]})
    m = write_manifest(tmp_path, {"complaints": {"sources": [{"path": "c.xlsx", "columns": {
        "ticket_id": "编号", "received_at": "受理"}}]}}, levels=["grid"])
    d = data.load_dataset(m, cache_dir=tmp_path / "cache")
    assert d.tables["complaints"]["received_at"].tolist() == [
        pd.Timestamp("2024-03-05 08:30"), pd.Timestamp("2024-03-05"), pd.Timestamp("2024-03-06")]


def test_working_days_fall_back_to_weekdays_outside_calendar():
    due, fallback = add_working_days(pd.Series(pd.to_datetime(["2030-01-04 09:00", "2024-09-27 09:00"])),
                                     pd.Series([1, 1]))
    # Fri 2030-01-04 + 1 → Mon 7 Jan (weekday fallback); Fri 2024-09-27 + 1 → Sun 29 Sep (调休)
    assert due.tolist() == [pd.Timestamp("2030-01-07 23:59:59"), pd.Timestamp("2024-09-29 23:59:59")]
    assert fallback == [2030]


def test_cutoff_and_status_from_closed_at(tmp_path):
    (tmp_path / "c.csv").write_text("编号,受理,办结\nA,2024-12-30,2024-12-31 10:00\n"
                                    "B,2024-12-30,2025-01-02\nC,2024-12-30,\n", encoding="utf-8")
    m = write_manifest(tmp_path, {"complaints": {"sources": [{"path": "c.csv", "columns": {
        "ticket_id": "编号", "received_at": "受理", "closed_at": "办结"}}]}}, levels=["grid"])
    d = data.load_dataset(m, cache_dir=tmp_path / "cache")
    c = d.tables["complaints"].set_index("ticket_id")
    # cutoff 2024-12-31: B closed after it, so it was still open at the cut-off
    assert c["status"].to_dict() == {"A": "closed", "B": "open", "C": "open"}
    assert pd.isna(c.loc["B", "closed_at"])
    assert any("截止日" in w for w in d.report.sources[0].warnings)


def test_geojson_points_and_gcj02(tmp_path):
    lat, lon = 30.456, 106.633                              # a point in 广安 (WGS-84)
    glat, glon = wgs84_to_gcj02(lat, lon)
    features = [
        {"type": "Feature", "properties": {"FID": 1, "SITE": "中心"},
         "geometry": {"type": "Point", "coordinates": [float(glon), float(glat)]}},
        {"type": "Feature", "properties": {"FID": 2, "SITE": "区域"},
         "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}},
    ]
    import json
    (tmp_path / "s.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": features}),
                                        encoding="utf-8")
    m = write_manifest(tmp_path, {"stations": {"sources": [{"path": "s.geojson", "columns": {
        "station_id": "FID", "station_name": "SITE", "lat": "lat", "lon": "lon"}}]}},
        levels=["grid"], crs="gcj02")
    d = data.load_dataset(m, cache_dir=tmp_path / "cache")
    s = d.tables["stations"]
    assert s["station_id"].tolist() == ["1", "2"]
    assert abs(s["lat"][0] - lat) < 1e-7 and abs(s["lon"][0] - lon) < 1e-7
    assert np.isnan(s["lat"][1])
    assert any("不是点" in w for w in d.report.sources[0].warnings)
    # the GCJ-02 shift is hundreds of metres in China, none outside it (Boston)
    shift_m = np.hypot((glat - lat) * 111_000, (glon - lon) * 111_000 * np.cos(np.radians(lat)))
    assert 100 < shift_m < 1000
    assert wgs84_to_gcj02(42.36, -71.06) == (42.36, -71.06)
    assert np.allclose(gcj02_to_wgs84(glat, glon), (lat, lon), atol=1e-9)


@pytest.mark.parametrize("tables,fragment", [
    ({"grids": {"sources": [{"path": "g.xlsx", "columns": {"grid_id": "x"},
                             "transforms": {"grid_id": ["trim"]}}]}}, "未知的转换「trim」"),
    ({"grids": {"sources": [{"path": "g.xlsx", "columns": {"grid_id": "x"}, "header_row": 0}]}},
     "header_row"),
    ({"tickets": {"sources": [{"path": "g.xlsx", "columns": {"a": "b"}}]}}, "未知的表「tickets」"),
    ({"complaints": {"sources": [{"path": "c.csv", "columns": {"ticket_id": "编号"}}]}},
     "必须映射列 received_at"),
])
def test_wrong_manifest_is_refused_with_the_key(tmp_path, tables, fragment):
    m = write_manifest(tmp_path, tables, levels=["grid"])
    with pytest.raises(ManifestError, match=fragment):
        data.load_dataset(m, cache_dir=tmp_path / "cache")


def test_ancestor_at_walks_up_the_hierarchy():
    from data.hierarchy import ancestor_at
    units = pd.DataFrame({"level": ["d", "s", "s", "g", "g"], "unit_id": ["D1", "S1", "S2", "G1", "G2"],
                          "parent_id": [pd.NA, "D1", "D1", "S1", "S2"]})
    level = pd.Series(["g", "g", "s", "d", pd.NA], dtype="string")
    uid = pd.Series(["G1", "G2", "S2", "D1", pd.NA], dtype="string")
    assert ancestor_at(units, ["d", "s", "g"], level, uid, "s").tolist() == ["S1", "S2", "S2", pd.NA, pd.NA]
    assert ancestor_at(units, ["d", "s", "g"], level, uid, "d").tolist() == ["D1", "D1", "D1", "D1", pd.NA]


def test_cache_prune_removes_only_unused_entries(city, tmp_path):
    import os
    import time

    from data import cache
    data.load_dataset(city, cache_dir=tmp_path / "cache")
    entries = sorted((tmp_path / "cache" / "ingest").iterdir())
    assert len(entries) == 2
    old = time.time() - 40 * 86_400
    os.utime(entries[0] / "meta.json", (old, old))
    assert cache.prune(tmp_path / "cache", max_age_days=30) == 1
    assert sorted((tmp_path / "cache" / "ingest").iterdir()) == entries[1:]


def test_default_sheet_is_the_first_visible_one(tmp_path):
    path = write_xlsx(tmp_path / "c.xlsx", {"旧": [["编号", "受理"], ["OLD", "2024-01-01"]],
                                            "工单": [["编号", "受理"], ["NEW", "2024-01-02"]]})
    wb = openpyxl.load_workbook(path)
    wb["旧"].sheet_state = "hidden"
    wb.save(path)
    m = write_manifest(tmp_path, {"complaints": {"sources": [{"path": "c.xlsx", "columns": {
        "ticket_id": "编号", "received_at": "受理"}}]}}, levels=["grid"])
    d = data.load_dataset(m, cache_dir=tmp_path / "cache")
    assert d.report.sources[0].sheet == "工单"
    assert d.tables["complaints"]["ticket_id"].tolist() == ["NEW"]


def test_many_excel_datetimes_become_the_same_text_as_one_by_one():
    """Above 1,000 datetime cells the conversion is vectorised; the text must not change."""
    from data.readers import cells_to_text

    cells = [dt.datetime(2024, 3, 5, 8, 0), dt.datetime(2024, 3, 5, 8, 0, 0, 250_000),
             dt.datetime(9999, 12, 31), dt.datetime(1900, 1, 1)] * 400 + ["", 12.0]
    got = cells_to_text(np.array(cells, dtype=object))
    assert list(got[:4]) == ["2024-03-05 08:00:00", "2024-03-05 08:00:00.250000",
                             "9999-12-31 00:00:00", "1900-01-01 00:00:00"]
    assert list(got[-2:]) == ["", "12"]
    assert len(set(got[:1600:4])) == 1 and len(set(got[2:1600:4])) == 1
