"""Fill-in templates (reports/template.py): for each table, write the template from a tiny
manifest, fill it with openpyxl (valid rows and rows that break each validation), save it where
the manifest points, load it: valid rows accepted, each bad row rejected with its rule."""
from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import openpyxl
import pytest

from data import load_dataset
from data.manifest import load_manifest
from reports.template import GUIDE_SHEET, TemplateError, write_template

MANIFEST = textwrap.dedent("""\
    name: 模板测试市
    levels: [street, grid]
    level_names: {street: 街道, grid: 网格}
    dates: {min: 2020-01-01, max: 2026-12-31}
    cutoff: 2025-12-31
    tables:
      grids:
        sources:
        - path: grids.xlsx
          sheet: 网格台账
          header_row: 3
          columns:
            street_id: 街道代码
            street_name: 街道
            grid_id: [网格编号, 网格代码]
            grid_name: 网格名称
            households: 户数
            has_party_branch: 是否建立党支部
            lat: 纬度
            year: {value: 2025}
          values: {has_party_branch: {是: true, 否: false}}
        - path: grids.xlsx
          sheet: 人口
          header_row: 1
          join: grid_id
          columns: {grid_id: 网格编号, population: 常住人口}
      stations:
        sources:
        - path: stations.xlsx
          sheet: 阵地台账
          header_row: 1
          columns:
            station_id: 阵地编号
            station_type: 阵地类型
            grid_id: 所属网格编号
            area_m2: 面积（㎡）
            opened: 启用日期
      volunteer_hours:
        sources:
        - path: volunteer.xlsx
          sheet: 志愿服务记录
          columns:
            date: 活动日期
            grid_id: 网格编号
            hours: 服务时长（小时）
      complaints:
        sources:
        - path: complaints.xlsx
          sheet: 工单
          columns:
            ticket_id: 工单编号
            received_at: 受理时间
            closed_at: 办结时间
            status: 办理状态
            grid_id: 网格编号
            satisfaction: 满意度
          values:
            status: {已办结: closed, 办理中: open}
            satisfaction: {满意: satisfied, 不满意: dissatisfied}
    """)

GRIDS = [("S1", "一街道", "G1", "一网格", 100, "是", 30.5), ("S1", "一街道", "G2", "二网格", 80, "否", None),
         ("S2", "二街道", "G3", "三网格", 120, "是", 30.6)]


def _fill(path: Path, sheet: str, header_row: int, rows: list[tuple]) -> None:
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    for i, row in enumerate(rows, start=header_row + 1):
        for j, value in enumerate(row, start=1):
            ws.cell(i, j).value = value
    wb.save(path)


def _headers(ws, header_row: int) -> list[str]:
    return [c.value for c in ws[header_row] if c.value is not None]


def _rules(dataset, table: str) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    for src in dataset.report.sources:
        if src.table == table:
            for e in src.errors:
                out.setdefault(e.row, set()).add(e.rule)
    return out


@pytest.fixture()
def manifest_dir(tmp_path):
    (tmp_path / "dataset.yaml").write_text(MANIFEST, encoding="utf-8")
    return tmp_path


def _write_grids(d: Path, extra_rows=(), population=None):
    m = load_manifest(d / "dataset.yaml")
    write_template(m, "grids", d / "grids.xlsx")
    _fill(d / "grids.xlsx", "网格台账", 3, [*GRIDS, *extra_rows])
    pop = population or [("G1", 300), ("G2", 250), ("G3", 400)]
    _fill(d / "grids.xlsx", "人口", 1, pop)
    return m


