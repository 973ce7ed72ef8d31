"""Boundaries (GeoJSON polygons per hierarchy level) and the geographic checks of the load report.

A manifest names one GeoJSON file per level::

    boundaries:
      ward:     {path: wards.geojson, key: WARD, transforms: [{zfill: 2}]}   # WARD 1 → unit '01'
      precinct: {path: precincts.geojson, key: WARD_PRECINCT, crs: 'EPSG:2249'}

``key`` is the feature property holding the unit id; ``transforms`` are the manifest's text
transforms (data/transforms.py) applied to it; ``crs`` is the file's coordinate system:
``wgs84``, ``gcj02`` (高德/腾讯), ``bd09`` (百度) or any ``EPSG:NNNN`` that pyproj knows (projected
files such as Boston's precincts, Massachusetts State Plane in US feet). Without ``crs`` the file's
own GeoJSON ``crs`` member is used, and without that the dataset's ``crs``. A file whose
coordinates are not longitudes/latitudes after that is refused with a message asking for ``crs``
— never silently drawn in the sea. Everything is converted to WGS-84 on load (GCJ-02/BD-09 with
data/coords.py, EPSG codes with pyproj).

Centroids: the area centroid of each unit's polygons, computed in degrees (a point on the surface
instead when the centroid falls outside the unit, as for a precinct with islands). A centroid is
invariant under affine maps, and at city scale longitude/latitude differ from a local metric
projection by an affine map to within the change of cos(latitude) across one unit (< 0.01 % for
a unit 2 km across), so this is the planar centroid to well under a metre.

Load-report checks (:func:`geography_warnings`, called by ``data.loader.load_dataset``):

- grids without a centroid get the centroid of their polygon at the finest level, when given;
- points (stations, grids, any table with lat/lon) outside every polygon of the coarsest level
  with a boundary (points exactly on an edge count as inside);
- one coordinate shared by many distinct records (``FALLBACK_MIN_RECORDS`` and
  ``FALLBACK_MIN_SHARE`` of the located records) — a geocoder's fallback location such as
  Boston City Hall (42.3594, −71.0587) for 14 % of its 311 tickets.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import shape

from .coords import to_wgs84
from .manifest import ManifestError, _transforms
from .transforms import apply_transforms

GEOGRAPHIC = ("wgs84", "gcj02", "bd09")
#: GeoJSON ``crs`` member names meaning longitude/latitude on WGS-84
_WGS84_NAMES = {"urn:ogc:def:crs:ogc:1.3:crs84", "urn:ogc:def:crs:epsg::4326", "epsg:4326",
                "crs84", "wgs84"}
#: a coordinate shared by at least this many distinct records …
FALLBACK_MIN_RECORDS = 5
#: … that are also at least this share of the table's located records is flagged
FALLBACK_MIN_SHARE = 0.01
#: coordinates are compared after rounding to this many decimals of a degree (≈ 0.1 m)
POINT_DECIMALS = 6
#: display simplification tolerance in degrees (≈ 2 m); the checks use the exact polygons
DISPLAY_TOLERANCE_DEG = 0.00002
#: the record key counted per table for repeated points (distinct records, not rows)
RECORD_KEYS = {"grids": "unit_id", "stations": "station_id", "complaints": "ticket_id"}


@dataclass(frozen=True)
class Boundary:
    """One level's polygons in WGS-84.

    units: one row per unit id — unit_id (str), lat, lon (float, centroid, WGS-84 degrees),
    geometry (shapely Polygon/MultiPolygon, WGS-84, features with the same id dissolved);
    geojson: FeatureCollection for plotly (``id`` = unit id, simplified for display);
    crs: the coordinate system the file was read in; features: number of features read.
    """

    level: str
    path: Path
    key: str
    crs: str
    units: pd.DataFrame
    geojson: dict
    features: int

    @property
    def union(self):
        """All polygons of the level as one prepared geometry."""
        geom = shapely.union_all(self.units["geometry"].to_numpy())
        shapely.prepare(geom)
        return geom


def _fail(where: str, message: str) -> ManifestError:
    return ManifestError(f"清单错误（{where}）：{message}")


def _declared_crs(doc: Mapping[str, Any]) -> str | None:
    name = ((doc.get("crs") or {}).get("properties") or {}).get("name")
    if not name:
        return None
    low = str(name).strip().lower()
    if low in _WGS84_NAMES:
        return "wgs84"
    if low.startswith("urn:ogc:def:crs:epsg:"):
        return "EPSG:" + low.rsplit(":", 1)[-1]
    return str(name)


def _normalise_crs(crs: str, where: str) -> str:
    text = str(crs).strip()
    if text.lower() in GEOGRAPHIC:
        return text.lower()
    if text.lower() in _WGS84_NAMES:
        return "wgs84"
    from pyproj import CRS
    from pyproj.exceptions import CRSError
    try:
        CRS.from_user_input(text)
    except CRSError as exc:
        raise _fail(where, f"无法识别的坐标系「{crs}」；可用 wgs84、gcj02、bd09 或 EPSG:编号") from exc
    return text.upper() if text.lower().startswith("epsg:") else text


def _to_wgs84_array(crs: str):
    """A function (N, 2) lon/lat-or-x/y array → (N, 2) WGS-84 lon/lat for shapely.transform."""
    if crs in GEOGRAPHIC:
        def convert(xy: np.ndarray) -> np.ndarray:
            lat, lon = to_wgs84(xy[:, 1], xy[:, 0], crs)
            return np.column_stack([lon, lat])
        return convert
    from pyproj import Transformer
    transformer = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)

    def project(xy: np.ndarray) -> np.ndarray:
        lon, lat = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])
    return project


def _key_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_boundary(path: str | Path, key: str, crs: str | None = None, transforms: Any = None,
                  level: str = "", default_crs: str = "wgs84", where: str = "boundaries"
                  ) -> Boundary:
    """Read one GeoJSON FeatureCollection of polygons into a :class:`Boundary`.

    path: the file; key: the feature property holding the unit id; crs: see module docstring
    (None = the file's ``crs`` member, else ``default_crs``); transforms: manifest transforms
    for the key (e.g. ``[{zfill: 2}]``). Features sharing an id are dissolved into one unit.
    Raises ManifestError (Chinese, naming ``where``) for a missing or unreadable file, a missing
    key property, an unknown crs, or coordinates that are not longitudes/latitudes after
    conversion (a projected file without ``crs``).
    """
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError as exc:
        raise _fail(where, f"找不到边界文件 {path}") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise _fail(where, f"边界文件 {path.name} 不是有效的 GeoJSON：{exc}") from exc
    features = [f for f in doc.get("features") or [] if f.get("geometry")]
    if not features:
        raise _fail(where, f"边界文件 {path.name} 中没有带几何图形的要素")
    missing = sum(key not in (f.get("properties") or {}) for f in features)
    if missing:
        props = sorted({k for f in features for k in (f.get("properties") or {})})
        raise _fail(where, f"边界文件 {path.name} 中有 {missing} 个要素没有属性「{key}」；"
                           f"可用属性：{', '.join(props[:30])}")
    source_crs = _normalise_crs(crs or _declared_crs(doc) or default_crs, f"{where}.crs")
    geoms = shapely.transform(np.array([shape(f["geometry"]) for f in features]),
                              _to_wgs84_array(source_crs))
    xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
    if not (-180 <= xmin <= xmax <= 180 and -90 <= ymin <= ymax <= 90):
        raise _fail(where, f"边界文件 {path.name} 的坐标（如 {xmin:.0f}, {ymin:.0f}）不是经纬度，"
                           f"应是投影坐标：请写明 crs，如 crs: 'EPSG:2249'")
    raw_keys = pd.Series([_key_text(f["properties"][key]) for f in features], dtype="str")
    keys = apply_transforms(raw_keys.str.strip(),
                            _transforms(transforms, f"{where}.transforms") if transforms else ())
    frame = pd.DataFrame({"unit_id": keys.to_numpy(), "geometry": geoms})
    dissolved = frame.groupby("unit_id", sort=True)["geometry"].agg(
        lambda g: shapely.union_all(g.to_numpy()) if len(g) > 1 else g.iloc[0])
    geometry = dissolved.to_numpy()
    centroids = shapely.centroid(geometry)
    # a concave or many-part unit (islands) may have its centroid outside itself, in the sea
    # or in a neighbour: use a point on its surface instead
    away = ~shapely.intersects(geometry, centroids)
    centroids[away] = shapely.point_on_surface(geometry[away])
    units = pd.DataFrame({"unit_id": pd.array(dissolved.index, dtype="string"),
                          "lat": shapely.get_y(centroids), "lon": shapely.get_x(centroids),
                          "geometry": geometry})
    display = shapely.simplify(geometry, DISPLAY_TOLERANCE_DEG, preserve_topology=True)
    geojson = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": uid, "properties": {"unit_id": uid},
         "geometry": json.loads(shapely.to_geojson(g))}
        for uid, g in zip(units["unit_id"], shapely.set_precision(display, 1e-6))]}
    return Boundary(level=level, path=path, key=key, crs=source_crs, units=units,
                    geojson=geojson, features=len(features))


def boundary_specs(config: Mapping[str, Any] | None, levels: list[str]) -> dict[str, dict]:
    """The manifest's ``boundaries`` section, checked: ``{level: {path, key, crs?, transforms?}}``
    in hierarchy order. Raises ManifestError for an unknown level or a missing path/key."""
    raw = (config or {}).get("boundaries") or {}
    if not isinstance(raw, dict):
        raise _fail("boundaries", "应写成 {层级: {path: 文件, key: 属性名}}")
    specs = {}
    for level, spec in raw.items():
        where = f"boundaries.{level}"
        if level not in levels:
            raise _fail(where, f"层级「{level}」不在 levels 中（{', '.join(levels)}）")
        if not isinstance(spec, dict) or not spec.get("path") or not spec.get("key"):
            raise _fail(where, "需要 path（GeoJSON 文件）和 key（存放单位编号的属性名）")
        unknown = set(spec) - {"path", "key", "crs", "transforms"}
        if unknown:
            raise _fail(where, f"未知的键 {sorted(unknown)}；可用：path、key、crs、transforms")
        specs[level] = dict(spec)
    return {lv: specs[lv] for lv in levels if lv in specs}


@lru_cache(maxsize=16)
def _read_cached(path: str, mtime: float, key: str, crs: str | None, transforms: str,
                 level: str, default_crs: str, where: str) -> Boundary:
    return read_boundary(path, key, crs, json.loads(transforms), level, default_crs, where)


def load_boundaries(config: Mapping[str, Any] | None, base_dir: str | Path, levels: list[str],
                    dataset_crs: str = "wgs84") -> dict[str, Boundary]:
    """Every boundary a manifest declares, by level (hierarchy order), paths relative to
    ``base_dir``. Files are cached in memory by path and modification time. Raises
    ManifestError as :func:`read_boundary` and :func:`boundary_specs` do."""
    out = {}
    for level, spec in boundary_specs(config, levels).items():
        path = (Path(base_dir) / str(spec["path"])).resolve()
        mtime = path.stat().st_mtime if path.exists() else -1.0
        out[level] = _read_cached(str(path), mtime, str(spec["key"]), spec.get("crs"),
                                  json.dumps(spec.get("transforms")), level, dataset_crs,
                                  f"boundaries.{level}")
    return out


def boundary_hashes(config: Mapping[str, Any] | None, base_dir: str | Path) -> dict[str, str]:
    """SHA-256 of each declared boundary file by level (``""`` for a missing file): part of the
    indicator cache key, since grid centroids may come from the polygons."""
    import hashlib
    out = {}
    for level, spec in ((config or {}).get("boundaries") or {}).items():
        path = Path(base_dir) / str((spec or {}).get("path", ""))
        out[str(level)] = (hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file()
                           else "")
    return out


def dataset_boundaries(dataset) -> dict[str, Boundary]:
    """:func:`load_boundaries` for a loaded ``data.model.Dataset``."""
    return load_boundaries(dataset.config, Path(dataset.manifest_path).parent,
                           list(dataset.levels), (dataset.config or {}).get("crs", "wgs84"))


def outside(lat: np.ndarray, lon: np.ndarray, boundary: Boundary) -> np.ndarray:
    """Boolean mask of points (WGS-84 degrees) outside every polygon of ``boundary``; a point on
    an edge is inside; a missing coordinate is not outside."""
    lat, lon = np.asarray(lat, dtype="float64"), np.asarray(lon, dtype="float64")
    ok = ~np.isnan(lat) & ~np.isnan(lon)
    result = np.zeros(len(lat), dtype=bool)
    if ok.any():
        result[ok] = ~shapely.intersects_xy(boundary.union, lon[ok], lat[ok])
    return result


def repeated_points(lat: np.ndarray, lon: np.ndarray, record: np.ndarray | None = None,
                    min_records: int = FALLBACK_MIN_RECORDS,
                    min_share: float = FALLBACK_MIN_SHARE) -> pd.DataFrame:
    """Coordinates shared by suspiciously many distinct records (a geocoder's fallback point).

    lat, lon: WGS-84 degrees (NaN = not located); record: the record key per row (distinct
    records are counted, so one grid repeated in three yearly registers counts once; default:
    every row is a record). A point is returned when its distinct records are ≥ ``min_records``
    and ≥ ``min_share`` of all located distinct records. Output columns: lat, lon (rounded to
    POINT_DECIMALS), records (int64), share (float, of located records); most records first.
    """
    lat, lon = np.asarray(lat, dtype="float64"), np.asarray(lon, dtype="float64")
    ok = ~np.isnan(lat) & ~np.isnan(lon)
    ids = np.arange(len(lat)) if record is None else np.asarray(record, dtype=object)
    frame = pd.DataFrame({"lat": np.round(lat[ok], POINT_DECIMALS),
                          "lon": np.round(lon[ok], POINT_DECIMALS), "record": ids[ok]})
    total = frame["record"].nunique()
    counts = frame.drop_duplicates().groupby(["lat", "lon"], sort=False).size()
    counts = counts[(counts >= min_records) & (counts >= min_share * total)]
    out = counts.rename("records").reset_index().astype({"records": "int64"})
    out["share"] = out["records"] / total if total else np.nan
    return out.sort_values("records", ascending=False, kind="stable").reset_index(drop=True)


TABLE_NAMES_ZH = {"grids": "网格", "stations": "阵地", "volunteer_hours": "志愿服务记录",
                  "complaints": "工单"}


def fill_grid_centroids(grids: pd.DataFrame, boundary: Boundary) -> tuple[pd.DataFrame, int]:
    """Grids whose lat/lon are missing get the centroid of their polygon (by ``unit_id``).
    Returns (a new frame with float64 lat, lon; number of grids filled)."""
    out = grids.copy()
    for col in ("lat", "lon"):
        out[col] = (pd.to_numeric(out[col], errors="coerce").astype("float64")
                    if col in out else np.nan)
    centre = boundary.units.set_index("unit_id")[["lat", "lon"]]
    missing = (out["lat"].isna() | out["lon"].isna()).to_numpy()
    found = out["unit_id"].astype("string").map(centre["lat"]).notna().to_numpy()
    fill = missing & found
    ids = out.loc[fill, "unit_id"].astype("string")
    out.loc[fill, "lat"] = ids.map(centre["lat"]).to_numpy(dtype="float64")
    out.loc[fill, "lon"] = ids.map(centre["lon"]).to_numpy(dtype="float64")
    return out, int(out.loc[fill, "unit_id"].nunique())


def geography_warnings(tables: dict[str, pd.DataFrame], units: pd.DataFrame | None,
                       boundaries: dict[str, Boundary], levels: list[str]
                       ) -> tuple[dict[str, pd.DataFrame], dict[str, list[str]]]:
    """The geographic part of the load report (see module docstring).

    tables: canonical tables (data/model.py); units: the hierarchy; boundaries: by level.
    Returns (tables, with grid centroids filled from the finest level's polygons when the
    register lacks them; ``{table: [Chinese warnings]}``, plus ``'boundaries'`` for ids that
    match no unit).
    """
    warnings: dict[str, list[str]] = {}
    tables = dict(tables)
    finest = levels[-1]
    if finest in boundaries and "grids" in tables:
        filled_grids, n = fill_grid_centroids(tables["grids"], boundaries[finest])
        if n:
            tables["grids"] = filled_grids
            warnings.setdefault("grids", []).append(
                f"{n:,} 个网格没有中心点坐标，已取边界文件 {boundaries[finest].path.name} "
                f"中对应多边形的几何中心（用于15分钟生活圈覆盖率）")
    if units is not None and len(units):
        for level, b in boundaries.items():
            known = set(units.loc[units["level"] == level, "unit_id"].astype(str))
            extra = sorted(set(b.units["unit_id"]) - known)
            lacking = sorted(known - set(b.units["unit_id"]))
            if extra or lacking:
                warnings.setdefault("boundaries", []).append(
                    f"边界文件 {b.path.name}：{len(extra)} 个要素的编号不在网格台账中"
                    f"（如 {'、'.join(extra[:3]) or '—'}），{len(lacking)} 个单位没有边界"
                    f"（如 {'、'.join(lacking[:3]) or '—'}）")
    outer = boundaries[next(iter(boundaries))] if boundaries else None
    for table, df in tables.items():
        if df is None or not len(df) or "lat" not in df or "lon" not in df:
            continue
        lat = pd.to_numeric(df["lat"], errors="coerce").to_numpy(dtype="float64")
        lon = pd.to_numeric(df["lon"], errors="coerce").to_numpy(dtype="float64")
        name = TABLE_NAMES_ZH.get(table, table)
        key = RECORD_KEYS.get(table)
        record = df[key].astype("str").to_numpy() if key in df else None
        if outer is not None:
            out_mask = outside(lat, lon, outer)
            if out_mask.any():
                sample = (df.loc[out_mask, key].astype("str").head(5).tolist() if key in df
                          else [])
                warnings.setdefault(table, []).append(
                    f"{int(out_mask.sum()):,} 条{name}记录的坐标落在 {outer.path.name} 的边界之外"
                    + (f"（如 {'、'.join(sample)}）" if sample else "")
                    + "：请核对经纬度是否填反、坐标系是否写对")
        for row in repeated_points(lat, lon, record).itertuples(index=False):
            warnings.setdefault(table, []).append(
                f"{row.records:,} 条{name}记录（占有坐标记录的 {row.share:.1%}）使用同一坐标"
                f"（{row.lat:.6f}, {row.lon:.6f}），多半是无法定位时的默认点（如市政府），"
                f"这些记录的位置不可信")
    return tables, warnings
