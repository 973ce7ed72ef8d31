"""The standards library (标准库) as data, and the stations that fail the area standard.

Every standard the product judges against is one row of ``standards_library``: the catalog's
indicator standards (≥ 18 community workers per 10,000 residents, 100% of grids with a full-time
grid worker, 300–500 households per grid, …), the minimum floor area of a service centre per
station type (社区党群服务中心 ≥ 300 m², 村党群服务中心 ≥ 90 m², 广安市委组织部) and the walking radius
of the 15-minute life circle (default 1,000 m). Each carries value, comparison, unit, source and
effective year; a dataset overrides them in its manifest (``standards:`` for indicators and
``station_area_min_m2``, ``settings: {service_radius_m: …}`` for the radius).

Units failing an indicator standard are listed by ``indicators.compare.failing_units`` (level and
year, with the gap); stations below their type's minimum area by ``failing_stations`` (the list of
``indicators.stations.station_standards`` for the stations counting in a year); grids beyond the
walking radius of every qualifying station by ``uncovered_grids`` (``indicators.coverage``).
"""
from __future__ import annotations

from typing import Any, Mapping

import pandas as pd

from indicators.catalog import (CATALOG, DEFAULT_STATION_AREA_MIN_M2, STATION_AREA_KEY,
                                Indicator, catalog_for, station_area_minimums)
from indicators.coverage import (qualifying_station_types, select_year, service_circle_coverage,
                                 service_radius_m)
from indicators.measures import _register_year, select_registers

LIBRARY_COLUMNS = ["standard_id", "indicator_id", "name_zh", "name_en", "comparison", "value",
                   "low", "high", "unit_zh", "unit_en", "label_zh", "label_en", "source_zh",
                   "source_en", "basis", "effective_year", "figure", "overridden"]

#: Source of the built-in station area minimums (peer_cases.csv, 广安市).
AREA_SOURCE_ZH = ("广安市社区党群服务中心面积不低于 300 m²、村党群服务中心不低于 90 m²（《打造群众“常来常往、"
                  "常来常新”活力平台》，中共广安市委组织部；peer_cases.csv）")
AREA_SOURCE_EN = ("Guang'an, community centres ≥ 300 m², village centres ≥ 90 m² (Organisation "
                  "Department of the CPC Guang'an Committee; peer_cases.csv)")
AREA_FIGURES = {"社区党群服务中心": "广安市:min_area_community_center",
                "村党群服务中心": "广安市:min_area_village_center"}
RADIUS_SOURCE_ZH = "15分钟生活圈步行半径，默认 1,000 米（设计文档 §4，可在数据集清单 settings.service_radius_m 中修改）"
RADIUS_SOURCE_EN = ("15-minute life circle walking radius, default 1,000 m (DESIGN.md §4; "
                    "settings.service_radius_m in the manifest)")


def _rate_unit(ind: Indicator, lang: str) -> str:
    return "%" if ind.kind == "rate" else ind.unit(lang)


def standards_library(config: Mapping[str, Any] | None = None,
                      catalog: Mapping[str, Indicator] | None = None) -> pd.DataFrame:
    """Every standard in force for a dataset, one row each (columns ``LIBRARY_COLUMNS``).

    config: ``dataset.config`` (``standards`` and ``settings`` of the manifest); catalog: default
    ``catalog_for(config)``. Rows, in catalog order: one per indicator with a standard
    (standard_id = indicator_id; value / low / high in the indicator's value units — rates as
    fractions, unit ``'%'``), one per station type with a minimum area (standard_id
    ``'station_area_min_m2:<type>'``, indicator station_area_compliance, ``'>='``, m²), and the
    walking radius (standard_id ``'service_radius_m'``, indicator service_circle_coverage,
    ``'<='``, metres). effective_year is Int64 (<NA>: every year); figure is the peer_cases.csv
    reference(s) joined with ``'; '``; overridden (bool) is True when the manifest changed the
    built-in value. Raises ``ValueError`` like ``catalog_for`` and ``service_radius_m``.
    """
    cat = catalog_for(config) if catalog is None else catalog
    records = []
    for ind_id, ind in cat.items():
        std = ind.standard
        if std is None:
            continue
        built_in = CATALOG[ind_id].standard if ind_id in CATALOG else None
        records.append({
            "standard_id": ind_id, "indicator_id": ind_id, "name_zh": ind.name_zh,
            "name_en": ind.name_en, "comparison": std.comparison, "value": std.value,
            "low": std.low, "high": std.high, "unit_zh": _rate_unit(ind, "zh"),
            "unit_en": _rate_unit(ind, "en"), "label_zh": std.label_zh, "label_en": std.label_en,
            "source_zh": std.source_zh, "source_en": std.source_en, "basis": std.basis,
            "effective_year": std.effective_year, "figure": "; ".join(std.figure),
            "overridden": std != built_in})
    areas = station_area_minimums(config)
    custom_areas = STATION_AREA_KEY in ((config or {}).get("standards") or {})
    for station_type, minimum in areas.items():
        default = DEFAULT_STATION_AREA_MIN_M2.get(station_type)
        overridden = custom_areas and default != minimum
        records.append({
            "standard_id": f"{STATION_AREA_KEY}:{station_type}",
            "indicator_id": "station_area_compliance", "name_zh": f"{station_type}最小面积",
            "name_en": f"Minimum floor area: {station_type}", "comparison": ">=",
            "value": minimum, "low": None, "high": None, "unit_zh": "m²", "unit_en": "m²",
            "label_zh": f"{station_type} ≥ {minimum:,.0f} m²",
            "label_en": f"{station_type} ≥ {minimum:,.0f} m²",
            "source_zh": "数据集清单 standards.station_area_min_m2 设定" if overridden
            else AREA_SOURCE_ZH,
            "source_en": "dataset manifest, standards.station_area_min_m2" if overridden
            else AREA_SOURCE_EN,
            "basis": "standard", "effective_year": None,
            "figure": "" if overridden else AREA_FIGURES.get(station_type, ""),
            "overridden": overridden})
    radius = service_radius_m(config)
    records.append({
        "standard_id": "service_radius_m", "indicator_id": "service_circle_coverage",
        "name_zh": "15分钟生活圈步行半径", "name_en": "15-minute life circle walking radius",
        "comparison": "<=", "value": radius, "low": None, "high": None, "unit_zh": "米",
        "unit_en": "m", "label_zh": f"≤ {radius:,.0f} 米", "label_en": f"≤ {radius:,.0f} m",
        "source_zh": RADIUS_SOURCE_ZH, "source_en": RADIUS_SOURCE_EN, "basis": "standard",
        "effective_year": None, "figure": "", "overridden": radius != service_radius_m(None)})
    out = pd.DataFrame(records, columns=LIBRARY_COLUMNS)
    for col in ("value", "low", "high"):
        out[col] = out[col].astype("float64")
    out["effective_year"] = out["effective_year"].astype("Int64")
    out["overridden"] = out["overridden"].astype(bool)
    return out


