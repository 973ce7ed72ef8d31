"""The indicator catalog (指标目录): definitions, standards with their sources, formatting.

The metadata lives in ``catalog.yaml`` beside this file ("metadata is data"); this module loads it
into frozen dataclasses and offers the few pure helpers every view needs:

- ``CATALOG``: ``dict[str, Indicator]`` in display order.
- ``status(ind, value)``: ``'meets' | 'fails' | 'none'`` against the indicator's standard.
- ``format_value(ind, value, lang)`` / ``format_change(ind, change, lang)``: display strings.
- ``catalog_for(config)``: the catalog with a dataset's ``standards`` overrides applied.
- ``station_area_minimums(config)``: minimum area (m²) per station type for
  ``station_area_compliance``.

Standards come from DESIGN.md §4 and ``/work/shared/data/published/peer_cases.csv`` (figures
published by ten Chinese cities and districts); every one carries ``source_zh``/``source_en`` naming
the place and the article.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping

import yaml

CATALOG_PATH = Path(__file__).parent / "catalog.yaml"

KINDS = ("rate", "ratio", "count", "median", "per_capita")
DIRECTIONS = ("higher", "lower", "band")
COMPARISONS = (">=", "<=", "between")
PERIOD_KINDS = ("year", "month")

#: Minimum floor area (m²) of a Party-and-public service centre by station type.
#: Source: 中共广安市委组织部《打造群众“常来常往、常来常新”活力平台》(peer_cases.csv:
#: min_area_community_center 300 m², min_area_village_center 90 m²). A dataset overrides it with
#: ``standards: {station_area_min_m2: {类型: 面积, ...}}`` in its manifest.
DEFAULT_STATION_AREA_MIN_M2: dict[str, float] = {"社区党群服务中心": 300.0, "村党群服务中心": 90.0}

#: Config key (inside ``dataset.config['standards']``) for station area minimums.
STATION_AREA_KEY = "station_area_min_m2"

NA_TEXT = "—"


@dataclass(frozen=True)
class Standard:
    """A standard or target, always with its source.

    comparison: ``'>='`` (value at least ``value``), ``'<='`` (at most ``value``) or
    ``'between'`` (``low`` ≤ value ≤ ``high``). Values are in the indicator's value units
    (rates as fractions: 0.918 = 91.8%).
    basis: ``'standard'`` (an official or adopted norm) or ``'peer'`` (a figure a peer city
    published, used as a benchmark).
    """

    comparison: str
    value: float | None = None
    low: float | None = None
    high: float | None = None
    label_zh: str = ""
    label_en: str = ""
    source_zh: str = ""
    source_en: str = ""
    basis: str = "standard"

    def met_by(self, value: float) -> bool:
        """True when ``value`` satisfies the standard (``value`` must not be NaN)."""
        if self.comparison == ">=":
            return value >= self.value
        if self.comparison == "<=":
            return value <= self.value
        return self.low <= value <= self.high

    def gap(self, value: float) -> float:
        """Signed distance to the standard, in value units: 0 when met, negative when short.

        ``'>='``: min(0, value − target); ``'<='``: min(0, target − value); ``'between'``: the
        (negative) distance to the nearest bound. NaN in, NaN out.
        """
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return math.nan
        if self.comparison == ">=":
            return min(0.0, value - self.value)
        if self.comparison == "<=":
            return min(0.0, self.value - value)
        return min(0.0, value - self.low, self.high - value)


@dataclass(frozen=True)
class Indicator:
    """One indicator's definition (see catalog.yaml for the values).

    kind: ``'rate'`` (fraction shown as %), ``'ratio'``, ``'count'``, ``'median'``,
    ``'per_capita'``. direction: ``'higher'`` | ``'lower'`` is better, or ``'band'`` (inside the
    standard's range is good). table: the canonical source table.
    numerator / denominator / excluded: additive measures (indicators.measures.MEASURES) the
    indicator is computed from; value = Σnumerator / Σdenominator × scale. periods: the period
    kinds it is computed for. min_count: denominators below it are flagged ``small_count``.
    references: published peer figures for reference lines (never used by ``status``).
    """

    id: str
    name_zh: str
    name_en: str
    unit_zh: str
    unit_en: str
    kind: str
    decimals: int
    direction: str
    formula_zh: str
    formula_en: str
    table: str
    standard: Standard | None = None
    min_count: int = 0
    numerator: str = ""
    denominator: str = ""
    excluded: str = ""
    scale: float = 1.0
    periods: tuple[str, ...] = PERIOD_KINDS
    references: tuple[Standard, ...] = field(default_factory=tuple)

    def name(self, lang: str = "zh") -> str:
        return self.name_en if lang == "en" else self.name_zh

    def unit(self, lang: str = "zh") -> str:
        return self.unit_en if lang == "en" else self.unit_zh


def _standard(raw: Mapping[str, Any]) -> Standard:
    unknown = set(raw) - set(Standard.__dataclass_fields__)
    if unknown:
        raise ValueError(f"unknown standard fields: {sorted(unknown)}")
    std = Standard(**{k: (float(v) if k in ("value", "low", "high") and v is not None else v)
                      for k, v in raw.items()})
    if std.comparison not in COMPARISONS:
        raise ValueError(f"standard comparison must be one of {COMPARISONS}: {std.comparison!r}")
    if std.comparison == "between" and (std.low is None or std.high is None):
        raise ValueError("a 'between' standard needs low and high")
    if std.comparison != "between" and std.value is None:
        raise ValueError(f"a {std.comparison!r} standard needs value")
    return std


def _indicator(ind_id: str, raw: Mapping[str, Any]) -> Indicator:
    raw = dict(raw)
    unknown = set(raw) - set(Indicator.__dataclass_fields__)
    if unknown:
        raise ValueError(f"{ind_id}: unknown fields {sorted(unknown)}")
    std = raw.pop("standard", None)
    refs = raw.pop("references", None) or ()
    periods = tuple(raw.pop("periods", PERIOD_KINDS))
    ind = Indicator(id=ind_id, standard=_standard(std) if std else None,
                    references=tuple(_standard(r) for r in refs), periods=periods,
                    **{k: ("" if v is None else v) for k, v in raw.items()})
    if ind.kind not in KINDS:
        raise ValueError(f"{ind_id}: kind must be one of {KINDS}: {ind.kind!r}")
    if ind.direction not in DIRECTIONS:
        raise ValueError(f"{ind_id}: direction must be one of {DIRECTIONS}: {ind.direction!r}")
    if not set(ind.periods) <= set(PERIOD_KINDS):
        raise ValueError(f"{ind_id}: periods must be among {PERIOD_KINDS}: {ind.periods!r}")
    return ind


def load_catalog(path: Path | str = CATALOG_PATH) -> dict[str, Indicator]:
    """Read a catalog YAML file into ``{indicator id: Indicator}`` in file order.

    Raises ``ValueError`` on an unknown field, kind, direction, period or comparison, and
    ``yaml.YAMLError`` on malformed YAML.
    """
    with open(path, encoding="utf-8") as fh:
        raw = yaml.safe_load(fh) or {}
    return {ind_id: _indicator(ind_id, spec) for ind_id, spec in raw.items()}


#: The built-in catalog, in display order. Treat as read-only.
CATALOG: dict[str, Indicator] = load_catalog()


def catalog_for(config: Mapping[str, Any] | None,
                catalog: Mapping[str, Indicator] | None = None) -> dict[str, Indicator]:
    """The catalog with a dataset's standard overrides applied.

    ``config`` is ``dataset.config``; overrides sit under ``config['standards']`` as
    ``{indicator_id: {comparison, value | low+high, label_zh, source_zh, …}}`` or
    ``{indicator_id: None}`` to drop a standard. The key ``station_area_min_m2`` is not an
    indicator (see ``station_area_minimums``) and is ignored here. Raises ``ValueError`` for an
    unknown indicator id or an invalid standard.
    """
    base = dict(CATALOG if catalog is None else catalog)
    overrides = dict((config or {}).get("standards") or {})
    overrides.pop(STATION_AREA_KEY, None)
    for ind_id, spec in overrides.items():
        if ind_id not in base:
            raise ValueError(f"standards: unknown indicator {ind_id!r}")
        base[ind_id] = replace(base[ind_id], standard=_standard(spec) if spec else None)
    return base


def station_area_minimums(config: Mapping[str, Any] | None) -> dict[str, float]:
    """Minimum floor area in m² per station type (exact ``station_type`` text).

    Default ``DEFAULT_STATION_AREA_MIN_M2`` (广安市委组织部: 社区党群服务中心 ≥ 300 m²,
    村党群服务中心 ≥ 90 m²); ``config['standards']['station_area_min_m2']`` replaces it whole.
    """
    custom = ((config or {}).get("standards") or {}).get(STATION_AREA_KEY)
    if custom is None:
        return dict(DEFAULT_STATION_AREA_MIN_M2)
    return {str(k).strip(): float(v) for k, v in custom.items()}


def _is_nan(value: Any) -> bool:
    try:
        return value is None or math.isnan(float(value))
    except (TypeError, ValueError):
        return True


def status(ind: Indicator, value: float) -> str:
    """``'meets'`` or ``'fails'`` against ``ind.standard``; ``'none'`` when the indicator has no
    standard or the value is NaN/None. Rates compare as fractions (0.95 ≥ 0.918)."""
    if ind.standard is None or _is_nan(value):
        return "none"
    return "meets" if ind.standard.met_by(float(value)) else "fails"


def format_value(ind: Indicator, value: float, lang: str = "zh") -> str:
    """Display text for a value: rates ``'91.8%'``; counts ``'1,234'``; medians, ratios and
    per-capita values with their unit (``'3.2 天'`` / ``'3.2 days'``, ``'412 户'``); ``'—'`` for
    NaN. Decimals come from the catalog."""
    if _is_nan(value):
        return NA_TEXT
    value = float(value)
    d = ind.decimals
    if ind.kind == "rate":
        return f"{value * 100:,.{d}f}%"
    text = f"{value:,.{d}f}"
    if ind.kind == "count":
        return text
    unit = ind.unit(lang)
    return f"{text} {unit}" if unit else text


def format_change(ind: Indicator, change: float, lang: str = "zh") -> str:
    """Display text for a year-on-year change (see ``indicators.compare.add_yoy``).

    Rates: ``change`` is a difference of fractions shown in percentage points,
    0.013 → ``'+1.3 个百分点'`` / ``'+1.3 pp'``. Everything else: a relative change,
    −0.27 → ``'-27.0%'``. One decimal; ``'—'`` for NaN.
    """
    if _is_nan(change):
        return NA_TEXT
    pct = float(change) * 100
    if ind.kind == "rate":
        return f"{pct:+.1f} {'pp' if lang == 'en' else '个百分点'}"
    return f"{pct:+.1f}%"
