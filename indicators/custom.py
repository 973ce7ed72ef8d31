"""A dataset's own indicators (自定义指标): the manifest's ``indicators:`` section.

A department's own figures — 专职网格员占比, 专职网格员每网格, 每社区网格数 — are ratios of the
additive measures the project already sums (``indicators.measures.MEASURES``), or of counts of
units at a level. The manifest declares them as data; nothing is evaluated as code::

    indicators:
      full_time_share:                       # id (letters, digits, _), not a catalog id
        name_zh: 专职网格员占比
        name_en: Share of full-time grid workers        # optional (default: the id)
        numerator: full_time_workers                     # a measure
        denominator: [full_time_workers, part_time_workers]   # a sum of measures
        scale: percent                       # percent | per_1000 | per_10000 | ratio
        decimals: 1                          # optional (default 1)
        direction: higher                    # higher | lower | band (default higher)
        unit_zh: "%"                         # optional (default from scale)
        standard: {comparison: '>=', value: 0.5, label_zh: ≥ 50%, source_zh: 本市文件}   # optional
      grids_per_community:
        name_zh: 每社区网格数
        numerator: grids
        denominator: {units: community}      # the number of units at a level (data/model units)
        scale: ratio
        decimals: 1

A wrong entry is a ``ValueError`` (``data.manifest.ManifestError``) in Chinese naming the key:
``清单错误（indicators.full_time_share.denominator）：未知的度量「grid_worker」…``.

The parsed indicators are ordinary ``catalog.Indicator`` objects (kind rate / per_capita / ratio),
appended to the catalog by ``catalog.catalog_for``; so they go through the same tidy table and
appear wherever catalog indicators do. A sum of measures or a unit count becomes a derived
column of the rolled-up cube (``add_columns``), named ``a+b`` or ``units:<level>``.
"""
from __future__ import annotations

import re
from typing import Any, Mapping

import numpy as np
import pandas as pd

#: scale keyword → (kind, multiplier, default unit zh, default unit en)
SCALES = {
    "percent": ("rate", 1.0, "%", "%"),
    "per_1000": ("per_capita", 1000.0, "每千", "per 1,000"),
    "per_10000": ("per_capita", 10000.0, "每万", "per 10,000"),
    "ratio": ("ratio", 1.0, "", ""),
}
FIELDS = ("name_zh", "name_en", "numerator", "denominator", "scale", "unit_zh", "unit_en",
          "decimals", "direction", "standard", "min_count", "formula_zh", "formula_en")
REQUIRED = ("name_zh", "numerator", "denominator", "scale")
UNITS_PREFIX = "units:"
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
SECTION = "indicators"


def _fail(where: str, message: str) -> ValueError:
    from data.manifest import ManifestError
    return ManifestError(f"清单错误（{where}）：{message}")


def _reference(raw: Any, where: str, measures: Mapping[str, Any]) -> tuple[str, list[str]]:
    """A numerator or denominator → (cube column name, the measures it needs)."""
    def one(name: Any, at: str) -> str:
        if not isinstance(name, str) or name not in measures:
            known = "、".join(m for m in measures if m != "handling_hours_histogram")
            raise _fail(at, f"未知的度量「{name}」；可用的度量：{known}；"
                            f"或写 {{units: 层级}} 表示该层级的单位数")
        if name == "handling_hours_histogram":
            raise _fail(at, "办结时长直方图不能作为分子或分母")
        return name
    if isinstance(raw, Mapping):
        if set(raw) != {"units"} or not isinstance(raw["units"], str) or not raw["units"]:
            raise _fail(where, "单位数应写成 {units: 层级名}，例如 {units: community}")
        return UNITS_PREFIX + raw["units"], []
    if isinstance(raw, (list, tuple)):
        if not raw:
            raise _fail(where, "度量之和不能为空列表")
        names = [one(n, f"{where}[{i}]") for i, n in enumerate(raw)]
        return ("+".join(names) if len(names) > 1 else names[0]), names
    name = one(raw, where)
    return name, [name]


