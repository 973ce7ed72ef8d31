"""The bad-file corpus (tests/bad_files/make_bad_files.py): for every case, the exact rule, row and
column ingest reports, the one-line message of a file it refuses, and rows_read = accepted +
rejected + blank. Expected values are read off the rows each case writes (see its docstring)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import data
from data.safety import Limits, UnsafeFileError, check_xlsx_package, require_defusedxml

sys.path.insert(0, str(Path(__file__).parent / "bad_files"))
import make_bad_files as corpus  # noqa: E402

ENCODINGS = ("utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16")


@pytest.fixture(scope="module")
def cases(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bad_files")
    for name in corpus.CASES:
        corpus.make_case(name, out)
    return out


def load(cases: Path, name: str) -> data.Dataset:
    return data.load_dataset(cases / name / "dataset.yaml", use_cache=False)


def source(d: data.Dataset, table: str) -> data.SourceReport:
    return next(s for s in d.report.sources if s.table == table)


def errors(src: data.SourceReport) -> list[tuple[int, str, str]]:
    return sorted((e.row, e.column, e.rule) for e in src.errors)


def fatal(d: data.Dataset) -> str:
    assert len(d.report.fatal) == 1, d.report.fatal
    message = d.report.fatal[0]["message"]
    assert "\n" not in message and "Traceback" not in message
    return message


@pytest.mark.parametrize("name", list(corpus.CASES))
def test_every_case_reconciles_and_has_no_traceback(cases, name):
    d = load(cases, name)
    for src in d.report.sources:
        assert src.rows_read == src.accepted + src.rejected + src.blank, (name, src.file)
        assert src.rejected == len({e.row for e in src.errors})
    for f in d.report.fatal:
        assert "Traceback" not in f["message"] and "\n" not in f["message"]


# ---------------------------------------------------------------- row rules

def test_missing_required(cases):
    src = source(load(cases, "missing_required"), "complaints")
    assert errors(src) == [(3, "工单编号", "missing_required")]
    assert (src.rows_read, src.accepted, src.rejected) == (2, 1, 1)


def test_impossible_dates_are_bad_date(cases):
    src = source(load(cases, "bad_date"), "complaints")
    assert errors(src) == [(2, "受理时间", "bad_date"), (3, "受理时间", "bad_date")]
    assert [e.value for e in src.errors] == ["2024-02-30", "2024/13/01"]
    assert (src.accepted, src.rejected) == (1, 2)


def test_implausible_dates_are_out_of_range(cases):
    src = source(load(cases, "date_out_of_range"), "complaints")
    assert errors(src) == [(2, "受理时间", "out_of_range"), (3, "受理时间", "out_of_range")]
    assert "2000-01-01 至 2030-12-31" in src.errors[1].message


def test_every_error_of_a_row_is_reported(cases):
    src = source(load(cases, "every_error_in_a_row"), "stations")
    assert errors(src) == [(2, "建成日期", "out_of_range"), (2, "面积", "not_a_number")]
    assert (src.rows_read, src.accepted, src.rejected) == (2, 1, 1)


def test_negative_counts_areas_and_hours(cases):
    d = load(cases, "negative_values")
    assert errors(source(d, "stations")) == [(2, "面积", "out_of_range"),
                                             (3, "每周开放时长", "out_of_range")]
    assert errors(source(d, "volunteer_hours")) == [(2, "服务时长", "out_of_range")]
    assert list(d.tables["stations"]["station_id"]) == ["S3"]


def test_duplicate_ids_name_every_copy_and_keep_the_first(cases):
    d = load(cases, "duplicate_key")
    src = source(d, "stations")
    assert errors(src) == [(4, "阵地编号", "duplicate_key"), (5, "阵地编号", "duplicate_key")]
    for e in src.errors:
        assert "共 3 处" in e.message
        for row in (2, 4, 5):
            assert f"stations.csv 第 {row} 行" in e.message
        assert "保留首次出现的 stations.csv 第 2 行" in e.message
    kept = d.tables["stations"].set_index("station_id")
    assert kept.loc["S1", "station_name"] == "甲"          # the first copy, not 甲（重录）
    assert (src.accepted, src.rejected) == (2, 2)


def test_unknown_unit_is_listed_by_unit(cases):
    src = source(load(cases, "unknown_unit"), "complaints")
    assert errors(src) == [(3, "网格编号", "unknown_unit"), (4, "网格编号", "unknown_unit"),
                           (6, "网格编号", "unknown_unit")]
    assert "3 张工单填写的网格「0199」不在网格台账中" in src.warnings


def test_closed_before_received(cases):
    src = source(load(cases, "closed_before_received"), "complaints")
    assert errors(src) == [(2, "办结时间", "closed_before_received")]


# ---------------------------------------------------------------- headers

def test_missing_column_names_it(cases):
    message = fatal(load(cases, "header_missing"))
    assert "找不到表头「受理时间」" in message and "「工单编号」、「办结时间」、「网格编号」" in message


def test_duplicate_header_is_never_renamed_silently(cases):
    message = fatal(load(cases, "header_duplicate"))
    assert "网格编号 (列 D)、网格编号 (列 E)" in message
    assert "网格编号.1" not in message


def test_extra_blank_and_padded_headers_are_named(cases):
    d = load(cases, "header_extra_blank_padded")
    src = source(d, "complaints")
    assert "表头两端有空格（已去除）：「 受理时间 」" in src.warnings
    assert "第 F 列有数据但表头为空，记为「(列 F)」" in src.warnings
    assert "清单未映射、未读取的列：「备注」、「(列 F)」" in src.warnings
    assert not any("Unnamed" in w for w in src.warnings)
    assert (src.accepted, src.rejected) == (2, 0)


def test_header_below_a_title_block_is_found(cases):
    src = source(load(cases, "header_below_title"), "complaints")
    assert errors(src) == [(5, "受理时间", "bad_date")]
    assert any(w.startswith("表头在第 3 行") for w in src.warnings)


def test_header_aliases_in_english(cases):
    d = load(cases, "header_aliases")
    assert d.report.fatal == []
    row = d.tables["complaints"].iloc[0]
    assert (row["ticket_id"], row["received_at"], row["unit_id"]) == ("T1", pd.Timestamp("2024-03-05"), "0101")


# ---------------------------------------------------------------- values

def test_identifiers_stay_text_and_text_numbers_are_read(cases):
    d = load(cases, "text_values")
    assert source(d, "stations").errors == []
    st = d.tables["stations"].set_index("station_id")
    assert list(st.index) == ["00123", "0503", "S3", "S4"]
    assert st.loc["00123", "phone"] == "013800138000"
    assert st.loc["00123", "leader_id"] == "11010119900307451X"
    assert st.loc["0503", "leader_id"] == "110101199003074518"
    assert st.loc["00123", "area_m2"] == 1234.0           # "1,234"
    assert st.loc["0503", "area_m2"] == 12345.0           # "１２，３４５"
    assert st.loc["00123", "weekly_hours"] == 40.0        # "４０"
    assert list(st["opened"]) == [pd.Timestamp("2024-03-05")] * 3 + [pd.Timestamp("2024-03-05 08:00")]


def test_long_id_stored_as_a_number_is_rejected(cases):
    d = load(cases, "id_stored_as_number")
    src = source(d, "stations")
    assert errors(src) == [(3, "阵地编号", "id_stored_as_number")]
    assert src.errors[0].value.startswith("1.10101199") and src.errors[0].value.endswith("e+17")
    assert list(d.tables["stations"]["station_id"]) == ["110101199003074518"]


# ---------------------------------------------------------------- encodings and formats

def test_the_same_table_in_five_encodings_loads_identically(cases):
    frames = [load(cases, f"encoding_{e}").tables["complaints"] for e in ENCODINGS]
    for frame in frames[1:]:
        pd.testing.assert_frame_equal(frame, frames[0])
    assert list(frames[0]["category"]) == ["噪音扰民", "道路破损"]


def test_rare_characters_survive_every_encoding_that_holds_them(cases):
    frames = [load(cases, f"encoding_rare_{e}").tables["complaints"]
              for e in ("utf-8", "utf-8-sig", "gb18030", "utf-16")]
    for frame in frames:
        assert frame["category"].iloc[0] == "䶮𠮷姓居民反映"
        assert not frame["category"].str.contains("\ufffd").any()


def test_undecodable_bytes_reject_their_row_never_replaced(cases):
    # issue 12: the line that does not decode is one rejected row (rule encoding, its Excel
    # row); nothing with U+FFFD is ever accepted
    d = load(cases, "encoding_undecodable")
    src = next(s for s in d.report.sources if s.table == "complaints")
    assert d.report.fatal == [] and (src.rows_read, src.accepted, src.rejected) == (1, 0, 1)
    assert [(e.row, e.rule) for e in src.errors if e.rule == "encoding"] == [(2, "encoding")]
    assert len(d.tables["complaints"]) == 0


def test_xlsm_and_legacy_xls(cases):
    assert list(load(cases, "format_xlsm").tables["complaints"]["ticket_id"]) == ["T1"]
    if not (cases / "format_xls" / "src.xls").exists():
        pytest.skip("LibreOffice is not installed; no .xls was generated")
    d = load(cases, "format_xls")
    assert list(d.tables["complaints"]["ticket_id"]) == ["T1", "T2"]
    assert list(d.tables["complaints"]["received_at"]) == [pd.Timestamp("2024-03-05"), pd.Timestamp("2024-03-06")]


@pytest.mark.parametrize("name, fragment", [
    ("csv_renamed_xlsx", "不是 Excel 工作簿（内容是文本，可能是改了扩展名的 CSV）"),
    ("truncated_xlsx", "已损坏或不完整"),
    ("empty_file", "是空文件"),
    ("empty_sheet", "是空工作表"),
    ("billion_laughs", "含有 DOCTYPE/实体声明"),
    ("external_entity", "含有 DOCTYPE/实体声明"),
])
def test_unreadable_files_give_one_clear_line(cases, name, fragment):
    d = load(cases, name)
    message = fatal(d)
    assert fragment in message and message.startswith("complaints.")
    assert "complaints" not in d.tables or d.tables["complaints"].empty


def test_header_only_sheet_is_read_with_a_note(cases):
    src = source(load(cases, "header_only"), "complaints")
    assert (src.rows_read, src.accepted) == (0, 0)
    assert "只有表头，没有数据行" in src.warnings


def test_hidden_sheet_is_skipped_and_named(cases):
    d = load(cases, "hidden_sheet")
    src = source(d, "complaints")
    assert src.sheet == "工单" and "隐藏的工作表未读取：「旧表」" in src.warnings
    assert list(d.tables["complaints"]["ticket_id"]) == ["T1"]


def test_merged_hierarchy_cells_in_the_data_area_are_filled_down(cases):
    # issue 12 item 3: a merged hierarchy label (网格编号 over D3:D4) is filled down, not rejected
    d = load(cases, "merged_cells")
    src = source(d, "complaints")
    assert errors(src) == []
    assert "数据区有合并单元格：D3:D4" in src.warnings
    assert any("D3:D4" in w and "向下填充" in w for w in src.warnings)
    t = d.tables["complaints"].set_index("ticket_id")
    assert t.loc["T2", "unit_id"] == t.loc["T3", "unit_id"] == "0102"


def test_formula_without_a_saved_value_is_an_error(cases):
    src = source(load(cases, "formula_without_value"), "complaints")
    assert (3, "受理时间", "formula_no_value") in errors(src)
    assert {e.row for e in src.errors} == {3}
    assert (src.accepted, src.rejected) == (1, 1)


# ---------------------------------------------------------------- hostile files

def test_defusedxml_is_active():
    require_defusedxml()
    import openpyxl
    assert openpyxl.DEFUSEDXML is True


def test_zip_bomb_is_refused_from_the_declared_sizes(tmp_path):
    """Refused before parsing (time and memory are printed by bench/bench_ingest.py --bomb)."""
    manifest = corpus.make_case("zip_bomb", tmp_path)
    bomb = manifest.parent / "complaints.xlsx"
    assert bomb.stat().st_size < 1.1 * 2 ** 20
    d = data.load_dataset(manifest, use_cache=False)
    # sheet1.xml: 1,024 MiB + 96 bytes of XML declared, ≈ 1.02 MB compressed → ratio 1,029
    assert "sheet1.xml 压缩比达 1,029 倍（上限 200），疑似压缩炸弹" in fatal(d)
    with pytest.raises(UnsafeFileError, match="解压后达 1,024 MB"):
        check_xlsx_package(bomb, Limits(max_unzipped_mb=512, max_ratio=10_000))
    check_xlsx_package(bomb, Limits(max_unzipped_mb=2048, max_ratio=2000))   # within both limits


def test_limits_are_configurable_in_the_manifest(cases, tmp_path):
    import shutil
    import yaml
    folder = tmp_path / "tight"
    shutil.copytree(cases / "format_xlsm", folder)
    doc = yaml.safe_load((folder / "dataset.yaml").read_text(encoding="utf-8"))
    doc["settings"] = {"limits": {"max_file_mb": 0.001}}
    (folder / "dataset.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    assert "超过上限" in fatal(data.load_dataset(folder / "dataset.yaml", use_cache=False))
    doc["settings"] = {"limits": {"max_bytes": 1}}
    (folder / "dataset.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(data.ManifestError, match="max_bytes"):
        data.load_dataset(folder / "dataset.yaml", use_cache=False)


# ---------------------------------------------------------------- the machine-readable report

def test_validate_writes_the_json_report(cases, tmp_path):
    from app import cli

    out = tmp_path / "report.json"
    result = CliRunner().invoke(cli, ["validate", "--dataset", str(cases / "every_error_in_a_row" / "dataset.yaml"),
                                      "--report", str(out)])
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert set(doc) >= {"tables", "fatal"}
    stations = next(t for t in doc["tables"] if t["table"] == "stations")
    assert set(stations) >= {"table", "file", "sheet", "sha256", "rows_read", "accepted", "rejected",
                             "blank", "errors"}
    assert stations["rows_read"] == stations["accepted"] + stations["rejected"] + stations["blank"] == 2
    assert len(stations["sha256"]) == 64
    assert sorted((e["row"], e["column"], e["rule"]) for e in stations["errors"]) == [
        (2, "建成日期", "out_of_range"), (2, "面积", "not_a_number")]
    assert {e["value"] for e in stations["errors"]} == {"十二", "1900-01-01"}


def test_formula_cells_with_and_without_a_saved_result():
    from data.xlsx_structure import SheetStructure, _scan

    xml = (b'<row r="2"><c r="A2"><f>1+1</f><v>2</v></c>'              # computed: 2
           b'<c r="B2" t="str"><f>IF(1,"","")</f><v></v></c>'          # computed: empty text
           b'<c r="C2"><f>X()</f><v></v></c>'                          # openpyxl: not computed
           b'<c r="D2" t="str"><f>Y()</f></c>'                         # no <v> at all
           b'<c r="E2"><f t="shared" si="0"/><v>3</v></c>'             # shared formula, computed
           b'<c r="AA2"><f>Z()</f></c></row>'
           b'<mergeCells count="1"><mergeCell ref="B5:C7"/></mergeCells>')
    found = SheetStructure()
    _scan(xml, found)
    assert found.formulas_without_value == [(2, 2), (2, 3), (2, 26)]
    assert found.merged == [(5, 1, 7, 2, "B5:C7")]
