"""Service-station standards (阵地建设标准): floor area, stations per 10,000 residents, opening
hours, and the list of stations below their area standard with the gap.

Area minimums per station type come from ``catalog.station_area_minimums`` (default 广安市委组织部:
社区党群服务中心 ≥ 300 m², 村党群服务中心 ≥ 90 m²; a manifest replaces them with
``standards: {station_area_min_m2: {类型: 面积}}``); a type without a minimum has no area
standard. The rates here are the same Σ/Σ as the catalog's ``station_area_compliance`` and
``stations_per_10k``, broken down by station type and by the level a station belongs to.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd

from indicators.catalog import station_area_minimums
from indicators.coverage import _numbers, _text

#: label of stations attached to no unit (they count in the whole dataset only)
NO_UNIT = "total"


@dataclass(frozen=True)
class StationStandards:
    """Result of :func:`station_standards` (one register year).

    by_type: one row per station_type × unit_level — station_type, unit_level ('total' for
    stations attached to no unit), stations (int), minimum_m2 (float m², NaN = no standard),
    with_area (stations of a type with a standard whose area is known), meeting (of those,
    area ≥ minimum), compliance (meeting / with_area, NaN when 0), area_unknown, hours_known
    (stations with weekly hours), weekly_hours_mean / weekly_hours_min (h per week),
    per_10k (stations per 10,000 residents of the whole dataset).
    failing: stations of a type with a standard whose area is below it or unknown —
    station_id, station_name, station_type, unit_level, unit_id, area_m2, minimum_m2,
    gap_m2 (minimum − area, m², > 0; NaN when the area is unknown); largest gap first, unknown
    areas last.
    population: residents the per-10,000 figures divide by (人).
    """

    by_type: pd.DataFrame
    failing: pd.DataFrame
    population: float

    @property
    def stations_per_10k(self) -> float:
        """All stations per 10,000 residents (NaN without population)."""
        n = float(self.by_type["stations"].sum())
        return n / self.population * 10_000 if self.population > 0 else float("nan")


def station_standards(stations: pd.DataFrame, population: float,
                      area_min_m2: Mapping[str, float] | None = None) -> StationStandards:
    """Area compliance, stations per 10,000 residents and opening hours by station type and
    level, and the failing-stations list with the gap.

    stations: data/model.py ``stations`` of one register year (station_id, station_name,
    station_type, unit_level, unit_id, area_m2 in m², weekly_hours in hours per week; missing
    columns are treated as unknown). population: residents (人) of the same year's grid
    register. area_min_m2: minimum area by exact station type (default
    ``catalog.station_area_minimums(None)``: 广安 300 / 90 m²). Returns a
    :class:`StationStandards`.
    """
    minimums = dict(station_area_minimums(None) if area_min_m2 is None else area_min_m2)
    kind = _text(stations, "station_type", "")
    level = _text(stations, "unit_level", NO_UNIT)
    area = _numbers(stations, "area_m2")
    hours = _numbers(stations, "weekly_hours")
    minimum = kind.map(minimums).astype("float64").to_numpy()
    has_std = ~np.isnan(minimum)
    known = has_std & ~np.isnan(area)
    meets = known & (np.nan_to_num(area) >= np.nan_to_num(minimum))
    frame = pd.DataFrame({
        "station_type": kind.to_numpy(), "unit_level": level.to_numpy(), "stations": 1,
        "minimum_m2": minimum, "with_area": known.astype("int64"),
        "meeting": meets.astype("int64"), "area_unknown": (has_std & np.isnan(area)).astype("int64"),
        "hours_known": (~np.isnan(hours)).astype("int64"), "hours": hours})
    by_type = frame.groupby(["station_type", "unit_level"], sort=True).agg(
        stations=("stations", "sum"), minimum_m2=("minimum_m2", "first"),
        with_area=("with_area", "sum"), meeting=("meeting", "sum"),
        area_unknown=("area_unknown", "sum"), hours_known=("hours_known", "sum"),
        weekly_hours_mean=("hours", "mean"), weekly_hours_min=("hours", "min")).reset_index()
    by_type["compliance"] = (by_type["meeting"] / by_type["with_area"]).where(
        by_type["with_area"] > 0)
    by_type["per_10k"] = (by_type["stations"] / population * 10_000 if population > 0
                          else np.nan)
    by_type = by_type[["station_type", "unit_level", "stations", "minimum_m2", "with_area",
                       "meeting", "compliance", "area_unknown", "hours_known",
                       "weekly_hours_mean", "weekly_hours_min", "per_10k"]]
    fail = has_std & ~meets
    failing = pd.DataFrame({
        "station_id": _text(stations, "station_id").to_numpy()[fail],
        "station_name": _text(stations, "station_name").to_numpy()[fail],
        "station_type": kind.to_numpy()[fail], "unit_level": level.to_numpy()[fail],
        "unit_id": _text(stations, "unit_id").to_numpy()[fail],
        "area_m2": area[fail], "minimum_m2": minimum[fail], "gap_m2": (minimum - area)[fail]})
    failing = failing.sort_values(["gap_m2", "station_id"], ascending=[False, True],
                                  na_position="last", kind="stable").reset_index(drop=True)
    return StationStandards(by_type=by_type, failing=failing, population=float(population))
