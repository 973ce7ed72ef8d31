"""The embedded sample dataset (data/sample/): files, sheets, headers, sizes, the deliberately
broken rows, the manifest, the district boundaries, and that the generator is deterministic."""
from __future__ import annotations

import datetime as dt
import functools
import glob
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from python_calamine import CalamineWorkbook

from data.sample import generate as gen

SAMPLE = Path(__file__).parent.parent / "data" / "sample"
COMPLAINT_FILES = sorted((SAMPLE / "complaints").glob("*.xlsx"))
# The headers as specified for the sample (written out here, not taken from the generator).
GRID = ("区县代码", "区县", "街道代码", "街道", "社区代码", "社区", "社区类型", "网格编号", "网格名称",
        "户数", "专职网格员", "兼职网格员", "是否建立党支部", "经度", "纬度")
STATION = ("阵地编号", "阵地名称", "阵地类型", "所属社区代码", "所属网格编号", "面积（㎡）", "经度", "纬度",
           "启用日期", "每周开放时长（小时）")
VOLUNTEER = ("活动日期", "社区代码", "志愿服务队", "活动类型", "志愿者人数", "服务人次", "服务时长（小时）",
             "受益人次")
COMPLAINT = ("工单编号", "受理时间", "办结时间", "办理时限（工作日）", "办理状态", "诉求类别", "网格编号",
             "满意度", "是否重复")
WORKBOOKS = {  # file → {sheet: (header row, headers)}
    **{f"grids_{y}.xlsx": {"网格台账": (3, GRID), "人口": (1, ("网格编号", "常住人口")),
                           "社区工作者": (1, ("社区代码", "社区工作者人数"))} for y in (2023, 2024, 2025)},
    "stations.xlsx": {"阵地台账": (1, STATION)},
    **{f"volunteer_{y}.xlsx": {"志愿服务记录": (1, VOLUNTEER)} for y in (2023, 2024, 2025)},
    **{f"complaints/{p.name}": {"工单": (1, COMPLAINT)} for p in COMPLAINT_FILES},
}


@functools.cache
def _rows(path: Path, sheet: str) -> list[list]:
    """A sheet's cells row by row (Excel row r is index r − 1; empty cells are ""). Cached: do not
    modify the result."""
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()


def _cell(path: Path, sheet: str, row: int, column: str, header_row: int = 1):
    """The value of one cell, addressed by Excel row number and header text."""
    rows = _rows(path, sheet)
    return rows[row - 1][rows[header_row - 1].index(column)]


@pytest.fixture(scope="module")
def tickets() -> pd.DataFrame:
    """Every complaint row as written (text cells stay text), with its file and Excel row."""
    frames = []
    for path in COMPLAINT_FILES:
        rows = _rows(path, "工单")
        df = pd.DataFrame(rows[1:], columns=rows[0], dtype=object)
        df["file"] = f"complaints/{path.name}"
        df["excel_row"] = np.arange(len(df)) + 2
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def bad_rows() -> list[dict]:
    return json.loads((SAMPLE / "bad_rows.json").read_text(encoding="utf-8"))


def test_every_workbook_has_the_documented_sheets_and_headers():
    assert len(COMPLAINT_FILES) == 12
    for name, sheets in WORKBOOKS.items():
        path = SAMPLE / name
        assert path.stat().st_size < 4_000_000, name
        assert CalamineWorkbook.from_path(str(path)).sheet_names == list(sheets), name
        for sheet, (header_row, headers) in sheets.items():
            assert tuple(_rows(path, sheet)[header_row - 1]) == headers, (name, sheet)
    for year in (2023, 2024, 2025):
        title = _rows(SAMPLE / f"grids_{year}.xlsx", "网格台账")[:2]
        assert title[0][0] == f"示例市{year}年网格台账" and set(title[1]) == {""}


