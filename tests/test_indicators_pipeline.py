"""build(): load → indicators → YoY → rank, with the Parquet cache (ingest is stubbed)."""
from __future__ import annotations

import os
import time
from pathlib import Path

import pandas as pd
import pytest

import data
from indicators.pipeline import Results, build
from tests.test_indicators import make_dataset


@pytest.fixture
def stub_loader(monkeypatch):
    calls = []

    def fake_load(manifest_path, cache_dir=None, use_cache=True):
        calls.append((manifest_path, cache_dir, use_cache))
        return make_dataset()

    monkeypatch.setattr(data, "load_dataset", fake_load)
    return calls


def test_build_returns_results_with_compare_columns(stub_loader):
    res = build("dataset.yaml", use_cache=False)
    assert isinstance(res, Results) and not res.from_cache
    assert stub_loader == [("dataset.yaml", None, False)]     # ingest's cache is off too
    for col in ("prev_value", "change", "change_unit", "change_good", "rank", "rank_of"):
        assert col in res.table.columns
    total = res.table[(res.table["indicator_id"] == "resolution_rate")
                      & (res.table["unit_id"] == "total") & (res.table["period"] == "2025")]
    assert total["value"].iloc[0] == pytest.approx(8 / 11)
    assert list(res.catalog)[0] == "resolution_rate"
    assert set(res.register_years["table"]) == {"grids", "stations"}


def test_warm_start_reads_the_cache(stub_loader, tmp_path):
    cold = build("dataset.yaml", cache_dir=tmp_path)
    warm = build("dataset.yaml", cache_dir=tmp_path)
    assert not cold.from_cache and warm.from_cache
    assert len(list((tmp_path / "indicators").glob("*.parquet"))) == 2
    pd.testing.assert_frame_equal(cold.table, warm.table, check_dtype=False)
    pd.testing.assert_frame_equal(cold.register_years, warm.register_years, check_dtype=False)


def test_cache_key_changes_with_sources(stub_loader, tmp_path, monkeypatch):
    build("dataset.yaml", cache_dir=tmp_path)

    def changed(manifest_path, cache_dir=None, use_cache=True):
        ds = make_dataset()
        ds.report.sources[0].sha256 = "cd" * 32          # a source file changed
        return ds

    monkeypatch.setattr(data, "load_dataset", changed)
    assert not build("dataset.yaml", cache_dir=tmp_path).from_cache


def test_damaged_cache_is_recomputed(stub_loader, tmp_path):
    build("dataset.yaml", cache_dir=tmp_path)
    for path in (tmp_path / "indicators").glob("*.parquet"):
        path.write_bytes(b"not parquet")
    res = build("dataset.yaml", cache_dir=tmp_path)
    assert not res.from_cache and len(res.table)


def test_old_cache_entries_are_pruned(stub_loader, tmp_path):
    old = tmp_path / "indicators" / "0123456789abcdef01234567.parquet"
    old.parent.mkdir(parents=True)
    old.write_bytes(b"stale")
    os.utime(old, (time.time() - 40 * 86_400,) * 2)
    build("dataset.yaml", cache_dir=tmp_path)
    assert not old.exists()
    assert len(list(old.parent.glob("*.parquet"))) == 2


def test_warm_start_skips_ingest_until_a_watched_file_changes(monkeypatch, tmp_path):
    """The second build reads the saved table and dataset without calling ingest at all; a
    changed source file, or a new file in its folder, sends the next build through ingest."""
    from dataclasses import replace
    manifest = tmp_path / "dataset.yaml"
    manifest.write_text("name: 测试市\n", encoding="utf-8")
    (tmp_path / "c.csv").write_text("id\n1\n", encoding="utf-8")
    calls = []

    def loader(manifest_path, cache_dir=None, use_cache=True):
        calls.append(manifest_path)
        return replace(make_dataset(), manifest_path=manifest)   # sources[0].file = c.csv
    monkeypatch.setattr(data, "load_dataset", loader)
    cache = tmp_path / "cache"
    cold = build(manifest, cache_dir=cache)
    assert len(calls) == 1 and list((cache / "indicators").glob("warm-*.json"))

    def no_ingest(*args, **kwargs):
        raise AssertionError("a warm start must not ingest")
    monkeypatch.setattr(data, "load_dataset", no_ingest)
    warm = build(manifest, cache_dir=cache)
    assert warm.from_cache
    pd.testing.assert_frame_equal(warm.table, cold.table, check_dtype=False)
    assert "complaints" not in warm.dataset.tables and len(warm.dataset.units) == 9
    assert warm.dataset.report.sources[0].sha256 == "ab" * 32

    monkeypatch.setattr(data, "load_dataset", loader)
    (tmp_path / "c.csv").write_text("id\n1\n2\n", encoding="utf-8")      # content changed
    build(manifest, cache_dir=cache)
    assert len(calls) == 2
    build(manifest, cache_dir=cache)                                      # warm again
    assert len(calls) == 2
    time.sleep(0.01)
    (tmp_path / "c2.csv").write_text("id\n3\n", encoding="utf-8")        # a new file beside it
    build(manifest, cache_dir=cache)
    assert len(calls) == 3


