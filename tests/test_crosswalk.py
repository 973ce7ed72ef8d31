"""Boundaries across years (indicators/crosswalk.py): a grid split in two with weights keeps a
comparable year-on-year change equal to the hand computation; without weights it is marked not
comparable with the reason."""
from __future__ import annotations

import datetime as dt
import textwrap

import numpy as np
import pytest

from indicators.crosswalk import CrosswalkError, apply_crosswalk, changed_units
from indicators.pipeline import build
from tests.yearly_fixtures import GRID_HEADERS, TICKET_HEADERS, write_sheet

MANIFEST = textwrap.dedent("""\
    name: 区划调整测试
    levels: [street, grid]
    dates: {min: 2020-01-01, max: 2026-12-31}
    cutoff: 2025-12-31
    tables:
      grids:
        sources:
        - {path: grids_2024.xlsx, columns: {street_id: 街道代码, street_name: 街道, grid_id: 网格编号,
           grid_name: 网格名称, households: 户数, population: 常住人口, year: {value: 2024}}}
        - {path: grids_2025.xlsx, columns: {street_id: 街道代码, street_name: 街道, grid_id: 网格编号,
           grid_name: 网格名称, households: 户数, population: 常住人口, year: {value: 2025}}}
      complaints:
        sources:
        - path: tickets.xlsx
          columns: {ticket_id: 工单编号, received_at: 受理时间, closed_at: 办结时间, status: 办理状态, grid_id: 网格编号}
          values: {status: {已办结: closed, 办理中: open}}
    """)


def t(tid, grid, year, closed):
    r = dt.datetime(year, 3, 1, 9)
    return (tid, r, r + dt.timedelta(days=1) if closed else None, "已办结" if closed else "办理中", grid)


def _make(folder, crosswalk: str):
    folder.mkdir()
    (folder / "dataset.yaml").write_text(MANIFEST + crosswalk, encoding="utf-8")
    write_sheet(folder / "grids_2024.xlsx", "网格台账", GRID_HEADERS,
                [("S1", "一街道", "G11", "旧网格", 100, 300), ("S1", "一街道", "G12", "二网格", 50, 150)])
    write_sheet(folder / "grids_2025.xlsx", "网格台账", GRID_HEADERS,
                [("S1", "一街道", "G11A", "新甲", 60, 180), ("S1", "一街道", "G11B", "新乙", 40, 120),
                 ("S1", "一街道", "G12", "二网格", 50, 150)])
    # 2024: G11 4 received, 3 closed; G12 2 received, 1 closed
    # 2025: G11A 2 received, 2 closed; G11B 1 received, 0 closed; G12 2 received, 2 closed
    rows = [t("a1", "G11", 2024, True), t("a2", "G11", 2024, True), t("a3", "G11", 2024, True),
            t("a4", "G11", 2024, False), t("b1", "G12", 2024, True), t("b2", "G12", 2024, False),
            t("c1", "G11A", 2025, True), t("c2", "G11A", 2025, True), t("c3", "G11B", 2025, False),
            t("d1", "G12", 2025, True), t("d2", "G12", 2025, True)]
    write_sheet(folder / "tickets.xlsx", "工单", TICKET_HEADERS, rows)
    return build(folder / "dataset.yaml", cache_dir=folder / "cache")


def _row(table, unit, indicator="resolution_rate", period="2025"):
    hit = table[(table["unit_id"] == unit) & (table["indicator_id"] == indicator) & (table["period"] == period)]
    assert len(hit) == 1
    return hit.iloc[0]


def test_split_grid_with_weights_is_comparable(tmp_path):
    results = _make(tmp_path / "ds", "crosswalk:\n  - {year: 2025, level: grid, from: G11, to: {G11A: 0.6, G11B: 0.4}}\n")
    assert np.isnan(_row(results.table, "G11A")["prev_value"])          # without the crosswalk: no prior year
    table = apply_crosswalk(results.table, results.dataset, results.catalog)
    a = _row(table, "G11A")
    # by hand: previous year apportioned 0.6 × (3 closed / 4 received) = 1.8 / 2.4 = 75%; now 2/2
    assert a["prev_value"] == pytest.approx(1.8 / 2.4)
    assert a["change"] == pytest.approx(1.0 - 0.75) and bool(a["comparable"])
    assert a["boundary_note"] == "拆分自 G11（权重 0.6）"
    b = _row(table, "G11B")
    assert b["prev_value"] == pytest.approx((0.4 * 3) / (0.4 * 4)) and b["change"] == pytest.approx(0 - 0.75)
    # the street re-summed as drawn now: (0.6·3 + 0.4·3 + 1) / (0.6·4 + 0.4·4 + 2) = 4/6
    s1 = _row(table, "S1")
    assert s1["prev_value"] == pytest.approx(4 / 6) and s1["change"] == pytest.approx(4 / 5 - 4 / 6)   # now 4 of 5
    assert s1["boundary_note"] == "下辖单位调整，上年按现区划折算"
    assert _row(table, "G12")["boundary_note"] == ""                   # untouched grid
    # median handling time cannot be apportioned
    med = _row(table, "G11A", "median_handling_days")
    assert not bool(med["comparable"]) and "不能按权重折算" in med["boundary_note"]
    assert changed_units(results.dataset).values.tolist() == [[2025, "grid", "G11A", "拆分", "G11", "0.6"],
                                                              [2025, "grid", "G11B", "拆分", "G11", "0.4"]]


