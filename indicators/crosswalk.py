"""Boundaries across years (区划调整对照): year-on-year change on a comparable basis when grids or
communities are split, merged, renamed or moved to another parent.

Manifest section (a list; ``year`` is the first year drawn with the new boundaries)::

    crosswalk:
      - {year: 2025, level: grid, from: G11, to: {G11A: 0.6, G11B: 0.4}}   # split, explicit weights
      - {year: 2025, level: grid, from: G12, to: [G12A, G12B], weights: households}  # split, weights
                                                # from the new units' 户数 (or population) in 2025
      - {year: 2025, level: grid, from: [G21, G22], to: G20}                # merge
      - {year: 2025, level: grid, from: G31, to: G3X}                       # rename
      - {year: 2025, level: grid, from: G32, to: G32, parent: S1}           # moved to another parent
      - {year: 2025, level: grid, from: G41, to: [G41A, G41B]}              # split, no weights

A weight is the share of the old unit that went to the new one (a split's weights sum to 1; a
whole old unit has weight 1). For a new unit N the previous year's comparable numerator and
denominator are Σ weight × the old units' (additive measures apportioned by residents or
households); for every unit above ``level`` that holds a changed unit, they are re-summed over its
children *as drawn now*. The previous value is then Σnumerator / Σdenominator × scale (rates,
ratios, per-capita), Σnumerator × scale (counts). Medians and the composite score cannot be
apportioned: not comparable. A split without weights: not comparable, with the reason.

``apply_crosswalk(table, dataset, catalog) -> table`` rewrites, for the yearly rows of each
crosswalk year, prev_value / change / change_good / comparable (as ``compare.add_yoy`` defines
them) of the affected units and adds ``boundary_note`` (str, ``''`` when nothing changed):
``拆分自 G11（权重 0.6）``, ``下辖单位调整，上年按现区划折算``, ``不可比：拆分未给出户数或人口权重``.
``changed_units(dataset)`` lists the units each crosswalk entry touches (for the workbook/views).
Raises :class:`CrosswalkError` (Chinese) for a wrong ``crosswalk`` section.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd


class CrosswalkError(ValueError):
    """A wrong ``crosswalk`` section (message in Chinese, naming the entry)."""


@dataclass(frozen=True)
class Link:
    """One old unit → one new unit with the share that went (None: no weight given)."""

    year: int
    level: str
    old: str
    new: str
    weight: float | None
    kind: str        # 拆分 | 合并 | 更名 | 调整隶属 | 对应


def _ids(raw: Any) -> list[str]:
    if isinstance(raw, (list, tuple)):
        return [str(x) for x in raw]
    return [str(raw)]


def parse(dataset: Any) -> list[Link]:
    """The manifest's crosswalk as links; [] without one. Raises CrosswalkError."""
    raw = (dataset.config or {}).get("crosswalk")
    if not raw:
        return []
    if not isinstance(raw, list):
        raise CrosswalkError("清单错误（crosswalk）：应是一个列表，每项写明 year、level、from、to")
    links: list[Link] = []
    register = dataset.tables.get("grids")
    for i, entry in enumerate(raw):
        where = f"清单错误（crosswalk[{i}]）"
        if not isinstance(entry, dict) or not {"year", "level", "from", "to"} <= set(entry):
            raise CrosswalkError(f"{where}：需要 year、level、from、to")
        level = str(entry["level"])
        if level not in dataset.levels:
            raise CrosswalkError(f"{where}：没有「{level}」这一层级；可选：{'、'.join(dataset.levels)}")
        try:
            year = int(entry["year"])
        except (TypeError, ValueError) as exc:
            raise CrosswalkError(f"{where}：year 应是年份，如 2025") from exc
        olds, to = _ids(entry["from"]), entry["to"]
        basis = entry.get("weights")
        if basis is not None and basis not in ("households", "population"):
            raise CrosswalkError(f"{where}：weights 只能是 households（户数）或 population（人口）")
        if isinstance(to, dict):
            targets = {str(k): float(v) for k, v in to.items()}
            if len(olds) == 1 and abs(sum(targets.values()) - 1) > 1e-6:
                raise CrosswalkError(f"{where}：拆分的权重之和应为 1（现为 {sum(targets.values()):g}）")
        else:
            news = _ids(to)
            if len(news) == 1:
                targets = {news[0]: 1.0}
            elif basis is not None:
                targets = _register_weights(register, news, basis, year, level, dataset.levels, where)
            else:
                targets = {n: None for n in news}
        if len(olds) > 1 and len(targets) > 1:
            raise CrosswalkError(f"{where}：请把多对多的调整拆成多项（每项一个原单位或一个新单位）")
        if len(targets) > 1:
            kind = "拆分"
        elif len(olds) > 1:
            kind = "合并"
        elif olds[0] != next(iter(targets)):
            kind = "更名"
        else:
            kind = "调整隶属" if entry.get("parent") else "对应"
        for old in olds:
            for new, w in targets.items():
                links.append(Link(year, level, old, new, w, kind))
    return links


