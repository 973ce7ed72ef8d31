"""Write the corpus of odd (but legitimate) and hostile files of issue 12: one small dataset
folder per layout a department really sends, each with its own ``dataset.yaml``.

Usage::

    python tests/odd_files/make_odd_files.py OUT_DIR

The rows each case writes, and what ingest must make of them (rows, columns, rules, counts), are
in each function's docstring and asserted in tests/test_ingest_odd_files.py. Nothing binary is
committed: every file is generated here.
"""
from __future__ import annotations

import argparse
import shutil
import zipfile
from pathlib import Path
from typing import Callable

import openpyxl
import yaml


def _manifest(folder: Path, levels: list[str], tables: dict, **top) -> None:
    doc = {"name": f"异形文件：{folder.name}", "levels": levels,
           "dates": {"min": "2000-01-01", "max": "2030-12-31"}, **top, "tables": tables}
    (folder / "dataset.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False),
                                         encoding="utf-8")


def multi_row_header(folder: Path) -> None:
    """Item 1 + 2. activity.xlsx, sheet 活动:

    row 1  title 志愿服务活动统计表 (merged A1:D1)
    row 2  日期 (A2:A3 merged) · 社区 (B2:B3 merged) · 志愿服务 (C2:D2 merged) · F2 活动类型 (lookup list)
    row 3                                            · 人数 · 小时                  · F3 日常陪伴
    row 4  2024-04-01 · 新村社区 · 3 · 6                                             · F4 清洁服务
    row 5  2024-04-02 · 新村社区 · 2 · 两小时   → rejected: 志愿服务/小时, not_a_number
    row 6  合计 · · 5 · 6                       → summary
    row 7  填表人：张三                          → note
    row 8  · · 0 · 0                            → template (only zeros)

    The manifest reads header_rows [2, 3] within column_range A:D: 人数 by its unique last part,
    小时 by {column: D}. Expected: read 5 = accepted 1 + rejected 1 + blank 0 + summary 1 +
    notes 1 + template 1.
    """
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "活动"
    rows = [["志愿服务活动统计表"], ["日期", "社区", "志愿服务", None, None, "活动类型"],
            [None, None, "人数", "小时", None, "日常陪伴"],
            ["2024-04-01", "新村社区", 3, 6, None, "清洁服务"], ["2024-04-02", "新村社区", 2, "两小时"],
            ["合计", None, 5, 6], ["填表人：张三"], [None, None, 0, 0]]
    for row in rows:
        ws.append(row)
    for ref in ("A1:D1", "A2:A3", "B2:B3", "C2:D2"):
        ws.merge_cells(ref)
    wb.save(folder / "activity.xlsx")
    _manifest(folder, ["community"], {"volunteer_hours": {"sources": [{
        "path": "activity.xlsx", "sheet": "活动", "header_rows": [2, 3], "column_range": "A:D",
        "columns": {"date": "日期", "community_name": "社区", "participations": "志愿服务/人数",
                    "volunteers": "人数", "hours": {"column": "D"}}}]}})


def merged_hierarchy(folder: Path) -> None:
    """Item 3. hours.xlsx (header row 1: 街道 · 社区 · 日期 · 时长):

    row 2  东风街道 (A2:A4 merged) · 新村社区 (B2:B3 merged) · 2024-04-01 · 2
    row 3                          ·                        · 2024-04-02 · 3 (D3:D4 merged)
    row 4                          · 桥头社区                · 2024-04-03 ·
    row 5  红星街道                 · 新村社区                · 2024-04-04 · 1

    Hierarchy labels are filled down (rows 3–4 get 东风街道, row 3 新村社区); the merged number
    cell D3:D4 rejects rows 3 and 4 with merged_cell on 时长 and nothing else. No register:
    units come from the records; 新村社区 sits under two streets and is reported.
    """
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in (["街道", "社区", "日期", "时长"], ["东风街道", "新村社区", "2024-04-01", 2],
                [None, None, "2024-04-02", 3], [None, "桥头社区", "2024-04-03", None],
                ["红星街道", "新村社区", "2024-04-04", 1]):
        ws.append(row)
    for ref in ("A2:A4", "B2:B3", "D3:D4"):
        ws.merge_cells(ref)
    wb.save(folder / "hours.xlsx")
    _manifest(folder, ["street", "community"], {"volunteer_hours": {"sources": [{
        "path": "hours.xlsx", "columns": {"street_name": "街道", "community_name": "社区",
                                          "date": "日期", "hours": "时长"}}]}})


