"""Seeded synthetic input for the scale benchmark (bench/scale.py): a 16,000-grid hierarchy and
100k … 10M complaint tickets, 2023–2025.

Written once per size into ``.cache/bench_scale/<size>/`` (git-ignored) and reused while the
size and seed are unchanged:

- ``tickets.parquet`` — canonical tickets (data/model.py ``complaints``: received_at, closed_at,
  due_at, status, satisfaction, is_repeat, unit_level, unit_id) with dictionary-encoded keys,
  written in row groups of 1M tickets so 10M never sit in memory as Python objects;
- ``units.parquet`` and ``grids.parquet`` — the hierarchy and the canonical grid register;
- ``grids.csv``, ``complaints.csv`` (and ``complaints.xlsx`` up to ``XLSX_MAX_ROWS``) with Chinese
  headers, and ``dataset.yaml`` / ``dataset_xlsx.yaml`` manifests over them, for the ingest and
  warm-restart figures.

Tickets: grids get Gamma(2)-distributed weights (busy and quiet grids); received uniformly over
2023-01-01 … 2025-12-31; 8 % open; handling time log-normal (median ≈ 30 h); due 5 days after
receipt (the CSV says 5 working days; ingest derives due_at with the holiday calendar);
satisfaction 满意 60 % / 基本满意 20 % / 不满意 8 % / empty 12 %; 5 % repeats.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.bench_callbacks import hierarchy  # noqa: E402

OUT = ROOT / ".cache" / "bench_scale"
N_GRIDS = 16_000
SEED = 20251121
CHUNK = 1_000_000
XLSX_MAX_ROWS = 500_000
START = pd.Timestamp("2023-01-01")
SPAN_S = int((pd.Timestamp("2026-01-01") - START).total_seconds())
SAT_CODES = np.array(["satisfied", "basically_satisfied", "dissatisfied", None], dtype=object)
SAT_ZH = np.array(["满意", "基本满意", "不满意", ""], dtype=object)
SAT_P = [0.60, 0.20, 0.08, 0.12]

MANIFEST = """name: 规模基准 {rows:,} 件
levels: [district, street, community, grid]
cutoff: 2025-12-31
dates: {{min: 2020-01-01, max: 2030-12-31}}
settings:
  limits: {{max_file_mb: 4096}}     # a province's hotline export: 10M tickets ≈ 0.9 GB of CSV
tables:
  grids:
    sources:
      - path: grids.csv
        columns: {{district_id: 区县代码, street_id: 街道代码, community_id: 社区代码, grid_id: 网格编号,
                  households: 户数, population: 常住人口, full_time_workers: 专职网格员}}
  complaints:
    sources:
      - path: complaints.{ext}
{sheet}        columns: {{ticket_id: 工单编号, received_at: 受理时间, closed_at: 办结时间,
                  deadline_working_days: 办理时限, status: 办理状态, grid_id: 网格编号,
                  satisfaction: 满意度, is_repeat: 是否重复}}
        values:
          satisfaction: {{满意: satisfied, 基本满意: basically_satisfied, 不满意: dissatisfied}}
          status: {{已办结: closed, 办理中: open}}
"""


def parse_size(text: str) -> int:
    """'100k' → 100_000, '1m' → 1_000_000, '2500' → 2_500. Raises ValueError otherwise."""
    t = text.strip().lower().replace("_", "").replace(",", "")
    mult = {"k": 1_000, "m": 1_000_000}.get(t[-1:], 1)
    value = float(t[:-1] if mult > 1 else t) * mult
    if value < 1 or value != int(value):
        raise ValueError(f"not a ticket count: {text!r}")
    return int(value)


def label(rows: int) -> str:
    """1_000_000 → '1m', 100_000 → '100k'."""
    if rows % 1_000_000 == 0:
        return f"{rows // 1_000_000}m"
    return f"{rows // 1_000}k" if rows % 1_000 == 0 else str(rows)


def units_and_grids(n_grids: int = N_GRIDS) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The hierarchy (bench_callbacks.hierarchy: 10 grids per community, 5 communities per
    street, 10 streets per district) and a grid register with ancestors, households,
    population and full-time workers (seeded)."""
    units = hierarchy(n_grids)
    parent = units.set_index("unit_id")["parent_id"]
    grid_ids = units.loc[units["level"] == "grid", "unit_id"].reset_index(drop=True)
    rng = np.random.default_rng(SEED)
    community = grid_ids.map(parent)
    street = community.map(parent)
    grids = pd.DataFrame({
        "district_id": street.map(parent).to_numpy(), "street_id": street.to_numpy(),
        "community_id": community.to_numpy(), "unit_id": grid_ids.to_numpy(),
        "households": rng.integers(200, 700, n_grids).astype("float64"),
        "population": rng.integers(500, 2_200, n_grids).astype("float64"),
        "full_time_workers": (rng.random(n_grids) < 0.93).astype("float64"),
    })
    return units, grids