def test_grid_register_hierarchy_and_population():
    rows = _rows(SAMPLE / "grids_2025.xlsx", "网格台账")
    reg = pd.DataFrame(rows[3:], columns=rows[2], dtype=object)
    pop = pd.DataFrame(_rows(SAMPLE / "grids_2025.xlsx", "人口")[1:], columns=["网格编号", "常住人口"])
    assert len(reg) == 600 and reg["网格编号"].is_unique
    assert (reg[["区县代码", "街道代码", "社区代码"]].nunique().tolist()) == [4, 15, 60]
    # codes are text and nest: grid = community + 3 digits, community = street + 3, street = district + 3
    assert reg["网格编号"].str.fullmatch(r"\d{15}").all()
    assert (reg["网格编号"].str[:12] == reg["社区代码"]).all()
    assert (reg["社区代码"].str[:9] == reg["街道代码"]).all()
    assert (reg["街道代码"].str[:6] == reg["区县代码"]).all()
    villages = reg[reg["社区类型"] == "村"]
    assert len(villages) > 0 and villages["社区代码"].str[9].eq("2").all()     # village codes 2xx
    assert set(pop["网格编号"]) == set(reg["网格编号"])
    both = reg.merge(pop, on="网格编号")
    ok = both[both["户数"] != ""]
    assert len(ok) == 599                               # exactly one 户数 left blank on purpose
    ratio = ok["常住人口"].astype(float) / ok["户数"].astype(float)
    assert ratio.between(2.39, 3.01).all()
    assert reg["是否建立党支部"].isin(["是", "否"]).all()


def test_staffing_and_party_branches_improve_year_on_year():
    shares = []
    for year in (2023, 2024, 2025):
        rows = _rows(SAMPLE / f"grids_{year}.xlsx", "网格台账")
        reg = pd.DataFrame(rows[3:], columns=rows[2], dtype=object)
        shares.append(((reg["专职网格员"].astype(float) == 0).mean(), (reg["是否建立党支部"] == "是").mean()))
    no_worker, branch = zip(*shares)
    assert 0.05 <= min(no_worker) and max(no_worker) <= 0.09
    assert list(no_worker) == sorted(no_worker, reverse=True)
    assert 0.84 <= min(branch) and max(branch) <= 0.92 and list(branch) == sorted(branch)


def test_complaint_volume_ids_and_status_consistency(tickets):
    assert 140_000 <= len(tickets) <= 160_000
    dup = tickets[tickets["工单编号"].duplicated(keep=False)]
    assert len(dup) == 2 and dup["excel_row"].diff().iloc[-1] == 1           # pasted twice, adjacent
    assert tickets["工单编号"].str.fullmatch(r"SL\d{14}").all()
    open_ = tickets["办理状态"] == "办理中"
    assert tickets["办理状态"].isin(["已办结", "办理中"]).all()
    assert (tickets.loc[open_, "办结时间"] == "").all() and (tickets.loc[~open_, "办结时间"] != "").all()
    assert (tickets.loc[open_, "满意度"] == "").all()
    assert tickets["满意度"].isin(["满意", "基本满意", "不满意", ""]).all()
    assert tickets["办理时限（工作日）"].isin([5, 10, 15]).all()
    assert 0.03 <= open_.mean() <= 0.06


def test_one_district_types_dates_as_text_the_others_as_excel_datetimes(tickets):
    text_pattern = r"\d{4}/\d{1,2}/\d{1,2} \d{1,2}:\d{2}"
    typed = tickets["file"].str.contains(f"_{gen.TEXT_DATE_DISTRICT}_")
    assert tickets.loc[typed, "受理时间"].str.fullmatch(text_pattern).all()
    closed = tickets.loc[typed, "办结时间"]
    assert closed[closed != ""].str.fullmatch(text_pattern).all()
    received = tickets.loc[~typed, "受理时间"]
    # calamine returns datetime.date for a datetime cell at exactly midnight: accept both
    is_datetime = received.map(lambda v: isinstance(v, dt.date))
    assert (~is_datetime).sum() == 1                      # the impossible date typed by hand
    assert received[~is_datetime].iloc[0] == "2024-02-30 10:15"


