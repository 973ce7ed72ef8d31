"""Submissions register and 上报进度 (data/submissions.py): three streets, one on time, one late,
one missing — the progress figures and the completeness rate equal the hand count."""
from __future__ import annotations

import datetime as dt
import os

import pytest

from data import load_dataset
from data.manifest import load_manifest
from data.submissions import (SubmissionsError, check_template, completeness, progress, read_register,
                              record_arrivals)
from reports.template import write_template
from tests.yearly_fixtures import MANIFEST, TICKET_HEADERS, TICKETS, make_dataset, ticket, write_sheet

SUBMISSIONS = """\
submissions:
  level: street
  period: 2025
  due: {complaints: 2026-01-15}
  files: {complaints: '(?P<unit>S\\d)\\.xlsx$'}
"""


def _touch(path, when: dt.datetime) -> None:
    os.utime(path, (when.timestamp(), when.timestamp()))


def test_three_streets_one_late_one_missing(tmp_path):
    tickets = {"S1": TICKETS["S1"], "S2": TICKETS["S2"]}          # S3 sends nothing
    manifest = make_dataset(tmp_path / "ds", MANIFEST + SUBMISSIONS, tickets=tickets)
    _touch(manifest.parent / "complaints" / "S1.xlsx", dt.datetime(2026, 1, 15, 17, 30))  # due day
    _touch(manifest.parent / "complaints" / "S2.xlsx", dt.datetime(2026, 1, 16, 9, 0))    # a day late
    ds = load_dataset(manifest, use_cache=False)
    new = record_arrivals(ds)
    assert sorted((e["file"], e["unit_id"], e["period"]) for e in new) == [
        ("complaints/S1.xlsx", "S1", "2025"), ("complaints/S2.xlsx", "S2", "2025"), ("grids.xlsx", "", "2025")]
    assert record_arrivals(ds) == []                               # the same content is recorded once
    prog = progress(ds)
    assert prog[["unit_id", "status", "rows_read"]].values.tolist() == [
        ["S1", "submitted", 4], ["S2", "late", 2], ["S3", "missing", 0]]
    comp = completeness(ds, prog).set_index("unit_id")
    assert comp.loc["total", ["expected", "on_time", "late", "missing"]].tolist() == [3, 1, 1, 1]
    assert comp.loc["total", "rate"] == pytest.approx(1 / 3)
    assert comp.loc["S1", "rate"] == 1.0 and comp.loc["S2", "rate"] == 0.0

    # S3 sends its file on 2026-01-20 and S1 replaces its file: S3 late, S1 keeps its first arrival
    write_sheet(manifest.parent / "complaints" / "S3.xlsx", "工单", TICKET_HEADERS, TICKETS["S3"])
    _touch(manifest.parent / "complaints" / "S3.xlsx", dt.datetime(2026, 1, 20, 10))
    write_sheet(manifest.parent / "complaints" / "S1.xlsx", "工单", TICKET_HEADERS,
                TICKETS["S1"] + [ticket("A5", "G11", 6, True)])
    ds = load_dataset(manifest, use_cache=False)
    new = record_arrivals(ds, uploaded={"complaints/S1.xlsx": ("east", dt.datetime(2026, 2, 1, 8))})
    s1 = [e for e in new if e["unit_id"] == "S1"][0]
    register = read_register(manifest)
    first_s1 = register[register["file"] == "complaints/S1.xlsx"]["sha256"].iloc[0]
    assert s1["by"] == "east" and s1["replaces"] == first_s1 != s1["sha256"]
    prog = progress(ds)
    assert prog[["unit_id", "status", "rows_read"]].values.tolist() == [
        ["S1", "submitted", 5], ["S2", "late", 2], ["S3", "late", 2]]
    assert completeness(ds, prog).set_index("unit_id").loc["total", "rate"] == pytest.approx(1 / 3)


def test_bad_section_and_template_from_another_dataset(tmp_path):
    manifest = make_dataset(tmp_path / "ds", MANIFEST + "submissions: {due: {tickets: 2026-01-15}}\n")
    ds = load_dataset(manifest, use_cache=False)
    with pytest.raises(SubmissionsError, match="未知的表「tickets」"):
        progress(ds)
    other = tmp_path / "other" / "dataset.yaml"
    other.parent.mkdir()
    other.write_text(MANIFEST.replace("年度循环测试市", "别的市"), encoding="utf-8")
    path = write_template(load_manifest(other), "complaints", tmp_path / "t.xlsx")
    with pytest.raises(SubmissionsError, match="来自另一个数据集「别的市」"):
        check_template(path, ds.name, "complaints")
    with pytest.raises(SubmissionsError, match="是「complaints」表的"):
        check_template(write_template(load_manifest(manifest), "complaints", tmp_path / "u.xlsx"),
                       ds.name, "grids")
    check_template(manifest.parent / "grids.xlsx", ds.name, "grids")   # not a template: passes
