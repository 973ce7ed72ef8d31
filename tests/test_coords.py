"""Coordinate conversion (data/coords.py) against published reference pairs.

GCJ-02 pairs: googollee/eviltransform python/test.py (wgsLat, wgsLng, gcjLat, gcjLng).
BD-09 pairs: wandergis/coordtransform README (the ``bd_encrypt``/``bd_decrypt`` formula on
116.404, 39.915) and eviltransform's two BD-09 → WGS-84 pairs, which come from Baidu's own
service and show how far the public formula is from it.
"""
from __future__ import annotations

import numpy as np
import pytest

from data.coords import (bd09_to_gcj02, gcj02_to_bd09, gcj02_to_wgs84, haversine_m,
                         to_wgs84, wgs84_to_gcj02)

#: (wgs lat, wgs lon, gcj lat, gcj lon) — eviltransform: Shanghai, Shenzhen, Beijing
GCJ_PAIRS = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),
]
#: (bd lat, bd lon, wgs lat, wgs lon) — eviltransform, from Baidu's service
BD_BAIDU_PAIRS = [
    (29.199786, 120.019809, 29.196131605295484, 120.00877901149691),
    (29.210504, 120.036455, 29.206795749156136, 120.0253853970846),
]


def test_haversine_on_a_meridian_is_radius_times_angle():
    # 0.01° of latitude along a meridian: R·Δφ = 6,371,008.8 × 0.01 × π/180 = 1,111.95 m
    assert haversine_m(30.0, 106.0, 30.01, 106.0) == pytest.approx(6_371_008.8 * 0.01 * np.pi / 180,
                                                                   abs=1e-6)
    # 1° of longitude on the equator is the same arc
    assert haversine_m(0.0, 0.0, 0.0, 1.0) == pytest.approx(6_371_008.8 * np.pi / 180, abs=1e-6)


@pytest.mark.parametrize("wlat,wlon,glat,glon", GCJ_PAIRS)
def test_wgs84_to_gcj02_matches_published_pairs(wlat, wlon, glat, glon):
    lat, lon = wgs84_to_gcj02(wlat, wlon)
    assert haversine_m(lat, lon, glat, glon) < 0.001           # < 1 mm
    # the offset itself is hundreds of metres: the test would catch a missing conversion
    assert haversine_m(wlat, wlon, glat, glon) > 300


@pytest.mark.parametrize("wlat,wlon,glat,glon", GCJ_PAIRS)
def test_gcj02_to_wgs84_inverts_published_pairs(wlat, wlon, glat, glon):
    lat, lon = gcj02_to_wgs84(glat, glon)
    assert haversine_m(lat, lon, wlat, wlon) < 0.001
    lat, lon = to_wgs84(np.array([glat]), np.array([glon]), "gcj02")
    assert haversine_m(lat, lon, wlat, wlon)[0] < 0.001


def test_gcj02_round_trip_over_china_is_sub_millimetre():
    rng = np.random.default_rng(7)
    lat, lon = rng.uniform(18.0, 53.0, 5000), rng.uniform(74.0, 134.0, 5000)
    back = gcj02_to_wgs84(*wgs84_to_gcj02(lat, lon))
    assert float(haversine_m(lat, lon, *back).max()) < 0.001


def test_bd09_formula_matches_coordtransform_fixture():
    # coordtransform README: gcj02ToBd09(116.404, 39.915) and bd09ToGcj02(116.404, 39.915)
    lat, lon = gcj02_to_bd09(39.915, 116.404)
    assert (float(lon), float(lat)) == pytest.approx((116.41036949371029, 39.92133699351021),
                                                     abs=1e-9)
    lat, lon = bd09_to_gcj02(39.915, 116.404)
    assert (float(lon), float(lat)) == pytest.approx((116.39762729119315, 39.90865673957631),
                                                     abs=1e-9)


def test_bd09_round_trip_is_within_a_metre():
    rng = np.random.default_rng(8)
    lat, lon = rng.uniform(18.0, 53.0, 2000), rng.uniform(74.0, 134.0, 2000)
    bd = gcj02_to_bd09(*wgs84_to_gcj02(lat, lon))
    back = to_wgs84(*bd, "bd09")
    # bd_decrypt is not the exact inverse of bd_encrypt: measured ≤ ~0.5 m
    assert float(haversine_m(lat, lon, *back).max()) < 1.0


@pytest.mark.parametrize("blat,blon,wlat,wlon", BD_BAIDU_PAIRS)
def test_bd09_against_baidu_pairs_is_within_the_formula_limit(blat, blon, wlat, wlon):
    lat, lon = to_wgs84(blat, blon, "bd09")
    err = float(haversine_m(lat, lon, wlat, wlon))
    # the public formula is 10 m and 41 m from Baidu's own conversion on these two pairs
    assert err < 50
    assert haversine_m(blat, blon, wlat, wlon) > 900   # unconverted, the error is ~1 km


def test_outside_china_is_not_shifted_and_nan_stays_nan():
    lat, lon = wgs84_to_gcj02(np.array([42.3594, np.nan]), np.array([-71.0587, 116.0]))
    assert lat[0] == 42.3594 and lon[0] == -71.0587
    assert np.isnan(lat[1])
    lat, lon = to_wgs84(np.array([42.3594]), np.array([-71.0587]), "gcj02")
    assert (lat[0], lon[0]) == (42.3594, -71.0587)


def test_unknown_crs_is_refused():
    with pytest.raises(ValueError, match="unknown coordinate system"):
        to_wgs84([30.0], [106.0], "epsg:4490")
