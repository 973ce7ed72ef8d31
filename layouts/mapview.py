"""Data and figure of the Map page (地图): choropleth of an indicator by unit, stations coloured by
type with the ones below their area standard ringed, walking-radius circles, uncovered grids.

Pure functions and one memoising access object, testable without a browser:

- :class:`MapData` — boundaries (data/geo.py), per-year coverage (indicators/coverage.py) and
  station standards (indicators/stations.py) of one dataset, each computed once per
  (year, radius, station types) and reused by every callback;
- :func:`map_figure` — the plotly figure.

The figure uses plotly's ``choropleth``/``scattergeo`` traces on a ``geo`` subplot with every base
layer hidden and ``fitbounds``: polygons come from the dataset's GeoJSON, so nothing is fetched
from a tile server or a CDN and the map works offline.
"""
from __future__ import annotations

from dataclasses import dataclass, replace as dataclass_replace
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from data.coords import EARTH_RADIUS_M
from data.geo import Boundary, dataset_boundaries
from data.hierarchy import ancestor_at
from indicators.catalog import format_value, station_area_minimums, status
from indicators.coverage import (COVER_TOLERANCE_M, Coverage, nearest_station,
                                 qualifying_station_types, select_year, service_circle_coverage,
                                 service_radius_m)
from indicators.stations import StationStandards, station_standards
from layouts.i18n import t

#: qualitative colours for station types (colour-blind-safe Okabe–Ito order)
TYPE_COLOURS = ("#0072B2", "#009E73", "#CC79A7", "#56B4E9", "#E69F00", "#F0E442", "#000000")
FAIL_COLOUR = "#D55E00"
UNCOVERED_COLOUR = "#B2182B"
#: points on a drawn walking-radius circle
CIRCLE_POINTS = 48
#: Unit names are written on the map up to this many units (streets, districts; not 600 grids).
MAX_MAP_LABELS = 40
#: Map colours: shades of blue where the standard is met, of orange where it is not — never
#: white, so a unit that meets the standard is never mistaken for one without data (grey).
#: (The dark ends stay mid-tone so the unit names written on the map remain readable.)
MEETS_LIGHT, MEETS_DARK = "#a6cbe3", "#3a7dbf"
FAILS_LIGHT, FAILS_DARK = "#fdd0a2", "#e6661a"