def _register_weights(register: pd.DataFrame | None, news: list[str], basis: str, year: int,
                      level: str, levels: list[str], where: str) -> dict[str, float]:
    if register is None or basis not in register.columns:
        raise CrosswalkError(f"{where}：网格台账没有{'户数' if basis == 'households' else '人口'}，无法计算权重")
    rows = register
    if "year" in rows.columns:
        rows = rows[rows["year"].astype("Int64") == year]
    col = "unit_id" if level == levels[-1] else f"{level}_id"
    sums = rows.groupby(rows[col].astype(str))[basis].sum()
    got = sums.reindex(news)
    if got.isna().any() or got.sum() <= 0:
        missing = [n for n in news if pd.isna(got.get(n))]
        raise CrosswalkError(f"{where}：{year} 年网格台账中找不到 {'、'.join(missing) or '这些单位'} 的"
                             f"{'户数' if basis == 'households' else '人口'}")
    return {n: float(got[n] / got.sum()) for n in news}


def _ancestors(units: pd.DataFrame, levels: list[str], level: str) -> dict[str, list[tuple[str, str]]]:
    """unit id at ``level`` → [(level, id) of each ancestor, nearest first, then total]."""
    parent = dict(zip(zip(units["level"], units["unit_id"].astype(str)), units["parent_id"]))
    d = levels.index(level)
    out = {}
    for uid in units.loc[units["level"] == level, "unit_id"].astype(str):
        chain, cur = [], uid
        for k in range(d, 0, -1):
            p = parent.get((levels[k], cur))
            if p is None or pd.isna(p):
                break
            cur = str(p)
            chain.append((levels[k - 1], cur))
        chain.append(("total", "total"))
        out[uid] = chain
    return out


def changed_units(dataset: Any) -> pd.DataFrame:
    """year, level, unit_id (new), kind, from_units, weights (text): one row per new unit."""
    rows = {}
    for link in parse(dataset):
        key = (link.year, link.level, link.new)
        row = rows.setdefault(key, {"year": link.year, "level": link.level, "unit_id": link.new,
                                    "kind": link.kind, "from_units": [], "weights": []})
        row["from_units"].append(link.old)
        row["weights"].append("未给出" if link.weight is None else f"{link.weight:.4g}")
    out = pd.DataFrame(rows.values(), columns=["year", "level", "unit_id", "kind", "from_units", "weights"])
    if len(out):
        out["from_units"] = out["from_units"].map("、".join)
        out["weights"] = out["weights"].map("、".join)
    return out


def apply_crosswalk(table: pd.DataFrame, dataset: Any, catalog: dict) -> pd.DataFrame:
    """Comparable year-on-year change across boundary changes (see module docstring). Returns a
    copy of ``table`` with ``boundary_note``; a table without crosswalk gets ``''`` everywhere."""
    out = table.copy()
    if "boundary_note" not in out.columns:
        out["boundary_note"] = ""
    links = parse(dataset)
    if not links:
        return out
    for year, level in sorted({(l.year, l.level) for l in links}):
        _apply_year(out, [l for l in links if l.year == year and l.level == level], year, level,
                    dataset, catalog)
    return out


