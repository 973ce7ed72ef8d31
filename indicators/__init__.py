"""Indicators: catalog, additive measures, roll-up and the tidy indicator table.

See docs/architecture.md §3–4. Public API::

    from indicators import CATALOG, Indicator, Standard, status, format_value, format_change
"""
from indicators.catalog import (CATALOG, Indicator, Standard, catalog_for, format_change,
                                format_value, station_area_minimums, status)

__all__ = ["CATALOG", "Indicator", "Standard", "catalog_for", "format_change", "format_value",
           "station_area_minimums", "status"]