def colour_scale(indicator: Any, shown: pd.Series, lang: str, year: Any = None) -> dict:
    """The choropleth's colour scale for ``shown`` (the values drawn: rates in %, others in
    their unit), anchored to the indicator's standard.

    With a standard ``≥ s`` (``≤ s``): the range runs from the lowest to the highest value and
    always includes ``s``; values on the good side of ``s`` are blue (darker further from it),
    the others orange. A band ``[low, high]``: blue inside, orange outside. Without a standard
    (or before it applies): light to dark blue (reversed when lower is better). Returns
    ``{"colorscale", "zmin", "zmax", "title", "ticksuffix", "tickformat"}`` — ticks carry ``%``
    for rates and the title names the unit and the standard."""
    values = pd.to_numeric(shown, errors="coerce").dropna().astype(float)
    rate = indicator.kind == "rate"
    factor = 100.0 if rate else 1.0
    std = getattr(indicator, "standard", None)
    if std is not None and year is not None and hasattr(std, "applies") and \
            not std.applies(str(year)):
        std = None
    lo = float(values.min()) if len(values) else 0.0
    hi = float(values.max()) if len(values) else 1.0
    anchors = []
    if std is not None:
        anchors = [b * factor for b in ((std.low, std.high) if std.comparison == "between"
                                        else (std.value,)) if b is not None]
    lo, hi = min([lo, *anchors]), max([hi, *anchors])
    if hi - lo < 1e-9:
        lo, hi = lo - 1.0, hi + 1.0

    def at(v: float) -> float:
        return min(max((v - lo) / (hi - lo), 0.0), 1.0)

    if std is None or not anchors:
        scale = [[0.0, MEETS_LIGHT], [1.0, MEETS_DARK]]
        if indicator.direction == "lower":
            scale = [[0.0, MEETS_DARK], [1.0, MEETS_LIGHT]]
    elif std.comparison == ">=":
        p = at(anchors[0])
        scale = ([[0.0, FAILS_DARK], [p, FAILS_LIGHT]] if p > 0 else []) + \
            [[p, MEETS_LIGHT], [1.0, MEETS_DARK]]
    elif std.comparison == "<=":
        p = at(anchors[0])
        scale = [[0.0, MEETS_DARK], [p, MEETS_LIGHT]] + \
            ([[p, FAILS_LIGHT], [1.0, FAILS_DARK]] if p < 1 else [])
    else:
        a, b = at(min(anchors)), at(max(anchors))
        scale = (([[0.0, FAILS_DARK], [a, FAILS_LIGHT]] if a > 0 else []) +
                 [[a, MEETS_LIGHT], [b, MEETS_LIGHT]] +
                 ([[b, FAILS_LIGHT], [1.0, FAILS_DARK]] if b < 1 else []))
    if scale[0][0] > 0:
        scale[0][0] = 0.0
    if scale[-1][0] < 1:
        scale[-1][0] = 1.0
    unit = "%" if rate else indicator.unit(lang)
    title = unit
    if std is not None and anchors:
        label = std.label_en if lang == "en" else std.label_zh
        title = f"{unit}<br>{t('standard', lang)} {label}" if unit else \
            f"{t('standard', lang)} {label}"
    return {"colorscale": scale, "zmin": lo, "zmax": hi, "title": title,
            "ticksuffix": "%" if rate else "",
            "tickformat": (".1f" if hi - lo < 5 else ".0f") if rate else ","}


def units_under(units: pd.DataFrame, scope_level: str | None, scope_id: str | None
                ) -> set[tuple[str, str]]:
    """(level, unit_id) of the scope unit and every unit below it (all units when no scope).

    units: data/model.py ``units`` (level, unit_id, parent_id, depth). One merge per level.
    """
    if not scope_level or scope_level == "total":
        return set(zip(units["level"].astype(str), units["unit_id"].astype(str)))
    keep = {(scope_level, scope_id)}
    frontier = {scope_id}
    depth = units.loc[units["level"] == scope_level, "depth"]
    if depth.empty:
        return keep
    for d in range(int(depth.iloc[0]) + 1, int(units["depth"].max()) + 1):
        below = units[(units["depth"] == d) & units["parent_id"].isin(frontier)]
        keep |= set(zip(below["level"].astype(str), below["unit_id"].astype(str)))
        frontier = set(below["unit_id"].astype(str))
    return keep


@dataclass(frozen=True)
class YearView:
    """Everything the map draws for one year, radius and set of qualifying station types."""

    coverage: Coverage | None
    standards: StationStandards | None
    #: stations drawn: the scope's own and those serving its grids, with area_status
    stations: pd.DataFrame
    grids: pd.DataFrame             # the scope's grids of the register used, with unit_name
    #: stations open that year that reach a grid of the scope (all of them for no scope)
    open_stations: pd.DataFrame | None = None


