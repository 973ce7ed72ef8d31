"""15-minute life circle (15分钟生活圈) coverage: population near a service station.

A grid is covered in year Y when its centroid lies within the walking radius (default 1,000 m,
``settings: {service_radius_m: …}`` in the manifest) of a *qualifying* station open by the end
of Y (every station type by default; ``settings: {service_station_types: [社区党群服务中心, …]}``
limits them). A grid exactly at the radius is covered (tolerance ``COVER_TOLERANCE_M``).

Distances: straight lines on a spherical transverse Mercator projection (scale factor 1 on a
central meridian through the data, sphere of radius ``EARTH_RADIUS_M``; Snyder, *Map
Projections — A Working Manual*, USGS Professional Paper 1395, 1987, eqs. 8-1 to 8-3), searched
with scipy's ``cKDTree``. The projection's scale error is (sec of the angular distance from the
central meridian) − 1: 1.1e-5 at 30 km, 2.8e-4 at 150 km, so nearest-station distances of a few
kilometres agree with great-circle (haversine) distances to well under a metre anywhere in a
city or prefecture (tests/test_coverage.py checks < 1 m; bench/bench_coverage.py measures it on
50,000 grids). Grid centroids come from the register's lat/lon or, when the register has none,
from the finest level's polygons (data/geo.py, on load).

The measure is a stock of the grid register, computed per period year because both the register
and the set of open stations change with the year.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from data.coords import EARTH_RADIUS_M
from indicators.measures import _register_year, select_registers

DEFAULT_SERVICE_RADIUS_M = 1000.0
#: a grid this close beyond the radius still counts (floating-point noise, 1 mm)
COVER_TOLERANCE_M = 0.001


def service_radius_m(config: Mapping[str, Any] | None) -> float:
    """Walking radius in metres: ``config['settings']['service_radius_m']`` or 1,000 m.
    Raises ``ValueError`` for a radius that is not a positive number."""
    value = ((config or {}).get("settings") or {}).get("service_radius_m",
                                                         DEFAULT_SERVICE_RADIUS_M)
    radius = float(value)
    if not radius > 0:
        raise ValueError(f"settings.service_radius_m must be positive: {value!r}")
    return radius


def qualifying_station_types(config: Mapping[str, Any] | None) -> tuple[str, ...] | None:
    """Station types that count for coverage: ``config['settings']['service_station_types']``
    (a list of exact ``station_type`` texts), or None = every type. Raises ``ValueError`` for
    something that is not a non-empty list of texts."""
    value = ((config or {}).get("settings") or {}).get("service_station_types")
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ValueError(f"settings.service_station_types must be a list of station types: "
                         f"{value!r}")
    return tuple(v.strip() for v in value)


def project_tm(lat, lon, lat0: float, lon0: float) -> np.ndarray:
    """Spherical transverse Mercator (k0 = 1, origin lat0/lon0, radius EARTH_RADIUS_M).

    lat, lon: WGS-84 degrees (arrays). Returns an (N, 2) float64 array of x (east), y (north)
    in metres. Snyder 1987 eqs. 8-1..8-3: B = cos φ sin Δλ, x = R·atanh B,
    y = R·(atan2(tan φ, cos Δλ) − φ0).
    """
    k = np.pi / 180.0
    phi = np.asarray(lat, dtype="float64") * k
    dlam = (np.asarray(lon, dtype="float64") - lon0) * k
    b = np.cos(phi) * np.sin(dlam)
    x = EARTH_RADIUS_M * np.arctanh(b)
    y = EARTH_RADIUS_M * (np.arctan2(np.tan(phi), np.cos(dlam)) - lat0 * k)
    return np.column_stack([x, y])


def nearest_station(grid_lat, grid_lon, station_lat, station_lon,
                    upper_bound_m: float = np.inf) -> tuple[np.ndarray, np.ndarray]:
    """Distance (m) from each grid to its nearest station, and that station's position.

    All inputs WGS-84 degrees; stations must be located (no NaN). Grids with NaN coordinates
    get distance NaN and index −1; with no station — or none within ``upper_bound_m``, which
    makes the search faster when only "within the radius" matters — distance inf and index −1.
    The projection is centred on the middle of the grids and stations (see module docstring).
    """
    g_lat = np.asarray(grid_lat, dtype="float64")
    g_lon = np.asarray(grid_lon, dtype="float64")
    s_lat = np.asarray(station_lat, dtype="float64")
    s_lon = np.asarray(station_lon, dtype="float64")
    dist = np.full(len(g_lat), np.nan)
    index = np.full(len(g_lat), -1, dtype="int64")
    located = ~np.isnan(g_lat) & ~np.isnan(g_lon)
    if not located.any():
        return dist, index
    if len(s_lat) == 0:
        dist[located] = np.inf
        return dist, index
    lats = np.concatenate([g_lat[located], s_lat])
    lons = np.concatenate([g_lon[located], s_lon])
    lat0 = float((lats.min() + lats.max()) / 2)
    lon0 = float((lons.min() + lons.max()) / 2)
    from scipy.spatial import cKDTree    # here: scipy costs ≈ 0.5 s at import
    tree = cKDTree(project_tm(s_lat, s_lon, lat0, lon0))
    d, i = tree.query(project_tm(g_lat[located], g_lon[located], lat0, lon0),
                      distance_upper_bound=upper_bound_m)
    dist[located], index[located] = d, np.where(np.isinf(d), -1, i)
    return dist, index


@dataclass(frozen=True)
class Coverage:
    """Result of :func:`service_circle_coverage`.

    grids: one row per grid — unit_id (str), unit_name (when the input has it), population
    (float, 人), lat, lon (WGS-84°),
    distance_m (float, metres to the nearest qualifying station; NaN = grid not located, inf =
    no station), station_id, station_name, station_type (of that station; <NA> if none),
    covered (bool: distance_m ≤ radius_m).
    by_type: one row per station type (qualifying or not) — station_type, stations (int:
    stations of that type within the radius of at least one located grid, i.e. serving these
    grids), population_covered (people within the radius of a station of that type), share
    (of population_located).
    radius_m: the radius; station_types: the qualifying types (None = all);
    population_located, population_covered (float, 人); grids_unlocated (int).
    """

    grids: pd.DataFrame
    by_type: pd.DataFrame
    radius_m: float
    station_types: tuple[str, ...] | None
    population_located: float
    population_covered: float
    grids_unlocated: int

    @property
    def share(self) -> float:
        """Covered share of the located population (NaN when nobody is located)."""
        return (self.population_covered / self.population_located
                if self.population_located > 0 else float("nan"))

    @property
    def uncovered(self) -> pd.DataFrame:
        """Located grids beyond the radius, most populous first (ties by unit_id): the
        columns of ``grids``."""
        rows = self.grids[~self.grids["covered"] & self.grids["distance_m"].notna()]
        return rows.sort_values(["population", "unit_id"], ascending=[False, True],
                                kind="stable").reset_index(drop=True)


def _numbers(df: pd.DataFrame, col: str) -> np.ndarray:
    """``df[col]`` as float64 (NaN for blanks and text; all NaN when the column is absent)."""
    if col not in df.columns:
        return np.full(len(df), np.nan)
    return pd.to_numeric(df[col], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def _text(df: pd.DataFrame, col: str, fill: str | None = None) -> pd.Series:
    """``df[col]`` as stripped ``string`` (all <NA> when absent; <NA> → ``fill`` if given)."""
    if col not in df.columns:
        out = pd.Series(pd.NA, index=df.index, dtype="string")
    else:
        out = df[col].astype("string").str.strip()
    return out.fillna(fill) if fill is not None else out


def service_circle_coverage(grids: pd.DataFrame, stations: pd.DataFrame,
                            radius_m: float = DEFAULT_SERVICE_RADIUS_M,
                            station_types: Sequence[str] | None = None) -> Coverage:
    """Population coverage of the walking radius around qualifying stations, for one register.

    grids: unit_id, population (人; missing = 0), lat, lon (WGS-84°; missing = not located) —
    one register year (see :func:`select_year`); stations: lat, lon, and optionally
    station_id, station_name, station_type — the stations open in that year. Stations without
    coordinates are ignored. radius_m: walking radius in metres (> 0); station_types: the
    qualifying ``station_type`` values (None = all). Raises ``ValueError`` for a radius ≤ 0.
    Returns a :class:`Coverage` (per-grid nearest station and distance, covered share,
    uncovered grids, coverage by station type).
    """
    if not radius_m > 0:
        raise ValueError(f"radius_m must be positive: {radius_m!r}")
    g_lat, g_lon = _numbers(grids, "lat"), _numbers(grids, "lon")
    population = np.nan_to_num(_numbers(grids, "population"))
    s_lat, s_lon = _numbers(stations, "lat"), _numbers(stations, "lon")
    s_type = _text(stations, "station_type")
    s_ok = ~np.isnan(s_lat) & ~np.isnan(s_lon)
    qualifying = s_ok & (s_type.isin(list(station_types)).fillna(False).to_numpy()
                         if station_types is not None else True)
    dist, index = nearest_station(g_lat, g_lon, s_lat[qualifying], s_lon[qualifying])
    located = ~np.isnan(dist)
    reach = radius_m + COVER_TOLERANCE_M
    covered = located & (dist <= reach)
    picked = stations.loc[qualifying]

    def of_nearest(col: str) -> pd.Series:
        values = _text(picked, col).to_numpy()
        out = pd.Series(pd.NA, index=range(len(grids)), dtype="string")
        hit = index >= 0
        out[hit] = values[index[hit]]
        return out

    per_grid = pd.DataFrame({
        "unit_id": grids["unit_id"].astype("string").to_numpy() if "unit_id" in grids
        else pd.array([pd.NA] * len(grids), dtype="string"),
        "population": population, "lat": g_lat, "lon": g_lon, "distance_m": dist,
        "station_id": of_nearest("station_id"), "station_name": of_nearest("station_name"),
        "station_type": of_nearest("station_type"), "covered": covered})
    if "unit_name" in grids.columns:          # carried for display (the map's hover)
        per_grid.insert(1, "unit_name", grids["unit_name"].astype("string").to_numpy())
    by_type = []
    for kind in sorted(s_type[s_ok].dropna().unique()):
        sel = s_ok & (s_type == kind).fillna(False).to_numpy()
        d, _ = nearest_station(g_lat, g_lon, s_lat[sel], s_lon[sel], upper_bound_m=reach)
        within = population[~np.isnan(d) & (d <= reach)].sum()
        serving, _ = nearest_station(s_lat[sel], s_lon[sel], g_lat[located], g_lon[located],
                                     upper_bound_m=reach)
        by_type.append((kind, int(np.isfinite(serving).sum()), float(within)))
    by_type_frame = pd.DataFrame(by_type, columns=["station_type", "stations",
                                                   "population_covered"])
    pop_located = float(population[located].sum())
    by_type_frame["share"] = (by_type_frame["population_covered"] / pop_located
                              if pop_located > 0 else np.nan)
    return Coverage(grids=per_grid, by_type=by_type_frame, radius_m=float(radius_m),
                    station_types=None if station_types is None else tuple(station_types),
                    population_located=pop_located,
                    population_covered=float(population[covered].sum()),
                    grids_unlocated=int((~located).sum()))


def select_year(grids: pd.DataFrame, stations: pd.DataFrame, year: int
                ) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """The grid register and the open stations for period ``year``, chosen as everywhere else:
    registers by ``measures.select_registers`` (that year's, else the latest before, else an
    undated one); a station counts when opened by the end of ``year`` or when its opening date
    is unknown. Returns (grids, stations) or None when either register is missing for the year.
    """
    g_year = _register_year(grids).fillna(-1).astype("int64").to_numpy()
    s_year = _register_year(stations).fillna(-1).astype("int64").to_numpy()
    g_reg = select_registers(set(g_year.tolist()), bool((g_year < 0).any()), [year])
    s_reg = select_registers(set(s_year.tolist()), bool((s_year < 0).any()), [year])
    if year not in g_reg or year not in s_reg:
        return None
    opened = (stations["opened"].dt.year.fillna(-1).astype("int64").to_numpy()
              if "opened" in stations.columns else np.full(len(stations), -1))
    s_sel = (s_year == s_reg[year]) & (opened <= year)
    return (grids[g_year == g_reg[year]].reset_index(drop=True),
            stations[s_sel].reset_index(drop=True))


def coverage_measures(grids: pd.DataFrame, stations: pd.DataFrame, finest_level: str,
                      years: list[int], radius_m: float = DEFAULT_SERVICE_RADIUS_M,
                      station_types: Sequence[str] | None = None) -> pd.DataFrame:
    """Covered population per grid and year (additive measures for the indicator table).

    Input: grids with unit_id, year (Int64 or <NA>), population (人), lat, lon (WGS-84°);
    stations with lat, lon, optional station_type, year (register year) and opened
    (datetime64). ``years``: the period years (registers and open stations per
    :func:`select_year`); radius_m and station_types as in :func:`service_circle_coverage`.
    Output: unit_level (= finest_level), unit_id, year (Int64: the period year),
    population_located (population of grids with a centroid), population_covered (of those,
    within ``radius_m`` of a qualifying station), grids_unlocated (grids without a centroid) —
    float64. Empty when either table lacks coordinates.
    """
    columns = ["unit_level", "unit_id", "year", "population_located", "population_covered",
               "grids_unlocated"]
    needed = {"lat", "lon"}
    if not needed <= set(grids.columns) or not needed <= set(stations.columns) \
            or "population" not in grids.columns:
        return pd.DataFrame(columns=columns)
    if np.isnan(_numbers(grids, "lat")).all() or np.isnan(_numbers(stations, "lat")).all():
        return pd.DataFrame(columns=columns)
    parts = []
    for year in years:
        chosen = select_year(grids, stations, year)
        if chosen is None:
            continue
        cov = service_circle_coverage(*chosen, radius_m=radius_m, station_types=station_types)
        g = cov.grids
        located = g["distance_m"].notna()
        parts.append(pd.DataFrame({
            "unit_id": g["unit_id"].to_numpy(), "year": year,
            "population_located": g["population"].where(located, 0.0).to_numpy(),
            "population_covered": g["population"].where(g["covered"], 0.0).to_numpy(),
            "grids_unlocated": (~located).astype("float64").to_numpy()}))
    if not parts:
        return pd.DataFrame(columns=columns)
    out = pd.concat(parts, ignore_index=True).groupby(["unit_id", "year"], sort=True).sum() \
        .reset_index()
    out.insert(0, "unit_level", finest_level)
    out["unit_id"] = out["unit_id"].astype("str")
    out["year"] = out["year"].astype("Int64")
    return out[columns]
