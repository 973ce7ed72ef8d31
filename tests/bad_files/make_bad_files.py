"""Write the corpus of bad input files: one small dataset folder per problem ingest must name.

Usage::

    python tests/bad_files/make_bad_files.py OUT_DIR          # every case
    python tests/bad_files/make_bad_files.py OUT_DIR --bomb   # also the 1 MB → 1 GB zip bomb

Every case folder holds a ``dataset.yaml`` and its files. All cases share the same two-level
hierarchy (street → grid), written as ``grids.csv``::

    row 2  street 01  grid 0101   households 100  population 300
    row 3  street 01  grid 0102   households 200  population 600
    row 4  street 02  grid 0201   households 300  population 900

The rows each case plants, and the rule, row and column ingest must report for them, are listed
in CASES below and asserted in tests/test_ingest_bad_files.py. Binary files are generated here
(never committed); the zip bomb is only written with ``--bomb`` or :func:`write_zip_bomb`.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import zipfile
import zlib
from pathlib import Path
from typing import Callable

import openpyxl
import yaml

GRIDS_CSV = "街道编号,网格编号,户数,常住人口\n01,0101,100,300\n01,0102,200,600\n02,0201,300,900\n"
GRIDS_SOURCE = {"path": "grids.csv",
                "columns": {"street_id": "街道编号", "grid_id": "网格编号", "households": "户数",
                            "population": "常住人口"}}
COMPLAINT_COLUMNS = {"ticket_id": "工单编号", "received_at": "受理时间", "closed_at": "办结时间",
                     "grid_id": "网格编号"}
STATION_COLUMNS = {"station_id": "阵地编号", "station_name": "阵地名称", "area_m2": "面积",
                   "weekly_hours": "每周开放时长", "opened": "建成日期", "grid_id": "网格编号"}
#: rare characters outside GBK (but inside GB18030 and Unicode)
RARE = "䶮𠮷"


def _manifest(folder: Path, tables: dict) -> None:
    doc = {"name": f"坏文件：{folder.name}", "levels": ["street", "grid"],
           "dates": {"min": "2000-01-01", "max": "2030-12-31"},
           "tables": {"grids": {"sources": [GRIDS_SOURCE]}, **tables}}
    (folder / "dataset.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False),
                                         encoding="utf-8")
    (folder / "grids.csv").write_text(GRIDS_CSV, encoding="utf-8")


def _complaints(path: str, columns: dict | None = None, **extra) -> dict:
    return {"complaints": {"sources": [{"path": path, "columns": columns or COMPLAINT_COLUMNS,
                                        **extra}]}}


def _stations(path: str, **extra) -> dict:
    return {"stations": {"sources": [{"path": path, "columns": STATION_COLUMNS, **extra}]}}


def _xlsx(path: Path, rows: list[list], sheet: str = "Sheet1") -> openpyxl.Workbook:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    wb.save(path)
    return wb


def _csv(folder: Path, name: str, lines: list[str], encoding: str = "utf-8") -> None:
    (folder / name).write_bytes(("\n".join(lines) + "\n").encode(encoding))


# ---------------------------------------------------------------- cases: rows and rules

def missing_required(folder: Path) -> dict:
    """row 3: 工单编号 empty → missing_required 工单编号."""
    _csv(folder, "complaints.csv", ["工单编号,受理时间,办结时间,网格编号",
                                    "T1,2024-03-05,,0101", ",2024-03-06,,0101"])
    return _complaints("complaints.csv")


def bad_date(folder: Path) -> dict:
    """row 2: 2024-02-30, row 3: 2024/13/01 → bad_date 受理时间; row 4 accepted."""
    _csv(folder, "complaints.csv", ["工单编号,受理时间,办结时间,网格编号",
                                    "T1,2024-02-30,,0101", "T2,2024/13/01,,0101",
                                    "T3,2024/3/5,,0101"])
    return _complaints("complaints.csv")


def date_out_of_range(folder: Path) -> dict:
    """row 2: 1900-01-01, row 3: 9999-12-31 → out_of_range 受理时间 (plausible 2000–2030)."""
    _csv(folder, "complaints.csv", ["工单编号,受理时间,办结时间,网格编号",
                                    "T1,1900-01-01,,0101", "T2,9999-12-31,,0101"])
    return _complaints("complaints.csv")


def every_error_in_a_row(folder: Path) -> dict:
    """stations row 2: 面积 "十二" (not_a_number) AND 建成日期 1900-01-01 (out_of_range)."""
    _csv(folder, "stations.csv", ["阵地编号,阵地名称,面积,每周开放时长,建成日期,网格编号",
                                  "S1,东一驿站,十二,40,1900-01-01,0101",
                                  "S2,东二驿站,120,40,2020-05-01,0102"])
    return _stations("stations.csv")


def negative_values(folder: Path) -> dict:
    """stations row 2: 面积 -5; row 3: 每周开放时长 -1 → out_of_range; volunteer row 2 服务时长 -2."""
    _csv(folder, "stations.csv", ["阵地编号,阵地名称,面积,每周开放时长,建成日期,网格编号",
                                  "S1,甲,-5,40,2020-01-01,0101", "S2,乙,50,-1,2020-01-01,0101",
                                  "S3,丙,50,40,2020-01-01,0101"])
    _csv(folder, "volunteer.csv", ["日期,网格编号,服务时长,参与人次", "2024-03-05,0101,-2,3",
                                   "2024-03-06,0101,2,3"])
    return {**_stations("stations.csv"),
            "volunteer_hours": {"sources": [{"path": "volunteer.csv", "columns": {
                "date": "日期", "grid_id": "网格编号", "hours": "服务时长",
                "participations": "参与人次"}}]}}


def duplicate_key(folder: Path) -> dict:
    """station S1 on rows 2, 4 and 5: rows 4 and 5 rejected, each message names rows 2, 4, 5."""
    _csv(folder, "stations.csv", ["阵地编号,阵地名称,面积,每周开放时长,建成日期,网格编号",
                                  "S1,甲,50,40,2020-01-01,0101", "S2,乙,50,40,2020-01-01,0101",
                                  "S1,甲（重录）,50,40,2020-01-01,0101",
                                  "S1,甲（再录）,50,40,2020-01-01,0102"])
    return _stations("stations.csv")


def unknown_unit(folder: Path) -> dict:
    """rows 3, 4, 6 name grid 0199 (not in the register) → unknown_unit 网格编号, one warning line."""
    _csv(folder, "complaints.csv", ["工单编号,受理时间,办结时间,网格编号",
                                    "T1,2024-03-05,,0101", "T2,2024-03-05,,0199",
                                    "T3,2024-03-05,,0199", "T4,2024-03-05,,0102",
                                    "T5,2024-03-05,,0199"])
    return _complaints("complaints.csv")


def closed_before_received(folder: Path) -> dict:
    """row 2: closed a day before it was received → closed_before_received 办结时间."""
    _csv(folder, "complaints.csv", ["工单编号,受理时间,办结时间,网格编号",
                                    "T1,2024-03-05 10:00,2024-03-04 10:00,0101",
                                    "T2,2024-03-05 10:00,2024-03-05 12:00,0101"])
    return _complaints("complaints.csv")


# ---------------------------------------------------------------- headers

def header_missing(folder: Path) -> dict:
    """受理时间 column absent → fatal naming 受理时间."""
    _csv(folder, "complaints.csv", ["工单编号,办结时间,网格编号", "T1,,0101"])
    return _complaints("complaints.csv")


def header_duplicate(folder: Path) -> dict:
    """网格编号 twice (columns D and E) → fatal naming both columns; never "网格编号.1"."""
    _csv(folder, "complaints.csv", ["工单编号,受理时间,办结时间,网格编号,网格编号",
                                    "T1,2024-03-05,,0101,0102"])
    return _complaints("complaints.csv")


def header_extra_blank_padded(folder: Path) -> dict:
    """Extra column 备注, blank header over data in column F, " 受理时间 " padded → three
    warnings; both rows accepted."""
    _csv(folder, "complaints.csv", ["工单编号, 受理时间 ,办结时间,网格编号,备注,",
                                    "T1,2024-03-05,,0101,催办,x", "T2,2024-03-06,,0102,,"])
    return _complaints("complaints.csv")


def header_below_title(folder: Path) -> dict:
    """Title on row 1, blank row 2, header on row 3 (no header_row in the manifest) → detected;
    the ticket on row 5 has a bad date and is reported as row 5."""
    _xlsx(folder / "complaints.xlsx", [["2024 年 12345 热线工单"], [],
                                       ["工单编号", "受理时间", "办结时间", "网格编号"],
                                       ["T1", "2024-03-05", None, "0101"],
                                       ["T2", "2024-02-30", None, "0101"]])
    return _complaints("complaints.xlsx")


def header_aliases(folder: Path) -> dict:
    """English headers matched through aliases (case and spaces ignored)."""
    _csv(folder, "complaints.csv", ["Ticket ID,Received At,closed_at,GRID", "T1,2024-03-05,,0101"])
    cols = {"ticket_id": ["工单编号", "ticket id"], "received_at": ["受理时间", "received at"],
            "closed_at": {"header": ["办结时间", "closed_at"]}, "grid_id": ["网格编号", "grid"]}
    return _complaints("complaints.csv", cols)


# ---------------------------------------------------------------- values

def text_values(folder: Path) -> dict:
    """Identifiers typed as text keep every character; numbers typed as text with thousands
    separators or full-width digits are read; Chinese and Excel date forms are read."""
    ws_rows = [["阵地编号", "阵地名称", "面积", "每周开放时长", "建成日期", "网格编号", "联系电话", "负责人身份证号"],
               ["00123", "驿站甲", "1,234", "４０", "2024/3/5", "0101", "013800138000", "11010119900307451X"],
               ["0503", "驿站乙", "１２，３４５", "40", "2024年3月5日", "0102", "013900139000", "110101199003074518"],
               ["S3", "驿站丙", "50", "40", 45356, "0201", "", ""],
               ["S4", "驿站丁", "50", "40", "2024-03-05 08:00", "0201", "", ""]]
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in ws_rows:
        ws.append(row)
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str):
                cell.number_format = "@"
    wb.save(folder / "stations.xlsx")
    cols = {**STATION_COLUMNS, "phone": "联系电话", "leader_id": "负责人身份证号"}
    return {"stations": {"sources": [{"path": "stations.xlsx", "columns": cols}]}}


def id_stored_as_number(folder: Path) -> dict:
    """阵地编号 on row 3 is the number 110101199003074518 (a number cell: Excel keeps 15
    digits) → id_stored_as_number; row 2's text id is accepted."""
    _xlsx(folder / "stations.xlsx", [list(STATION_COLUMNS.values()),
                                     ["110101199003074518", "甲", 50, 40, "2020-01-01", "0101"],
                                     [110101199003074518, "乙", 50, 40, "2020-01-01", "0101"]])
    return _stations("stations.xlsx")


