"""Convert Chinese web-map coordinates (GCJ-02, BD-09) to WGS-84, vectorised with numpy.

GCJ-02 ("Mars coordinates", 国测局坐标) is WGS-84 shifted by a published obfuscation function
(Krasovsky 1940 ellipsoid, a = 6378245 m, e² = 0.00669342162296594323); the forward formula is the
one reproduced by coordtransform / eviltransform (github.com/googollee/eviltransform). It has no
closed-form inverse: :func:`gcj02_to_wgs84` inverts it by fixed-point iteration
(wgs ← wgs + (gcj − forward(wgs))), which converges to < 1e-9° (≈ 0.1 mm) in a few steps, as in
eviltransform's ``gcj2wgs_exact``. Points outside China's bounding box are not shifted.

BD-09 (Baidu) = GCJ-02 further rotated/shifted by the published ``bd_encrypt`` formula
(x_pi = π·3000/180; :func:`gcj02_to_bd09`); :func:`bd09_to_gcj02` is its published inverse
``bd_decrypt``, as in coordtransform (github.com/wandergis/coordtransform).

Accuracy, measured in tests/test_coords.py on published reference pairs: GCJ-02 ↔ WGS-84
reproduces eviltransform's Shanghai, Shenzhen and Beijing pairs to < 1 mm; BD-09 ↔ GCJ-02
reproduces coordtransform's Tiananmen pair exactly (< 1e-9°). The ``bd_decrypt`` formula itself
is only an approximation of Baidu's own service: on eviltransform's two BD-09 → WGS-84 pairs
(taken from Baidu) it is 10 m and 41 m off — a limit of the public formula, not of this code.
"""
from __future__ import annotations

import numpy as np

_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0


def _in_china(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    return (lon >= 72.004) & (lon <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271)


def _delta(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y = lon - 105.0, lat - 35.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
            + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
            + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
            + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
            + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
            + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
            + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0)
    rad = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(rad) ** 2
    sq = np.sqrt(magic)
    dlat = dlat * 180.0 / ((_A * (1 - _EE)) / (magic * sq) * np.pi)
    dlon = dlon * 180.0 / (_A / sq * np.cos(rad) * np.pi)
    inside = _in_china(lat, lon)
    return np.where(inside, dlat, 0.0), np.where(inside, dlon, 0.0)


def wgs84_to_gcj02(lat, lon) -> tuple[np.ndarray, np.ndarray]:
    """Forward GCJ-02 obfuscation (degrees in, degrees out; NaN stays NaN)."""
    lat, lon = np.asarray(lat, dtype="float64"), np.asarray(lon, dtype="float64")
    dlat, dlon = _delta(lat, lon)
    return lat + dlat, lon + dlon


def gcj02_to_wgs84(lat, lon, iterations: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of :func:`wgs84_to_gcj02` by fixed-point iteration (see module docstring)."""
    glat, glon = np.asarray(lat, dtype="float64"), np.asarray(lon, dtype="float64")
    wlat, wlon = glat.copy(), glon.copy()
    for _ in range(iterations):
        flat, flon = wgs84_to_gcj02(wlat, wlon)
        wlat, wlon = wlat + (glat - flat), wlon + (glon - flon)
    return wlat, wlon


def bd09_to_gcj02(lat, lon) -> tuple[np.ndarray, np.ndarray]:
    """Baidu BD-09 → GCJ-02 (degrees)."""
    lat, lon = np.asarray(lat, dtype="float64"), np.asarray(lon, dtype="float64")
    x, y = lon - 0.0065, lat - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.sin(theta), z * np.cos(theta)


def gcj02_to_bd09(lat, lon) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 → Baidu BD-09 (degrees; the published ``bd_encrypt``)."""
    lat, lon = np.asarray(lat, dtype="float64"), np.asarray(lon, dtype="float64")
    z = np.sqrt(lon * lon + lat * lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.sin(theta) + 0.006, z * np.cos(theta) + 0.0065


#: Mean Earth radius (IUGG R1, metres) for great-circle distances.
EARTH_RADIUS_M = 6_371_008.8


def haversine_m(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance in metres on a sphere of radius ``EARTH_RADIUS_M`` (haversine
    formula; degrees in, broadcasting like numpy). The reference for every distance check."""
    k = np.pi / 180.0
    lat1, lon1 = np.asarray(lat1, dtype="float64") * k, np.asarray(lon1, dtype="float64") * k
    lat2, lon2 = np.asarray(lat2, dtype="float64") * k, np.asarray(lon2, dtype="float64") * k
    h = (np.sin((lat2 - lat1) / 2.0) ** 2
         + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2.0) ** 2)
    return 2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def to_wgs84(lat, lon, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """Convert arrays of latitude/longitude in ``crs`` ('wgs84' | 'gcj02' | 'bd09') to WGS-84.
    Raises ValueError for another ``crs``."""
    if crs not in ("wgs84", "gcj02", "bd09"):
        raise ValueError(f"unknown coordinate system {crs!r}: wgs84, gcj02 or bd09")
    if crs == "wgs84":
        return np.asarray(lat, dtype="float64"), np.asarray(lon, dtype="float64")
    if crs == "bd09":
        lat, lon = bd09_to_gcj02(lat, lon)
    return gcj02_to_wgs84(lat, lon)
