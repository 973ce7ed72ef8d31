"""Indicators: catalog, additive measures, roll-up and the tidy indicator table.

See docs/architecture.md §3–4. Typical use::

    from indicators import build, compute_indicators, CATALOG, format_value
    results = build("examples/boston/dataset.yaml", cache_dir=".cache")   # Results
    results.table        # tidy table + prev_value, change, change_unit, change_good, rank, rank_of
    compute_indicators(dataset)   # the tidy table of an already loaded data.model.Dataset
"""
from indicators.catalog import (CATALOG, Indicator, Standard, catalog_for, format_change,
                                format_value, load_catalog, station_area_minimums, status)
from indicators.compare import add_rank, add_yoy, failing_units
from indicators.coverage import service_radius_m
from indicators.measures import MEASURES, compute_measures, histogram_median
from indicators.pipeline import Results, build
from indicators.rollup import rollup
from indicators.table import COLUMNS, compute_indicators, compute_with_registers

__all__ = ["CATALOG", "COLUMNS", "Indicator", "MEASURES", "Results", "Standard", "add_rank",
           "add_yoy", "build", "catalog_for", "compute_indicators", "compute_measures",
           "compute_with_registers", "failing_units", "format_change", "format_value",
           "histogram_median", "load_catalog", "rollup", "service_radius_m", "station_area_minimums",
           "status"]