class MapData:
    """Geography of one loaded dataset for the Map page (read-only; results are memoised).

    dataset: data.model.Dataset. Boundaries that cannot be read leave ``boundaries`` empty and
    ``boundary_error`` set (the load report already lists the problem).
    """

    def __init__(self, dataset: Any) -> None:
        self.dataset = dataset
        try:
            self.boundaries: dict[str, Boundary] = dataset_boundaries(dataset)
            self.boundary_error: str | None = None
        except ValueError as exc:       # ManifestError is a ValueError
            self.boundaries, self.boundary_error = {}, str(exc)
        self.boundaries = {lv: within_units(b, dataset.units) for lv, b in self.boundaries.items()}
        self.default_radius_m = service_radius_m(dataset.config)
        self.default_types = qualifying_station_types(dataset.config)
        stations = dataset.tables.get("stations")
        self.station_types: list[str] = (
            sorted(stations["station_type"].dropna().astype(str).str.strip().unique())
            if stations is not None and "station_type" in stations else [])
        units = dataset.units
        self._names = dict(zip(zip(units["level"].astype(str), units["unit_id"].astype(str)),
                               units["unit_name"].astype(str)))
        self._views: dict[tuple, YearView] = {}

    @property
    def levels(self) -> list[str]:
        """Levels with a boundary, top first."""
        return [lv for lv in self.dataset.levels if lv in self.boundaries]

    def unit_name(self, level: str, unit_id: str) -> str:
        return self._names.get((level, unit_id), unit_id)

    def view(self, year: int, radius_m: float, types: tuple[str, ...] | None,
             scope: str = "total") -> YearView:
        """Coverage, station standards and the year's stations/grids (memoised) for the units
        under ``scope`` (a layouts.store unit key; ``"total"`` = everything). Grids in the scope
        are covered by any qualifying station, inside the scope or not; the stations listed and
        measured against their standards are those attached to a unit in the scope."""
        key = (year, float(radius_m), types, scope)
        if key not in self._views:
            self._views[key] = self._compute(year, float(radius_m), types, scope)
        return self._views[key]

    def _compute(self, year: int, radius_m: float, types: tuple[str, ...] | None,
                 scope: str) -> YearView:
        tables = self.dataset.tables
        grids, stations = tables.get("grids"), tables.get("stations")
        empty = pd.DataFrame()
        if grids is None or stations is None:
            return YearView(None, None, empty, grids if grids is not None else empty)
        chosen = select_year(grids, stations, year)
        if chosen is None:
            return YearView(None, None, empty, empty)
        g, s = chosen
        finest = self.dataset.finest
        level, _, unit_id = scope.partition(":")
        if scope != "total":
            inside = units_under(self.dataset.units, level, unit_id)
            g = g[g["unit_id"].astype(str).isin({u for lv, u in inside if lv == finest})]
            keys = pd.Series(list(zip(s.get("unit_level", pd.Series(index=s.index)).astype(str),
                                      s.get("unit_id", pd.Series(index=s.index)).astype(str))),
                             index=s.index, dtype=object)
            own = s[keys.isin(inside).to_numpy()]
        else:
            own = s
        g = g.assign(unit_name=[self.unit_name(finest, str(u)) for u in g["unit_id"]])
        coverage = (service_circle_coverage(g, s, radius_m, types)
                    if {"lat", "lon"} <= set(g.columns) and {"lat", "lon"} <= set(s.columns)
                    else None)
        population = float(pd.to_numeric(g["population"], errors="coerce").sum()) \
            if "population" in g else 0.0
        minimums = station_area_minimums(self.dataset.config)
        standards = station_standards(own, population, minimums)
        kind = (s["station_type"].astype("string").str.strip() if "station_type" in s
                else pd.Series(pd.NA, index=s.index, dtype="string"))
        minimum = kind.map(minimums).astype("float64")
        area = (pd.to_numeric(s["area_m2"], errors="coerce") if "area_m2" in s
                else pd.Series(np.nan, index=s.index))
        area_status = np.select([minimum.isna().to_numpy(), area.isna().to_numpy(),
                                 (area >= minimum).to_numpy()],
                                ["none", "unknown", "meets"], "fails")
        s = s.assign(area_status=area_status, minimum_m2=minimum)
        reach = np.ones(len(s), dtype=bool)
        if scope != "total" and coverage is not None and {"lat", "lon"} <= set(s.columns):
            # circles only around the stations that reach a grid of the scope
            d, _ = nearest_station(s["lat"], s["lon"], g["lat"], g["lon"],
                                   upper_bound_m=radius_m + COVER_TOLERANCE_M)
            reach = np.isfinite(d)
        # drawn: the scope's own stations and every station that serves one of its grids
        shown = s[s.index.isin(own.index) | reach]
        return YearView(coverage, standards, shown, g, s[reach])


    def coverage_rows(self, year: int, radius_m: float, types: tuple[str, ...] | None,
                      level: str) -> pd.DataFrame:
        """``service_circle_coverage`` by unit of ``level`` at a radius or set of station types
        other than the manifest's (the indicator table holds only the manifest's): unit_id,
        unit_name, value (Σ covered / Σ located population of the unit's grids), numerator,
        denominator, small_count — the columns of layouts.store's rows. Memoised."""
        key = ("rows", year, float(radius_m), types, level)
        if key not in self._views:
            cov = self.view(year, radius_m, types).coverage
            if cov is None:
                self._views[key] = pd.DataFrame(columns=["unit_id", "unit_name", "value"])
            else:
                g = cov.grids[cov.grids["distance_m"].notna()]
                finest = self.dataset.finest
                unit = ancestor_at(self.dataset.units, list(self.dataset.levels),
                                   pd.Series(finest, index=g.index, dtype="string"),
                                   g["unit_id"].astype("string"), level)
                frame = pd.DataFrame({"unit_id": unit.to_numpy(),
                                      "numerator": g["population"].where(g["covered"], 0.0),
                                      "denominator": g["population"]}).dropna(subset=["unit_id"])
                out = frame.groupby("unit_id", sort=True)[["numerator", "denominator"]].sum() \
                    .reset_index()
                out["value"] = (out["numerator"] / out["denominator"]).where(
                    out["denominator"] > 0)
                out["unit_name"] = [self.unit_name(level, str(u)) for u in out["unit_id"]]
                out["small_count"] = False
                self._views[key] = out
        return self._views[key].copy()


