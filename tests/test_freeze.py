"""Year-end freeze (indicators/freeze.py): freeze 2025, correct a ticket file, and the published
2025 figures stay those frozen, with the difference listed; unfreezing is recorded."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from indicators.freeze import (FreezeError, build_published, freeze_log, freeze_year, frozen_years,
                               unfreeze_year)
from indicators.pipeline import build
from tests.yearly_fixtures import TICKET_HEADERS, TICKETS, make_dataset, ticket, write_sheet


def _value(table: pd.DataFrame, unit: str, indicator: str, period: str = "2025") -> float:
    row = table[(table["unit_id"] == unit) & (table["indicator_id"] == indicator)
                & (table["period"] == period)]
    assert len(row) == 1
    return float(row["value"].iloc[0])


def test_freeze_keeps_published_figures_and_lists_differences(tmp_path):
    manifest = make_dataset(tmp_path / "ds")
    cache = tmp_path / "cache"
    live = build(manifest, cache_dir=cache)
    assert _value(live.table, "S1", "resolution_rate") == pytest.approx(3 / 4)
    meta = freeze_year(live, 2025, by="city")
    assert meta["year"] == 2025 and meta["by"] == "city"
    folder = manifest.parent / "frozen" / "2025"
    assert {p.name for p in folder.iterdir()} >= {"table.parquet", "report.json", "sources.json",
                                                  "catalog.json", "standards.json", "dataset.yaml",
                                                  "meta.json"}
    hashes = {s["file"]: s["sha256"] for s in json.loads((folder / "sources.json").read_text("utf-8"))}
    assert set(hashes) == {"grids.xlsx", "complaints/S1.xlsx", "complaints/S2.xlsx", "complaints/S3.xlsx"}

    # March: street S1 corrects A4 (now closed) and adds a ticket A5 (open): 5 received, 4 closed
    corrected = TICKETS["S1"][:3] + [ticket("A4", "G12", 4, True), ticket("A5", "G11", 6, False)]
    write_sheet(manifest.parent / "complaints" / "S1.xlsx", "工单", TICKET_HEADERS, corrected)
    assert _value(build(manifest, cache_dir=cache).table, "S1", "resolution_rate") == pytest.approx(4 / 5)

    published = build_published(manifest, cache_dir=cache)
    assert _value(published.table, "S1", "resolution_rate") == pytest.approx(3 / 4)
    # the whole: frozen 6 closed of 8, now 7 of 9
    assert _value(published.table, "total", "resolution_rate") == pytest.approx(6 / 8)
    assert published.frozen[2025]["frozen_at"] == meta["frozen_at"]
    assert [f["file"] for f in published.frozen[2025]["changed_files"]] == ["complaints/S1.xlsx"]
    diff = published.freeze_differences[2025]
    row = diff[(diff["unit_id"] == "S1") & (diff["indicator_id"] == "resolution_rate")].iloc[0]
    assert (row["frozen_value"], row["current_value"]) == (pytest.approx(0.75), pytest.approx(0.8))
    assert row["changed_files"] == "complaints/S1.xlsx"
    assert row["indicator_name"] == "办结率"
    # S2 and S3 did not change: none of their rows is a difference
    assert not diff["unit_id"].isin(["S2", "S3", "G21", "G22", "G31", "G32"]).any()


def test_freeze_errors_and_unfreeze_is_recorded(tmp_path):
    manifest = make_dataset(tmp_path / "ds")
    live = build(manifest, cache_dir=tmp_path / "cache")
    with pytest.raises(FreezeError, match="2019 年没有任何指标数据，无法锁定；有数据的年度：2025"):
        freeze_year(live, 2019)
    freeze_year(live, 2025, by="city")
    with pytest.raises(FreezeError, match="2025 年已于 .* 锁定"):
        freeze_year(live, 2025)
    with pytest.raises(FreezeError, match="2024 年没有锁定"):
        unfreeze_year(manifest, 2024)
    kept = unfreeze_year(manifest, 2025, by="admin", reason="更正")
    assert (kept / "table.parquet").is_file() and frozen_years(manifest) == {}
    assert [(e["action"], e["year"], e["by"]) for e in freeze_log(manifest)] == \
        [("freeze", 2025, "city"), ("unfreeze", 2025, "admin")]
    published = build_published(manifest, cache_dir=tmp_path / "cache")
    assert published.frozen == {}


def test_frozen_year_workbook_shows_frozen_figures_and_the_difference(tmp_path):
    import openpyxl

    from reports import write_workbook

    manifest = make_dataset(tmp_path / "ds")
    cache = tmp_path / "cache"
    meta = freeze_year(build(manifest, cache_dir=cache), 2025)
    corrected = TICKETS["S1"][:3] + [ticket("A4", "G12", 4, True)]          # S1: 4 of 4 now
    write_sheet(manifest.parent / "complaints" / "S1.xlsx", "工单", TICKET_HEADERS, corrected)
    path = write_workbook(build_published(manifest, cache_dir=cache), 2025, tmp_path / "wb.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb["封面"]["A3"].value.startswith(f"本年度数据已锁定（{meta['frozen_at'][:10]}），工作簿中的数字均为锁定时的数字")
    street = [[c.value for c in row] for row in wb["街道"].iter_rows()]
    head = next(row for row in street if any(str(v or "").startswith("办结率") for v in row))
    col = next(j for j, v in enumerate(head) if str(v or "").startswith("办结率"))
    s1 = [row for row in street if "一街道" in row]
    assert s1[0][col] == 0.75                                               # the frozen 3 of 4
    diff = [[c.value for c in row] for row in wb["锁定后变动"].iter_rows(min_row=5)]
    assert ["街道", "一街道", "办结率", 0.75, 1.0, "complaints/S1.xlsx"] in diff


def test_an_indicator_added_after_the_freeze_is_no_difference():
    from indicators.freeze import differences

    frozen = pd.DataFrame({"level": ["street"], "unit_id": ["S1"], "unit_name": ["一街道"],
                           "period": ["2025"], "indicator_id": ["resolution_rate"], "value": [0.75]})
    current = pd.concat([frozen, frozen.assign(indicator_id="new_rate", value=0.5)], ignore_index=True)
    files = pd.DataFrame(columns=["table", "file", "change", "frozen_sha256", "current_sha256"])
    assert differences(frozen, current, 2025, {}, files).empty
    assert differences(frozen, current.assign(value=[0.8, 0.5]), 2025, {}, files)["current_value"].tolist() == [0.8]
