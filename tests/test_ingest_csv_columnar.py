"""The columnar CSV path (data/csv_columnar.py) gives exactly what the general path gives.

Every file of the bad-file corpus and the sample is loaded twice — fast path allowed, and
forced off — and the load reports and tables must be identical; a CSV of 3-byte characters
read in 256-byte blocks (boundaries inside lines and 3-byte characters) equals
the one-shot read and the general path's read."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import data
import data.csv_columnar as columnar
from data.readers import read_csv_file

sys.path.insert(0, str(Path(__file__).parent / "bad_files"))
sys.path.insert(0, str(Path(__file__).parent / "odd_files"))
import make_bad_files as corpus  # noqa: E402
import make_odd_files as odd  # noqa: E402


@pytest.fixture
def counted(monkeypatch):
    """Count the files the fast path took (returned a sheet) and declined."""
    seen = {"fast": 0, "declined": 0}
    real = columnar.read_columnar

    def spy(*args, **kwargs):
        out = real(*args, **kwargs)
        seen["fast" if out is not None else "declined"] += 1
        return out
    monkeypatch.setattr(columnar, "read_columnar", spy)
    return seen


def _general_only(monkeypatch):
    monkeypatch.setattr(columnar, "read_columnar", lambda *a, **k: None)


def _snapshot(manifest: Path):
    """(load report as dict without timings, {table: frame}) or the one-line refusal."""
    try:
        d = data.load_dataset(manifest, use_cache=False)
    except Exception as exc:          # a refused dataset: its message must match too
        return ("refused", type(exc).__name__, str(exc))
    report = d.report.to_dict()
    return report, {k: v.reset_index(drop=True) for k, v in d.tables.items()}


def _assert_same(a, b):
    assert type(a) is type(b)
    if isinstance(a, tuple) and a and a[0] == "refused":
        assert a == b
        return
    assert a[0] == b[0]
    assert a[1].keys() == b[1].keys()
    for name in a[1]:
        pd.testing.assert_frame_equal(a[1][name], b[1][name], check_exact=True)


def test_bad_file_corpus_reports_are_identical_on_both_paths(tmp_path, monkeypatch, counted):
    for name in corpus.CASES:
        corpus.make_case(name, tmp_path)
    manifests = sorted(tmp_path.glob("*/dataset.yaml"))
    fast = {m: _snapshot(m) for m in manifests}
    assert counted["fast"] >= 5 and counted["declined"] >= 5   # both paths really exercised
    _general_only(monkeypatch)
    for m in manifests:
        _assert_same(fast[m], _snapshot(m))


def test_odd_file_corpus_reports_are_identical_on_both_paths(tmp_path, monkeypatch, counted):
    """Issue 12's layouts (delimiters, UTF-16, a GBK line in UTF-8, two header rows, na_values):
    the fast path declines or gives the same report."""
    manifests = [odd.make_case(name, tmp_path) for name in odd.CASES]
    fast = {m: _snapshot(m) for m in manifests}
    _general_only(monkeypatch)
    for m in manifests:
        _assert_same(fast[m], _snapshot(m))


def _chinese_csv(path: Path, rows: int = 400) -> None:
    rng = np.random.default_rng(7)
    words = ["已办结", "办理中", "满意", "基本满意", "不满意", "噪音扰民，夜间施工", "路灯不亮\n已报修",
             "𠮷野家", "䶮", ""]
    lines = ['"工单编号","受理时间","诉求内容","满意度"']
    for i in range(rows):
        text = words[rng.integers(len(words))]
        lines.append(f'"GD{i:06d}","2024-03-{1 + i % 28:02d} 08:00:00","{text}",'
                     f'"{words[rng.integers(5)]}"')
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))


def test_three_byte_characters_read_in_chunks_equal_one_shot(tmp_path, monkeypatch, counted):
    path = tmp_path / "工单.csv"
    _chinese_csv(path)
    one_shot = read_csv_file(path, None, expected=["工单编号", "受理时间"])
    monkeypatch.setattr(columnar, "BLOCK_SIZE", 256)   # ≈ 150 blocks, cut inside lines and characters
    chunked = read_csv_file(path, None, expected=["工单编号", "受理时间"])
    assert counted["fast"] == 2
    _general_only(monkeypatch)
    general = read_csv_file(path, None, expected=["工单编号", "受理时间"])
    for got in (one_shot, chunked):
        pd.testing.assert_frame_equal(got.frame, general.frame, check_exact=True)
        np.testing.assert_array_equal(got.excel_row, general.excel_row)
        assert got.warnings == general.warnings and got.header_row == general.header_row
    # read back against the rows as written
    assert len(general.frame) == 400 and general.excel_row[-1] == 401
    assert set(general.frame["诉求内容"]) <= {"已办结", "办理中", "满意", "基本满意", "不满意",
                                           "噪音扰民，夜间施工", "路灯不亮\r\n已报修", "路灯不亮\n已报修",
                                           "𠮷野家", "䶮", ""}


def test_files_the_fast_path_declines(tmp_path, counted):
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("编号,名称\n1,网格一\n".encode("gbk"))
    title = tmp_path / "title.csv"
    title.write_text("2024年工单明细\n编号,名称\n1,网格一\n", encoding="utf-8")
    short = tmp_path / "short.csv"
    short.write_text("编号,名称\n1\n2,网格二\n", encoding="utf-8")
    for path in (gbk, title, short):
        read_csv_file(path, None, expected=["编号", "名称"])
    assert counted == {"fast": 0, "declined": 3}


def test_checks_once_per_distinct_value_equal_cell_by_cell(monkeypatch):
    """validate.per_distinct: the same values and masks as the check run on every cell, for
    columns long enough to take the distinct-value route (bad values mixed in)."""
    from data import validate as v
    rng = np.random.default_rng(3)
    n = 3 * v.DISTINCT_MIN_ROWS

    def col(values):
        return pd.Series(np.asarray(values, dtype=object)[rng.integers(len(values), size=n)],
                         dtype="str")
    cases = [
        (v.parse_numbers, col(["5", " 12 ", "１２", "1,234", "1,5", "", "abc", "-3", "7.5"]), ()),
        (v.parse_booleans, col(["是", "否", "", "Y", "maybe", " 1 "]), ()),
        (v.parse_dates_wide, col(["2024-03-05", "2024/3/5", "2024-02-30", "", "45356", "x"]), ()),
        (v._check_status, col(["closed", "OPEN", "", "done"]), ()),
        (v._check_satisfaction, col(["satisfied", "4", "2", "", "9", "great"]), ()),
        (v._check_id, col(["G001", " G002 ", "1.10101199003075e+17", "11010119900307451800.0"]), ()),
        (v._apply_value_map, col(["已办结", "办理中", "closed", "", "不知道"]),
         ({"已办结": "closed", "办理中": "open"}, ())),
    ]
    for check, s, args in cases:
        direct_values, direct_bad = check(s, *args)
        values, bad = v.per_distinct(check, s, *args)
        pd.testing.assert_series_equal(values, direct_values, check_exact=True)
        np.testing.assert_array_equal(bad, direct_bad)
        assert 0 < bad.sum() < n or check in (v._check_id,)


def test_columns_parsed_side_by_side_give_the_serial_report(tmp_path, monkeypatch):
    """textops.side_by_side: the bad-file corpus loaded with every file's columns on the thread
    pool (row kinds, value maps, parsers; the raw text kept as categories) gives the same reports
    and tables as one column after another — errors in the same order, the same messages."""
    from data import textops
    for name in corpus.CASES:
        corpus.make_case(name, tmp_path)
    manifests = sorted(tmp_path.glob("*/dataset.yaml"))
    calls = {"pool": 0}
    real_pool = textops.pool

    def counting_pool():
        calls["pool"] += 1
        return real_pool()
    monkeypatch.setattr(textops, "pool", counting_pool)
    monkeypatch.setattr(textops, "PARALLEL_MIN_ROWS", 0)
    monkeypatch.setattr(textops, "CATEGORY_MIN_ROWS", 0)      # and the raw text as categories
    threaded = {m: _snapshot(m) for m in manifests}
    assert calls["pool"] > 20                      # the threaded route really ran
    monkeypatch.setattr(textops, "PARALLEL_MIN_ROWS", 10 ** 12)
    monkeypatch.setattr(textops, "CATEGORY_MIN_ROWS", 10 ** 12)
    for m in manifests:
        _assert_same(threaded[m], _snapshot(m))


def test_duplicate_keys_by_codes_equal_pandas_duplicated():
    """loader._duplicates: later copies and all copies of a key exactly as
    ``DataFrame.duplicated(keep="first")`` / ``keep=False`` — missing keys equal each other,
    for Arrow, object and nullable string columns, and for two keys."""
    from data.loader import _duplicates
    rng = np.random.default_rng(11)
    for dtype in ("str", "object", "string"):
        for _ in range(150):
            n = int(rng.integers(1, 30))
            keys = np.asarray(["GD1", "GD2", " GD1", None, "GD3", "工单"], dtype=object)[rng.integers(6, size=n)]
            frame = pd.DataFrame({"ticket_id": pd.Series(keys, dtype=dtype),
                                  "year": rng.integers(2023, 2025, size=n)})
            for cols in (["ticket_id"], ["ticket_id", "year"]):
                later, copies = _duplicates(frame, cols)
                np.testing.assert_array_equal(later, frame.duplicated(cols, keep="first").to_numpy())
                np.testing.assert_array_equal(copies, frame.duplicated(cols, keep=False).to_numpy())
    later, copies = _duplicates(pd.DataFrame({"k": pd.Series(["a", "b", "a", "a"], dtype="str")}), ["k"])
    assert later.tolist() == [False, False, True, True] and copies.tolist() == [True, False, True, True]


def test_report_fingerprint_is_the_file_sha256_with_and_without_the_cache(tmp_path):
    """Each source's sha256 in the load report is hashlib's digest of the file's bytes, whether
    it was hashed before the cache lookup or beside the read (no cache)."""
    import hashlib
    corpus.make_case(next(iter(corpus.CASES)), tmp_path)
    manifest = next(tmp_path.glob("*/dataset.yaml"))
    for kwargs in ({"use_cache": False}, {"cache_dir": tmp_path / "cache"}):
        report = data.load_dataset(manifest, **kwargs).report
        assert report.sources
        for src in report.sources:
            path = manifest.parent / src.file
            assert src.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_worker_threads_one_runs_every_job_in_the_calling_thread(monkeypatch):
    """WORKER_THREADS=1: pool() runs each job at once in the caller's thread; results and
    exceptions come back through .result() as from a thread pool."""
    import threading

    from data import textops
    monkeypatch.setattr(textops, "_POOL", None)
    monkeypatch.setenv("WORKER_THREADS", "1")
    ran_in = textops.pool().submit(threading.get_ident).result()
    assert ran_in == threading.get_ident()
    with pytest.raises(ZeroDivisionError):
        textops.pool().submit(lambda: 1 / 0).result()
    got = textops.side_by_side({"a": (len, "abc"), "b": (sum, [1, 2])}, rows=10 ** 6)
    assert got == {"a": 3, "b": 3} and list(got) == ["a", "b"]
    monkeypatch.setattr(textops, "_POOL", None)
    monkeypatch.setenv("WORKER_THREADS", "2")
    assert textops.pool().submit(threading.get_ident).result() != threading.get_ident()


def test_raw_rows_kept_for_the_report_come_back_as_they_were(monkeypatch):
    """loader._raw_keeper: the rows at the asked positions, in file order, with the original
    columns, values and dtypes — whether every row was data (positions 0..n-1 kept
    implicitly, low-cardinality text as categories) or some rows were left out."""
    from data import textops
    from data.loader import _raw_keeper
    monkeypatch.setattr(textops, "CATEGORY_MIN_ROWS", 0)        # categories on a small frame
    rng = np.random.default_rng(5)
    n = 600
    status = pd.Series(np.asarray(["已办结", "办理中", ""], dtype=object)[rng.integers(3, size=n)],
                       dtype="str")
    ids = pd.Series([f"GD{i:05d}" for i in range(n)], dtype="str")
    for pos in (np.arange(n, dtype="int64"), np.sort(rng.choice(5 * n, n, replace=False))):
        raw = pd.DataFrame({"工单编号": ids, "办理状态": status}).assign(
            _pos=pos, excel_row=pos + 2)
        load = _raw_keeper(raw.copy())
        wanted = np.concatenate([pos[[7, 3, 599, 3]], [10 ** 6, -1]])
        expected = raw[raw["_pos"].isin(wanted)]
        got = load(wanted)
        pd.testing.assert_frame_equal(got.reset_index(drop=True), expected.reset_index(drop=True))
        assert got["_pos"].tolist() == sorted(set(pos[[3, 7, 599]].tolist()))