def name_only_register(folder: Path) -> None:
    """Item 4 (+ item 3 on a required number). register.xlsx, names only (header row 1:
    街道 · 社区 · 网格 · 户数 · 常住人口):

    row 2  东风街道 · 新村社区 · 一网格 · 100 · 300
    row 3  红星街道 · 新村社区 · 一网格 · 200 · 600
    row 4  红星街道 · 桥头社区 · 一网格 · 300 (D4:D5 merged) · 900
    row 5  红星街道 · 桥头社区 · 二网格 ·                     · 500

    Ids are built {from: [street_name, community_name]} (and + grid_name), so the two 新村社区
    stay apart. 户数 merged over D4:D5 rejects rows 4 and 5 with merged_cell only (no
    missing_required although 户数 is required when mapped). tickets.csv (工单编号, 受理时间,
    街道, 社区): T1 东风街道 新村社区 · T2 红星街道 新村社区 · T3 红星街道 新村社区.
    """
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in (["街道", "社区", "网格", "户数", "常住人口"], ["东风街道", "新村社区", "一网格", 100, 300],
                ["红星街道", "新村社区", "一网格", 200, 600], ["红星街道", "桥头社区", "一网格", 300, 900],
                ["红星街道", "桥头社区", "二网格", None, 500]):
        ws.append(row)
    ws.merge_cells("D4:D5")
    wb.save(folder / "register.xlsx")
    (folder / "tickets.csv").write_text("工单编号,受理时间,街道,社区\nT1,2024-03-01,东风街道,新村社区\n"
                                        "T2,2024-03-02,红星街道,新村社区\nT3,2024-03-03,红星街道,新村社区\n",
                                        encoding="utf-8")
    community = {"from": ["street_name", "community_name"]}
    _manifest(folder, ["street", "community", "grid"], {
        "grids": {"sources": [{"path": "register.xlsx", "columns": {
            "street_name": "街道", "community_name": "社区", "grid_name": "网格", "households": "户数",
            "population": "常住人口", "community_id": community,
            "grid_id": {"from": ["street_name", "community_name", "grid_name"]}}}]},
        "complaints": {"sources": [{"path": "tickets.csv", "columns": {
            "ticket_id": "工单编号", "received_at": "受理时间", "street_name": "街道",
            "community_name": "社区", "community_id": community}}]}})


def ticket_only(folder: Path) -> None:
    """Item 5. tickets.csv, no register; council district (议员选区) and neighbourhood council
    (街区委员会) columns:

    row 2  T1 · 2024-01-05 · 2024-01-06 · 1 · Allston
    row 3  T2 · 2024-01-06 · 2024-01-09 · 1 · Allston
    row 4  T3 · 2024-01-07 ·            · 2 · Back Bay
    row 5  T4 · 2024-01-08 · 2024-01-08 · 2 · Allston       (Allston under a second district)
    row 6  T5 · 2024-01-09 · 2024-01-10 ·   ·               (no unit: whole-dataset total only)

    Units: districts 1, 2; councils Allston (under 1: 2 records vs 2: 1 → kept under 1, and
    reported) and Back Bay. All 5 accepted; indicators at both levels and the total.
    """
    (folder / "tickets.csv").write_text(
        "case_id,opened,closed,council_district,neighborhood_council\n"
        "T1,2024-01-05,2024-01-06,1,Allston\nT2,2024-01-06,2024-01-09,1,Allston\n"
        "T3,2024-01-07,,2,Back Bay\nT4,2024-01-08,2024-01-08,2,Allston\nT5,2024-01-09,2024-01-10,,\n",
        encoding="utf-8")
    _manifest(folder, ["district", "council"], {"complaints": {"sources": [{
        "path": "tickets.csv", "columns": {"ticket_id": "case_id", "received_at": "opened",
                                           "closed_at": "closed", "district_id": "council_district",
                                           "council_id": "neighborhood_council"}}]}},
              level_names={"district": "议员选区", "council": "街区委员会"}, cutoff="2024-12-31")