def test_warm_start_serves_the_same_slices_without_reading_the_table(monkeypatch, tmp_path):
    """A warm start gives the store every (year, level) and monthly slice from the slice file,
    equal to the same slice taken from the whole table, and reads the whole table only when
    something asks for ``results.table``."""
    from dataclasses import replace
    from types import SimpleNamespace

    from layouts.store import DashboardData
    manifest = tmp_path / "dataset.yaml"
    manifest.write_text("name: 测试市\n", encoding="utf-8")
    (tmp_path / "c.csv").write_text("id\n1\n", encoding="utf-8")
    monkeypatch.setattr(data, "load_dataset", lambda *a, **k: replace(
        make_dataset(), manifest_path=manifest))
    cold = build(manifest, cache_dir=tmp_path / "cache")
    warm = build(manifest, cache_dir=tmp_path / "cache")
    assert warm.slices is not None and warm._table_value is None
    assert warm.table_rows == len(cold.table)
    from_file = DashboardData(warm)
    assert warm._table_value is None                 # the store did not read the whole table
    from_table = DashboardData(SimpleNamespace(dataset=cold.dataset, table=cold.table,
                                               catalog=cold.catalog))
    for name in ("years", "month_years", "indicator_ids", "monthly_indicator_ids"):
        assert getattr(from_file, name) == getattr(from_table, name), name
    assert set(from_file._by_year_level) == set(from_table._by_year_level) != set()
    assert set(from_file._monthly) == set(from_table._monthly)
    for key in from_table._by_year_level:
        pd.testing.assert_frame_equal(from_file._by_year_level[key],
                                      from_table._by_year_level[key])
    for key in from_table._monthly:
        pd.testing.assert_frame_equal(from_file._monthly[key], from_table._monthly[key])
    year = from_table.latest_year
    pd.testing.assert_frame_equal(from_file.scope_rows(year, "street", None),
                                  from_table.scope_rows(year, "street", None))
    assert warm._table_value is None
    pd.testing.assert_frame_equal(warm.table, cold.table, check_dtype=False)   # read on demand
    replaced = cold.table.iloc[:0]
    warm.table = replaced                    # indicators.freeze assigns a changed table
    assert warm.slices is None and warm.table is replaced
    assert DashboardData(warm).years == []   # the store slices the assigned table, not the file


def test_the_published_build_keeps_the_warm_slices_when_nothing_is_published_differently(
        monkeypatch, tmp_path):
    """``freeze.build_published`` (what ``serve`` runs) adds nothing for a dataset without a
    crosswalk, due dates or frozen years, so a warm start still reads slices, not the table."""
    from dataclasses import replace

    from indicators.freeze import build_published
    manifest = tmp_path / "dataset.yaml"
    manifest.write_text("name: 测试市\n", encoding="utf-8")
    (tmp_path / "c.csv").write_text("id\n1\n", encoding="utf-8")
    monkeypatch.setattr(data, "load_dataset", lambda *a, **k: replace(
        make_dataset(), manifest_path=manifest))
    cold = build_published(manifest, cache_dir=tmp_path / "cache")
    warm = build_published(manifest, cache_dir=tmp_path / "cache")
    assert warm.slices is not None and warm._table_value is None
    pd.testing.assert_frame_equal(warm.table, cold.table, check_dtype=False)


def test_a_copy_of_the_dataset_elsewhere_keeps_its_own_paths_on_a_warm_start(monkeypatch, tmp_path):
    """Two folders with the same files share the cached indicator table (same content key), but
    a warm start of each gives back that folder's dataset (its own manifest and file paths),
    never the other's — a deleted copy's paths once reached the map as a missing boundary."""
    from dataclasses import replace

    folders = [tmp_path / "a", tmp_path / "b"]
    for folder in folders:
        folder.mkdir()
        (folder / "dataset.yaml").write_text("name: 测试市\n", encoding="utf-8")
        (folder / "c.csv").write_text("id\n1\n", encoding="utf-8")
    monkeypatch.setattr(data, "load_dataset", lambda path, *a, **k: replace(
        make_dataset(), manifest_path=Path(path)))
    cache = tmp_path / "cache"
    for folder in folders:                         # cold builds, b saved last
        build(folder / "dataset.yaml", cache_dir=cache)
    for folder in folders:
        warm = build(folder / "dataset.yaml", cache_dir=cache)
        assert warm.from_cache
        assert Path(warm.dataset.manifest_path) == folder / "dataset.yaml"
