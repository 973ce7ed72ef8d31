"""Histogram medians against exact medians at scale, and the cost of the catalog's derived steps.

    .venv/bin/python bench/bench_indicator_catalog.py [--tickets 2000000 --groups 2000]

1. Handling-time medians: ``--tickets`` handling times (log-normal, median ≈ 2 days, a long tail
   past 365 days for a few) spread over ``--groups`` units; the exact median per unit
   (pandas groupby median of the raw hours) against ``indicators.measures.histogram_median`` of the
   1-hour histogram. Prints both times, their ratio, the histogram's size against the raw data's,
   and the largest and mean absolute error in hours over all units (the bins have no cap; the
   documented bound is one bin, 1 hour).
2. On the embedded sample dataset's indicator table: the time of the composite score rows,
   add_yoy + add_rank, peer groups + add_peer_rank (grouped by community type), and the narrative
   of every street for the last year, with the table's rows and memory.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indicators.measures import HIST_BIN_HOURS, histogram_median  # noqa: E402


def bench_medians(n: int, groups: int, seed: int = 20251121) -> None:
    rng = np.random.default_rng(seed)
    hours = rng.lognormal(mean=np.log(48.0), sigma=1.2, size=n)
    group = rng.integers(0, groups, n)
    raw = pd.DataFrame({"g": group, "hours": hours})

    t0 = time.perf_counter()
    exact = raw.groupby("g")["hours"].median()
    t_exact = time.perf_counter() - t0

    bins = np.maximum(np.floor(hours / HIST_BIN_HOURS), 0).astype("int64")   # no cap
    hist = pd.DataFrame({"g": group, "bin": bins}).groupby(["g", "bin"]).size() \
        .rename("count").reset_index()
    t0 = time.perf_counter()
    est = histogram_median(hist, ["g"]).set_index("g")["median_hours"]
    t_hist = time.perf_counter() - t0

    err = (est - exact).abs()
    print(f"medians: {n:,} tickets in {groups:,} units; histogram {len(hist):,} rows "
          f"({len(hist) / n:.1%} of the tickets)")
    print(f"  exact groupby median {t_exact:.3f} s · histogram median {t_hist:.3f} s · "
          f"ratio {t_hist / t_exact:.2f}")
    print(f"  |histogram − exact|: max {err.max():.3f} h, mean {err.mean():.3f} h, "
          f"p99 {err.quantile(0.99):.3f} h (bound {HIST_BIN_HOURS} h); "
          f"units above the bound: {(err > HIST_BIN_HOURS).sum()}")


def bench_sample() -> None:
    from data import load_dataset
    from indicators.catalog import catalog_for
    from indicators.compare import add_peer_rank, add_rank, add_yoy
    from indicators.narrative import narrate
    from indicators.peer import peer_groups
    from indicators.score import composite_rows
    from indicators.table import compute_indicators

    ds = load_dataset(ROOT / "data" / "sample" / "dataset.yaml")
    ds.config = {**ds.config, "settings": {**(ds.config.get("settings") or {}),
                                           "peer_group": "community_type"}}
    cat = catalog_for(ds.config)
    t0 = time.perf_counter()
    table = compute_indicators(ds, catalog=cat)
    t_table = time.perf_counter() - t0
    base = table[table["indicator_id"] != "composite_score"]
    t0 = time.perf_counter()
    comp = composite_rows(base, cat)
    t_comp = time.perf_counter() - t0
    t0 = time.perf_counter()
    ranked = add_rank(add_yoy(table, cat), cat)
    t_rank = time.perf_counter() - t0
    t0 = time.perf_counter()
    peers = add_peer_rank(ranked, peer_groups(ds, ranked, cat), cat)
    t_peer = time.perf_counter() - t0
    year = max(p for p in table["period"].unique() if len(p) == 4)
    streets = peers.loc[peers["level"] == "street", "unit_id"].unique()
    t0 = time.perf_counter()
    sentences = sum(len(narrate(peers, s, year, cat, level="street")) for s in streets)
    t_narr = time.perf_counter() - t0
    print(f"sample: indicator table {len(table):,} rows, "
          f"{peers.memory_usage(deep=True).sum() / 1e6:.1f} MB with compare columns; "
          f"compute_indicators {t_table:.2f} s")
    print(f"  composite rows {len(comp):,}: {t_comp:.3f} s ({t_comp / t_table:.1%} of the table)")
    print(f"  add_yoy + add_rank {t_rank:.3f} s · peer groups + add_peer_rank {t_peer:.3f} s")
    print(f"  narrative: {len(streets)} streets, {sentences} sentences in {t_narr:.3f} s "
          f"({t_narr / max(len(streets), 1) * 1000:.1f} ms per unit)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=2_000_000)
    parser.add_argument("--groups", type=int, default=2_000)
    parser.add_argument("--no-sample", action="store_true", help="skip the sample dataset part")
    args = parser.parse_args()
    bench_medians(args.tickets, args.groups)
    if not args.no_sample:
        bench_sample()


if __name__ == "__main__":
    main()