def fill_down_named(folder: Path) -> None:
    """Item 3. tickets.csv: 街道/社区 typed on the first row of each block only (not merged):

    row 2  T1 · 2024-03-01 · 东风街道 · 新村社区
    row 3  T2 · 2024-03-02 ·          ·
    row 4  合计                                     → summary: neither gives nor takes a value
    row 5  T3 · 2024-03-03 · 红星街道 · 桥头社区
    row 6  T4 · 2024-03-04 ·          ·

    fill_down: [street_name, community_name] → T2 in 东风街道/新村社区, T4 in 红星街道/桥头社区.
    """
    (folder / "tickets.csv").write_text("工单编号,受理时间,街道,社区\nT1,2024-03-01,东风街道,新村社区\n"
                                        "T2,2024-03-02,,\n合计,,,\nT3,2024-03-03,红星街道,桥头社区\n"
                                        "T4,2024-03-04,,\n", encoding="utf-8")
    _manifest(folder, ["street", "community"], {"complaints": {"sources": [{
        "path": "tickets.csv", "fill_down": ["street_name", "community_name"],
        "columns": {"ticket_id": "工单编号", "received_at": "受理时间", "street_name": "街道",
                    "community_name": "社区"}}]}})


def range_cuts_merge(folder: Path) -> None:
    """Item 1. hours.xlsx: 志愿服务 merged over A1:C1 above 编号 · 人数 · 小时 (row 2); one row
    (row 3: V1 · 4 · 8). column_range B:C starts inside the merge: the paths are still
    志愿服务/人数 and 志愿服务/小时 (the top-left value comes from A1, outside the range)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in (["志愿服务", None, None], ["编号", "人数", "小时"], ["V1", 4, 8]):
        ws.append(row)
    ws.merge_cells("A1:C1")
    wb.save(folder / "hours.xlsx")
    _manifest(folder, ["community"], {"volunteer_hours": {"sources": [{
        "path": "hours.xlsx", "header_rows": [1, 2], "column_range": "B:C",
        "columns": {"date": {"value": "2024-04-01"}, "participations": "志愿服务/人数",
                    "hours": "志愿服务/小时"}}]}})


_TEXT_ROWS = [["工单编号", "受理时间", "办结时间", "社区"], ["T1", "2024-03-01", "2024-03-02", "新村社区"],
              ["T2", "2024-03-03", "NA", "新村社区"], ["T3", "2024-03-04", "N/A", "桥头社区"]]


def _text_manifest(folder: Path, path: str, **extra) -> None:
    _manifest(folder, ["community"], {"complaints": {"sources": [{
        "path": path, "columns": {"ticket_id": "工单编号", "received_at": "受理时间",
                                  "closed_at": "办结时间", "community_name": "社区"}, **extra}]}})


def utf16_tab_txt(folder: Path) -> None:
    """Item 6. export.txt: UTF-16 LE **without** BOM, tab-separated, R's ``NA`` / ``N/A`` in
    empty 办结时间 cells; na_values: [NA, N/A]. Expected: 3 accepted, T2 and T3 open."""
    text = "\r\n".join("\t".join(r) for r in _TEXT_ROWS) + "\r\n"
    (folder / "export.txt").write_bytes(text.encode("utf-16-le"))
    _text_manifest(folder, "export.txt", na_values=["NA", "N/A"])


def utf16_bom_tsv(folder: Path) -> None:
    """Item 6. export.tsv: UTF-16 with BOM, tab-separated (the .tsv default); na_values: common.
    Expected: 3 accepted."""
    text = "\n".join("\t".join(r) for r in _TEXT_ROWS) + "\n"
    (folder / "export.tsv").write_bytes(text.encode("utf-16"))
    _text_manifest(folder, "export.tsv", na_values="common")


def na_not_opted_in(folder: Path) -> None:
    """Item 6. the same rows as a UTF-8 CSV without na_values: ``NA`` and ``N/A`` are text, so
    rows 3 and 4 are rejected bad_date on 办结时间 (default: only empty cells are empty)."""
    (folder / "tickets.csv").write_text("\n".join(",".join(r) for r in _TEXT_ROWS) + "\n", encoding="utf-8")
    _text_manifest(folder, "tickets.csv")


def semicolon(folder: Path) -> None:
    """Item 6. tickets.csv separated by ``;`` (sniffed, no delimiter in the manifest) and a
    copy with ``delimiter: '|'`` stated. Expected: 3 + 3 accepted."""
    (folder / "tickets.csv").write_text("\n".join(";".join(r) for r in _TEXT_ROWS) + "\n", encoding="utf-8")
    (folder / "more.txt").write_text("\n".join("|".join(r).replace("T", "U") for r in _TEXT_ROWS) + "\n",
                                     encoding="utf-8")
    _manifest(folder, ["community"], {"complaints": {"sources": [
        {"path": p, "na_values": ["NA", "N/A"], **({"delimiter": "|"} if p == "more.txt" else {}),
         "columns": {"ticket_id": "工单编号", "received_at": "受理时间", "closed_at": "办结时间",
                     "community_name": "社区"}} for p in ("tickets.csv", "more.txt")]}})


def gbk_line_in_utf8(folder: Path) -> None:
    """Item 6. tickets.csv in UTF-8 except row 3, typed in GBK (工单 T2, 社区 桥头社区):
    row 3 is one rejected row (encoding, 社区); rows 2 and 4 are accepted."""
    lines = [",".join(r).encode("utf-8") for r in _TEXT_ROWS]
    lines[2] = "T2,2024-03-03,,桥头社区".encode("gbk")
    lines[3] = "T3,2024-03-04,,桥头社区".encode("utf-8")
    (folder / "tickets.csv").write_bytes(b"\n".join(lines) + b"\n")
    _text_manifest(folder, "tickets.csv")


def csv_two_header_rows(folder: Path) -> None:
    """Item 1 + 6. report.csv in GBK (stated ``encoding: gbk``) with a two-row header
    (工单 · 工单 · 办结 over 编号 · 受理时间 · 时间) and one damaged line (row 4):

    row 3  T1 · 2024-03-01 · 2024-03-02
    row 4  T2 · 2024-03-03 · 0xFF 0xFE   (bytes GBK cannot hold → encoding, row 4)
    row 5  T3 · 2024-03-04 ·

    (UTF-8 text in a GBK file mostly *does* decode, as nonsense: that is caught by the rules
    that follow, e.g. bad_date — no decoder can tell.)

    Columns by path: 工单/编号, 工单/受理时间, 办结/时间. Expected: 2 accepted, row 4 rejected.
    """
    head = "工单,工单,办结\n编号,受理时间,时间\nT1,2024-03-01,2024-03-02\n".encode("gbk")
    bad = b"T2,2024-03-03,\xff\xfe\n"
    (folder / "report.csv").write_bytes(head + bad + "T3,2024-03-04,\n".encode("gbk"))
    _manifest(folder, ["community"], {"complaints": {"sources": [{
        "path": "report.csv", "encoding": "gbk", "header_rows": [1, 2],
        "columns": {"ticket_id": "工单/编号", "received_at": "工单/受理时间", "closed_at": "办结/时间"}}]}})


def _tiny_xlsx(path: Path, dimension: str, cells: list[tuple[int, str, str]], sep: str = " ") -> None:
    """A hand-written .xlsx (a few KB): one sheet, inline strings, an optional <dimension>;
    ``sep`` separates a cell's tag from its ``r`` attribute (any XML whitespace is legal)."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    rows = "".join(f'<row r="{r}"><c{sep}r="{ref}" t="inlineStr"><is><t>{v}</t></is></c></row>'
                   for r, ref, v in cells)
    parts = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels": f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{pkg}"><Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{main}" xmlns:r="{rel}"><sheets><sheet name="工单" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{pkg}"><Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{main}">{dimension}<sheetData>{rows}</sheetData></worksheet>',
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in parts.items():
            z.writestr(name, text)


