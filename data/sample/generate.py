"""Generate the embedded sample dataset 示例市 2023–2025 (entirely fictional).

Run from the repository root::

    .venv/bin/python -m data.sample.generate          # or: python data/sample/generate.py

It rewrites every data file in ``data/sample/`` (not this file, ``__init__.py`` or ``README.md``)
and prints the headline figures that the indicator code should reproduce (the table in README.md).

Every part draws from its own generator seeded by ``(SEED, crc32(part name))``, so the output is
identical on every run and changing one part never shifts the random numbers of another. Every
file is byte-for-byte reproducible: workbooks carry a fixed save time (see _make_reproducible).

The city: 4 districts (区/县) → 15 streets and towns (街道/镇) → 60 communities and villages
(社区/村) → 600 grids (网格), centred near 106.63° E, 30.46° N (WGS-84). Names, codes and figures
are invented; codes follow the 6 + 3 + 3 + 3 digit pattern of Chinese administrative codes
(towns 1xx, villages 2xx) but do not denote real units.

A few rows are broken on purpose (listed in ``bad_rows.json`` and README.md) so that the load
report has something to catch; the headline figures are computed on the valid rows only.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
import sys
import time
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import chinese_calendar
import numpy as np
import pandas as pd
import yaml
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from scipy.spatial import cKDTree

SAMPLE_DIR = Path(__file__).resolve().parent
SEED = 20251231
YEARS = (2023, 2024, 2025)
CENTRE_LON, CENTRE_LAT = 106.63, 30.46
#: Data cut-off: tickets not closed by then are 办理中 (open).
CUTOFF = pd.Timestamp("2025-12-31 23:59:59")
M_PER_DEG_LAT = 111_320.0
M_PER_DEG_LON = 111_320.0 * math.cos(math.radians(CENTRE_LAT))
#: Walking radius of the 15-minute life circle used for the coverage figure (m).
SERVICE_RADIUS_M = 1_000.0
#: Minimum centre areas (m²), 广安 standard quoted in DESIGN.md §4.
CENTRE_MIN_AREA = {"社区党群服务中心": 300.0, "村党群服务中心": 90.0}

_EDGE = math.inf
# (code, name, sector from/to in degrees counter-clockwise from east, outer radius factor, streets)
# A street is (3-digit suffix, name, f0, f1, r0, r1): the part of its district's sector between
# the fractions f0–f1 of the angle from the district's first border ray to its second, and between
# r0 and r1 metres from the city centre (_EDGE: out to the district's outer edge).
# Suffix 0xx = 街道, 1xx = 镇 (town, lying further out, with villages).
DISTRICTS = (
    ("511602", "示例区", 30.0, 115.0, 1.0,
     (("001", "东城街道", 0.0, 0.5, 0.0, 4_000.0), ("002", "西城街道", 0.5, 1.0, 0.0, 4_000.0),
      ("003", "文昌街道", 0.0, 0.34, 4_000.0, _EDGE), ("004", "滨江街道", 0.34, 0.67, 4_000.0, _EDGE),
      ("005", "新桥街道", 0.67, 1.0, 4_000.0, _EDGE))),
    ("511603", "演示区", 115.0, 200.0, 1.15,
     (("001", "南华街道", 0.0, 0.5, 0.0, 3_500.0), ("002", "北苑街道", 0.5, 1.0, 0.0, 3_500.0),
      ("003", "龙泉街道", 0.0, 1.0, 3_500.0, 7_500.0), ("101", "青山镇", 0.0, 1.0, 7_500.0, _EDGE))),
    ("511604", "样例区", 200.0, 265.0, 1.2,
     (("001", "金湖街道", 0.0, 0.5, 0.0, 6_000.0), ("002", "翠屏街道", 0.5, 1.0, 0.0, 6_000.0),
      ("101", "白沙镇", 0.0, 1.0, 6_000.0, _EDGE))),
    ("511605", "模拟县", 265.0, 390.0, 1.6,
     (("101", "石岭镇", 0.0, 0.4, 0.0, _EDGE), ("102", "柳塘镇", 0.4, 1.0, 0.0, 9_000.0),
      ("103", "桃源镇", 0.4, 1.0, 9_000.0, _EDGE))),
)
#: Streets whose complaint handling is clearly worse (slower, more left open, less satisfied).
WORSE_STREETS = ("511603002", "511604101", "511605102")
#: The district whose complaint workbooks carry dates as typed text (``2024/3/5 8:07``).
TEXT_DATE_DISTRICT = "511604"
N_GRIDS = 600

COMMUNITY_TYPES = ("老旧小区", "商品房小区", "村改居", "村")
_NAME_POOL = (
    "和平", "幸福", "光明", "友谊", "建设", "桂花", "翠竹", "银杏", "梧桐", "锦绣", "康乐", "春晖",
    "长青", "振兴", "团结", "红旗", "新民", "安居", "东风", "朝阳", "丰收", "临江", "望月", "紫荆",
    "芙蓉", "玉兰", "海棠", "金桂", "天池", "清泉", "松林", "槐荫", "书院", "园丁", "兴隆", "永安",
    "福寿", "白鹤", "青龙", "石桥", "桃花", "杏林", "柳岸", "荷塘", "竹园", "枫林", "凤鸣", "金沙",
    "银河", "宝塔", "新华", "五一", "育才", "星光", "彩虹", "晨曦", "秀水", "云峰", "鹿鸣", "麒麟",
    "双井", "太平", "龙潭", "马鞍", "三星", "仁和", "长乐", "文峰", "观音", "狮子",
)
_COMPOUND_POOL = ("锦华苑", "翠湖园", "金色家园", "阳光花城", "滨江名邸", "御景湾", "书香苑",
                  "幸福里", "和园", "丽景台", "康城", "南山郡", "紫薇苑", "盛世华庭")

CATEGORIES = ("物业管理", "环境卫生", "噪音扰民", "市政设施", "交通出行", "邻里纠纷", "养老服务",
              "房屋安全", "市场监管", "其他")
#: P(category | community type), rows in COMMUNITY_TYPES order.
_CATEGORY_P = np.array([
    [0.24, 0.14, 0.13, 0.13, 0.06, 0.08, 0.06, 0.07, 0.04, 0.05],   # 老旧小区
    [0.32, 0.10, 0.16, 0.08, 0.09, 0.06, 0.03, 0.04, 0.06, 0.06],   # 商品房小区
    [0.14, 0.17, 0.10, 0.17, 0.09, 0.11, 0.06, 0.06, 0.04, 0.06],   # 村改居
    [0.03, 0.22, 0.05, 0.24, 0.13, 0.15, 0.07, 0.05, 0.02, 0.04],   # 村
])
#: P(deadline 5 / 10 / 15 working days | category)
_DEADLINE_P = {
    "物业管理": (0.55, 0.40, 0.05), "环境卫生": (0.60, 0.35, 0.05), "噪音扰民": (0.85, 0.15, 0.0),
    "市政设施": (0.25, 0.50, 0.25), "交通出行": (0.35, 0.45, 0.20), "邻里纠纷": (0.75, 0.25, 0.0),
    "养老服务": (0.50, 0.45, 0.05), "房屋安全": (0.20, 0.45, 0.35), "市场监管": (0.40, 0.50, 0.10),
    "其他": (0.50, 0.40, 0.10),
}
#: Tickets received in 2023 per district, and the yearly growth factor.
_TICKETS_2023 = {"511602": 17_000, "511603": 15_000, "511604": 10_500, "511605": 7_000}
_TICKET_GROWTH = {"511602": 1.08, "511603": 0.93, "511604": 1.02, "511605": 1.15}
_SPRING_FESTIVAL = {2023: "2023-01-22", 2024: "2024-02-10", 2025: "2025-01-29"}

ACTIVITY_TYPES = ("政策宣讲", "环境整治", "助老服务", "关爱儿童", "文明劝导", "文化体育", "法律咨询",
                  "应急救援")
_ACTIVITY_P = np.array([0.15, 0.22, 0.20, 0.12, 0.12, 0.08, 0.07, 0.04])
_TEAM_KINDS = ("党员志愿服务队", "巾帼志愿服务队", "青年志愿服务队", "银发志愿服务队")

# Source headers exactly as the files carry them.
GRID_HEADERS = ("区县代码", "区县", "街道代码", "街道", "社区代码", "社区", "社区类型", "网格编号",
                "网格名称", "户数", "专职网格员", "兼职网格员", "是否建立党支部", "经度", "纬度")
POPULATION_HEADERS = ("网格编号", "常住人口")
WORKER_HEADERS = ("社区代码", "社区工作者人数")
STATION_HEADERS = ("阵地编号", "阵地名称", "阵地类型", "所属社区代码", "所属网格编号", "面积（㎡）",
                   "经度", "纬度", "启用日期", "每周开放时长（小时）")
VOLUNTEER_HEADERS = ("活动日期", "社区代码", "志愿服务队", "活动类型", "志愿者人数", "服务人次",
                     "服务时长（小时）", "受益人次")
COMPLAINT_HEADERS = ("工单编号", "受理时间", "办结时间", "办理时限（工作日）", "办理状态", "诉求类别",
                     "网格编号", "满意度", "是否重复")


def _rng(part: str) -> np.random.Generator:
    """The random generator of one part, independent of every other part."""
    return np.random.default_rng([SEED, zlib.crc32(part.encode("utf-8"))])


# ─────────────────────────────────────────────── geometry ──

def _outer_radius(phi: np.ndarray, factor: float) -> np.ndarray:
    """Outer edge of a district (m) at angle ``phi`` (radians): a lumpy circle of ~14 km."""
    return 14_000.0 * factor * (1 + 0.12 * np.sin(3 * phi + 1) + 0.06 * np.sin(5 * phi + 2))


def _ray_angle(k: int, rho: np.ndarray) -> np.ndarray:
    """Angle (radians) of the boundary ray between district k−1 and k at distance ``rho`` (m);
    the rays wiggle a little so that the borders do not look ruled."""
    start = math.radians(DISTRICTS[k % len(DISTRICTS)][2]) + (2 * math.pi if k == len(DISTRICTS) else 0)
    return start + 0.05 * np.sin(np.asarray(rho) / 2_000.0 + 1.7 * (k % len(DISTRICTS)))


@dataclass(frozen=True)
class Region:
    """Part of district k's sector: fractions f0–f1 of the angle between its two border rays,
    r0–r1 metres from the centre (r1 = _EDGE: out to the district's outer edge). A district is
    Region(k); a street is the region its DISTRICTS entry gives."""

    k: int
    f0: float = 0.0
    f1: float = 1.0
    r0: float = 0.0
    r1: float = _EDGE


def _angle(k: int, f: np.ndarray | float, rho: np.ndarray | float) -> np.ndarray:
    """Angle (radians) of the point at fraction ``f`` across district k's sector at distance
    ``rho``; f = 0 and f = 1 are exactly the border rays shared with the neighbours."""
    lo, hi = _ray_angle(k, rho), _ray_angle(k + 1, rho)
    f = np.asarray(f, dtype=float)
    return np.where(f <= 0, lo, np.where(f >= 1, hi, lo + f * (hi - lo)))


def _edge_rho(k: int, f: np.ndarray) -> np.ndarray:
    """Distance (m) at which the line of fraction ``f`` meets district k's outer edge."""
    factor = DISTRICTS[k][4]
    end = np.full(np.shape(f), 14_000.0 * factor)
    for _ in range(30):                                   # fixed point, converges fast (|dR/dρ| ≪ 1)
        end = _outer_radius(_angle(k, f, end), factor)
    return end


def _inside(region: Region, x: np.ndarray, y: np.ndarray, margin: float) -> np.ndarray:
    """True where local point (x, y) in metres lies in ``region`` at least ``margin`` m from its
    border (and at least ``margin`` m from the city centre)."""
    k = region.k
    rho = np.hypot(x, y)
    lo, hi = _ray_angle(k, rho), _ray_angle(k + 1, rho)
    phi = lo + np.mod(np.arctan2(y, x) - lo, 2 * math.pi)      # unwrap into [lo, lo + 2π)
    width = hi - lo
    f = (phi - lo) / width
    safe = np.maximum(rho, 1.0)
    return (((f - region.f0) * width * safe >= margin) & ((region.f1 - f) * width * safe >= margin)
            & (rho <= _outer_radius(phi, DISTRICTS[k][4]) - margin)
            & (rho >= region.r0 + margin) & (rho <= region.r1 - margin))


def _polar(k: int, f: np.ndarray | float, rho: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    ang = _angle(k, f, rho)
    return rho * np.cos(ang), rho * np.sin(ang)


def _sample_in(rng: np.random.Generator, region: Region, cx: np.ndarray, cy: np.ndarray,
               sd: np.ndarray, margin: float) -> tuple[np.ndarray, np.ndarray]:
    """Points scattered N(0, sd) around (cx, cy), redrawn until each lies inside ``region``."""
    x, y = np.empty(len(cx)), np.empty(len(cx))
    todo = np.arange(len(cx))
    for _ in range(500):
        px = cx[todo] + rng.normal(0, 1, len(todo)) * sd[todo]
        py = cy[todo] + rng.normal(0, 1, len(todo)) * sd[todo]
        ok = _inside(region, px, py, margin)
        x[todo[ok]], y[todo[ok]] = px[ok], py[ok]
        todo = todo[~ok]
        if not len(todo):
            return x, y
    raise RuntimeError(f"could not place points inside {region}")  # pragma: no cover


def street_regions() -> dict[str, Region]:
    """{street_id: Region} for every street of DISTRICTS."""
    return {dcode + suffix: Region(k, f0, f1, r0, r1)
            for k, (dcode, _n, _a0, _a1, _fac, streets) in enumerate(DISTRICTS)
            for suffix, _name, f0, f1, r0, r1 in streets}


def _to_lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return (np.round(CENTRE_LON + np.asarray(x) / M_PER_DEG_LON, 6),
            np.round(CENTRE_LAT + np.asarray(y) / M_PER_DEG_LAT, 6))


def _to_metres(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return np.column_stack([(np.asarray(lon) - CENTRE_LON) * M_PER_DEG_LON,
                            (np.asarray(lat) - CENTRE_LAT) * M_PER_DEG_LAT])


def region_ring(region: Region) -> list[list[float]]:
    """Exterior ring [[lon, lat], …] (closed, counter-clockwise) of a district or street region.

    Out along the f0 line → along the outer arc (or the district edge) → back along the f1 line →
    along the inner arc. Lines are sampled every 250 m and arcs on a fixed 1/240 grid of f, so two
    regions sharing a border share its vertices exactly: polygons touch but never overlap.
    """
    k, f0, f1, r0, r1 = region.k, region.f0, region.f1, region.r0, region.r1
    grid_f = np.linspace(0.0, 1.0, 241)
    arc_f = grid_f[(grid_f > f0) & (grid_f < f1)]

    def line(f: float) -> tuple[np.ndarray, np.ndarray]:
        end = r1 if math.isfinite(r1) else float(_edge_rho(k, np.array(f)))
        steps = np.arange(0.0, end, 250.0)
        rho = np.concatenate([[r0], steps[steps > r0], [end]])
        return _polar(k, f, rho)

    x0, y0 = line(f0)
    outer = np.full(len(arc_f), r1) if math.isfinite(r1) else _edge_rho(k, arc_f)
    xo, yo = _polar(k, arc_f, outer)
    x1, y1 = line(f1)
    xi, yi = _polar(k, arc_f[::-1], np.full(len(arc_f), r0)) if r0 > 0 else (np.empty(0), np.empty(0))
    xs = np.concatenate([x0, xo, x1[::-1], xi])
    ys = np.concatenate([y0, yo, y1[::-1], yi])
    lon, lat = _to_lonlat(xs, ys)
    ring = [[float(a), float(b)] for a, b in zip(lon, lat)]
    if ring[-1] != ring[0]:
        ring.append(list(ring[0]))
    return ring


# ─────────────────────────────────────────────── the city ──

@dataclass
class City:
    """The fictional city: its hierarchy and grid centroids (the same in every year).

    communities: community_id, community_name, community_type, street_id, street_name,
        district_id, district_name, k (index into DISTRICTS), x, y (local metres east/north of the
        centre), n_grids, worker_rate (community workers per 10,000 residents in 2023).
    grids: district_id … community_type, grid_id, grid_name, lon, lat, x, y, households_2023,
        hh_growth, persons_per_household, u_full_time, u_branch, full_time, part_time.
    """

    communities: pd.DataFrame
    grids: pd.DataFrame


def build_city() -> City:
    """Build the hierarchy and grid centroids (part ``city``)."""
    rng = _rng("city")
    names = list(rng.permutation(np.array(_NAME_POOL)))
    comm_counts = np.full(15, 4)
    order = rng.permutation(15)
    comm_counts[order[:4]] += 1
    comm_counts[order[4:8]] -= 1
    communities, street_no = [], 0
    for k, (dcode, dname, _a0, _a1, factor, streets) in enumerate(DISTRICTS):
        for suffix, sname, f0, f1, r0, r1 in streets:
            region = Region(k, f0, f1, r0, r1)
            town = suffix.startswith("1")
            n_comm = int(comm_counts[street_no])
            street_no += 1
            # street seat: streets in the built-up area (< 7.5 km), towns outside it (> 6 km)
            lo = max(r0, 6_000.0 if town else 0.0) + 800.0
            hi = min(r1, 14_000.0 * factor * 0.65 if town else 7_500.0)
            while True:
                sx, sy = _polar(k, rng.uniform(f0, f1), rng.uniform(lo, hi))
                if _inside(region, np.array([sx]), np.array([sy]), 700.0)[0]:
                    break
            sd = np.full(n_comm, 2_600.0 if town else 900.0)
            cx, cy = _sample_in(rng, region, np.full(n_comm, sx), np.full(n_comm, sy), sd, 400.0)
            if town:
                cx[0], cy[0] = sx, sy                      # the town seat itself
                types = ["村改居"] + ["村"] * (n_comm - 1)
            else:
                core = math.hypot(sx, sy) < 4_000
                p = [0.55, 0.40, 0.05, 0] if core else [0.15, 0.55, 0.30, 0]
                types = list(rng.choice(COMMUNITY_TYPES, size=n_comm, p=p))
            n_village = 0
            for i in range(n_comm):
                village = types[i] == "村"
                n_village += village
                code = f"{dcode}{suffix}{(200 + n_village) if village else (i + 1 - n_village):03d}"
                stem = names.pop()
                communities.append({
                    "community_id": code, "community_name": stem + ("村" if village else "社区"),
                    "community_type": types[i], "street_id": dcode + suffix, "street_name": sname,
                    "district_id": dcode, "district_name": dname, "k": k,
                    "x": cx[i], "y": cy[i]})
    comm = pd.DataFrame(communities)

    grid_range = {"老旧小区": (9, 14), "商品房小区": (10, 15), "村改居": (8, 12), "村": (5, 9)}
    n_grids = np.array([rng.integers(*grid_range[t]) for t in comm["community_type"]])
    urban = np.flatnonzero(comm["community_type"].isin(["老旧小区", "商品房小区"]).to_numpy())
    while n_grids.sum() != N_GRIDS:                           # trim/pad urban communities to 600
        i = rng.choice(urban)
        n_grids[i] += 1 if n_grids.sum() < N_GRIDS else -1
    comm["n_grids"] = n_grids
    comm["worker_rate"] = np.clip(rng.normal(17.3, 3.3, len(comm)), 11.0, 23.5)

    grids = comm.loc[comm.index.repeat(comm["n_grids"])].reset_index(drop=True)
    grids["grid_no"] = grids.groupby("community_id").cumcount() + 1
    grids["grid_id"] = grids["community_id"] + grids["grid_no"].map("{:03d}".format)
    grids["grid_name"] = grids["community_name"] + "第" + grids["grid_no"].astype(str) + "网格"
    sd_by_type = {"老旧小区": 230.0, "商品房小区": 260.0, "村改居": 480.0, "村": 1_000.0}
    sd = grids["community_type"].map(sd_by_type).to_numpy()
    gx, gy = np.empty(len(grids)), np.empty(len(grids))
    for street_id, region in street_regions().items():
        m = (grids["street_id"] == street_id).to_numpy()
        gx[m], gy[m] = _sample_in(rng, region, grids["x"].to_numpy()[m], grids["y"].to_numpy()[m],
                                  sd[m], 120.0)
    grids["x"], grids["y"] = gx, gy
    grids["lon"], grids["lat"] = _to_lonlat(gx, gy)

    median_hh = grids["community_type"].map({"老旧小区": 430, "商品房小区": 470, "村改居": 380, "村": 270})
    hh = median_hh.to_numpy() * np.exp(rng.normal(0, 0.26, len(grids)))
    grids["households_2023"] = np.clip(hh, 90, 1_100)
    grids["hh_growth"] = grids["community_type"].map(
        {"老旧小区": 0.99, "商品房小区": 1.035, "村改居": 1.01, "村": 0.98}).to_numpy() \
        * np.exp(rng.normal(0, 0.01, len(grids)))
    grids["persons_per_household"] = rng.uniform(2.4, 3.0, len(grids))
    grids["u_full_time"] = rng.uniform(0, 1, len(grids))     # lowest u: no full-time worker
    grids["u_branch"] = rng.uniform(0, 1, len(grids))        # lowest u: no party branch
    grids["full_time"] = np.where(grids["households_2023"] > 560, rng.integers(1, 3, len(grids)), 1)
    grids["part_time"] = rng.integers(0, 4, len(grids))
    return City(communities=comm, grids=grids)


# ─────────────────────────────────────────── grid registers ──

_NO_FULL_TIME = {2023: 0.08, 2024: 0.065, 2025: 0.05}
_NO_BRANCH = {2023: 0.15, 2024: 0.125, 2025: 0.10}


def grid_register(city: City, year: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The three sheets of ``grids_{year}.xlsx`` as DataFrames with the source headers.

    Returns (网格台账 with GRID_HEADERS, 人口 with POPULATION_HEADERS, 社区工作者 with
    WORKER_HEADERS); households and population in persons/households (int), coordinates WGS-84.
    Staffing and party-branch coverage improve from 2023 to 2025 (nested: a grid that has a
    worker or a branch keeps it).
    """
    rng = _rng(f"grids-{year}")
    g = city.grids
    n = year - YEARS[0]
    hh = np.round(g["households_2023"] * g["hh_growth"] ** n * np.exp(rng.normal(0, 0.004, len(g))))
    ratio = np.clip(g["persons_per_household"] + rng.normal(0, 0.015, len(g)), 2.4, 3.0)
    pop = np.round(hh * ratio)
    # exactly round(p × grids) grids lack a full-time worker / a branch: those with the smallest u
    no_worker = g["u_full_time"].rank(method="first").to_numpy() <= round(_NO_FULL_TIME[year] * len(g))
    no_branch = g["u_branch"].rank(method="first").to_numpy() <= round(_NO_BRANCH[year] * len(g))
    full_time = np.where(no_worker, 0, g["full_time"])
    part_time = np.clip(g["part_time"] + rng.integers(-1, 2, len(g)) * (rng.uniform(0, 1, len(g)) < 0.2),
                        0, 4)
    register = pd.DataFrame({
        "区县代码": g["district_id"], "区县": g["district_name"], "街道代码": g["street_id"],
        "街道": g["street_name"], "社区代码": g["community_id"], "社区": g["community_name"],
        "社区类型": g["community_type"], "网格编号": g["grid_id"], "网格名称": g["grid_name"],
        "户数": hh.astype("Int64"), "专职网格员": full_time.astype(int), "兼职网格员": part_time.astype(int),
        "是否建立党支部": np.where(no_branch, "否", "是"),
        "经度": g["lon"], "纬度": g["lat"]})
    population = pd.DataFrame({"网格编号": g["grid_id"], "常住人口": pop.astype(int)})
    comm_pop = population["常住人口"].groupby(g["community_id"]).sum()
    rate = city.communities.set_index("community_id")["worker_rate"] + 0.8 * n
    workers = pd.DataFrame({"社区代码": comm_pop.index,
                            "社区工作者人数": np.maximum(3, np.round(comm_pop * rate[comm_pop.index] / 1e4)
                                                   ).astype(int).to_numpy()})
    return register, population, workers


# ───────────────────────────────────────────────── stations ──

def make_stations(city: City) -> pd.DataFrame:
    """The station register (阵地台账), STATION_HEADERS, about 200 rows.

    One centre per community (社区党群服务中心, or 村党群服务中心 for a 村) next to the community
    seat; 12 % of centres are below the minimum area for their type (CENTRE_MIN_AREA). Stations
    (小区/网格党群服务站, 暖新驿站) sit at chosen grid centroids, mostly in urban communities,
    so that some grids, mostly village ones, are more than 1 km from any station.
    """
    rng = _rng("stations")
    comm = city.communities
    village = (comm["community_type"] == "村").to_numpy()
    n = len(comm)
    kind = np.where(village, "村党群服务中心", "社区党群服务中心")
    minimum = np.where(village, 90.0, 300.0)
    below = np.zeros(n, bool)
    below[rng.choice(n, size=round(0.12 * n), replace=False)] = True
    area = np.where(below, minimum * rng.uniform(0.55, 0.95, n), minimum * rng.uniform(1.05, 2.6, n))
    cx, cy = comm["x"] + rng.normal(0, 40, n), comm["y"] + rng.normal(0, 40, n)
    clon, clat = _to_lonlat(cx, cy)
    centres = pd.DataFrame({
        "阵地名称": comm["community_name"] + "党群服务中心", "阵地类型": kind,
        "所属社区代码": comm["community_id"], "所属网格编号": None,
        "面积（㎡）": np.round(area, 1), "经度": clon, "纬度": clat,
        "启用日期": pd.to_datetime("2012-01-01") + pd.to_timedelta(rng.integers(0, 11 * 365, n), "D"),
        "每周开放时长（小时）": rng.choice([40.0, 44.0, 48.0, 56.0], n, p=[0.3, 0.35, 0.2, 0.15])})

    g = city.grids
    p_station = g["community_type"].map({"老旧小区": 0.28, "商品房小区": 0.32, "村改居": 0.14, "村": 0.03})
    chosen = g[rng.uniform(0, 1, len(g)) < p_station.to_numpy()].copy()
    m = len(chosen)
    in_compound = chosen["community_type"].isin(["老旧小区", "商品房小区"]).to_numpy()
    riders = np.zeros(m, bool)
    riders[rng.choice(np.flatnonzero(in_compound), size=min(20, in_compound.sum()), replace=False)] = True
    stype = np.where(riders, "暖新驿站",
                     np.where(in_compound & (rng.uniform(0, 1, m) < 0.55), "小区党群服务站", "网格党群服务站"))
    compound = rng.choice(np.array(_COMPOUND_POOL), m)
    name = np.where(stype == "暖新驿站", chosen["street_name"] + chosen["community_name"] + "暖新驿站",
                    np.where(stype == "小区党群服务站", chosen["community_name"] + compound + "小区党群服务站",
                             chosen["grid_name"] + "党群服务站"))
    slon, slat = _to_lonlat(chosen["x"] + rng.normal(0, 60, m), chosen["y"] + rng.normal(0, 60, m))
    stations = pd.DataFrame({
        "阵地名称": name, "阵地类型": stype, "所属社区代码": chosen["community_id"],
        "所属网格编号": chosen["grid_id"],
        "面积（㎡）": np.round(np.where(stype == "暖新驿站", rng.uniform(20, 60, m), rng.uniform(40, 220, m)), 1),
        "经度": slon, "纬度": slat,
        "启用日期": pd.to_datetime("2018-01-01") + pd.to_timedelta(rng.integers(0, 8 * 365 - 30, m), "D"),
        "每周开放时长（小时）": np.where(stype == "暖新驿站", rng.choice([84.0, 168.0], m),
                                   rng.choice([20.0, 30.0, 40.0, 56.0], m))})
    out = pd.concat([centres, stations], ignore_index=True)
    out = out.sort_values(["所属社区代码", "所属网格编号"], na_position="first", kind="stable")
    out.insert(0, "阵地编号", [f"ZD{i:04d}" for i in range(1, len(out) + 1)])
    out["启用日期"] = out["启用日期"].dt.date
    return out.reset_index(drop=True)


# ──────────────────────────────────────────────── volunteering ──

_VOLUNTEER_MONTH = np.array([0.8, 0.6, 1.7, 1.0, 1.0, 0.95, 1.2, 1.2, 1.0, 0.85, 1.0, 1.3])


def make_volunteer(city: City, year: int) -> pd.DataFrame:
    """Volunteer activities of one year (志愿服务记录), VOLUNTEER_HEADERS, ~3,000–3,800 rows.

    Seasonal: 学雷锋 in March, summer holidays, 国际志愿者日 in December, a Spring Festival lull;
    weekends busier. 服务时长（小时） is the total of all volunteers' hours in the activity
    (服务人次 × hours per person), so Σ服务时长 / population is hours per resident.
    """
    rng = _rng(f"volunteer-{year}")
    comm = city.communities
    pop = city.grids.groupby("community_id")["households_2023"].sum().reindex(comm["community_id"]) * 2.7
    expected = pop.to_numpy() / 1e4 * 52 * (1.12 ** (year - YEARS[0])) \
        * np.where(comm["community_type"] == "村", 0.7, 1.0)
    counts = rng.poisson(expected)
    days = pd.date_range(f"{year}-01-01", f"{year}-12-31", freq="D")
    w = _VOLUNTEER_MONTH[days.month - 1] * np.where(days.day_of_week >= 5, 1.5, 1.0)
    w[(days.month == 12) & (days.day == 5)] *= 6           # 国际志愿者日
    w[(days.month == 3) & (days.day == 5)] *= 6            # 学雷锋纪念日
    idx = np.repeat(np.arange(len(comm)), counts)
    m = len(idx)
    date = days[rng.choice(len(days), m, p=w / w.sum())]
    p_type = np.tile(_ACTIVITY_P, (m, 1))
    p_type[np.isin(date.month, [7, 8]), 3] *= 2.5           # 关爱儿童 in the summer holidays
    p_type /= p_type.sum(axis=1, keepdims=True)
    act = (p_type.cumsum(axis=1) > rng.uniform(0, 1, (m, 1))).argmax(axis=1)
    n_teams = 2 + (comm["community_type"] != "村").to_numpy().astype(int)
    team_kind = rng.integers(0, n_teams[idx])
    volunteers = 3 + rng.negative_binomial(3, 0.3, m)
    participations = volunteers * rng.choice([1, 2, 3], m, p=[0.8, 0.15, 0.05])
    hours_each = rng.choice([1.0, 1.5, 2.0, 2.5, 3.0, 4.0], m, p=[0.15, 0.2, 0.3, 0.15, 0.12, 0.08])
    hours = participations * hours_each
    out = pd.DataFrame({
        "活动日期": date.date, "社区代码": comm["community_id"].to_numpy()[idx],
        "志愿服务队": comm["community_name"].to_numpy()[idx] + np.array(_TEAM_KINDS)[team_kind],
        "活动类型": np.array(ACTIVITY_TYPES)[act], "志愿者人数": volunteers,
        "服务人次": participations, "服务时长（小时）": hours,
        "受益人次": np.round(np.exp(rng.normal(np.log(40), 0.8, m))).astype(int) + 2})
    return out.sort_values(["活动日期", "社区代码"], kind="stable").reset_index(drop=True)


# ────────────────────────────────────────────────── complaints ──

def _workday_calendar(start: str = "2023-01-01", end: str = "2026-12-31") -> pd.Series:
    """Cumulative working-day count per calendar date (official holidays and 调休 make-up
    workdays from the ``chinesecalendar`` package)."""
    days = pd.date_range(start, end, freq="D")
    workday = np.fromiter((chinese_calendar.is_workday(d.date()) for d in days), bool, len(days))
    return pd.Series(np.cumsum(workday), index=days)


def due_dates(received_at: pd.Series, working_days: pd.Series) -> pd.Series:
    """Deadline of each ticket: the end (23:59:59) of the N-th working day after the receipt date
    (the receipt day itself is not counted), N = ``working_days``. This is the convention behind
    the on-time figures in README.md. Returns datetime64 (seconds)."""
    cum = _workday_calendar()
    start = cum.reindex(received_at.dt.normalize()).to_numpy()
    pos = np.searchsorted(cum.to_numpy(), start + working_days.to_numpy(), side="left")
    return pd.Series(cum.index[pos] + pd.Timedelta("23:59:59"), index=received_at.index)


def _day_weights(year: int) -> tuple[pd.DatetimeIndex, np.ndarray]:
    days = pd.date_range(f"{year}-01-01", f"{year}-12-31", freq="D")
    doy = days.day_of_year.to_numpy()
    w = 1 + 0.32 * np.cos(2 * math.pi * (doy - 200) / 365.25)          # summer peak (mid-July)
    w *= np.where(days.day_of_week >= 5, 0.78, 1.0)
    sf = (days - pd.Timestamp(_SPRING_FESTIVAL[year])).days.to_numpy()
    w *= np.where((sf >= -2) & (sf <= 6), 0.45, 1.0)                    # Spring Festival dip
    w *= np.where((days.month == 10) & (days.day <= 7), 0.7, 1.0)       # National Day week
    return days, w / w.sum()


_HOUR_W = np.array([1, 0.5, 0.3, 0.3, 0.3, 0.5, 1, 3, 6, 8, 8, 7, 5, 5, 7, 7, 6, 5, 4, 4, 4, 3, 2, 1.5])


def make_complaints(city: City) -> pd.DataFrame:
    """All 12345 tickets of 2023–2025 (~150,000), canonical-ish columns plus the source fields.

    Columns: ticket_id (str), received_at, closed_at (datetime64, NaT while open), due_at,
    deadline_wd (int, working days), status ('closed' | 'open'), category, grid_id, district_id,
    street_id, satisfaction ('satisfied' | 'basically_satisfied' | 'dissatisfied' | NA),
    is_repeat (bool), year (int). Handling time is lognormal (median ≈ 0.5 × deadline in calendar
    days, σ = 0.85), doubled in WORSE_STREETS, which also leave more tickets open, have more repeats
    and more dissatisfied callers; late tickets are more often rated 不满意.
    """
    rng = _rng("complaints")
    g = city.grids
    weight = (g["households_2023"] * g["persons_per_household"]).to_numpy() \
        * g["community_type"].map({"老旧小区": 1.4, "商品房小区": 1.15, "村改居": 1.0, "村": 0.55}).to_numpy() \
        * np.where(g["street_id"].isin(WORSE_STREETS), 1.25, 1.0)
    parts = []
    for year in YEARS:
        days, day_p = _day_weights(year)
        for dcode, base in _TICKETS_2023.items():
            n = int(rng.poisson(base * _TICKET_GROWTH[dcode] ** (year - YEARS[0])))
            m = (g["district_id"] == dcode).to_numpy()
            gi = rng.choice(np.flatnonzero(m), n, p=weight[m] / weight[m].sum())
            day = days[rng.choice(len(days), n, p=day_p)]
            secs = rng.choice(24, n, p=_HOUR_W / _HOUR_W.sum()) * 3600 + rng.integers(0, 3600, n)
            parts.append(pd.DataFrame({"grid_idx": gi, "received_at": day + pd.to_timedelta(secs, "s"),
                                       "year": year}))
    t = pd.concat(parts, ignore_index=True)
    n = len(t)
    t["grid_id"] = g["grid_id"].to_numpy()[t["grid_idx"]]
    t["district_id"] = g["district_id"].to_numpy()[t["grid_idx"]]
    t["street_id"] = g["street_id"].to_numpy()[t["grid_idx"]]
    ctype = g["community_type"].map({c: i for i, c in enumerate(COMMUNITY_TYPES)}).to_numpy()[t["grid_idx"]]
    cat = (_CATEGORY_P[ctype].cumsum(axis=1) > rng.uniform(0, 1, (n, 1))).argmax(axis=1)
    t["category"] = np.array(CATEGORIES)[cat]
    dl_p = np.array([_DEADLINE_P[c] for c in CATEGORIES])[cat]
    t["deadline_wd"] = np.array([5, 10, 15])[(dl_p.cumsum(axis=1) > rng.uniform(0, 1, (n, 1))).argmax(axis=1)]
    worse = t["street_id"].isin(WORSE_STREETS).to_numpy()
    slow = np.where(worse, 2.0, 1.0) * np.where(t["district_id"] == "511605", 1.15, 1.0)
    handling_days = np.exp(rng.normal(np.log(0.5 * t["deadline_wd"].to_numpy() * slow), 0.85))
    handling = pd.to_timedelta(np.round(np.maximum(handling_days, 0.007) * 86_400), "s")
    closed_at = t["received_at"] + handling
    stuck = rng.uniform(0, 1, n) < np.where(worse, 0.09, 0.02)
    is_open = stuck | (closed_at > CUTOFF).to_numpy()
    t["closed_at"] = closed_at.where(~is_open)
    t["status"] = np.where(is_open, "open", "closed")
    t["due_at"] = due_dates(t["received_at"], t["deadline_wd"])
    late = (t["closed_at"] > t["due_at"]).to_numpy()
    rated = ~is_open & (rng.uniform(0, 1, n) < np.where(worse, 0.60, 0.66))
    p_dis = np.minimum(np.where(worse, 0.19, 0.065) * np.where(late, 2.2, 1.0), 0.6)
    u = rng.uniform(0, 1, n)
    sat = np.where(u < p_dis, "dissatisfied", np.where(u < p_dis + (1 - p_dis) * 0.78, "satisfied",
                                                        "basically_satisfied"))
    t["satisfaction"] = pd.Series(sat, dtype="string").where(rated)
    t["is_repeat"] = rng.uniform(0, 1, n) < np.where(worse, 0.085, 0.045)
    t = t.sort_values("received_at", kind="stable").reset_index(drop=True)
    seq = t.groupby(t["received_at"].dt.normalize()).cumcount() + 1
    t["ticket_id"] = "SL" + t["received_at"].dt.strftime("%Y%m%d") + seq.map("{:06d}".format)
    return t.drop(columns="grid_idx")


_STATUS_ZH = {"closed": "已办结", "open": "办理中"}
_SATISFACTION_ZH = {"satisfied": "满意", "basically_satisfied": "基本满意", "dissatisfied": "不满意"}


def _typed_text(ts: pd.Series) -> pd.Series:
    """Datetimes as a street office types them: ``2024/3/5 8:07`` (None where NaT)."""
    part = {k: getattr(ts.dt, k).astype("Int64").astype("string")
            for k in ("year", "month", "day", "hour", "minute")}
    text = (part["year"] + "/" + part["month"] + "/" + part["day"] + " " + part["hour"] + ":"
            + part["minute"].str.zfill(2))
    return text.astype(object).where(ts.notna(), None)


def complaint_sheet(tickets: pd.DataFrame, text_dates: bool) -> pd.DataFrame:
    """Tickets → the 工单 sheet (COMPLAINT_HEADERS), datetimes or typed text."""
    received, closed = tickets["received_at"], tickets["closed_at"]
    if text_dates:
        received, closed = _typed_text(received), _typed_text(closed)
    return pd.DataFrame({
        "工单编号": tickets["ticket_id"], "受理时间": received, "办结时间": closed,
        "办理时限（工作日）": tickets["deadline_wd"], "办理状态": tickets["status"].map(_STATUS_ZH),
        "诉求类别": tickets["category"], "网格编号": tickets["grid_id"],
        "满意度": tickets["satisfaction"].map(_SATISFACTION_ZH).astype(object),
        "是否重复": np.where(tickets["is_repeat"], "是", "否")})


# ────────────────────────────────────────────────── writing ──

_BOLD = Font(bold=True)


def _cells(df: pd.DataFrame):
    """Rows of plain Python values, None for missing (openpyxl writes datetimes as dates)."""
    obj = df.astype(object)
    return obj.where(df.notna(), None).itertuples(index=False, name=None)


def write_workbook(path: Path, sheets: list[tuple[str, pd.DataFrame, str | None]]) -> None:
    """Write (sheet name, frame, optional title) sheets with openpyxl in write-only mode.

    A title puts it in row 1, leaves row 2 blank and the header on row 3; otherwise the header is
    row 1. Headers are bold and frozen. Strings are always written as text, never as formulas
    (no generated value starts with ``=``).
    """
    wb = Workbook(write_only=True)
    for name, df, title in sheets:
        ws = wb.create_sheet(name)
        for i, col in enumerate(df.columns, 1):
            sample = df[col].head(200).dropna().astype(str).str.len()
            content = 1.1 * (sample.max() if len(sample) else 0) + 2
            ws.column_dimensions[get_column_letter(i)].width = min(40, max(8, 2.2 * len(col) + 2, content))
        ws.freeze_panes = "A4" if title else "A2"          # write-only: before the first row
        if title:
            cell = WriteOnlyCell(ws, value=title)
            cell.font = Font(bold=True, size=14)
            ws.append([cell])
            ws.append([])
        header = []
        for col in df.columns:
            cell = WriteOnlyCell(ws, value=col)
            cell.font = _BOLD
            header.append(cell)
        ws.append(header)
        for row in _cells(df):
            ws.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    _make_reproducible(path)


#: Stamped on every workbook instead of the time of the run, so regenerating changes no bytes.
_SAVED_AT = "2025-12-31T00:00:00Z"
_CORE_TIMES = re.compile(r"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def _make_reproducible(path: Path) -> None:
    """Rewrite a saved workbook with fixed zip entry times and fixed created/modified properties
    (openpyxl stamps the current time on both), leaving every other part byte for byte."""
    with zipfile.ZipFile(path) as z:
        parts = [(info, z.read(info)) for info in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in parts:
            if info.filename == "docProps/core.xml":
                data = _CORE_TIMES.sub(rf"\g<1>{_SAVED_AT}\g<2>", data.decode("utf-8")).encode("utf-8")
            fixed = zipfile.ZipInfo(info.filename, date_time=(2025, 12, 31, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            z.writestr(fixed, data)


def workbook_digest(path: Path) -> str:
    """SHA-256 of a workbook file (reproducible byte for byte, see _make_reproducible)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _insert(df: pd.DataFrame, rows: list[tuple[int, dict]]) -> pd.DataFrame:
    """Insert rows (position, {header: value}) before the row currently at each position."""
    key = np.arange(len(df), dtype=float)
    extra = pd.DataFrame([r for _, r in rows], columns=df.columns)
    out = pd.concat([df, extra], ignore_index=True)
    out["_pos"] = np.concatenate([key, [p - 0.5 for p, _ in rows]])
    return out.sort_values("_pos", kind="stable").drop(columns="_pos").reset_index(drop=True)


def _note(bad: list[dict], file: str, sheet: str, df: pd.DataFrame, header_row: int, mask: pd.Series,
          column: str, problem_zh: str, problem_en: str) -> None:
    """Record the rows of ``df`` selected by ``mask`` as deliberately broken (Excel row numbers)."""
    for i in np.flatnonzero(mask.to_numpy()):
        value = df.iloc[i][column]
        bad.append({"file": file, "sheet": sheet, "row": int(i) + header_row + 1,
                    "column": column, "value": "" if pd.isna(value) else str(value),
                    "problem_zh": problem_zh, "problem_en": problem_en})


def write_grids(city: City, out: Path,
                bad: list[dict]) -> dict[int, tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]]:
    """Write grids_{year}.xlsx; one 2025 register row loses its 户数. Returns the frames as
    written, {year: (网格台账, 人口, 社区工作者)}."""
    frames = {}
    for year in YEARS:
        sheet, pop, workers = grid_register(city, year)
        if year == 2025:
            sheet.loc[137, "户数"] = pd.NA
            _note(bad, f"grids_{year}.xlsx", "网格台账", sheet, 3, sheet["户数"].isna(), "户数",
                  "户数为空", "households missing")
        frames[year] = (sheet, pop, workers)
        write_workbook(out / f"grids_{year}.xlsx",
                       [("网格台账", sheet, f"示例市{year}年网格台账"), ("人口", pop, None),
                        ("社区工作者", workers, None)])
    return frames


def write_stations(city: City, out: Path, bad: list[dict]) -> pd.DataFrame:
    """Write stations.xlsx with one extra station whose area is negative; returns valid rows."""
    st = make_stations(city)
    first = st.iloc[60]
    broken = {"阵地编号": "ZD9001", "阵地名称": "临时小区党群服务站", "阵地类型": "小区党群服务站",
           "所属社区代码": first["所属社区代码"], "所属网格编号": first["所属网格编号"] if isinstance(first["所属网格编号"], str) else None,
           "面积（㎡）": -120.0, "经度": first["经度"], "纬度": first["纬度"],
           "启用日期": dt.date(2024, 6, 1), "每周开放时长（小时）": 30.0}
    sheet = _insert(st, [(61, broken)])
    _note(bad, "stations.xlsx", "阵地台账", sheet, 1, sheet["阵地编号"] == "ZD9001", "面积（㎡）",
          "面积为负数", "negative area")
    write_workbook(out / "stations.xlsx", [("阵地台账", sheet, None)])
    return st


def write_volunteer(city: City, out: Path, bad: list[dict]) -> dict[int, pd.DataFrame]:
    """Write volunteer_{year}.xlsx; 2024 gets one extra row with negative hours."""
    frames = {}
    for year in YEARS:
        v = make_volunteer(city, year)
        frames[year] = v
        sheet = v
        if year == 2024:
            row = v.iloc[1200].to_dict()
            row["服务时长（小时）"] = -3.0
            sheet = _insert(v, [(1201, row)])
            _note(bad, f"volunteer_{year}.xlsx", "志愿服务记录", sheet, 1,
                  sheet["服务时长（小时）"] < 0, "服务时长（小时）", "服务时长为负数", "negative hours")
        write_workbook(out / f"volunteer_{year}.xlsx", [("志愿服务记录", sheet, None)])
    return frames


def _complaint_file(year: int, dcode: str) -> str:
    name = next(d[1] for d in DISTRICTS if d[0] == dcode)
    return f"complaints/{year}_{dcode}_{name}.xlsx"


def write_complaints(city: City, out: Path, bad: list[dict]) -> pd.DataFrame:
    """Write the 12 complaint workbooks (year × district) with four broken rows; returns the
    valid tickets (see make_complaints)."""
    t = make_complaints(city)
    for year in YEARS:
        for dcode in _TICKETS_2023:
            part = t[(t["year"] == year) & (t["district_id"] == dcode)].reset_index(drop=True)
            sheet = complaint_sheet(part, dcode == TEXT_DATE_DISTRICT).astype(object)
            file = _complaint_file(year, dcode)
            extra: list[tuple[int, dict]] = []
            if (year, dcode) == (2024, "511602"):
                ok = sheet.iloc[3000].to_dict()
                extra.append((3001, {**ok, "工单编号": "SL20240315900001",
                                   "受理时间": dt.datetime(2024, 3, 15, 9, 12),
                                   "办结时间": dt.datetime(2024, 3, 13, 16, 40),
                                   "办理状态": "已办结", "满意度": None}))
                ok = sheet.iloc[1500].to_dict()
                extra.append((1501, {**ok, "工单编号": "SL20240230900003", "受理时间": "2024-02-30 10:15",
                                   "办结时间": dt.datetime(2024, 3, 4, 11, 20), "办理状态": "已办结"}))
            if (year, dcode) == (2025, "511602"):
                extra.append((5001, sheet.iloc[5000].to_dict()))        # the same ticket pasted twice
            if (year, dcode) == (2025, "511603"):
                ok = sheet.iloc[2000].to_dict()
                extra.append((2001, {**ok, "工单编号": "SL20250620900002",
                                   "网格编号": ok["网格编号"][:12] + "099"}))
            if extra:
                sheet = _insert(sheet, extra)
                rows = sheet["工单编号"]
                _note(bad, file, "工单", sheet, 1, rows == "SL20240315900001", "办结时间",
                      "办结时间早于受理时间", "closed before received")
                _note(bad, file, "工单", sheet, 1, rows == "SL20240230900003", "受理时间",
                      "日期不存在（2 月 30 日）", "impossible date")
                _note(bad, file, "工单", sheet, 1, rows == "SL20250620900002", "网格编号",
                      "网格编号不在网格台账中", "grid not in the register")
                _note(bad, file, "工单", sheet, 1, rows.duplicated(),
                      "工单编号", "工单编号重复（与上一行相同，第二次出现）", "duplicate ticket id (second occurrence)")
            write_workbook(out / file, [("工单", sheet, None)])
    return t


def write_geojson(out: Path) -> None:
    """districts.geojson (properties district_id, name) and streets.geojson (street_id, name,
    district_id): one Polygon per unit, WGS-84, neighbours sharing their border vertices."""
    def save(name: str, title: str, features: list[dict]) -> None:
        doc = {"type": "FeatureCollection", "name": title, "features": features}
        (out / name).write_text(json.dumps(doc, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")

    def feature(props: dict, region: Region) -> dict:
        return {"type": "Feature", "properties": props,
                "geometry": {"type": "Polygon", "coordinates": [region_ring(region)]}}

    save("districts.geojson", "示例市区县（虚构）",
         [feature({"district_id": code, "name": name}, Region(k))
          for k, (code, name, *_rest) in enumerate(DISTRICTS)])
    regions = street_regions()
    save("streets.geojson", "示例市街道（虚构）",
         [feature({"street_id": code + suffix, "name": sname, "district_id": code}, regions[code + suffix])
          for code, _name, _a0, _a1, _f, streets in DISTRICTS for suffix, sname, *_r in streets])


def manifest() -> dict:
    """The dataset manifest (docs/architecture.md §1) for the files written here."""
    yes_no = {"是": True, "否": False}
    grid_cols = {"district_id": "区县代码", "district_name": "区县", "street_id": "街道代码",
                 "street_name": "街道", "community_id": "社区代码", "community_name": "社区",
                 "community_type": "社区类型", "grid_id": "网格编号", "grid_name": "网格名称",
                 "households": "户数", "full_time_workers": "专职网格员", "part_time_workers": "兼职网格员",
                 "has_party_branch": "是否建立党支部", "lon": "经度", "lat": "纬度"}
    grid_sources = []
    for year in YEARS:
        grid_sources += [
            {"path": f"grids_{year}.xlsx", "sheet": "网格台账", "header_row": 3,
             "columns": {**grid_cols, "year": {"value": year}},
             "values": {"has_party_branch": yes_no}},
            {"path": f"grids_{year}.xlsx", "sheet": "人口", "header_row": 1, "join": "grid_id",
             "columns": {"grid_id": "网格编号", "population": "常住人口"}},
            {"path": f"grids_{year}.xlsx", "sheet": "社区工作者", "header_row": 1, "join": "community_id",
             "columns": {"community_id": "社区代码", "community_workers": "社区工作者人数"}}]
    complaint_cols = {"ticket_id": "工单编号", "received_at": "受理时间", "closed_at": "办结时间",
                      "deadline_working_days": "办理时限（工作日）", "status": "办理状态",
                      "category": "诉求类别", "grid_id": "网格编号", "satisfaction": "满意度",
                      "is_repeat": "是否重复"}
    complaint_values = {"status": {"已办结": "closed", "办理中": "open"},
                        "satisfaction": {"满意": "satisfied", "基本满意": "basically_satisfied",
                                         "不满意": "dissatisfied"},
                        "is_repeat": yes_no}
    complaint_sources = []
    for dcode, *_ in DISTRICTS:
        src = {"path": f"complaints/*_{dcode}_*.xlsx", "sheet": "工单", "header_row": 1,
               "columns": complaint_cols, "values": complaint_values}
        if dcode == TEXT_DATE_DISTRICT:
            src["transforms"] = {"received_at": [{"date_format": "%Y/%m/%d %H:%M"}],
                                 "closed_at": [{"date_format": "%Y/%m/%d %H:%M"}]}
        complaint_sources.append(src)
    return {
        "name": "示例市 2023–2025（示例数据）",
        "name_en": "Sample City 2023–2025 (sample data)",
        "sample": True,
        "levels": ["district", "street", "community", "grid"],
        "level_names": {"district": "区县", "street": "街道", "community": "社区", "grid": "网格"},
        "crs": "wgs84",
        "cutoff": dt.date(2025, 12, 31),
        "dates": {"min": dt.date(2010, 1, 1), "max": dt.date(2026, 12, 31)},
        "tables": {
            "grids": {"sources": grid_sources},
            "stations": {"sources": [{
                "path": "stations.xlsx", "sheet": "阵地台账", "header_row": 1,
                "columns": {"station_id": "阵地编号", "station_name": "阵地名称", "station_type": "阵地类型",
                            "community_id": "所属社区代码", "grid_id": "所属网格编号", "area_m2": "面积（㎡）",
                            "lon": "经度", "lat": "纬度", "opened": "启用日期",
                            "weekly_hours": "每周开放时长（小时）"}}]},
            "volunteer_hours": {"sources": [{
                "path": "volunteer_*.xlsx", "sheet": "志愿服务记录", "header_row": 1,
                "columns": {"date": "活动日期", "community_id": "社区代码", "team": "志愿服务队",
                            "activity_type": "活动类型", "volunteers": "志愿者人数",
                            "participations": "服务人次", "hours": "服务时长（小时）",
                            "beneficiaries": "受益人次"}}]},
            "complaints": {"sources": complaint_sources},
        },
        "boundaries": {"district": {"path": "districts.geojson", "key": "district_id"},
                       "street": {"path": "streets.geojson", "key": "street_id"}},
        "standards": {},
        # the department's own figures (indicators/custom.py): ratios of summed measures
        "indicators": {
            "full_time_worker_share": {
                "name_zh": "专职网格员占比", "name_en": "Share of full-time grid workers",
                "numerator": "full_time_workers",
                "denominator": ["full_time_workers", "part_time_workers"],
                "scale": "percent", "decimals": 1, "direction": "higher"},
            "grids_per_community": {
                "name_zh": "每社区网格数", "name_en": "Grids per community",
                "numerator": "grids", "denominator": {"units": "community"},
                "scale": "ratio", "unit_zh": "个", "unit_en": "grids", "decimals": 1,
                "direction": "higher"},
        },
    }


_MANIFEST_HEADER = """\
# 示例市 2023–2025 数据集清单（虚构示例数据）。由 data/sample/generate.py 生成，请勿手工修改。
# Manifest of the fictional sample dataset, written by data/sample/generate.py (format:
# docs/architecture.md §1). Each grids_YYYY.xlsx gives three sources: the register sheet (网格台账,
# header on row 3), then 人口 joined on grid_id and 社区工作者 joined on community_id; a join source
# merges onto the rows of the register source directly above it (the same year), not onto other
# years. 社区工作者人数 is a per-community total: every grid of the community carries the same number,
# so count it once per community and year. One district (样例区 511604) types its dates as text.
"""


class _PlainDumper(yaml.SafeDumper):
    """Writes repeated mappings out in full (no ``&id001`` anchors a reader would trip over)."""

    def ignore_aliases(self, data: object) -> bool:
        return True


def write_manifest(out: Path) -> None:
    """Write dataset.yaml (see :func:`manifest`) with an explanatory header comment."""
    text = yaml.dump(manifest(), Dumper=_PlainDumper, allow_unicode=True, sort_keys=False, width=100)
    (out / "dataset.yaml").write_text(_MANIFEST_HEADER + text, encoding="utf-8")


# ─────────────────────────────────────────── headline figures ──

def headline_figures(grids: dict, stations: pd.DataFrame, volunteer: dict,
                     tickets: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Whole-city figures per year from the valid rows, as the indicator code should find them.

    Rates are fractions; handling days are calendar days; on-time uses :func:`due_dates`.
    The 2025 register row without 户数 is left out of every 2025 grid figure (599 grids), as a
    loader that rejects it would. Coverage: population share of grids whose centroid lies within
    SERVICE_RADIUS_M of a station opened by the end of the year (local metric projection).
    """
    out: dict[str, dict[str, float]] = {}
    xy = _to_metres(stations["经度"], stations["纬度"])
    opened = pd.to_datetime(stations["启用日期"])
    for year in YEARS:
        reg, pop, workers = grids[year]
        reg = reg.merge(pop, on="网格编号")
        if year == 2025:
            reg = reg[reg["户数"].notna()]
        tree = cKDTree(xy[(opened <= f"{year}-12-31").to_numpy()])
        dist, _ = tree.query(_to_metres(reg["经度"], reg["纬度"]))
        population = reg["常住人口"].sum()
        centres = stations[stations["阵地类型"].isin(list(CENTRE_MIN_AREA))
                           & (opened <= f"{year}-12-31").to_numpy()]
        meets = centres["面积（㎡）"] >= centres["阵地类型"].map(CENTRE_MIN_AREA)
        v = volunteer[year]
        t = tickets[tickets["year"] == year]
        closed = t[t["status"] == "closed"]
        rated = t["satisfaction"].notna()
        handling = (closed["closed_at"] - closed["received_at"]).dt.total_seconds() / 86_400
        prev = tickets[tickets["year"] == year - 1]
        out[str(year)] = {
            "grids": len(reg),
            "population": int(population),
            "households_per_grid": reg["户数"].sum() / len(reg),
            "grid_full_time_staffed_rate": (reg["专职网格员"] >= 1).mean(),
            "grid_workers_per_grid": (reg["专职网格员"] + reg["兼职网格员"]).sum() / len(reg),
            "party_branch_coverage": (reg["是否建立党支部"] == "是").mean(),
            "community_workers_per_10k": workers["社区工作者人数"].sum() / population * 1e4,
            "stations_open": int((opened <= f"{year}-12-31").sum()),
            "station_area_compliance": meets.mean(),
            "service_circle_coverage": reg["常住人口"][dist <= SERVICE_RADIUS_M].sum() / population,
            "stations_per_10k": (opened <= f"{year}-12-31").sum() / population * 1e4,
            "volunteer_activities": len(v),
            "volunteer_hours_per_capita": v["服务时长（小时）"].sum() / population,
            "volunteer_participations": int(v["服务人次"].sum()),
            "tickets": len(t),
            "complaint_rate_per_1k": len(t) / population * 1e3,
            "resolution_rate": len(closed) / len(t),
            "open_at_cutoff": int((t["status"] == "open").sum()),
            "on_time_rate": (closed["closed_at"] <= closed["due_at"]).mean(),
            "median_handling_days": float(handling.median()),
            "rated_share": rated.sum() / len(closed),
            "satisfaction_rate": t.loc[rated, "satisfaction"].isin(
                ["satisfied", "basically_satisfied"]).mean(),
            "repeat_complaint_rate": t["is_repeat"].mean(),
            "complaints_yoy": (len(t) / len(prev) - 1) if len(prev) else float("nan"),
        }
    return out


def _markdown(figures: dict[str, dict[str, float]]) -> str:
    """The figures as the Markdown table of README.md (rates in per cent, 2 decimals)."""
    years = list(figures)
    lines = ["| figure | " + " | ".join(years) + " |", "|---|" + "---:|" * len(years)]
    for key in figures[years[0]]:
        cells = []
        for y in years:
            v = figures[y][key]
            if isinstance(v, (int, np.integer)):
                cells.append(f"{v:,}")
            elif v is None or (isinstance(v, float) and math.isnan(v)):
                cells.append("—")
            elif key.endswith(("_rate", "_coverage", "_compliance", "_share", "_yoy")):
                cells.append(f"{100 * v:.2f}%")
            else:
                cells.append(f"{v:,.3f}")
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _json_figures(figures: dict[str, dict[str, float]]) -> dict[str, dict[str, float | int | None]]:
    """Figures as plain JSON values: floats to 6 decimals, counts as int, NaN as null."""
    def plain(v):
        if isinstance(v, (int, np.integer)):
            return int(v)
        return None if math.isnan(v) else round(float(v), 6)
    return {y: {k: plain(v) for k, v in f.items()} for y, f in figures.items()}


def generate(out: Path = SAMPLE_DIR) -> tuple[dict[str, dict[str, float]], list[dict]]:
    """Write every sample file into ``out``; return the headline figures per year (see
    :func:`headline_figures`) and the deliberately broken rows ({file, sheet, row, column, value,
    problem_zh, problem_en}, row = Excel row number).

    Files: grids_{2023,2024,2025}.xlsx, stations.xlsx, volunteer_{…}.xlsx,
    complaints/{year}_{district code}_{district name}.xlsx (12), districts.geojson,
    streets.geojson, dataset.yaml,
    bad_rows.json (the deliberately broken rows) and expected_figures.json.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    bad: list[dict] = []
    city = build_city()
    grids = write_grids(city, out, bad)
    stations = write_stations(city, out, bad)
    volunteer = write_volunteer(city, out, bad)
    tickets = write_complaints(city, out, bad)
    write_geojson(out)
    write_manifest(out)
    figures = headline_figures(grids, stations, volunteer, tickets)
    (out / "bad_rows.json").write_text(json.dumps(bad, ensure_ascii=False, indent=1), encoding="utf-8")
    (out / "expected_figures.json").write_text(json.dumps(_json_figures(figures), ensure_ascii=False, indent=1),
                                               encoding="utf-8")
    return figures, bad


def main() -> int:
    started = time.perf_counter()
    figures, bad = generate()
    print(_markdown(_json_figures(figures)))
    print("\nBroken rows:")
    for b in bad:
        print(f"  {b['file']} [{b['sheet']}] row {b['row']} {b['column']}={b['value']!r}: {b['problem_zh']}")
    print(f"\nwritten to {SAMPLE_DIR} in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