def test_split_weights_from_households_and_without_weights(tmp_path):
    results = _make(tmp_path / "hh", "crosswalk:\n  - {year: 2025, level: grid, from: G11, to: [G11A, G11B], weights: households}\n")
    table = apply_crosswalk(results.table, results.dataset, results.catalog)
    assert _row(table, "G11A")["boundary_note"] == "拆分自 G11（权重 0.6）"    # 60 of 100 households
    results = _make(tmp_path / "none", "crosswalk:\n  - {year: 2025, level: grid, from: G11, to: [G11A, G11B]}\n")
    table = apply_crosswalk(results.table, results.dataset, results.catalog)
    a = _row(table, "G11A")
    assert not bool(a["comparable"]) and np.isnan(a["change"])
    assert a["boundary_note"] == "不可比：拆分未给出户数或人口权重"
    assert _row(table, "S1")["boundary_note"] == "不可比：下辖单位拆分未给出权重"


def test_bad_crosswalk(tmp_path):
    results = _make(tmp_path / "bad", "crosswalk:\n  - {year: 2025, level: block, from: G11, to: G11A}\n")
    with pytest.raises(CrosswalkError, match="没有「block」这一层级"):
        apply_crosswalk(results.table, results.dataset, results.catalog)


def test_workbook_lists_redrawn_units(tmp_path):
    import openpyxl

    from indicators.freeze import build_published
    from reports import write_workbook

    _make(tmp_path / "wb", "crosswalk:\n  - {year: 2025, level: grid, from: G11, to: {G11A: 0.6, G11B: 0.4}}\n")
    results = build_published(tmp_path / "wb" / "dataset.yaml", cache_dir=tmp_path / "wb" / "cache")
    ws = openpyxl.load_workbook(write_workbook(results, 2025, tmp_path / "wb.xlsx"))["区划调整"]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=5)]
    assert ["网格", "新甲", "办结率", 1.0, pytest.approx(0.75), "是", "拆分自 G11（权重 0.6）"] in rows


def test_progress_page_lists_redrawn_units(tmp_path, monkeypatch):
    from indicators.freeze import build_published
    from layouts import create_app
    from tests.test_layouts import _texts

    monkeypatch.setattr("server.auth._installed", {})
    _make(tmp_path / "pg", "crosswalk:\n  - {year: 2025, level: grid, from: G11, to: [G11A, G11B]}\n")
    create_app(build_published(tmp_path / "pg" / "dataset.yaml", cache_dir=tmp_path / "pg" / "cache"))
    from layouts.pages import progress     # imported once the app exists (dash.register_page)

    texts = _texts(progress.layout())
    i = texts.index("新甲（G11A）")
    assert texts[i + 1:i + 5] == ["拆分", "G11", "未给出", "不可比：拆分未给出户数或人口权重"]


def test_rename_and_merge(tmp_path):
    # rename: G11 is called G11A from 2025 (G11B is a new grid with no history)
    results = _make(tmp_path / "rn", "crosswalk:\n  - {year: 2025, level: grid, from: G11, to: G11A}\n")
    table = apply_crosswalk(results.table, results.dataset, results.catalog)
    a = _row(table, "G11A")
    assert a["prev_value"] == pytest.approx(3 / 4) and a["boundary_note"] == "更名自 G11"
    assert np.isnan(_row(table, "G11B")["prev_value"])
    # merge: G11 and G12 (2024) both became G11A: (3 + 1) / (4 + 2)
    results = _make(tmp_path / "mg", "crosswalk:\n  - {year: 2025, level: grid, from: [G11, G12], to: G11A}\n")
    table = apply_crosswalk(results.table, results.dataset, results.catalog)
    a = _row(table, "G11A")
    assert a["prev_value"] == pytest.approx(4 / 6) and a["change"] == pytest.approx(1 - 4 / 6)
    assert a["boundary_note"] == "合并自 G11、G12"