def hostile_cell(folder: Path) -> None:
    """Item 7. complaints.xlsx (≈ 1.5 KB): 工单编号/受理时间 headers, one ticket, and one cell
    at XFD1048576 — python-calamine would allocate 512 GB and abort (exit 134). Expected:
    refused in report.fatal naming XFD1048576, in well under 1 s and 100 MB."""
    _tiny_xlsx(folder / "complaints.xlsx", "", [(1, "A1", "工单编号"), (2, "A2", "T1"),
                                                (1048576, "XFD1048576", "x")])
    _text_manifest_xlsx(folder)


def hostile_cell_tab(folder: Path) -> None:
    """Item 7. As hostile_cell, but the cells' attributes are separated by a tab (``<c\tr=…>``,
    legal XML that Excel never writes). Expected: refused the same way."""
    _tiny_xlsx(folder / "complaints.xlsx", "", [(1, "A1", "工单编号"), (2, "A2", "T1"),
                                                (1048576, "XFD1048576", "x")], sep="\t")
    _text_manifest_xlsx(folder)


def hostile_dimension(folder: Path) -> None:
    """Item 7. complaints.xlsx declaring <dimension ref="A1:XFD1048576"/> over two cells.
    Expected: refused in report.fatal naming A1:XFD1048576."""
    _tiny_xlsx(folder / "complaints.xlsx", '<dimension ref="A1:XFD1048576"/>',
               [(1, "A1", "工单编号"), (2, "A2", "T1")])
    _text_manifest_xlsx(folder)