def parse_custom(section: Any, catalog: Mapping[str, Any]) -> dict[str, Any]:
    """The manifest's ``indicators:`` mapping → ``{id: catalog.Indicator}`` in manifest order.

    catalog: the built-in catalog (an id may not clash with it). Raises ``ManifestError``
    (a ValueError) in Chinese naming the key for anything not as documented above.
    """
    from indicators.catalog import DIRECTIONS, Indicator, _standard
    from indicators.measures import MEASURES

    if section is None:
        return {}
    if not isinstance(section, Mapping):
        raise _fail(SECTION, "应写成 {指标编号: {name_zh, numerator, denominator, scale, …}}")
    out = {}
    for ind_id, spec in section.items():
        where = f"{SECTION}.{ind_id}"
        if not isinstance(ind_id, str) or not _ID.match(ind_id):
            raise _fail(where, "指标编号只能由字母、数字和下划线组成，且以字母开头")
        if ind_id in catalog:
            raise _fail(where, f"与内置指标「{catalog[ind_id].name_zh}」重名，请换一个编号")
        if not isinstance(spec, Mapping):
            raise _fail(where, "应写成 {name_zh, numerator, denominator, scale, …}")
        unknown = sorted(set(map(str, spec)) - set(FIELDS))
        if unknown:
            raise _fail(where, f"未知的字段 {unknown}；可用：{list(FIELDS)}")
        for key in REQUIRED:
            if spec.get(key) in (None, "", [], {}):
                raise _fail(f"{where}.{key}", "必填")
        scale = spec["scale"]
        if scale not in SCALES:
            raise _fail(f"{where}.scale", f"应为 {' / '.join(SCALES)} 之一：{scale!r}")
        kind, factor, unit_zh, unit_en = SCALES[scale]
        num, num_parts = _reference(spec["numerator"], f"{where}.numerator", MEASURES)
        den, den_parts = _reference(spec["denominator"], f"{where}.denominator", MEASURES)
        direction = spec.get("direction", "higher")
        if direction not in DIRECTIONS:
            raise _fail(f"{where}.direction", f"应为 {' / '.join(DIRECTIONS)} 之一：{direction!r}")
        if direction == "band" and (not isinstance(spec.get("standard"), Mapping)
                                    or spec["standard"].get("comparison") != "between"):
            raise _fail(f"{where}.direction", "band（区间）需要写 standard: {comparison: between, "
                                              "low, high, …}")
        decimals = spec.get("decimals", 1)
        if isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= 6:
            raise _fail(f"{where}.decimals", f"应为 0–6 的整数：{decimals!r}")
        min_count = spec.get("min_count", 0)
        if isinstance(min_count, bool) or not isinstance(min_count, (int, float)) or min_count < 0:
            raise _fail(f"{where}.min_count", f"应为不小于 0 的数：{min_count!r}")
        standard = None
        if spec.get("standard") is not None:
            raw = spec["standard"]
            if not isinstance(raw, Mapping):
                raise _fail(f"{where}.standard", "应写成 {comparison, value 或 low/high, label_zh, "
                                                 "source_zh}")
            if not raw.get("source_zh"):
                raise _fail(f"{where}.standard.source_zh", "标准须注明出处")
            try:
                standard = _standard(raw)
            except (TypeError, ValueError) as exc:
                raise _fail(f"{where}.standard", f"标准写法有误：{exc}") from None
        parts = num_parts + den_parts
        tables = [MEASURES[m].table for m in parts]
        flows = [m for m in parts if MEASURES[m].kind == "flow"]
        formula_zh = spec.get("formula_zh") or _formula(spec, num, den, factor, "zh", MEASURES)
        out[ind_id] = Indicator(
            id=ind_id, name_zh=str(spec["name_zh"]), name_en=str(spec.get("name_en") or ind_id),
            unit_zh=str(spec.get("unit_zh", unit_zh)), unit_en=str(spec.get("unit_en", unit_en)),
            kind=kind, decimals=decimals, direction=direction, formula_zh=formula_zh,
            formula_en=str(spec.get("formula_en") or _formula(spec, num, den, factor, "en",
                                                                MEASURES)),
            table=tables[0] if tables else "grids", standard=standard,
            min_count=int(min_count), numerator=num, denominator=den, scale=factor,
            excluded=(), periods=("year", "month") if flows else ("year",),
            maturity_days=0 if flows else None, used_by="数据集清单自定义指标")
    return out


