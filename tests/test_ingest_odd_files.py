"""The odd-file corpus of issue 12 (tests/odd_files/make_odd_files.py): layouts departments
really send load through a manifest, and hostile declared sizes are refused. For every case the
exact rows, columns and rules, and rows read = accepted + rejected + blank + summary + notes +
template. Expected values are read off the rows each case writes (see its docstring)."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import data
from data.manifest import ManifestError, load_manifest

sys.path.insert(0, str(Path(__file__).parent / "odd_files"))
import make_odd_files as corpus  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def cases(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("odd_files")
    for name in corpus.CASES:
        corpus.make_case(name, out)
    return out


def load(cases: Path, name: str) -> data.Dataset:
    return data.load_dataset(cases / name / "dataset.yaml", use_cache=False)


def errors(src) -> list[tuple[int, str, str]]:
    return sorted((e.row, e.column, e.rule) for e in src.errors)


def counts(src) -> tuple[int, ...]:
    assert src.reconciles
    return (src.rows_read, src.accepted, src.rejected, src.blank, src.summary, src.notes, src.template)


def test_multi_row_header_column_range_and_non_data_rows(cases):
    d = load(cases, "multi_row_header")
    src = d.report.sources[0]
    assert d.report.fatal == []
    assert counts(src) == (5, 1, 1, 0, 1, 1, 1)
    assert errors(src) == [(5, "志愿服务/小时", "not_a_number")]
    row = d.tables["volunteer_hours"].iloc[0]
    # 志愿服务/人数 by path, 人数 by its unique last part, 小时 by {column: D}
    assert (row["participations"], row["volunteers"], row["hours"]) == (3, 3, 6)
    assert row["date"] == pd.Timestamp("2024-04-01")
    text = data.format_report(d.report)
    assert "读取 5 = 接收 1 + 拒收 1 + 空行 0 + 合计行 1 + 表尾说明行 1 + 空白模板行 1" in text
    assert "合计行 1 行（第 6 行）" in text and "表尾说明行 1 行（第 7 行）" in text


def test_without_column_range_the_lookup_list_is_a_column_of_its_own(cases, tmp_path):
    import yaml
    folder = cases / "multi_row_header"
    doc = yaml.safe_load((folder / "dataset.yaml").read_text(encoding="utf-8"))
    del doc["tables"]["volunteer_hours"]["sources"][0]["column_range"]
    (folder / "wide.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    d = data.load_dataset(folder / "wide.yaml", use_cache=False)
    src = d.report.sources[0]
    # F2:F4 活动类型 / 日常陪伴 / 清洁服务 is the header path of F, and row 4's 清洁服务 ... is data
    assert any("活动类型/日常陪伴" in w for w in src.warnings)
    assert counts(src)[:3] == (5, 1, 1)


def test_a_header_part_shared_by_two_paths_is_named_not_guessed(cases, tmp_path):
    folder = cases / "multi_row_header"
    manifest = (folder / "dataset.yaml").read_text(encoding="utf-8").replace("志愿服务/人数", "志愿服务")
    (folder / "ambiguous.yaml").write_text(manifest, encoding="utf-8")
    d = data.load_dataset(folder / "ambiguous.yaml", use_cache=False)
    assert "志愿服务/人数" in d.report.fatal[0]["message"] and "志愿服务/小时" in d.report.fatal[0]["message"]


def test_merged_hierarchy_labels_fill_down_and_merged_numbers_reject_only_merged_cell(cases):
    d = load(cases, "merged_hierarchy")
    src = d.report.sources[0]
    assert counts(src) == (4, 2, 2, 0, 0, 0, 0)
    assert errors(src) == [(3, "时长", "merged_cell"), (4, "时长", "merged_cell")]
    assert any("A2:A4" in w and "B2:B3" in w and "向下填充" in w for w in src.warnings)
    units = d.units.set_index(["level", "unit_id"])["parent_id"].to_dict()
    assert units[("community", "桥头社区")] == "东风街道"      # row 4's street came from A2:A4
    # 新村社区 under 东风街道 (row 2) and 红星街道 (row 5): reported, not silently merged
    assert any("新村社区" in w and "东风街道」2 条" in w and "红星街道」1 条" in w for w in src.warnings)


def test_named_columns_fill_down_around_summary_rows(cases):
    d = load(cases, "fill_down_named")
    src = d.report.sources[0]
    assert counts(src) == (5, 4, 0, 0, 1, 0, 0)
    assert "4 个空单元格按上一行的值填充（「街道」、「社区」）" in src.warnings
    assert d.tables["complaints"].set_index("ticket_id")["unit_id"].to_dict() == {
        "T1": "新村社区", "T2": "新村社区", "T3": "桥头社区", "T4": "桥头社区"}


def test_a_column_range_starting_inside_a_merged_header(cases):
    d = load(cases, "range_cuts_merge")
    src = d.report.sources[0]
    assert counts(src) == (1, 1, 0, 0, 0, 0, 0)
    row = d.tables["volunteer_hours"].iloc[0]
    assert (row["participations"], row["hours"]) == (4, 8)


def test_ids_from_several_columns_keep_two_xincun_apart(cases):
    d = load(cases, "name_only_register")
    grids = next(s for s in d.report.sources if s.table == "grids")
    assert counts(grids) == (4, 2, 2, 0, 0, 0, 0)
    # 户数 merged over D4:D5: merged_cell only, no missing_required although 户数 is required
    assert errors(grids) == [(4, "户数", "merged_cell"), (5, "户数", "merged_cell")]
    assert any("community_id 由「街道」、「社区」用「/」连接而成，如「东风街道/新村社区」" in w for w in grids.warnings)
    communities = d.units[d.units["level"] == "community"].set_index("unit_id")
    assert communities.loc[["东风街道/新村社区", "红星街道/新村社区"], "unit_name"].tolist() == ["新村社区", "新村社区"]
    assert communities.loc["红星街道/新村社区", "parent_id"] == "红星街道"
    tickets = d.tables["complaints"].set_index("ticket_id")["unit_id"].to_dict()
    assert tickets == {"T1": "东风街道/新村社区", "T2": "红星街道/新村社区", "T3": "红星街道/新村社区"}


def test_ticket_only_dataset_gets_units_from_tickets_and_indicators_everywhere(cases):
    from indicators import compute_indicators
    d = load(cases, "ticket_only")
    src = d.report.sources[0]
    assert counts(src) == (5, 5, 0, 0, 0, 0, 0)
    assert sorted(map(tuple, d.units[["level", "unit_id", "parent_id"]].fillna("").values.tolist())) == [
        ("council", "Allston", "1"), ("council", "Back Bay", "2"), ("district", "1", ""), ("district", "2", "")]
    assert any("清单没有网格台账" in w and "群众诉求工单" in w for w in src.warnings)
    assert any("Allston" in w and "「1」2 条" in w and "「2」1 条" in w for w in src.warnings)
    table = compute_indicators(d)
    rate = table[(table["indicator_id"] == "resolution_rate") & (table["period"] == "2024")]
    assert rate.set_index("unit_id")["denominator"].to_dict() == {"total": 5, "1": 3, "2": 1,
                                                                  "Allston": 3, "Back Bay": 1}
    assert rate.set_index("unit_id").loc["total", "numerator"] == 4


def test_validate_and_indicators_commands_exit_0_without_a_register(cases, tmp_path):
    import app
    manifest = str(cases / "ticket_only" / "dataset.yaml")
    runner = CliRunner()
    result = runner.invoke(app.cli, ["validate", "--dataset", manifest])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    out = tmp_path / "table.csv"
    result = runner.invoke(app.cli, ["indicators", "--dataset", manifest, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert set(pd.read_csv(out)["level"]) == {"total", "district", "council"}


def test_a_dataset_naming_no_unit_still_has_the_total(cases, tmp_path):
    from indicators import compute_indicators
    (tmp_path / "t.csv").write_text("编号,受理\nT1,2024-03-01\nT2,2024-03-02\n", encoding="utf-8")
    (tmp_path / "dataset.yaml").write_text(
        "name: 无单位\nlevels: [district]\ntables:\n  complaints:\n    sources:\n"
        "      - {path: t.csv, columns: {ticket_id: 编号, received_at: 受理}}\n", encoding="utf-8")
    d = data.load_dataset(tmp_path / "dataset.yaml", use_cache=False)
    table = compute_indicators(d)
    assert len(table) and set(table["level"]) == {"total"}


@pytest.mark.parametrize("case, encoding", [("utf16_tab_txt", "UTF-16-LE"), ("utf16_bom_tsv", "UTF-16")])
def test_utf16_tab_separated_text_with_na_values(cases, case, encoding):
    d = load(cases, case)
    src = d.report.sources[0]
    assert counts(src) == (3, 3, 0, 0, 0, 0, 0)
    assert f"按 {encoding} 编码读取" in src.warnings and any("制表符" in w for w in src.warnings)
    t = d.tables["complaints"].set_index("ticket_id")
    assert t["status"].to_dict() == {"T1": "closed", "T2": "open", "T3": "open"}
    assert t["closed_at"].isna().tolist() == [False, True, True]


def test_na_text_is_a_value_unless_the_manifest_opts_in(cases):
    src = load(cases, "na_not_opted_in").report.sources[0]
    assert counts(src) == (3, 1, 2, 0, 0, 0, 0)
    assert errors(src) == [(3, "办结时间", "bad_date"), (4, "办结时间", "bad_date")]


def test_delimiters_sniffed_or_stated(cases):
    d = load(cases, "semicolon")
    a, b = d.report.sources
    assert counts(a) == counts(b) == (3, 3, 0, 0, 0, 0, 0)
    assert "按分号分隔读取（可在清单中写 delimiter）" in a.warnings
    assert not any("分隔" in w for w in b.warnings)                # stated: no note
    assert sorted(d.tables["complaints"]["ticket_id"]) == ["T1", "T2", "T3", "U1", "U2", "U3"]


def test_one_gbk_line_in_utf8_is_one_rejected_row(cases):
    d = load(cases, "gbk_line_in_utf8")
    src = d.report.sources[0]
    assert d.report.fatal == [] and counts(src) == (3, 2, 1, 0, 0, 0, 0)
    assert errors(src) == [(3, "社区", "encoding")]
    assert "第 3 行不能按 UTF-8 解码" in src.errors[0].message
    assert sorted(d.tables["complaints"]["ticket_id"]) == ["T1", "T3"]
    assert not d.tables["complaints"]["unit_id"].str.contains("\ufffd").any()
    assert set(d.units["unit_id"]) == {"新村社区", "桥头社区"}


def test_text_source_with_a_two_row_header_and_a_line_in_another_encoding(cases):
    d = load(cases, "csv_two_header_rows")
    src = d.report.sources[0]
    assert counts(src) == (3, 2, 1, 0, 0, 0, 0)
    assert errors(src) == [(4, "办结/时间", "encoding")]
    assert "第 4 行不能按 GBK 解码" in src.errors[0].message
    assert sorted(d.tables["complaints"]["ticket_id"]) == ["T1", "T3"]


_PROBE = """
import resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))   # a regression fails, never 512 GB
import data
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter()
d = data.load_dataset(sys.argv[1], use_cache=False)
print(time.perf_counter() - t, (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024)
print(d.report.fatal[0]["message"])
"""


@pytest.mark.parametrize("case, ref", [("hostile_cell", "XFD1048576"), ("hostile_cell_tab", "XFD1048576"),
                                       ("hostile_dimension", "A1:XFD1048576")])
def test_hostile_declared_size_is_refused_before_any_reader(cases, case, ref):
    path = cases / case / "dataset.yaml"
    assert path.parent.joinpath("complaints.xlsx").stat().st_size < 6 * 1024
    run = subprocess.run([sys.executable, "-c", _PROBE, str(path)], capture_output=True, text=True,
                         timeout=60, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert run.returncode == 0, run.stderr[-2000:]
    seconds, grown_mb = map(float, run.stdout.splitlines()[0].split())
    assert seconds < 1 and grown_mb < 100
    message = run.stdout.splitlines()[1]
    assert ref in message and "已拒绝读取" in message and "complaints.xlsx「工单」" in message


def test_new_manifest_keys_are_checked():
    import yaml
    bad = [({"header_rows": [4, 2]}, "header_rows"), ({"column_range": "A-AH"}, "column_range"),
           ({"delimiter": ";;"}, "delimiter"), ({"fill_down": ["nope"]}, "fill_down"),
           ({"columns": {"ticket_id": {"column": "A1"}}}, "column"),
           ({"columns": {"ticket_id": {"from": ["x"]}}}, "from")]
    import tempfile
    for extra, word in bad:
        source = {"path": "t.csv", "columns": {"ticket_id": "编号"}, **extra}
        doc = {"name": "x", "levels": ["grid"], "tables": {"complaints": {"sources": [source]}}}
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "dataset.yaml"
            path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
            with pytest.raises(ManifestError, match=word):
                load_manifest(path)


def test_hostile_upload_is_refused_and_changes_nothing(cases, tmp_path):
    """The same refusal through the upload path (server.uploads.apply_upload builds the whole
    dataset with the uploaded file staged, as the Upload page does)."""
    import shutil

    from indicators.pipeline import build
    from server.uploads import apply_upload, targets

    folder = tmp_path / "ds"
    shutil.copytree(cases / "hostile_cell", folder)
    corpus._tiny_xlsx(folder / "complaints.xlsx", "", [(1, "A1", "工单编号"), (2, "A2", "T1")])
    manifest = folder / "dataset.yaml"
    assert data.load_dataset(manifest, use_cache=False).report.fatal == []   # served: fine
    before = (folder / "complaints.xlsx").read_bytes()
    hostile = (cases / "hostile_cell" / "complaints.xlsx").read_bytes()
    target = targets(manifest)[0]
    result = apply_upload(manifest, target.key, "complaints.xlsx", hostile, "t",
                          lambda m: build(m, cache_dir=tmp_path / "cache"), max_bytes=1 << 20)
    assert not result.accepted
    assert "XFD1048576" in result.message and "已拒绝读取" in result.message
    assert (folder / "complaints.xlsx").read_bytes() == before
