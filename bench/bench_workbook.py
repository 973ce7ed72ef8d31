"""Writing the annual review workbook for a synthetic city with 5,000 grids, against writing the
same cells with no formatting at all (``DataFrame.to_excel``).

    .venv/bin/python bench/bench_workbook.py [--grids 5000] [--repeat 3] [--keep]

Builds in memory a city of 10 districts → 100 streets → 500 communities → ``--grids`` grids, the
indicator table of every catalog indicator for 2024 and 2025 at every level (plus the whole city's
months), with ``indicators.compare.add_yoy`` / ``add_rank`` as the pipeline adds them, and a load
report. Then, in the same run:

1. ``reports.write_workbook`` — every sheet, number formats, conditional formats, line charts,
   print setup (best of ``--repeat``);
2. ``DataFrame.to_excel`` (openpyxl engine) of exactly the cells that workbook holds (read back
   from it, one DataFrame per sheet, written to one file with no formatting) — the floor for
   writing that many cells with the same library (best of ``--repeat``).

Prints rows, cells, seconds and the ratio. Files go to ``.cache/bench_workbook/`` (git-ignored),
deleted unless ``--keep``.
"""
from __future__ import annotations

import argparse
import resource
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from data.model import Dataset, LoadReport, SourceReport  # noqa: E402
from indicators.catalog import CATALOG  # noqa: E402
from indicators.compare import add_rank, add_yoy  # noqa: E402
from reports import write_workbook  # noqa: E402

OUT = ROOT / ".cache" / "bench_workbook"
LEVELS = ["district", "street", "community", "grid"]


@dataclass
class SyntheticResults:
    """What write_workbook reads from indicators.pipeline.Results."""

    dataset: Dataset
    table: pd.DataFrame
    catalog: dict
    register_years: pd.DataFrame