def _formula(spec: Mapping[str, Any], num: str, den: str, factor: float, lang: str,
             measures: Mapping[str, Any]) -> str:
    def text(col: str) -> str:
        if col.startswith(UNITS_PREFIX):
            level = col[len(UNITS_PREFIX):]
            return f"{level} 层级单位数" if lang == "zh" else f"number of {level} units"
        names = [measures[m].description_zh if lang == "zh" else m for m in col.split("+")]
        return " + ".join(names) if len(names) == 1 else "（" + " + ".join(names) + "）"
    tail = f" × {factor:,.0f}" if factor != 1 else ""
    note = "（数据集清单自定义）" if lang == "zh" else " (defined in the dataset manifest)"
    return f"{text(num)} ÷ {text(den)}{tail}{note}"


def _sum_column(measures: pd.DataFrame, parts: list[str]) -> pd.Series:
    """Σ of the measure columns (NaN only where every part is NaN)."""
    return measures[parts].sum(axis=1, min_count=1)


def unit_counts(units: pd.DataFrame, levels: list[str], wanted: set[str], total_name: str = ""
                ) -> pd.DataFrame:
    """Number of units at each ``wanted`` level under every unit (itself at its own level) and
    under ``total``.

    units: ``data.model`` units (level, unit_id, parent_id …); levels: top → finest.
    Returns level, unit_id, and one float64 column ``units:<level>`` per wanted level (0 under a
    unit that has none; NaN for units above… none: a unit below the level counts 0).
    Raises ``ManifestError`` naming the key for a level the dataset does not have.
    """
    from indicators.rollup import TOTAL_ID, TOTAL_LEVEL, Hierarchy

    for level in sorted(wanted):
        if level not in levels:
            raise _fail(f"{SECTION}.*.{{units: {level}}}",
                        f"数据集没有层级「{level}」；可用：{'、'.join(levels)}")
    hier = Hierarchy(units, levels, total_name)
    frame = pd.DataFrame({"level": hier.level_of, "unit_id": hier.id_of})
    for level in sorted(wanted):
        at = np.flatnonzero(hier.level_idx == levels.index(level))
        counts = np.zeros(hier.n + 1)
        for lv in levels[: levels.index(level) + 1]:
            anc = hier.ancestor[lv][at]
            counts += np.bincount(anc[anc >= 0], minlength=hier.n + 1)
        counts[hier.total] = len(at)
        frame[UNITS_PREFIX + level] = counts
    frame.loc[frame["unit_id"] == TOTAL_ID, "level"] = TOTAL_LEVEL
    return frame


def add_columns(cube, catalog: Mapping[str, Any], units: pd.DataFrame | None = None):
    """The cube with the derived columns the catalog's own indicators need: sums of measures
    (``a+b``, when every part is available) and unit counts (``units:<level>``, when ``units``
    is given). Returns the cube (its ``measures`` frame replaced, ``available`` extended)."""
    wanted_sums, wanted_units = {}, set()
    for ind in catalog.values():
        for col in (ind.numerator, ind.denominator):
            if col and col.startswith(UNITS_PREFIX):
                wanted_units.add(col[len(UNITS_PREFIX):])
            elif col and "+" in col:
                wanted_sums[col] = col.split("+")
    if not wanted_sums and not wanted_units:
        return cube
    measures = cube.measures.copy()
    available = set(cube.available)
    for col, parts in wanted_sums.items():
        if set(parts) <= available and all(p in measures.columns for p in parts):
            measures[col] = _sum_column(measures, parts)
            available.add(col)
    if wanted_units and units is not None and len(units):
        counts = unit_counts(units, list(cube.levels), wanted_units)
        measures = measures.merge(counts, on=["level", "unit_id"], how="left")
        available |= {UNITS_PREFIX + lv for lv in wanted_units}
    cube.measures = measures
    cube.available = available
    return cube