def _text_manifest_xlsx(folder: Path) -> None:
    _manifest(folder, ["community"], {"complaints": {"sources": [{
        "path": "complaints.xlsx", "columns": {"ticket_id": "工单编号", "received_at": {"value": "2024-03-01"}}}]}})


CASES: dict[str, Callable[[Path], None]] = {
    "multi_row_header": multi_row_header, "merged_hierarchy": merged_hierarchy,
    "name_only_register": name_only_register, "ticket_only": ticket_only,
    "fill_down_named": fill_down_named, "range_cuts_merge": range_cuts_merge,
    "utf16_tab_txt": utf16_tab_txt, "utf16_bom_tsv": utf16_bom_tsv, "na_not_opted_in": na_not_opted_in,
    "semicolon": semicolon, "gbk_line_in_utf8": gbk_line_in_utf8,
    "csv_two_header_rows": csv_two_header_rows,
    "hostile_cell": hostile_cell, "hostile_cell_tab": hostile_cell_tab,
    "hostile_dimension": hostile_dimension,
}


def make_case(name: str, out: Path) -> Path:
    """Write case ``name`` (a key of CASES) into ``out/name``; return its manifest path."""
    folder = Path(out) / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    CASES[name](folder)
    return folder / "dataset.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    for name in CASES:
        print(make_case(name, parser.parse_args().out))


if __name__ == "__main__":
    main()