def test_grid_template_layout(manifest_dir):
    m = load_manifest(manifest_dir / "dataset.yaml")
    path = write_template(m, "grids", manifest_dir / "grids.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["网格台账", "人口", GUIDE_SHEET]
    ws = wb["网格台账"]
    # first alias of each asked column, header on row 3, constant `year` not asked
    assert _headers(ws, 3) == ["街道代码", "街道", "网格编号", "网格名称", "户数", "是否建立党支部", "纬度"]
    assert ws.freeze_panes == "A4" and ws.protection.sheet
    assert ws["A3"].protection.locked and ws.column_dimensions["A"].protection.locked is False
    dvs = ws.data_validations.dataValidation
    by_range = {str(dv.sqref).split(":")[0]: dv for dv in dvs if dv.type}
    assert by_range["F4"].type == "list" and by_range["F4"].formula1 == '"是,否"'
    assert by_range["E4"].type == "decimal" and by_range["E4"].operator == "greaterThanOrEqual"
    assert (by_range["G4"].formula1, by_range["G4"].formula2) == ("-90", "90")
    prompts = {str(dv.sqref): dv.prompt for dv in dvs if dv.type is None}
    assert "必填" in prompts["C3"] and "户数（单位：户）" in prompts["E3"]
    guide = wb[GUIDE_SHEET]
    texts = [c.value for row in guide.iter_rows() for c in row if c.value]
    assert "是、否" in texts and any("模板测试市" in str(t) for t in texts)
    assert wb.properties.subject == "template:grids" and wb.properties.keywords == "模板测试市"


def test_grids_round_trip(manifest_dir):
    bad = [("S1", "一街道", "G4", "四网格", -5, "是", None),        # out_of_range (count < 0)
           ("S1", "一街道", "G5", "五网格", "很多", "是", None),    # not_a_number
           ("S1", "一街道", "G6", "六网格", 10, "也许", None),      # bad_value (list)
           ("S1", "一街道", "G7", "七网格", 10, "否", 95.0)]        # out_of_range (latitude)
    _write_grids(manifest_dir, bad, population=[("G1", 300), ("G2", 250), ("G3", 400),
                                                ("G4", 1), ("G5", 1), ("G6", 1), ("G7", 1)])
    ds = load_dataset(manifest_dir / "dataset.yaml", use_cache=False)
    assert not [f for f in ds.report.fatal if f["file"] == "grids.xlsx"]
    assert sorted(ds.tables["grids"]["unit_id"]) == ["G1", "G2", "G3"]
    assert ds.tables["grids"].set_index("unit_id").loc["G2", "has_party_branch"] == False  # noqa: E712
    assert ds.tables["grids"].set_index("unit_id").loc["G3", "population"] == 400
    rules = _rules(ds, "grids")
    assert rules == {7: {"out_of_range"}, 8: {"not_a_number"}, 9: {"bad_value"}, 10: {"out_of_range"}}


def test_stations_round_trip(manifest_dir):
    m = _write_grids(manifest_dir)
    write_template(m, "stations", manifest_dir / "stations.xlsx")
    _fill(manifest_dir / "stations.xlsx", "阵地台账", 1, [
        ("Z1", "社区党群服务中心", "G1", 320, dt.datetime(2021, 5, 1)),
        ("Z2", "其他阵地", "G3", 80.5, dt.datetime(2024, 1, 2)),    # type outside the list: a warning only
        ("Z3", "社区党群服务中心", "G2", -1, None),                   # out_of_range (area)
        ("Z4", "社区党群服务中心", "G2", 100, dt.datetime(2019, 1, 1)),  # out_of_range (date window)
        (None, "社区党群服务中心", "G2", 100, None),                  # missing_required
        ("Z6", "社区党群服务中心", "G9", 100, None),                  # unknown_unit
    ])
    ds = load_dataset(manifest_dir / "dataset.yaml", use_cache=False)
    assert sorted(ds.tables["stations"]["station_id"]) == ["Z1", "Z2"]
    assert _rules(ds, "stations") == {4: {"out_of_range"}, 5: {"out_of_range"},
                                      6: {"missing_required"}, 7: {"unknown_unit"}}


def test_volunteer_round_trip(manifest_dir):
    m = _write_grids(manifest_dir)
    write_template(m, "volunteer_hours", manifest_dir / "volunteer.xlsx")
    _fill(manifest_dir / "volunteer.xlsx", "志愿服务记录", 1, [
        (dt.datetime(2025, 3, 5), "G1", 2.5),
        (dt.datetime(2025, 3, 6), "G2", 4),
        (dt.datetime(2025, 3, 7), "G2", -2),        # out_of_range
        ("2025-02-30", "G1", 1),                     # bad_date
        (dt.datetime(2027, 1, 1), "G1", 1),          # out_of_range (after the window)
        (None, "G1", 1),                             # missing_required
    ])
    ds = load_dataset(manifest_dir / "dataset.yaml", use_cache=False)
    assert ds.tables["volunteer_hours"]["hours"].tolist() == [2.5, 4.0]
    assert _rules(ds, "volunteer_hours") == {4: {"out_of_range"}, 5: {"bad_date"},
                                             6: {"out_of_range"}, 7: {"missing_required"}}


def test_complaints_round_trip_with_scope(manifest_dir):
    m = _write_grids(manifest_dir)
    units = load_dataset(manifest_dir / "dataset.yaml", use_cache=False).units
    path = write_template(m, "complaints", manifest_dir / "complaints.xlsx", units=units, scope="S1")
    wb = openpyxl.load_workbook(path)
    grid_dv = [dv for dv in wb["工单"].data_validations.dataValidation if str(dv.sqref).startswith("E2")]
    assert grid_dv[0].formula1 == '"G1,G2"'       # the scope's grids only
    t = dt.datetime
    _fill(path, "工单", 1, [
        ("T1", t(2025, 1, 2, 9), t(2025, 1, 3, 9), "已办结", "G1", "满意"),
        ("T2", t(2025, 2, 2, 9), None, "办理中", "G2", None),
        ("T3", t(2025, 2, 2, 9), None, "搁置", "G2", None),              # bad_value (status)
        ("T4", t(2025, 2, 2, 9), t(2025, 2, 1, 9), "已办结", "G1", "满意"),  # closed_before_received
        ("T5", t(2025, 2, 2, 9), None, "办理中", "G1", "还行"),          # bad_value (satisfaction)
        ("T1", t(2025, 3, 2, 9), None, "办理中", "G1", None),            # duplicate_key
        ("T7", None, None, "办理中", "G1", None),                        # missing_required
    ])
    ds = load_dataset(manifest_dir / "dataset.yaml", use_cache=False)
    assert sorted(ds.tables["complaints"]["ticket_id"]) == ["T1", "T2"]
    assert _rules(ds, "complaints") == {4: {"bad_value"}, 5: {"closed_before_received"},
                                        6: {"bad_value"}, 7: {"duplicate_key"}, 8: {"missing_required"}}


def test_grid_scope_prefill_and_bad_scope(manifest_dir):
    m = _write_grids(manifest_dir)
    units = load_dataset(manifest_dir / "dataset.yaml", use_cache=False).units
    path = write_template(m, "grids", manifest_dir / "t.xlsx", units=units, scope="S2")
    ws = openpyxl.load_workbook(path)["网格台账"]
    assert [[c.value for c in row][:4] for row in ws.iter_rows(min_row=4, max_row=5)] == \
        [["S2", "二街道", "G3", "三网格"], [None, None, None, None]]
    assert openpyxl.load_workbook(path)["人口"]["A2"].value == "G3"
    with pytest.raises(TemplateError, match="找不到范围单位「S9」"):
        write_template(m, "grids", manifest_dir / "t.xlsx", units=units, scope="S9")
    with pytest.raises(TemplateError, match="没有「tickets」这张表"):
        write_template(m, "tickets", manifest_dir / "t.xlsx")
