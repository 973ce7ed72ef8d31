"""A tiny dataset for the yearly-cycle tests (freeze, send-back, submissions, crosswalk): three
streets S1–S3 with two grids each, one complaints workbook per street and year, written with
openpyxl into a temporary folder. Every figure the tests expect is counted by hand from the
rows below."""
from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import openpyxl

MANIFEST = textwrap.dedent("""\
    name: 年度循环测试市
    levels: [street, grid]
    level_names: {street: 街道, grid: 网格}
    dates: {min: 2020-01-01, max: 2026-12-31}
    cutoff: 2025-12-31
    tables:
      grids:
        sources:
        - path: grids.xlsx
          columns:
            street_id: 街道代码
            street_name: 街道
            grid_id: 网格编号
            grid_name: 网格名称
            households: 户数
            population: 常住人口
      complaints:
        sources:
        - path: complaints/*.xlsx
          sheet: 工单
          columns:
            ticket_id: 工单编号
            received_at: 受理时间
            closed_at: 办结时间
            status: 办理状态
            grid_id: 网格编号
          values:
            status: {已办结: closed, 办理中: open}
    """)

GRID_HEADERS = ["街道代码", "街道", "网格编号", "网格名称", "户数", "常住人口"]
GRIDS = [("S1", "一街道", "G11", "一一网格", 100, 300), ("S1", "一街道", "G12", "一二网格", 50, 150),
         ("S2", "二街道", "G21", "二一网格", 80, 200), ("S2", "二街道", "G22", "二二网格", 70, 210),
         ("S3", "三街道", "G31", "三一网格", 60, 180), ("S3", "三街道", "G32", "三二网格", 40, 120)]
TICKET_HEADERS = ["工单编号", "受理时间", "办结时间", "办理状态", "网格编号"]


def ticket(tid: str, grid: str, month: int, closed: bool, year: int = 2025) -> tuple:
    received = dt.datetime(year, month, 3, 9)
    return (tid, received, received + dt.timedelta(days=2) if closed else None,
            "已办结" if closed else "办理中", grid)


#: 2025 tickets per street: S1 4 received, 3 closed (75%); S2 2 received, 2 closed; S3 2, 1
TICKETS = {
    "S1": [ticket("A1", "G11", 1, True), ticket("A2", "G11", 2, True), ticket("A3", "G12", 3, True),
           ticket("A4", "G12", 4, False)],
    "S2": [ticket("B1", "G21", 1, True), ticket("B2", "G22", 2, True)],
    "S3": [ticket("C1", "G31", 1, True), ticket("C2", "G32", 5, False)],
}


def write_sheet(path: Path, title: str, headers: list[str], rows: list[tuple]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    ws.append(headers)
    for row in rows:
        ws.append(list(row))
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def make_dataset(folder: Path, manifest: str = MANIFEST, tickets: dict | None = None) -> Path:
    """Write the tiny dataset into ``folder``; returns the manifest path."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "dataset.yaml").write_text(manifest, encoding="utf-8")
    write_sheet(folder / "grids.xlsx", "网格台账", GRID_HEADERS, GRIDS)
    for street, rows in (TICKETS if tickets is None else tickets).items():
        write_sheet(folder / "complaints" / f"{street}.xlsx", "工单", TICKET_HEADERS, rows)
    return folder / "dataset.yaml"