def stations_of_year(stations: pd.DataFrame | None, year: int) -> pd.DataFrame | None:
    """The station register rows that count in ``year``: the register of that year, or the latest
    one before it, or an undated one (``measures.select_registers``, as everywhere else), and only
    stations opened by the end of the year (unknown opening date: counted).
    Input: the canonical ``stations`` table (year Int64 or <NA>, opened datetime64 optional);
    None or empty in, the same out."""
    if stations is None or stations.empty:
        return stations
    reg = _register_year(stations).fillna(-1).astype("int64")
    chosen = select_registers(set(reg.tolist()), bool((reg < 0).any()), [int(year)]).get(int(year))
    keep = (reg == chosen).to_numpy()
    if "opened" in stations.columns:
        keep = keep & ~(stations["opened"].dt.year > int(year)).fillna(False).to_numpy(dtype=bool)
    return stations.loc[keep]


def failing_stations(stations: pd.DataFrame | None, config: Mapping[str, Any] | None = None,
                     year: int | None = None) -> pd.DataFrame:
    """Service centres below the minimum floor area of their type (不达标清单, per station):
    ``indicators.stations.station_standards(...).failing`` (station_id, station_name,
    station_type, unit_level, unit_id, area_m2, minimum_m2, gap_m2 = minimum − area in m², > 0;
    centres whose area is unknown last, gap NaN) with the dataset's minimums
    (``standards.station_area_min_m2``), for the stations counting in ``year``
    (``stations_of_year``; None: every row)."""
    from indicators.stations import station_standards

    rows = stations if year is None else stations_of_year(stations, year)
    if rows is None:
        rows = pd.DataFrame({"station_type": pd.Series(dtype="string")})
    return station_standards(rows, float("nan"), station_area_minimums(config)).failing


UNCOVERED_COLUMNS = ["unit_id", "unit_name", "population", "distance_m", "station_id",
                     "station_name", "radius_m", "gap_m"]


def uncovered_grids(grids: pd.DataFrame | None, stations: pd.DataFrame | None, year: int,
                    config: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Grids whose centroid lies beyond the walking radius of every qualifying station in
    ``year`` (不达标清单 of the 15-minute life circle), farthest first.

    grids / stations: the canonical tables (grids with unit_id, population, lat, lon, year;
    stations with lat, lon, station_type, opened, year); the register and open stations of
    ``year`` are chosen by ``coverage.select_year``; radius and qualifying station types come
    from ``config`` (``settings.service_radius_m``, ``settings.service_station_types``).
    Returns ``UNCOVERED_COLUMNS``: unit_id, unit_name (<NA> when the register has none),
    population (人), distance_m (to the nearest qualifying station, m; inf when there is none),
    station_id, station_name (that station), radius_m, gap_m (distance − radius, m, > 0).
    Grids without a centroid are not listed (they are excluded from the indicator). Empty when
    either table or the year's register is missing. Raises ``ValueError`` like
    ``service_radius_m``.
    """
    empty = pd.DataFrame({c: pd.Series(dtype="float64" if c in ("population", "distance_m",
                                                                "radius_m", "gap_m")
                                       else "string") for c in UNCOVERED_COLUMNS})
    if grids is None or stations is None or grids.empty or stations.empty \
            or not {"lat", "lon"} <= set(grids.columns) & set(stations.columns):
        return empty
    chosen = select_year(grids, stations, int(year))
    if chosen is None:
        return empty
    radius = service_radius_m(config)
    cov = service_circle_coverage(chosen[0], chosen[1], radius, qualifying_station_types(config))
    g = cov.grids
    out = g.loc[~g["covered"] & g["distance_m"].notna()].copy()
    if "unit_name" not in out.columns:
        out["unit_name"] = pd.array([pd.NA] * len(out), dtype="string")
    out["radius_m"] = radius
    out["gap_m"] = out["distance_m"] - radius
    return out.sort_values(["gap_m", "unit_id"], ascending=[False, True], kind="stable") \
        [UNCOVERED_COLUMNS].reset_index(drop=True)
