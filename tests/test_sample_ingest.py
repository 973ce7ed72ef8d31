"""The embedded sample dataset loads, reconciles, and reports exactly the rows its generator broke
on purpose (data/sample/bad_rows.json), with the counts in data/sample/expected_figures.json."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import data

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
pytestmark = pytest.mark.skipif(not (SAMPLE / "dataset.yaml").exists(), reason="sample not generated")


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return data.load_dataset(SAMPLE / "dataset.yaml", cache_dir=tmp_path_factory.mktemp("cache"))


def test_sample_reconciles_and_reports_the_broken_rows(sample):
    assert sample.report.fatal == []
    assert all(s.reconciles for s in sample.report.sources)
    bad = json.loads((SAMPLE / "bad_rows.json").read_text(encoding="utf-8"))
    reported = {(s.file, s.sheet, e.row, e.column) for s in sample.report.sources for e in s.errors}
    assert reported == {(b["file"], b["sheet"], b["row"], b["column"]) for b in bad}


def test_sample_counts_match_the_generator(sample):
    expected = json.loads((SAMPLE / "expected_figures.json").read_text(encoding="utf-8"))
    tickets = sample.tables["complaints"]["received_at"].dt.year.value_counts()
    grids = sample.tables["grids"]["year"].value_counts()
    for year, figures in expected.items():
        assert tickets[int(year)] == figures["tickets"]
        assert grids[int(year)] == figures["grids"]