# ---------------------------------------------------------------- encodings and formats

ENCODED_LINES = ["工单编号,受理时间,办结时间,网格编号,诉求类别",
                 "T1,2024-03-05,,0101,噪音扰民", "T2,2024-03-06,,0102,道路破损"]
RARE_LINES = ENCODED_LINES[:1] + [f"T1,2024-03-05,,0101,{RARE}姓居民反映", "T2,2024-03-06,,0102,道路破损"]


def _encoded(folder: Path, lines: list[str], encoding: str) -> dict:
    data = ("\r\n".join(lines) + "\r\n").encode(encoding)
    (folder / "complaints.csv").write_bytes(data)
    return _complaints("complaints.csv", {**COMPLAINT_COLUMNS, "category": "诉求类别"})


def _encoding_cases() -> dict[str, Callable[[Path], dict]]:
    cases = {}
    for enc in ("utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"):
        cases[f"encoding_{enc}"] = lambda f, e=enc: _encoded(f, ENCODED_LINES, e)
    for enc in ("utf-8", "utf-8-sig", "gb18030", "utf-16"):
        cases[f"encoding_rare_{enc}"] = lambda f, e=enc: _encoded(f, RARE_LINES, e)
    return cases


def encoding_undecodable(folder: Path) -> dict:
    """Bytes that are neither UTF-8 nor GB18030 → that row rejected (rule encoding), never U+FFFD."""
    (folder / "complaints.csv").write_bytes("工单编号,受理时间,办结时间,网格编号\r\n".encode("utf-8")
                                            + b"T1,2024-03-05,,\x81\x20\xff\r\n")
    return _complaints("complaints.csv")