def _apply_year(out: pd.DataFrame, links: list[Link], year: int, level: str, dataset: Any,
                catalog: dict) -> None:
    levels = dataset.levels
    prev = out[(out["period"].astype(str) == str(year - 1)) & (out["level"] == level)]
    num = prev.set_index(["unit_id", "indicator_id"])["numerator"].astype(float)
    den = prev.set_index(["unit_id", "indicator_id"])["denominator"].astype(float)
    indicators = sorted(set(out.loc[out["period"].astype(str) == str(year), "indicator_id"]))
    # previous-year measures per unit at `level`, as drawn now: changed units from their links
    new_units = sorted({l.new for l in links})
    by_new: dict[str, list[Link]] = {n: [l for l in links if l.new == n] for n in new_units}
    units_now = dataset.units.loc[dataset.units["level"] == level, "unit_id"].astype(str).tolist()
    touched = set(new_units) | {l.old for l in links}
    chains = _ancestors(dataset.units, levels, level)
    parents = {a for u in touched if u in chains for a in chains[u]}
    gone = {l.old for l in links} - set(new_units)      # drawn no more: counted through their heirs
    notes: dict[tuple[str, str], str] = {}
    comparable_prev: dict[tuple[str, str, str], tuple[float, float, str]] = {}
    for n, ls in by_new.items():
        if any(l.weight is None for l in ls):
            note = "不可比：拆分未给出户数或人口权重"
        else:
            if ls[0].kind == "拆分":
                note = "；".join(f"拆分自 {l.old}（权重 {l.weight:.4g}）" for l in ls)
            elif ls[0].kind in ("合并", "更名"):
                note = f"{ls[0].kind}自 " + "、".join(l.old for l in ls)
            else:
                note = ""
            if ls[0].kind == "调整隶属":
                note = "调整隶属，上级按现区划折算"
        notes[(level, n)] = note
        for ind in indicators:
            if any(l.weight is None for l in ls):
                comparable_prev[(level, n, ind)] = (np.nan, np.nan, note)
                continue
            a = sum(l.weight * num.get((l.old, ind), np.nan) for l in ls)
            b = sum(l.weight * den.get((l.old, ind), np.nan) for l in ls)
            comparable_prev[(level, n, ind)] = (a, b, "")
    for parent in parents:
        plevel, pid = parent
        members = [u for u in units_now if parent in chains.get(u, []) and u not in gone]
        blocked = [u for u in members if u in by_new and any(l.weight is None for l in by_new[u])]
        notes[parent] = ("不可比：下辖单位拆分未给出权重" if blocked else "下辖单位调整，上年按现区划折算")
        for ind in indicators:
            if blocked:
                comparable_prev[(plevel, pid, ind)] = (np.nan, np.nan, notes[parent])
                continue
            a = b = 0.0
            for u in members:
                if (level, u, ind) in comparable_prev:
                    x, y, _ = comparable_prev[(level, u, ind)]
                else:
                    x, y = num.get((u, ind), np.nan), den.get((u, ind), np.nan)
                a += 0.0 if np.isnan(x) else x
                b += 0.0 if np.isnan(y) else y
            comparable_prev[(plevel, pid, ind)] = (a, b, "")
    rows = np.flatnonzero((out["period"].astype(str) == str(year)).to_numpy())
    for i in rows:
        key = (out.at[i, "level"], str(out.at[i, "unit_id"]))
        if key not in notes:
            continue
        ind_id = out.at[i, "indicator_id"]
        ind = catalog.get(ind_id)
        a, b, reason = comparable_prev.get((*key, ind_id), (np.nan, np.nan, ""))
        kind = getattr(ind, "kind", "")
        scale = float(getattr(ind, "scale", 1.0) or 1.0)
        if reason:
            before, ok, note = np.nan, False, reason
        elif kind in ("median", "score") or ind is None:
            before, ok, note = np.nan, False, f"不可比：{getattr(ind, 'name_zh', ind_id)}不能按权重折算"
        elif kind == "count":
            before, ok, note = a * scale, True, notes[key]
        else:
            before, ok, note = (a / b * scale if b else np.nan), True, notes[key]
        value = float(out.at[i, "value"])
        if ok and not np.isnan(before):
            change = value - before if kind == "rate" else (value / before - 1 if before else np.nan)
        else:
            change = np.nan
        out.at[i, "prev_value"] = before
        out.at[i, "change"] = change
        was = bool(out.at[i, "comparable"]) if "comparable" in out.columns else True
        out.at[i, "comparable"] = bool(ok and was and not np.isnan(before))
        direction = getattr(ind, "direction", "")
        good = pd.NA
        if not np.isnan(change) and change != 0 and direction in ("higher", "lower"):
            good = (change > 0) == (direction == "higher")
        out.at[i, "change_good"] = good
        out.at[i, "boundary_note"] = note
