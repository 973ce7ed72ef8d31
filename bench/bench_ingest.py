"""Reading a large complaints workbook: our ingest (python-calamine + Parquet cache) vs openpyxl.

    .venv/bin/python bench/bench_ingest.py [--rows 500000] [--keep] [--skip-openpyxl]
    .venv/bin/python bench/bench_ingest.py --bomb      # only the zip-bomb refusal

Writes (once; reused while ``--rows`` is unchanged) a complaints workbook of ``--rows`` tickets ×
11 columns (ids as text, datetime cells, Chinese categories) plus a 1,000-grid register into
``.cache/bench_ingest/`` (git-ignored), then in the same run measures

1. ``pd.read_excel(engine="openpyxl")`` — the baseline the issue names;
2. ``data.readers.read_source_file`` — the bare read (calamine, every cell to text, structure
   scan for merged and formula cells) without validation;
3. ``data.load_dataset`` cold — read + map + validate + attach to units + write the Parquet
   cache (empty cache folder);
4. ``data.load_dataset`` warm — unchanged file, answers from the cache (content hash + Parquet);

and prints seconds, rows/s and ratios, plus the process's peak RSS after each step.

``--bomb`` instead writes the corpus's zip bomb (≈ 1 MB on disk, one part declaring 1 GiB; see
tests/bad_files/make_bad_files.py) and prints how long ``load_dataset`` takes to refuse it and
how much the process's peak RSS grows meanwhile (the issue asks for < 1 s and < 100 MB).
"""
from __future__ import annotations

import argparse
import resource
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import data  # noqa: E402
from data.readers import read_source_file  # noqa: E402

OUT = ROOT / ".cache" / "bench_ingest"
HEADER = ["工单编号", "受理时间", "办结时间", "办理时限", "诉求类别", "区县", "街道", "社区",
          "网格编号", "满意度", "是否重复"]
CATEGORIES = ["噪音扰民", "道路破损", "物业纠纷", "环境卫生", "占道经营", "供水供电", "其他"]
SATISFACTION = ["满意", "基本满意", "不满意", ""]
MANIFEST = """name: 基准测试
levels: [district, street, community, grid]
dates: {min: 2020-01-01, max: 2030-12-31}
tables:
  grids:
    sources:
      - path: grids.csv
        columns: {district_id: 区县, street_id: 街道, community_id: 社区, grid_id: 网格编号,
                  households: 户数, population: 常住人口}
  complaints:
    sources:
      - path: complaints.xlsx
        sheet: 工单
        header_row: 1
        columns: {ticket_id: 工单编号, received_at: 受理时间, closed_at: 办结时间,
                  deadline_working_days: 办理时限, category: 诉求类别, grid_id: 网格编号,
                  satisfaction: 满意度, is_repeat: 是否重复}
        values:
          satisfaction: {满意: satisfied, 基本满意: basically_satisfied, 不满意: dissatisfied}
"""


def grid_register(n_grids: int = 1000) -> pd.DataFrame:
    """1,000 grids: 5 districts × 4 streets × 5 communities × 10 grids."""
    i = np.arange(n_grids)
    district, street, community = i // 200, i // 50, i // 10
    return pd.DataFrame({"区县": [f"D{d:02d}" for d in district],
                         "街道": [f"S{s:03d}" for s in street],
                         "社区": [f"C{c:04d}" for c in community],
                         "网格编号": [f"{g:05d}" for g in i],
                         "户数": 300 + i % 200, "常住人口": 900 + i % 700})


def write_inputs(rows: int, folder: Path) -> Path:
    """Write complaints.xlsx (openpyxl write-only), grids.csv and dataset.yaml; return the
    manifest. Reuses the files when ``rows`` matches the last run."""
    import openpyxl

    stamp = folder / f"rows-{rows}.ok"
    if stamp.exists():
        return folder / "dataset.yaml"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    rng = np.random.default_rng(20251121)
    grids = grid_register()
    grids.to_csv(folder / "grids.csv", index=False)
    (folder / "dataset.yaml").write_text(MANIFEST, encoding="utf-8")
    start = pd.Timestamp("2024-01-01").value // 10 ** 9
    received = pd.to_datetime(start + rng.integers(0, 365 * 86_400, rows), unit="s")
    closed = received + pd.to_timedelta(rng.integers(3_600, 20 * 86_400, rows), unit="s")
    closed = closed.where(rng.random(rows) > 0.1)           # 10 % still open
    g = rng.integers(0, len(grids), rows)
    cat = rng.integers(0, len(CATEGORIES), rows)
    sat = rng.integers(0, len(SATISFACTION), rows)
    rep = rng.random(rows) < 0.05
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("工单")
    ws.append(HEADER)
    gd, gs, gc, gid = (grids[c].to_numpy() for c in ("区县", "街道", "社区", "网格编号"))
    rec, clo = received.to_pydatetime(), closed.to_pydatetime()
    for k in range(rows):
        ws.append([f"GD2024{k:08d}", rec[k], None if pd.isna(clo[k]) else clo[k], 5,
                   CATEGORIES[cat[k]], gd[g[k]], gs[g[k]], gc[g[k]], gid[g[k]],
                   SATISFACTION[sat[k]], "是" if rep[k] else "否"])
    wb.save(folder / "complaints.xlsx")
    stamp.touch()
    return folder / "dataset.yaml"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(label: str, rows: int, fn) -> float:
    started = time.perf_counter()
    fn()
    seconds = time.perf_counter() - started
    print(f"{label:<48} {seconds:8.2f} s  {rows / seconds:>12,.0f} rows/s  peak RSS {peak_mb():,.0f} MB",
          flush=True)
    return seconds


