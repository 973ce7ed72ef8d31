"""Indicators: catalog, additive measures, roll-up and the tidy indicator table.

See docs/architecture.md §3–4. Typical use::

    from indicators import build, compute_indicators, CATALOG, format_value
    results = build("examples/boston/dataset.yaml", cache_dir=".cache")   # Results
    results.table        # tidy table + prev_value, change, change_unit, change_good, comparable,
                         # rank, rank_of, peer_group, peer_rank, peer_rank_of
    results.standards_library()        # every standard as data (value, unit, source, year)
    results.failing_units("2025", "street")   # 不达标清单 with the gap
    results.benchmarks()               # published figures matched to indicators, with citations
    results.narrate("total", 2025)     # {indicator_id: Chinese sentence}
    compute_indicators(dataset)   # the tidy table of an already loaded data.model.Dataset
"""
from indicators.benchmarks import benchmarks, figure_value, peer_cases
from indicators.catalog import (CATALOG, Exclusion, Indicator, Standard, catalog_for,
                                format_change, format_value, load_catalog,
                                station_area_minimums, status)
from indicators.compare import add_peer_rank, add_rank, add_yoy, failing_units
from indicators.coverage import service_radius_m
from indicators.measures import MEASURES, compute_measures, histogram_median
from indicators.narrative import narrate
from indicators.peer import peer_groups
from indicators.pipeline import Results, build
from indicators.rollup import rollup
from indicators.score import composite_rows, indicator_scores
from indicators.standards import failing_stations, standards_library
from indicators.table import COLUMNS, compute_indicators, compute_with_registers

__all__ = ["CATALOG", "COLUMNS", "Exclusion", "Indicator", "MEASURES", "Results", "Standard",
           "add_peer_rank", "add_rank", "add_yoy", "benchmarks", "build", "catalog_for",
           "composite_rows", "compute_indicators", "compute_measures", "compute_with_registers",
           "failing_stations", "failing_units", "figure_value", "format_change", "format_value",
           "histogram_median", "indicator_scores", "load_catalog", "narrate", "peer_cases",
           "peer_groups", "rollup", "service_radius_m", "standards_library",
           "station_area_minimums", "status"]