_current: MapData | None = None


def within_units(boundary: Boundary, units: pd.DataFrame) -> Boundary:
    """``boundary`` holding only the polygons of ``units`` (data.model units: level, unit_id)
    of its level: a scoped user's dataset (server.scope) has only the units in scope, so
    neither the figure nor the GeoJSON sent to the browser names or outlines any other unit."""
    own = set(units.loc[units["level"].astype(str) == boundary.level, "unit_id"].astype(str))
    keep = boundary.units["unit_id"].astype(str).isin(own)
    if bool(keep.all()):
        return boundary
    features = [f for f in boundary.geojson.get("features", []) if str(f.get("id")) in own]
    return dataclass_replace(boundary, units=boundary.units[keep.to_numpy()].reset_index(
        drop=True), geojson={**boundary.geojson, "features": features})


def map_data(dataset: Any) -> MapData:
    """The memoised :class:`MapData` of ``dataset``: one process serves one dataset (as in
    layouts.store), so a new dataset object replaces the previous one."""
    global _current
    if _current is None or _current.dataset is not dataset:
        _current = MapData(dataset)
    return _current


def circle(lat: float, lon: float, radius_m: float, n: int = CIRCLE_POINTS
           ) -> tuple[np.ndarray, np.ndarray]:
    """The circle of ``radius_m`` (great-circle distance) around (lat, lon) as n + 1 closed
    points (degrees), by the spherical destination-point formula (radius EARTH_RADIUS_M)."""
    k = np.pi / 180.0
    bearing = np.linspace(0.0, 2 * np.pi, n + 1)
    delta = radius_m / EARTH_RADIUS_M
    phi1, lam1 = lat * k, lon * k
    phi2 = np.arcsin(np.sin(phi1) * np.cos(delta) + np.cos(phi1) * np.sin(delta) * np.cos(bearing))
    lam2 = lam1 + np.arctan2(np.sin(bearing) * np.sin(delta) * np.cos(phi1),
                             np.cos(delta) - np.sin(phi1) * np.sin(phi2))
    return phi2 / k, lam2 / k


