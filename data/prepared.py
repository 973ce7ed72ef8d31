"""Validated tickets as a partitioned Parquet folder (``python app.py prepare --out DIR``).

The folder is what a distributed engine reads (indicators/engine_spark.py, DuckDB's
``read_parquet``): the canonical complaint columns of ``data.model`` after ingest — only rows
that passed every check, one ticket per row — written as Hive-style partitions::

    DIR/complaints/year=2024/district=D01/part-0.parquet

``year`` is the year of ``received_at``; ``district`` is the unit id of the ticket's ancestor at
the dataset's top level (``dataset.levels[0]``, e.g. 区县), ``_`` when the unit has none. Both
are partition keys only (not columns inside the files); a ticket table's own columns named
``year`` or ``district`` would clash and are not written. Timestamps are stored as microseconds
(Spark cannot read nanosecond Parquet timestamps); categories as Parquet dictionaries.
Pre-aggregated complaint rows (no ``received_at``) are not tickets and are not written.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

TICKETS_SUBDIR = "complaints"
NO_DISTRICT = "_"


def top_ancestor(units: pd.DataFrame, levels: list[str]) -> dict[tuple[str, str], str]:
    """{(level, unit_id): unit_id of its ancestor at ``levels[0]``} for every unit whose
    parent chain reaches the top level (itself for a top-level unit). units: ``unit_id``,
    ``level``, ``parent_id`` (data/model.py). A broken chain maps to nothing."""
    if units is None or units.empty or not levels:
        return {}
    level = units["level"].astype(str).tolist()
    uid = units["unit_id"].astype(str).tolist()
    parent = units["parent_id"].astype("string").fillna("").tolist()
    depth = {lv: i for i, lv in enumerate(levels)}
    by_key = {(lv, u): p for lv, u, p in zip(level, uid, parent)}
    out: dict[tuple[str, str], str] = {}
    for key in sorted(by_key, key=lambda k: depth.get(k[0], len(levels))):
        lv, u = key
        d = depth.get(lv)
        if d is None:
            continue
        if d == 0:
            out[key] = u
        else:
            up = out.get((levels[d - 1], by_key[key]))
            if up is not None:
                out[key] = up
    return out


def ticket_partitions(tickets: pd.DataFrame, units: pd.DataFrame, levels: list[str]
                      ) -> tuple[np.ndarray, np.ndarray]:
    """(year int64, district str) arrays for ``tickets`` (unit_level, unit_id, received_at);
    each distinct (level, unit) pair is looked up once."""
    anc = top_ancestor(units, levels)
    codes, uniques = pd.factorize(pd.MultiIndex.from_arrays(
        [tickets["unit_level"].astype("string").fillna(""),
         tickets["unit_id"].astype("string").fillna("")]))
    district = np.array([anc.get((lv, u), NO_DISTRICT) for lv, u in uniques], dtype=object)
    year = tickets["received_at"].dt.year.to_numpy(dtype="int64")
    return year, (district[codes] if len(codes) else np.array([], dtype=object))


def write_tickets(dataset, out_dir: str | Path) -> Path:
    """Write ``dataset.tables['complaints']`` tickets to ``out_dir/complaints`` (see module
    docstring), replacing any earlier write there. Returns that folder. Raises ``ValueError``
    when the dataset has no tickets (no complaints table or no ``received_at``), ``OSError``
    when the folder cannot be written."""
    import pyarrow as pa
    import pyarrow.dataset as ds

    table = dataset.tables.get("complaints")
    if table is None or "received_at" not in table.columns or not table["received_at"].notna().any():
        raise ValueError("数据集中没有逐件工单（缺少受理时间），无法准备 Parquet 文件夹。")
    tickets = table.loc[table["received_at"].notna()] if table["received_at"].isna().any() else table
    year, district = ticket_partitions(tickets, dataset.units, list(dataset.levels))
    frame = tickets.drop(columns=[c for c in ("year", "district") if c in tickets.columns])
    arrow = pa.Table.from_pandas(frame, preserve_index=False)
    arrow = arrow.append_column("year", pa.array(year, pa.int32())) \
        .append_column("district", pa.array(district, pa.string()))
    target = Path(out_dir) / TICKETS_SUBDIR
    target.mkdir(parents=True, exist_ok=True)
    fmt = ds.ParquetFileFormat()
    ds.write_dataset(arrow, target, format=fmt,
                     file_options=fmt.make_write_options(coerce_timestamps="us",
                                                         allow_truncated_timestamps=True),
                     partitioning=ds.partitioning(
                         pa.schema([("year", pa.int32()), ("district", pa.string())]),
                         flavor="hive"),
                     existing_data_behavior="delete_matching",
                     basename_template="part-{i}.parquet")
    return target
