"""15-minute life circle (15分钟生活圈) coverage: population near a service station.

A grid is covered in year Y when its centroid lies within the walking radius (default 1,000 m,
``settings: {service_radius_m: …}`` in the manifest) of a station open by the end of Y. Distances
are straight lines on a local equirectangular projection (metres) with a k-d tree; on city scales
this differs from great-circle distance in the 5th decimal of the covered share
(/work/shared/FACTS.md). The measure is a stock of the grid register, computed per period year
because both the register and the set of open stations change with the year.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from indicators.measures import _register_year, select_registers

DEFAULT_SERVICE_RADIUS_M = 1000.0
EARTH_RADIUS_M = 6_371_008.8


def service_radius_m(config: Mapping[str, Any] | None) -> float:
    """Walking radius in metres: ``config['settings']['service_radius_m']`` or 1,000 m.
    Raises ``ValueError`` for a radius that is not a positive number."""
    value = ((config or {}).get("settings") or {}).get("service_radius_m",
                                                         DEFAULT_SERVICE_RADIUS_M)
    radius = float(value)
    if not radius > 0:
        raise ValueError(f"settings.service_radius_m must be positive: {value!r}")
    return radius


def _metres(lon: np.ndarray, lat: np.ndarray, lon0: float, lat0: float) -> np.ndarray:
    k = np.pi / 180.0
    return np.column_stack([(lon - lon0) * k * EARTH_RADIUS_M * np.cos(lat0 * k),
                            (lat - lat0) * k * EARTH_RADIUS_M])


def coverage_measures(grids: pd.DataFrame, stations: pd.DataFrame, finest_level: str,
                      years: list[int], radius_m: float = DEFAULT_SERVICE_RADIUS_M
                      ) -> pd.DataFrame:
    """Covered population per grid and year.

    Input: grids with unit_id, year (Int64 or <NA>), population (人), lat, lon (WGS-84°);
    stations with lat, lon, optional year (register year) and opened (datetime64; a station
    counts in year Y when opened by the end of Y or when the date is unknown). ``years``: the
    period years. For each year the grid and station registers are chosen as everywhere else
    (``select_registers``).
    Output: unit_level (= finest_level), unit_id, year (Int64: the period year),
    population_located (population of grids with a centroid), population_covered (of those,
    within ``radius_m`` of a station), grids_unlocated (grids without a centroid) — float64.
    Empty when either table lacks coordinates.
    """
    columns = ["unit_level", "unit_id", "year", "population_located", "population_covered",
               "grids_unlocated"]
    needed = {"lat", "lon"}
    if not needed <= set(grids.columns) or not needed <= set(stations.columns) \
            or "population" not in grids.columns:
        return pd.DataFrame(columns=columns)
    g_year = _register_year(grids).fillna(-1).astype("int64").to_numpy()
    s_year = _register_year(stations).fillna(-1).astype("int64").to_numpy()
    opened = (stations["opened"].dt.year.fillna(-1).astype("int64").to_numpy()
              if "opened" in stations.columns else np.full(len(stations), -1))
    g_lon = pd.to_numeric(grids["lon"], errors="coerce").to_numpy(dtype="float64")
    g_lat = pd.to_numeric(grids["lat"], errors="coerce").to_numpy(dtype="float64")
    s_lon = pd.to_numeric(stations["lon"], errors="coerce").to_numpy(dtype="float64")
    s_lat = pd.to_numeric(stations["lat"], errors="coerce").to_numpy(dtype="float64")
    population = pd.to_numeric(grids["population"], errors="coerce").fillna(0.0) \
        .to_numpy(dtype="float64")
    located = ~np.isnan(g_lon) & ~np.isnan(g_lat)
    s_ok = ~np.isnan(s_lon) & ~np.isnan(s_lat)
    if not located.any() or not s_ok.any():
        return pd.DataFrame(columns=columns)
    lon0, lat0 = float(np.nanmean(g_lon[located])), float(np.nanmean(g_lat[located]))
    g_reg = select_registers(set(g_year.tolist()), bool((g_year < 0).any()), years)
    s_reg = select_registers(set(s_year.tolist()), bool((s_year < 0).any()), years)
    parts = []
    for year in years:
        if year not in g_reg or year not in s_reg:
            continue
        g_sel = g_year == g_reg[year]
        s_sel = s_ok & (s_year == s_reg[year]) & (opened <= year)
        covered = np.zeros(len(grids), dtype=bool)
        if s_sel.any():
            tree = cKDTree(_metres(s_lon[s_sel], s_lat[s_sel], lon0, lat0))
            pts = g_sel & located
            dist, _ = tree.query(_metres(g_lon[pts], g_lat[pts], lon0, lat0),
                                 distance_upper_bound=radius_m)
            covered[np.flatnonzero(pts)] = dist <= radius_m
        parts.append(pd.DataFrame({
            "unit_id": grids["unit_id"].to_numpy()[g_sel], "year": year,
            "population_located": np.where(located, population, 0.0)[g_sel],
            "population_covered": np.where(covered, population, 0.0)[g_sel],
            "grids_unlocated": (~located[g_sel]).astype("float64")}))
    if not parts:
        return pd.DataFrame(columns=columns)
    out = pd.concat(parts, ignore_index=True).groupby(["unit_id", "year"], sort=True).sum() \
        .reset_index()
    out.insert(0, "unit_level", finest_level)
    out["unit_id"] = out["unit_id"].astype("str")
    out["year"] = out["year"].astype("Int64")
    return out[columns]