def bench_bomb() -> None:
    """Refusal time and peak-RSS growth for the 1 MB → 1 GiB workbook."""
    sys.path.insert(0, str(ROOT / "tests" / "bad_files"))
    import make_bad_files

    manifest = make_bad_files.make_case("zip_bomb", OUT)
    bomb = manifest.parent / "complaints.xlsx"
    data.load_dataset(make_bad_files.make_case("missing_required", OUT), use_cache=False)  # imports
    Path("/proc/self/clear_refs").write_text("5")         # reset VmHWM (Linux)
    before = _hwm_mb()
    started = time.perf_counter()
    d = data.load_dataset(manifest, use_cache=False)
    seconds = time.perf_counter() - started
    print(f"zip bomb: {bomb.stat().st_size / 2 ** 20:.2f} MB on disk; refused in {seconds * 1000:.1f} ms; "
          f"peak RSS growth {_hwm_mb() - before:.1f} MB")
    print(f"  message: {d.report.fatal[0]['message']}")


def _hwm_mb() -> float:
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM")) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--skip-openpyxl", action="store_true", help="leave out the slow baseline")
    parser.add_argument("--keep", action="store_true", help="keep the Parquet cache folder")
    parser.add_argument("--bomb", action="store_true", help="only time the zip-bomb refusal")
    args = parser.parse_args()
    if args.bomb:
        bench_bomb()
        return

    folder = OUT / "input"
    t0 = time.perf_counter()
    manifest = write_inputs(args.rows, folder)
    xlsx = folder / "complaints.xlsx"
    print(f"input: {xlsx} — {args.rows:,} rows × {len(HEADER)} columns, "
          f"{xlsx.stat().st_size / 2 ** 20:.1f} MB (ready in {time.perf_counter() - t0:.1f} s)")
    cache = OUT / "parquet"
    shutil.rmtree(cache, ignore_errors=True)
    n = args.rows

    base = None
    if not args.skip_openpyxl:
        base = timed('pandas.read_excel(engine="openpyxl")', n,
                     lambda: pd.read_excel(xlsx, sheet_name="工单", engine="openpyxl", dtype=str))
    read = timed("read_source_file (calamine → text, structure scan)", n,
                 lambda: read_source_file(xlsx, None, "工单", 1))
    box = {}
    cold = timed("load_dataset cold (read + validate + cache write)", n,
                 lambda: box.setdefault("cold", data.load_dataset(manifest, cache_dir=cache)))
    warm = timed("load_dataset warm (unchanged file, Parquet cache)", n,
                 lambda: box.setdefault("warm", data.load_dataset(manifest, cache_dir=cache)))
    rep = box["cold"].report
    src = next(s for s in rep.sources if s.table == "complaints")
    assert src.rows_read == n and src.reconciles, "the benchmark input must reconcile"
    assert box["warm"].config["cache"]["hits"] == 2 and box["warm"].config["cache"]["misses"] == 0
    pd.testing.assert_frame_equal(box["cold"].tables["complaints"], box["warm"].tables["complaints"])
    print(f"complaints: read {src.rows_read:,}, accepted {src.accepted:,}, rejected {src.rejected:,}; "
          f"warm = cold tables: yes")
    if base is not None:
        print(f"ratio openpyxl / bare read: {base / read:5.1f}×   openpyxl / cold load: {base / cold:5.1f}×   "
              f"openpyxl / warm load: {base / warm:7.1f}×")
    print(f"ratio cold / warm load: {cold / warm:5.1f}×")
    if not args.keep:
        shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    main()