def test_broken_rows_sit_where_the_list_says(bad_rows):
    assert {b["problem_en"] for b in bad_rows} == {
        "households missing", "negative area", "negative hours", "closed before received",
        "impossible date", "duplicate ticket id (second occurrence)", "grid not in the register"}
    by = {b["problem_en"]: b for b in bad_rows}
    b = by["households missing"]
    assert _cell(SAMPLE / b["file"], b["sheet"], b["row"], "户数", header_row=3) == ""
    b = by["negative area"]
    assert _cell(SAMPLE / b["file"], b["sheet"], b["row"], "面积（㎡）") < 0
    b = by["negative hours"]
    assert _cell(SAMPLE / b["file"], b["sheet"], b["row"], "服务时长（小时）") < 0
    b = by["closed before received"]
    path = SAMPLE / b["file"]
    assert _cell(path, "工单", b["row"], "办结时间") < _cell(path, "工单", b["row"], "受理时间")
    b = by["impossible date"]
    assert _cell(SAMPLE / b["file"], "工单", b["row"], "受理时间") == "2024-02-30 10:15"
    b = by["duplicate ticket id (second occurrence)"]
    path = SAMPLE / b["file"]
    assert _cell(path, "工单", b["row"], "工单编号") == _cell(path, "工单", b["row"] - 1, "工单编号")
    b = by["grid not in the register"]
    grid = _cell(SAMPLE / b["file"], "工单", b["row"], "网格编号")
    registered = {r[7] for y in (2023, 2024, 2025)
                  for r in _rows(SAMPLE / f"grids_{y}.xlsx", "网格台账")[3:]}
    assert grid not in registered


def test_expected_figures_agree_with_the_ticket_files(tickets, bad_rows):
    """The README table is recomputed here from the files, leaving out the broken rows."""
    expected = json.loads((SAMPLE / "expected_figures.json").read_text(encoding="utf-8"))
    broken = {(b["file"], b["row"]) for b in bad_rows}
    valid = tickets[[(f, r) not in broken for f, r in zip(tickets["file"], tickets["excel_row"])]]
    year = valid["file"].str.extract(r"complaints/(\d{4})_")[0]
    for y in ("2023", "2024", "2025"):
        t = valid[year == y]
        assert len(t) == expected[y]["tickets"]
        assert (t["办理状态"] == "已办结").mean() == pytest.approx(expected[y]["resolution_rate"], abs=1e-6)
        rated = t[t["满意度"] != ""]
        assert rated["满意度"].isin(["满意", "基本满意"]).mean() == pytest.approx(
            expected[y]["satisfaction_rate"], abs=1e-6)
        assert (t["是否重复"] == "是").mean() == pytest.approx(expected[y]["repeat_complaint_rate"], abs=1e-6)
    assert 0.80 <= expected["2025"]["on_time_rate"] <= 0.95
    assert 0.85 <= expected["2025"]["satisfaction_rate"] <= 0.95
    assert 3.0 <= expected["2025"]["median_handling_days"] <= 5.0


def test_readme_table_is_the_current_expected_figures():
    expected = json.loads((SAMPLE / "expected_figures.json").read_text(encoding="utf-8"))
    assert expected["2023"]["complaints_yoy"] is None                   # no 2022 to compare with
    assert gen._markdown(expected) in (SAMPLE / "README.md").read_text(encoding="utf-8")


def test_due_dates_count_working_days_with_the_official_calendar():
    received = pd.Series(pd.to_datetime([
        "2025-03-07 16:00",   # Friday → Mon 10 … Fri 14 March
        "2025-09-30 10:00",   # National Day: 1–8 Oct off, Sat 11 Oct is a make-up workday
        "2024-02-08 09:00",   # Spring Festival: Fri 9 Feb works, 10–17 off, Sun 18 Feb works
    ]))
    due = gen.due_dates(received, pd.Series([5, 5, 5]))
    assert due.tolist() == [pd.Timestamp("2025-03-14 23:59:59"), pd.Timestamp("2025-10-14 23:59:59"),
                            pd.Timestamp("2024-02-21 23:59:59")]


def test_typed_text_looks_like_a_street_office_typed_it():
    ts = pd.Series(pd.to_datetime(["2024-03-05 08:07:33", None, "2025-12-31 23:59:00"]))
    assert gen._typed_text(ts).tolist() == ["2024/3/5 8:07", None, "2025/12/31 23:59"]


def test_insert_places_rows_before_the_given_position():
    df = pd.DataFrame({"a": [10, 20, 30]})
    out = gen._insert(df, [(1, {"a": 15}), (3, {"a": 35})])
    assert out["a"].tolist() == [10, 15, 20, 30, 35]


