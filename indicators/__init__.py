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
#: where each public name lives; imported on first use (PEP 562), so ``import indicators``
#: or ``indicators.pipeline`` does not load scipy, the benchmarks and every family up front.
#: ``indicators.rollup`` and ``indicators.benchmarks`` name their modules once those are
#: imported; import the functions from the modules (``from indicators.rollup import rollup``).
_EXPORTS = {
    'benchmarks': 'indicators.benchmarks',
    'figure_value': 'indicators.benchmarks',
    'peer_cases': 'indicators.benchmarks',
    'CATALOG': 'indicators.catalog',
    'Exclusion': 'indicators.catalog',
    'Indicator': 'indicators.catalog',
    'Standard': 'indicators.catalog',
    'catalog_for': 'indicators.catalog',
    'format_change': 'indicators.catalog',
    'format_value': 'indicators.catalog',
    'load_catalog': 'indicators.catalog',
    'station_area_minimums': 'indicators.catalog',
    'status': 'indicators.catalog',
    'add_peer_rank': 'indicators.compare',
    'add_rank': 'indicators.compare',
    'add_yoy': 'indicators.compare',
    'failing_units': 'indicators.compare',
    'service_radius_m': 'indicators.coverage',
    'MEASURES': 'indicators.measures',
    'compute_measures': 'indicators.measures',
    'histogram_median': 'indicators.measures',
    'narrate': 'indicators.narrative',
    'peer_groups': 'indicators.peer',
    'Results': 'indicators.pipeline',
    'build': 'indicators.pipeline',
    'rollup': 'indicators.rollup',
    'composite_rows': 'indicators.score',
    'indicator_scores': 'indicators.score',
    'failing_stations': 'indicators.standards',
    'standards_library': 'indicators.standards',
    'COLUMNS': 'indicators.table',
    'compute_indicators': 'indicators.table',
    'compute_with_registers': 'indicators.table',
}


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'indicators' has no attribute {name!r}")
    import importlib
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value

__all__ = ["CATALOG", "COLUMNS", "Exclusion", "Indicator", "MEASURES", "Results", "Standard",
           "add_peer_rank", "add_rank", "add_yoy", "benchmarks", "build", "catalog_for",
           "composite_rows", "compute_indicators", "compute_measures", "compute_with_registers",
           "failing_stations", "failing_units", "figure_value", "format_change", "format_value",
           "histogram_median", "indicator_scores", "load_catalog", "narrate", "peer_cases",
           "peer_groups", "rollup", "service_radius_m", "standards_library",
           "station_area_minimums", "status"]