def format_xlsm(folder: Path) -> dict:
    _xlsx(folder / "complaints.xlsm", [ENCODED_LINES[0].split(",")[:4], ["T1", "2024-03-05", None, "0101"]])
    return _complaints("complaints.xlsm")


def format_xls(folder: Path) -> dict:
    """Legacy .xls converted by LibreOffice (skipped when soffice is absent)."""
    _xlsx(folder / "src.xlsx", [ENCODED_LINES[0].split(",")[:4], ["T1", "2024-03-05", None, "0101"],
                                ["T2", "2024-03-06", None, "0102"]])
    soffice = shutil.which("libreoffice") or shutil.which("soffice")
    if soffice:
        subprocess.run([soffice, "--headless", "--convert-to", "xls", "--outdir", str(folder),
                        str(folder / "src.xlsx")], check=True, capture_output=True, timeout=120)
    (folder / "src.xlsx").unlink()
    return _complaints("src.xls")


def csv_renamed_xlsx(folder: Path) -> dict:
    _csv(folder, "complaints.xlsx", ENCODED_LINES)
    return _complaints("complaints.xlsx")


def truncated_xlsx(folder: Path) -> dict:
    _xlsx(folder / "full.xlsx", [ENCODED_LINES[0].split(","), ["T1", "2024-03-05", None, "0101", "x"]])
    data = (folder / "full.xlsx").read_bytes()
    (folder / "complaints.xlsx").write_bytes(data[: len(data) // 2])
    (folder / "full.xlsx").unlink()
    return _complaints("complaints.xlsx")


def empty_file(folder: Path) -> dict:
    (folder / "complaints.csv").write_bytes(b"")
    return _complaints("complaints.csv")


def header_only(folder: Path) -> dict:
    _xlsx(folder / "complaints.xlsx", [ENCODED_LINES[0].split(",")[:4]])
    return _complaints("complaints.xlsx")


def empty_sheet(folder: Path) -> dict:
    _xlsx(folder / "complaints.xlsx", [])
    return _complaints("complaints.xlsx")


def hidden_sheet(folder: Path) -> dict:
    """First sheet 旧表 is hidden; the visible 工单 is read and the hidden one is named."""
    wb = openpyxl.Workbook()
    old = wb.active
    old.title = "旧表"
    old.append(["废弃"])
    old.sheet_state = "hidden"
    ws = wb.create_sheet("工单")
    for row in ([*ENCODED_LINES[0].split(",")[:4]], ["T1", "2024-03-05", None, "0101"]):
        ws.append(row)
    wb.save(folder / "complaints.xlsx")
    return _complaints("complaints.xlsx")


def merged_cells(folder: Path) -> dict:
    """网格编号 merged over D3:D4 → row 4's 网格编号 reads empty: merged_cell on row 4."""
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in (ENCODED_LINES[0].split(",")[:4], ["T1", "2024-03-05", None, "0101"],
                ["T2", "2024-03-06", None, "0102"], ["T3", "2024-03-07", None, None]):
        ws.append(row)
    ws.merge_cells("D3:D4")
    wb.save(folder / "complaints.xlsx")
    return _complaints("complaints.xlsx")


def formula_without_value(folder: Path) -> dict:
    """受理时间 on row 3 is a formula openpyxl saved without a result → formula_no_value."""
    _xlsx(folder / "complaints.xlsx", [ENCODED_LINES[0].split(",")[:4],
                                       ["T1", "2024-03-05", None, "0101"],
                                       ["T2", '=TEXT(DATE(2024,3,6),"yyyy-mm-dd")', None, "0101"]])
    return _complaints("complaints.xlsx")


# ---------------------------------------------------------------- hostile files

def _xlsx_with_part(folder: Path, name: str, part: str, text: str) -> None:
    """A valid workbook with one XML part replaced by ``text``."""
    _xlsx(folder / "plain.xlsx", [ENCODED_LINES[0].split(",")[:4], ["T1", "2024-03-05", None, "0101"]])
    with zipfile.ZipFile(folder / "plain.xlsx") as src, \
            zipfile.ZipFile(folder / name, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, text if info.filename == part else src.read(info))
    (folder / "plain.xlsx").unlink()


BILLION_LAUGHS = ('<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
                  + "".join(f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'
                            for i in range(1, 10))
                  + ']>\n<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                    '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
                    '</sheetData></worksheet>')
XXE = ('<?xml version="1.0"?>\n<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
       '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
       '<row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c></row></sheetData></worksheet>')


def billion_laughs(folder: Path) -> dict:
    _xlsx_with_part(folder, "complaints.xlsx", "xl/worksheets/sheet1.xml", BILLION_LAUGHS)
    return _complaints("complaints.xlsx")


def external_entity(folder: Path) -> dict:
    _xlsx_with_part(folder, "complaints.xlsx", "xl/worksheets/sheet1.xml", XXE)
    return _complaints("complaints.xlsx")


def write_zip_bomb(path: Path, inflated_mb: int = 1024) -> Path:
    """A workbook whose sheet part inflates to ``inflated_mb`` MB of spaces (≈ 1 MB on disk)."""
    _xlsx(path.with_name("plain.xlsx"), [["工单编号"], ["T1"]])
    with zipfile.ZipFile(path.with_name("plain.xlsx")) as src, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for info in src.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                dst.writestr(info.filename, src.read(info))
        with dst.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            part.write(b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
                       b'spreadsheetml/2006/main"><sheetData/>')
            block = b" " * (1 << 20)
            for _ in range(inflated_mb):
                part.write(block)
            part.write(b"</worksheet>")
    path.with_name("plain.xlsx").unlink()
    return path


def zip_bomb(folder: Path) -> dict:
    write_zip_bomb(folder / "complaints.xlsx")
    return _complaints("complaints.xlsx")


CASES: dict[str, Callable[[Path], dict]] = {
    "missing_required": missing_required, "bad_date": bad_date,
    "date_out_of_range": date_out_of_range, "every_error_in_a_row": every_error_in_a_row,
    "negative_values": negative_values, "duplicate_key": duplicate_key,
    "unknown_unit": unknown_unit, "closed_before_received": closed_before_received,
    "header_missing": header_missing, "header_duplicate": header_duplicate,
    "header_extra_blank_padded": header_extra_blank_padded,
    "header_below_title": header_below_title, "header_aliases": header_aliases,
    "text_values": text_values, "id_stored_as_number": id_stored_as_number, **_encoding_cases(), "encoding_undecodable": encoding_undecodable,
    "format_xlsm": format_xlsm, "format_xls": format_xls, "csv_renamed_xlsx": csv_renamed_xlsx,
    "truncated_xlsx": truncated_xlsx, "empty_file": empty_file, "header_only": header_only,
    "empty_sheet": empty_sheet, "hidden_sheet": hidden_sheet, "merged_cells": merged_cells,
    "formula_without_value": formula_without_value, "billion_laughs": billion_laughs,
    "external_entity": external_entity,
}


def make_case(name: str, out: Path) -> Path:
    """Write case ``name`` (a key of CASES, or ``zip_bomb``) into ``out/name``; return its
    manifest path."""
    folder = Path(out) / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    tables = zip_bomb(folder) if name == "zip_bomb" else CASES[name](folder)
    _manifest(folder, tables)
    return folder / "dataset.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--bomb", action="store_true", help="also write the 1 GB zip bomb")
    args = parser.parse_args()
    for name in [*CASES, *(["zip_bomb"] if args.bomb else [])]:
        print(make_case(name, args.out))


if __name__ == "__main__":
    main()