def ticket_chunk(rows: int, chunk_index: int, grid_ids: np.ndarray, weights: np.ndarray
                 ) -> pd.DataFrame:
    """``rows`` canonical tickets (seeded by SEED and ``chunk_index``)."""
    rng = np.random.default_rng([SEED, chunk_index])
    received = START + pd.to_timedelta(rng.integers(0, SPAN_S, rows), unit="s")
    hours = np.minimum(rng.lognormal(np.log(30), 1.0, rows), 24 * 400)
    closed = received + pd.to_timedelta(np.round(hours * 3600), unit="s")
    is_open = rng.random(rows) < 0.08
    closed = closed.where(~is_open)
    sat = SAT_CODES[rng.choice(4, rows, p=SAT_P)]
    sat[is_open] = None
    g = rng.choice(len(grid_ids), rows, p=weights)
    first = chunk_index * CHUNK
    return pd.DataFrame({
        "ticket_id": pd.array([f"GD{k:010d}" for k in range(first, first + rows)], dtype="string"),
        "received_at": received,
        "closed_at": closed,
        "due_at": received.normalize() + pd.Timedelta(days=6) - pd.Timedelta(seconds=1),
        "status": pd.Categorical(np.where(is_open, "open", "closed")),
        "satisfaction": pd.Categorical(sat, categories=list(SAT_CODES[:3])),
        "is_repeat": pd.array(rng.random(rows) < 0.05, dtype="boolean"),
        "unit_level": pd.Categorical(np.full(rows, "grid")),
        "unit_id": pd.Categorical.from_codes(g, categories=grid_ids),
    })


def _raw(chunk: pd.DataFrame, grids: pd.DataFrame) -> pa.Table:
    """The chunk as the hotline would export it: Chinese headers, text codes, dates as text."""
    sat = chunk["satisfaction"].astype(object).map(
        dict(zip(SAT_CODES[:3], SAT_ZH[:3]))).fillna("")
    fmt = "%Y-%m-%d %H:%M:%S"
    return pa.table({
        "工单编号": chunk["ticket_id"].astype(str).to_numpy(),
        "受理时间": chunk["received_at"].dt.strftime(fmt).to_numpy(dtype=object),
        "办结时间": chunk["closed_at"].dt.strftime(fmt).fillna("").to_numpy(dtype=object),
        "办理时限": np.full(len(chunk), 5),
        "办理状态": np.where(chunk["status"] == "closed", "已办结", "办理中"),
        "网格编号": chunk["unit_id"].astype(str).to_numpy(),
        "满意度": sat.to_numpy(dtype=object),
        "是否重复": np.where(chunk["is_repeat"].to_numpy(dtype=bool), "是", "否"),
    })


def _write_manifests(folder: Path, rows: int) -> None:
    """dataset.yaml over complaints.csv (and dataset_xlsx.yaml up to XLSX_MAX_ROWS)."""
    for ext, sheet in (("csv", ""), ("xlsx", "        sheet: 工单\n")):
        if ext == "xlsx" and rows > XLSX_MAX_ROWS:
            continue
        name = "dataset.yaml" if ext == "csv" else "dataset_xlsx.yaml"
        (folder / name).write_text(MANIFEST.format(rows=rows, ext=ext, sheet=sheet),
                                   encoding="utf-8")


def ensure(rows: int, folder: Path | None = None, log=print) -> Path:
    """Write the inputs for ``rows`` tickets (once) and return their folder."""
    folder = folder or OUT / label(rows)
    stamp = folder / f"ok-{rows}-{SEED}"
    if stamp.exists():
        _write_manifests(folder, rows)
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    units, grids = units_and_grids()
    units.to_parquet(folder / "units.parquet", index=False)
    grids.assign(year=pd.array([pd.NA] * len(grids), dtype="Int64")) \
        .to_parquet(folder / "grids.parquet", index=False)
    pd.DataFrame({"区县代码": grids["district_id"], "街道代码": grids["street_id"],
                  "社区代码": grids["community_id"], "网格编号": grids["unit_id"],
                  "户数": grids["households"].astype(int), "常住人口": grids["population"].astype(int),
                  "专职网格员": grids["full_time_workers"].astype(int)}) \
        .to_csv(folder / "grids.csv", index=False)
    grid_ids = grids["unit_id"].astype(str).to_numpy()
    w = np.random.default_rng(SEED).gamma(2.0, 1.0, len(grid_ids))
    weights = w / w.sum()
    writer = csv = None
    xlsx_parts = []
    try:
        for i, start in enumerate(range(0, rows, CHUNK)):
            chunk = ticket_chunk(min(CHUNK, rows - start), i, grid_ids, weights)
            table = pa.Table.from_pandas(chunk.drop(columns="ticket_id"), preserve_index=False)
            writer = writer or pq.ParquetWriter(folder / "tickets.parquet", table.schema)
            writer.write_table(table)
            raw = _raw(chunk, grids)
            csv = csv or pacsv.CSVWriter(folder / "complaints.csv", raw.schema)
            csv.write_table(raw)
            if rows <= XLSX_MAX_ROWS:
                xlsx_parts.append(raw.to_pandas())
            log(f"  generated {start + len(chunk):,} / {rows:,} tickets")
    finally:
        for w_ in (writer, csv):
            if w_ is not None:
                w_.close()
    _write_manifests(folder, rows)
    if xlsx_parts:
        pd.concat(xlsx_parts, ignore_index=True).to_excel(
            folder / "complaints.xlsx", sheet_name="工单", index=False, engine="openpyxl")
    stamp.touch()
    return folder