def _circles(stations: pd.DataFrame, radius_m: float) -> tuple[list, list]:
    lats: list = []
    lons: list = []
    for lat, lon in zip(stations["lat"], stations["lon"]):
        la, lo = circle(float(lat), float(lon), radius_m)
        lats += [*la, None]
        lons += [*lo, None]
    return lats, lons


def map_figure(boundary: Boundary | None, rows: pd.DataFrame, indicator: Any, lang: str,
               stations: pd.DataFrame | None = None, coverage: Coverage | None = None,
               show_stations: bool = True, show_circles: bool = False,
               show_uncovered: bool = True,
               qualifying: tuple[str, ...] | None = None, title: str = "",
               only: set[str] | None = None,
               circle_stations: pd.DataFrame | None = None,
               year: Any = None) -> go.Figure:
    """The map.

    boundary: the level's polygons (None: no choropleth). rows: indicator rows of that level
    (unit_id, unit_name, value, small_count; see layouts.store) — units without a row are drawn
    grey. stations: the year's stations (station_name, station_type, lat, lon, area_m2,
    minimum_m2, area_status 'meets' | 'fails' | 'unknown' | 'none'), drawn when
    ``show_stations``. coverage: its uncovered grids are drawn as crosses when
    ``show_uncovered``; circles of the coverage radius around the qualifying stations
    (``qualifying`` types, None = all) when ``show_circles``. Hover texts are in
    ``lang``. A click on a polygon reports its unit id as ``location``. only: unit ids of the
    boundary to draw (None = all), e.g. the units under a drilled-down scope.
    circle_stations: the stations to draw circles around (default ``stations``), e.g. every
    open station when ``stations`` is limited to a scope. year: the year shown (a standard
    counts from its effective year on). The colour scale is :func:`colour_scale`; unit names
    are written on the map when there are at most :data:`MAX_MAP_LABELS` units.
    """
    fig = go.Figure()
    if boundary is not None and indicator is not None:
        ids = boundary.units["unit_id"].astype(str)
        if only is not None:
            ids = ids[ids.isin(only)]
        values = rows.set_index("unit_id")["value"] if len(rows) else pd.Series(dtype=float)
        names = rows.set_index("unit_id")["unit_name"] if len(rows) else pd.Series(dtype=str)
        prov = (rows.set_index("unit_id")["provisional"]
                if len(rows) and "provisional" in rows else pd.Series(dtype=bool))
        frame = pd.DataFrame({"unit_id": ids})
        frame["value"] = frame["unit_id"].map(values).astype("float64")
        frame["name"] = frame["unit_id"].map(names).fillna(frame["unit_id"])
        scale = indicator.kind == "rate"
        shown = frame["value"] * 100 if scale else frame["value"]
        frame["provisional"] = frame["unit_id"].map(prov).astype("boolean").fillna(False).astype(bool)
        text = [f"<b>{n}</b><br>{indicator.name(lang)}：{format_value(indicator, v, lang)}"
                f"{t('provisional_suffix', lang) if p else ''}"
                f"<br>{t('status_' + status(indicator, v, None, p), lang)}"
                for n, v, p in zip(frame["name"], frame["value"], frame["provisional"])]
        has = frame["value"].notna()
        colours = colour_scale(indicator, shown[has], lang, year=year)
        fig.add_trace(go.Choropleth(
            geojson=boundary.geojson, locations=frame.loc[~has, "unit_id"],
            z=np.zeros(int((~has).sum())), colorscale=[[0, "#e0e0e0"], [1, "#e0e0e0"]],
            showscale=False, marker_line_color="#ffffff", marker_line_width=0.8,
            text=[x for x, h in zip(text, has) if not h], hovertemplate="%{text}<extra></extra>",
            name=t("map_no_value", lang), featureidkey="id"))
        fig.add_trace(go.Choropleth(
            geojson=boundary.geojson, locations=frame.loc[has, "unit_id"], z=shown[has],
            colorscale=colours["colorscale"], zmin=colours["zmin"], zmax=colours["zmax"],
            marker_line_color="#ffffff", marker_line_width=0.8, featureidkey="id",
            text=[x for x, h in zip(text, has) if h], hovertemplate="%{text}<extra></extra>",
            colorbar={"title": {"text": colours["title"], "font": {"size": 12}},
                      "ticksuffix": colours["ticksuffix"], "tickformat": colours["tickformat"],
                      "thickness": 12, "len": 0.6, "x": 0.0, "xanchor": "left"},
            name=indicator.name(lang)))
        located = boundary.units.set_index(boundary.units["unit_id"].astype(str))
        named = frame[frame["unit_id"].isin(located.index)]
        if 0 < len(named) <= MAX_MAP_LABELS:
            # unit names on the map, at each polygon's centroid (the hover gives the value)
            fig.add_trace(go.Scattergeo(
                lat=located.loc[named["unit_id"], "lat"].to_numpy(float),
                lon=located.loc[named["unit_id"], "lon"].to_numpy(float),
                mode="text", text=named["name"].astype(str).to_numpy(object),
                textfont={"size": 12, "color": "#1a1a1a"}, hoverinfo="skip",
                showlegend=False, name=""))
    around = stations if circle_stations is None else circle_stations
    if coverage is not None and show_circles and around is not None and len(around):
        qual = around if qualifying is None else around[
            around["station_type"].astype("string").str.strip().isin(list(qualifying))]
        qual = qual.dropna(subset=["lat", "lon"])
        lats, lons = _circles(qual, coverage.radius_m)
        fig.add_trace(go.Scattergeo(lat=lats, lon=lons, mode="lines", fill="toself",
                                    fillcolor="rgba(0,114,178,0.08)",
                                    line={"color": "rgba(0,114,178,0.45)", "width": 0.8},
                                    hoverinfo="skip", name=t("map_circles", lang,
                                                             radius=f"{coverage.radius_m:,.0f}")))
    if coverage is not None and show_uncovered:
        un = coverage.uncovered
        if len(un):
            names = un["unit_name"] if "unit_name" in un else un["unit_id"]
            text = [t("map_uncovered_hover", lang, name=n, population=f"{p:,.0f}",
                      distance=("—" if not np.isfinite(d) else f"{d:,.0f}"),
                      station=s if isinstance(s, str) else "—")
                    for n, p, d, s in zip(names, un["population"], un["distance_m"],
                                          un["station_name"])]
            fig.add_trace(go.Scattergeo(
                lat=un["lat"], lon=un["lon"], mode="markers", text=text,
                hovertemplate="%{text}<extra></extra>",
                marker={"symbol": "x", "size": 7, "color": UNCOVERED_COLOUR,
                        "line": {"width": 0}},
                name=t("map_uncovered", lang, n=f"{len(un):,}")))
    if show_stations and stations is not None and len(stations):
        located = stations.dropna(subset=["lat", "lon"])
        kinds = located["station_type"].astype("string").fillna("—")
        for i, kind in enumerate(sorted(kinds.unique())):
            part = located[(kinds == kind).to_numpy()]
            fig.add_trace(go.Scattergeo(
                lat=part["lat"], lon=part["lon"], mode="markers",
                marker={"size": 7, "color": TYPE_COLOURS[i % len(TYPE_COLOURS)],
                        "line": {"width": 0.6, "color": "#ffffff"}},
                text=[_station_hover(r, lang) for r in part.itertuples(index=False)],
                hovertemplate="%{text}<extra></extra>", name=str(kind),
                legendgroup="stations"))
        failing = located[located["area_status"] == "fails"] if "area_status" in located \
            else located.iloc[0:0]
        if len(failing):
            fig.add_trace(go.Scattergeo(
                lat=failing["lat"], lon=failing["lon"], mode="markers",
                marker={"symbol": "circle-open", "size": 13, "color": FAIL_COLOUR,
                        "line": {"width": 2}},
                text=[_station_hover(r, lang) for r in failing.itertuples(index=False)],
                hovertemplate="%{text}<extra></extra>",
                name=t("map_area_fails", lang, n=len(failing))))
    fig.update_geos(visible=False, projection_type="mercator", bgcolor="rgba(0,0,0,0)",
                    **_view_ranges(fig))
    fig.update_layout(title={"text": title, "x": 0.01, "font": {"size": 16}},
                      margin={"l": 0, "r": 0, "t": 40, "b": 0}, height=640,
                      legend={"orientation": "v", "x": 1.0, "xanchor": "right", "y": 1.0,
                              "bgcolor": "rgba(255,255,255,0.85)"},
                      font={"family": "'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif"},
                      clickmode="event", dragmode="pan", paper_bgcolor="#ffffff")
    return fig


