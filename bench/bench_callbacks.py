"""Server time of the dashboard's callbacks on a large synthetic indicator table.

    .venv/bin/python bench/bench_callbacks.py [--grids 5000 --small 600 --repeat 7]

Builds a synthetic dataset of ``--grids`` grids (10 grids per community, 5 communities per
street, streets and districts in proportion) with every catalog indicator for two years and
24 months of six complaint indicators, runs it through the real ``indicators.compare.add_yoy``
and ``add_rank``, starts the Dash app (``layouts.create_app``) and POSTs to
``/_dash-update-component`` through Flask's test client — exactly what the browser sends when a
user switches the level, the indicator, drills down, or changes the overview's unit — so the
time includes slicing, figure building and JSON serialisation. Prints the median milliseconds
per callback for the large and the small (``--small``) dataset and their ratio; the issue's
budget is 300 ms per callback at 5,000 grids.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from data.model import Dataset, LoadReport  # noqa: E402
from indicators.catalog import CATALOG  # noqa: E402
from indicators.compare import add_rank, add_yoy  # noqa: E402

LEVELS = ["district", "street", "community", "grid"]
MONTHLY = ["resolution_rate", "on_time_rate", "satisfaction_rate", "repeat_complaint_rate",
           "complaint_rate_per_1k", "median_handling_days"]
BUDGET_MS = 300.0


@dataclass
class BenchResults:
    """Same fields as indicators.pipeline.Results."""

    dataset: Dataset
    table: pd.DataFrame
    catalog: dict[str, Any]


def hierarchy(n_grids: int) -> pd.DataFrame:
    """units (level, unit_id, unit_name, parent_id): 10 grids per community, 5 communities per
    street, 10 streets per district (at least one district)."""
    n_comm = max(1, n_grids // 10)
    n_street = max(1, n_comm // 5)
    n_district = max(1, n_street // 10)
    grid = np.arange(n_grids)
    comm = grid * n_comm // n_grids
    street = np.arange(n_comm) * n_street // n_comm
    district = np.arange(n_street) * n_district // n_street
    parts = [
        pd.DataFrame({"level": "district", "unit_id": [f"D{k:02d}" for k in range(n_district)],
                      "unit_name": [f"第{k + 1}区" for k in range(n_district)],
                      "parent_id": pd.NA}),
        pd.DataFrame({"level": "street", "unit_id": [f"S{k:04d}" for k in range(n_street)],
                      "unit_name": [f"第{k + 1}街道" for k in range(n_street)],
                      "parent_id": [f"D{d:02d}" for d in district]}),
        pd.DataFrame({"level": "community", "unit_id": [f"C{k:05d}" for k in range(n_comm)],
                      "unit_name": [f"第{k + 1}社区" for k in range(n_comm)],
                      "parent_id": [f"S{s:04d}" for s in street]}),
        pd.DataFrame({"level": "grid", "unit_id": [f"G{k:06d}" for k in grid],
                      "unit_name": [f"第{k + 1}网格" for k in grid],
                      "parent_id": [f"C{c:05d}" for c in comm]}),
    ]
    return pd.concat(parts, ignore_index=True).astype(
        {"level": "string", "unit_id": "string", "unit_name": "string", "parent_id": "string"})


def indicator_table(units: pd.DataFrame, seed: int = 7) -> pd.DataFrame:
    """The tidy indicator table (docs/architecture.md §3) for every level, 2024, 2025 and the 24
    months of MONTHLY: grid measures drawn at random, every higher level their sum."""
    rng = np.random.default_rng(seed)
    grids = units[units["level"] == "grid"].reset_index(drop=True)
    parent = units.set_index("unit_id")["parent_id"]
    anc = pd.DataFrame({"grid": grids["unit_id"]})
    anc["community"] = anc["grid"].map(parent)
    anc["street"] = anc["community"].map(parent)
    anc["district"] = anc["street"].map(parent)
    anc["total"] = "total"
    periods = ["2024", "2025"] + [f"{y}-{m:02d}" for y in (2024, 2025) for m in range(1, 13)]
    frames = []
    for period in periods:
        inds = list(CATALOG) if len(period) == 4 else MONTHLY
        scale = 1.0 if len(period) == 4 else 1 / 12
        for ind_id in inds:
            den = rng.poisson(60 * scale, len(grids)).astype(float) + 1
            num = rng.binomial(den.astype(int), 0.9).astype(float)
            if CATALOG[ind_id].kind == "count":
                den = np.full(len(grids), np.nan)
            g = anc.assign(numerator=num, denominator=den)
            for level in ["total", *LEVELS]:
                s = (g.groupby(level, as_index=False)[["numerator", "denominator"]]
                     .sum(min_count=1).rename(columns={level: "unit_id"}))
                frames.append(s.assign(level=level, period=period, indicator_id=ind_id))
    t = pd.concat(frames, ignore_index=True)
    names = units.set_index(["level", "unit_id"])["unit_name"]
    key = pd.MultiIndex.from_arrays([t["level"], t["unit_id"]])
    t["unit_name"] = names.reindex(key).fillna("全市").to_numpy()
    is_count = t["indicator_id"].map({i: CATALOG[i].kind == "count" for i in CATALOG})
    t["value"] = np.where(is_count, t["numerator"], t["numerator"] / t["denominator"])
    min_count = t["indicator_id"].map({i: CATALOG[i].min_count or 0 for i in CATALOG})
    t["small_count"] = (t["denominator"] < min_count) & ~is_count
    t["excluded"] = np.nan
    t = t.astype({"level": "string", "unit_id": "string", "unit_name": "string",
                  "period": "string", "indicator_id": "string"})
    return add_rank(add_yoy(t, CATALOG), CATALOG)


def make_results(n_grids: int) -> BenchResults:
    units = hierarchy(n_grids)
    dataset = Dataset(
        name=f"基准 {n_grids} 网格", name_en=None, manifest_path=ROOT / "bench" / "bench.yaml",
        levels=list(LEVELS), level_names={}, level_names_en={}, units=units, tables={},
        report=LoadReport(), is_sample=True)
    return BenchResults(dataset, indicator_table(units), dict(CATALOG))


def _prop(component: str, prop: str, value: Any = None) -> dict:
    return {"id": component, "property": prop, "value": value}


def _post(client: Any, outputs: list[tuple[str, str]], inputs: list[dict], state: list[dict],
          changed: str) -> float:
    """One callback request; returns milliseconds. Raises AssertionError on a non-200 answer."""
    body = {"output": "..." .join(f"{c}.{p}" for c, p in outputs).join(["..", ".."]),
            "outputs": [{"id": c, "property": p} for c, p in outputs],
            "inputs": inputs, "state": state, "changedPropIds": [changed]}
    started = time.perf_counter()
    answer = client.post("/_dash-update-component", data=json.dumps(body),
                         content_type="application/json")
    elapsed = (time.perf_counter() - started) * 1000
    assert answer.status_code in (200, 204), (answer.status_code, answer.get_data()[:500])
    return elapsed


def scenarios(results: BenchResults) -> dict[str, Any]:
    """name → a function(client) → ms, for the callbacks a user fires most."""
    from layouts import ids

    year = "2025"
    districts = results.dataset.units.query("level == 'district'")["unit_id"]
    first_district = str(districts.iloc[0])
    cmp_outputs = [(ids.CMP_GRAPH, "figure"), (ids.CMP_GRID, "rowData"),
                   (ids.CMP_GRID, "columnDefs"), (ids.CMP_NOTE, "children"),
                   (ids.CMP_DEFINITION, "children"), (ids.CMP_URL, "search"),
                   (ids.CMP_LANG_SWITCH, "href"), (ids.CMP_MATRIX, "figure"),
                   (ids.CMP_MATRIX_BOX, "style"), (ids.CMP_SCATTER, "figure"),
                   (ids.CMP_SCATTER_BOX, "style"), (ids.CMP_BREADCRUMB, "children"),
                   (ids.CMP_LEVEL, "value"), (ids.CMP_SCOPE, "value"),
                   (ids.CMP_INDICATOR, "value"), (ids.CMP_YEAR, "value"),
                   (ids.CMP_TOP_N, "value"), (ids.CMP_SEARCH, "value"), (ids.CMP_VS, "value"),
                   (ids.CMP_PRINT_TABLE, "children")]

    def compare(indicator: str, level: str, unit: str, changed: str, vs: str | None = None,
                bar: dict | None = None):
        inputs = [_prop(ids.CMP_INDICATOR, "value", indicator),
                  _prop(ids.CMP_LEVEL, "value", level), _prop(ids.CMP_YEAR, "value", year),
                  _prop(ids.CMP_SCOPE, "value", unit), _prop(ids.CMP_TOP_N, "value", 15),
                  _prop(ids.CMP_SEARCH, "value", ""), _prop(ids.CMP_VS, "value", vs),
                  _prop(ids.CMP_GRAPH, "clickData", bar), _prop(ids.CMP_MATRIX, "clickData"),
                  _prop(ids.CMP_SCATTER, "clickData"), _prop(ids.CMP_GRID, "cellClicked"),
                  _prop(ids.CMP_URL, "search", "")]
        state = [_prop(ids.CMP_LANG, "data", "zh")]
        return lambda client: _post(client, cmp_outputs, inputs, state, changed)

    ov_outputs = [(ids.OV_CARDS, "children"), (ids.OV_SUMMARY, "children"),
                  (ids.OV_NARRATIVE, "children"), (ids.OV_MATRIX, "figure"),
                  (ids.OV_MATRIX_BOX, "style"), (ids.OV_BREADCRUMB, "children"),
                  (ids.OV_URL, "search"), (ids.OV_LANG_SWITCH, "href"), (ids.OV_UNIT, "value"),
                  (ids.OV_UNIT, "options"), (ids.OV_YEAR, "value")]

    def overview(unit: str):
        inputs = [_prop(ids.OV_YEAR, "value", year), _prop(ids.OV_UNIT, "value", unit),
                  _prop(ids.OV_MATRIX, "clickData"), _prop(ids.OV_URL, "search", "")]
        state = [_prop(ids.OV_LANG, "data", "zh")]
        return lambda client: _post(client, ov_outputs, inputs, state, f"{ids.OV_UNIT}.value")

    lv, ind = f"{ids.CMP_LEVEL}.value", f"{ids.CMP_INDICATOR}.value"
    return {
        "compare: level → street": compare("resolution_rate", "street", "total", lv),
        "compare: level → community": compare("resolution_rate", "community", "total", lv),
        "compare: level → grid (all grids)": compare("resolution_rate", "grid", "total", lv),
        "compare: indicator at grid level": compare("satisfaction_rate", "grid", "total", ind),
        "compare: grid level + scatter": compare("satisfaction_rate", "grid", "total",
                                                 f"{ids.CMP_VS}.value", vs="resolution_rate"),
        "compare: level → grid, scatter shown": compare("satisfaction_rate", "grid", "total", lv,
                                                        vs="resolution_rate"),
        "compare: drill into a district": compare(
            "resolution_rate", "district", "total", f"{ids.CMP_GRAPH}.clickData",
            bar={"points": [{"y": first_district}]}),
        "overview: whole dataset": overview("total"),
        "overview: one district": overview(f"district:{first_district}"),
    }


def run(n_grids: int, repeat: int) -> dict[str, float]:
    from layouts import create_app

    started = time.perf_counter()
    results = make_results(n_grids)
    built = time.perf_counter() - started
    app = create_app(results)
    client = app.server.test_client()
    client.get("/")  # registers the pages and their callbacks
    print(f"{n_grids:>6,} grids: indicator table {len(results.table):,} rows "
          f"(built in {built:.1f} s)")
    out = {}
    for name, call in scenarios(results).items():
        call(client)  # warm-up
        out[name] = statistics.median(call(client) for _ in range(repeat))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grids", type=int, default=5000)
    parser.add_argument("--small", type=int, default=600)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    small = run(args.small, args.repeat)
    large = run(args.grids, args.repeat)
    print(f"\n{'callback (median ms)':<36}{args.small:>9,}{args.grids:>9,}  ratio  budget")
    for name in large:
        verdict = "ok" if large[name] < BUDGET_MS else "OVER"
        print(f"{name:<36}{small[name]:>9.1f}{large[name]:>9.1f}  {large[name] / small[name]:>5.2f}"
              f"  {verdict}")


if __name__ == "__main__":
    main()