def make_units(n_grids: int) -> pd.DataFrame:
    """10 districts, 100 streets, 500 communities, ``n_grids`` grids spread evenly."""
    counts = {"district": 10, "street": 100, "community": 500, "grid": n_grids}
    frames, parents = [], None
    for depth, level in enumerate(LEVELS):
        n = counts[level]
        ids = pd.Series([f"{depth + 1}{i:06d}" for i in range(n)], dtype="string")
        parent = (pd.Series(pd.NA, index=range(n), dtype="string") if parents is None
                  else parents.iloc[np.arange(n) * len(parents) // n].reset_index(drop=True))
        names = pd.Series([f"{level}{i:05d}" for i in range(n)], dtype="string")
        frames.append(pd.DataFrame({"level": level, "unit_id": ids, "unit_name": names,
                                    "parent_id": parent, "depth": depth}))
        parents = ids
    units = pd.concat(frames, ignore_index=True)
    units["level"] = units["level"].astype("string")
    return units


def _values(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    if kind == "rate":
        return rng.uniform(0.6, 1.0, n)
    if kind == "median":
        return rng.uniform(1.0, 12.0, n)
    if kind == "count":
        return rng.integers(100, 50_000, n).astype("float64")
    return rng.uniform(1.0, 600.0, n)


def make_table(units: pd.DataFrame, seed: int = 1) -> pd.DataFrame:
    """Every catalog indicator × every unit × (2024, 2025), plus the city's 24 months."""
    rng = np.random.default_rng(seed)
    keys = pd.concat([pd.DataFrame({"level": ["total"], "unit_id": ["total"], "unit_name": ["全市"]}),
                      units[["level", "unit_id", "unit_name"]]], ignore_index=True)
    parts = []
    for ind in CATALOG.values():
        for period in ("2024", "2025"):
            part = keys.assign(period=period, indicator_id=ind.id)
            n = len(part)
            part["denominator"] = rng.integers(5, 5_000, n).astype("float64")
            part["value"] = _values(ind.kind, n, rng)
            part["numerator"] = part["value"] * part["denominator"]
            part["small_count"] = part["denominator"] < (ind.min_count or 0)
            part["excluded"] = (rng.integers(0, 50, n).astype("float64") if len(ind.excluded)
                                else np.full(n, np.nan))
            parts.append(part)
        months = pd.DataFrame({"level": "total", "unit_id": "total", "unit_name": "全市",
                               "period": [f"{y}-{m:02d}" for y in (2024, 2025)
                                          for m in range(1, 13)], "indicator_id": ind.id})
        months["value"] = _values(ind.kind, len(months), rng)
        months["denominator"] = 1_000.0
        months["numerator"] = months["value"] * 1_000.0
        months["small_count"] = False
        months["excluded"] = np.nan
        parts.append(months)
    table = pd.concat(parts, ignore_index=True)
    for col in ("level", "unit_id", "unit_name", "period", "indicator_id"):
        table[col] = table[col].astype("string")
    return add_rank(add_yoy(table, CATALOG), CATALOG)


def make_results(n_grids: int) -> SyntheticResults:
    units = make_units(n_grids)
    sources = [SourceReport(table="complaints", file=f"complaints_{d}.xlsx", sheet="工单",
                            sha256=f"{d:064x}", rows_read=50_000, accepted=50_000)
               for d in range(10)]
    dataset = Dataset(name="基准市 2024–2025", manifest_path=OUT / "dataset.yaml", levels=LEVELS,
                      level_names={}, level_names_en={}, units=units, tables={},
                      report=LoadReport(sources=sources), cutoff=pd.Timestamp("2025-12-31"))
    registers = pd.DataFrame({"period": ["2025"], "table": ["grids"],
                              "register_year": pd.array([2025], dtype="Int64"), "fallback": [False]})
    return SyntheticResults(dataset, make_table(units), dict(CATALOG), registers)


def sheet_frames(path: Path) -> dict[str, pd.DataFrame]:
    """Every sheet of ``path`` as a DataFrame of its cell values (no header row)."""
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True)
    return {ws.title: pd.DataFrame(list(ws.iter_rows(values_only=True))) for ws in wb.worksheets}


def plain_write(frames: dict[str, pd.DataFrame], path: Path) -> None:
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in frames.items():
            frame.to_excel(writer, sheet_name=name, header=False, index=False)


def best_of(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--grids", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)

    started = time.perf_counter()
    results = make_results(args.grids)
    print(f"synthetic city: {args.grids:,} grids, {len(results.dataset.units):,} units, "
          f"indicator table {len(results.table):,} rows ({time.perf_counter() - started:.1f} s)")

    styled = OUT / "review.xlsx"
    t_styled = best_of(args.repeat, lambda: write_workbook(results, 2025, styled))
    frames = sheet_frames(styled)
    n_rows = sum(len(f) for f in frames.values())
    n_cells = sum(int(f.notna().to_numpy().sum()) for f in frames.values())
    plain = OUT / "plain.xlsx"
    t_plain = best_of(args.repeat, lambda: plain_write(frames, plain))

    print(f"workbook: {len(frames)} sheets, {n_rows:,} rows, {n_cells:,} non-empty cells; "
          f"grid sheet {len(frames.get('网格', [])):,} rows")
    print(f"reports.write_workbook (formats, conditional formats, charts, print setup): "
          f"{t_styled:6.2f} s  {styled.stat().st_size / 1e6:5.1f} MB")
    print(f"DataFrame.to_excel of the same cells, no formatting (openpyxl):            "
          f"{t_plain:6.2f} s  {plain.stat().st_size / 1e6:5.1f} MB")
    print(f"ratio write_workbook / to_excel: {t_styled / t_plain:.2f}×   "
          f"({n_cells / t_styled:,.0f} vs {n_cells / t_plain:,.0f} cells/s; best of {args.repeat})")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")
    if not args.keep:
        shutil.rmtree(OUT, ignore_errors=True)


if __name__ == "__main__":
    main()