def _view_ranges(fig: go.Figure, pad: float = 0.04) -> dict:
    """lon/lat axis ranges that frame every polygon and point of the figure (plus ``pad`` of
    the span on each side), or nothing for an empty figure. Explicit ranges rather than
    ``fitbounds`` keep the whole area inside the figure's height."""
    lons: list[np.ndarray] = []
    lats: list[np.ndarray] = []
    for trace in fig.data:
        if isinstance(trace, go.Choropleth) and trace.geojson is not None and len(trace.locations):
            wanted = set(trace.locations)
            for f in trace.geojson["features"]:
                if f["id"] in wanted:
                    xy = np.array(_coords(f["geometry"]["coordinates"]), dtype=float).reshape(-1, 2)
                    lons.append(xy[:, 0])
                    lats.append(xy[:, 1])
        elif isinstance(trace, go.Scattergeo) and trace.lat is not None:
            lats.append(np.array([v for v in trace.lat if v is not None], dtype=float))
            lons.append(np.array([v for v in trace.lon if v is not None], dtype=float))
    if not lons or not sum(len(x) for x in lons):
        return {}
    lon, lat = np.concatenate(lons), np.concatenate(lats)
    x0, x1, y0, y1 = np.nanmin(lon), np.nanmax(lon), np.nanmin(lat), np.nanmax(lat)
    dx, dy = max(x1 - x0, 1e-3) * pad, max(y1 - y0, 1e-3) * pad
    return {"lonaxis_range": [x0 - dx, x1 + dx], "lataxis_range": [y0 - dy, y1 + dy]}


def _coords(nested: Any) -> list:
    """Flatten GeoJSON coordinate arrays to a list of [x, y]."""
    if nested and isinstance(nested[0], (int, float)):
        return [nested[:2]]
    return [pt for part in nested for pt in _coords(part)]


def _station_hover(r: Any, lang: str) -> str:
    area = getattr(r, "area_m2", np.nan)
    area_text = "—" if area is None or pd.isna(area) else f"{float(area):,.0f} m²"
    minimum = getattr(r, "minimum_m2", np.nan)
    st = getattr(r, "area_status", "none")
    std = ("" if minimum is None or pd.isna(minimum)
           else t("map_area_standard", lang, minimum=f"{float(minimum):,.0f}"))
    hours = getattr(r, "weekly_hours", np.nan)
    hours_text = "" if hours is None or pd.isna(hours) else \
        "<br>" + t("map_hours", lang, hours=f"{float(hours):,.0f}")
    return (f"<b>{getattr(r, 'station_name', '') or ''}</b><br>{getattr(r, 'station_type', '')}"
            f"<br>{t('map_area', lang)}：{area_text}{std} · {t('map_status_' + st, lang)}"
            f"{hours_text}")