def _inside(lon: np.ndarray, lat: np.ndarray, ring: list) -> np.ndarray:
    """Even-odd rule point-in-polygon, vectorised over points."""
    r = np.asarray(ring)
    x0, y0, x1, y1 = r[:-1, 0], r[:-1, 1], r[1:, 0], r[1:, 1]
    px, py = np.asarray(lon, float)[:, None], np.asarray(lat, float)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        crosses = ((y0 > py) != (y1 > py)) & (px < (x1 - x0) * (py - y0) / (y1 - y0) + x0)
    return crosses.sum(axis=1) % 2 == 1


def _area(ring: list) -> float:
    """Shoelace area in square degrees; positive for a counter-clockwise ring."""
    r = np.asarray(ring)
    return 0.5 * float(np.sum(r[:-1, 0] * r[1:, 1] - r[1:, 0] * r[:-1, 1]))


@pytest.mark.parametrize("file, key, column", [("districts.geojson", "district_id", "区县代码"),
                                               ("streets.geojson", "street_id", "街道代码")])
def test_boundaries_hold_their_own_grids_and_no_others(file, key, column):
    doc = json.loads((SAMPLE / file).read_text(encoding="utf-8"))
    rows = _rows(SAMPLE / "grids_2025.xlsx", "网格台账")
    reg = pd.DataFrame(rows[3:], columns=rows[2], dtype=object)
    assert doc["type"] == "FeatureCollection"
    assert sorted(f["properties"][key] for f in doc["features"]) == sorted(reg[column].unique())
    for f in doc["features"]:
        ring = f["geometry"]["coordinates"][0]
        assert ring[0] == ring[-1] and _area(ring) > 0       # closed, counter-clockwise (RFC 7946)
        own = (reg[column] == f["properties"][key]).to_numpy()
        inside = _inside(reg["经度"].astype(float), reg["纬度"].astype(float), ring)
        assert inside[own].all() and not inside[~own].any()


def test_streets_tile_their_district():
    """Each district's street polygons add up to the district's area (no gaps, no overlaps)."""
    districts = json.loads((SAMPLE / "districts.geojson").read_text(encoding="utf-8"))["features"]
    streets = json.loads((SAMPLE / "streets.geojson").read_text(encoding="utf-8"))["features"]
    for d in districts:
        total = sum(_area(s["geometry"]["coordinates"][0]) for s in streets
                    if s["properties"]["district_id"] == d["properties"]["district_id"])
        assert total == pytest.approx(_area(d["geometry"]["coordinates"][0]), rel=1e-6)


def test_manifest_names_existing_files_sheets_and_headers():
    doc = yaml.safe_load((SAMPLE / "dataset.yaml").read_text(encoding="utf-8"))
    assert doc["sample"] is True and doc["levels"] == ["district", "street", "community", "grid"]
    assert doc["boundaries"]["district"]["path"] == "districts.geojson"
    for table, body in doc["tables"].items():
        for src in body["sources"]:
            paths = sorted(glob.glob(str(SAMPLE / src["path"])))
            assert paths, src["path"]
            for path in paths:
                rows = _rows(Path(path), src["sheet"])
                header = rows[src.get("header_row", 1) - 1]
                for canonical, spec in src["columns"].items():
                    if isinstance(spec, str):
                        assert spec in header, (path, src["sheet"], canonical, spec)
    complaint_files = {p for s in doc["tables"]["complaints"]["sources"]
                       for p in glob.glob(str(SAMPLE / s["path"]))}
    assert len(complaint_files) == 12


def test_generator_is_deterministic(tmp_path):
    """Regenerating the registers, stations, boundaries and manifest gives the committed bytes."""
    city = gen.build_city()
    bad: list[dict] = []
    gen.write_grids(city, tmp_path, bad)
    gen.write_stations(city, tmp_path, bad)
    gen.write_geojson(tmp_path)
    gen.write_manifest(tmp_path)
    for name in ("grids_2023.xlsx", "grids_2024.xlsx", "grids_2025.xlsx", "stations.xlsx",
                 "districts.geojson", "streets.geojson", "dataset.yaml"):
        assert (tmp_path / name).read_bytes() == (SAMPLE / name).read_bytes(), name
    committed = json.loads((SAMPLE / "bad_rows.json").read_text(encoding="utf-8"))
    assert bad == [b for b in committed if b["file"] in ("grids_2025.xlsx", "stations.xlsx")]
