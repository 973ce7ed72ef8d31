"""The indicator catalog (指标目录): definitions, standards with their sources, formatting.

The metadata lives in ``catalog.yaml`` beside this file ("metadata is data"); this module loads it
into frozen dataclasses and offers the few pure helpers every view needs:

- ``CATALOG``: ``dict[str, Indicator]`` in display order.
- ``status(ind, value)``: ``'meets' | 'fails' | 'none'`` against the indicator's standard.
- ``format_value(ind, value, lang)`` / ``format_change(ind, change, lang)``: display strings.
- ``catalog_for(config)``: the catalog with a dataset's ``standards`` overrides and its
  ``settings`` (``score_weights``, ``definition_changes``) applied.
- ``standards_library(catalog, config)``: every standard as one row of data (value, comparison,
  unit, source, effective year, whether the dataset overrode it).
- ``station_area_minimums(config)``: minimum area (m²) per station type for
  ``station_area_compliance``.

Standards come from DESIGN.md §4 and ``indicators/published/peer_cases.csv`` (figures published by
ten Chinese cities and districts, copied from ``/work/shared/data/published/``); every one carries
``source_zh``/``source_en`` naming the place and the article, and ``figure`` naming the rows of
peer_cases.csv it was taken from (``indicators.benchmarks`` joins them).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd
import yaml

CATALOG_PATH = Path(__file__).parent / "catalog.yaml"

KINDS = ("rate", "ratio", "count", "median", "per_capita", "score")
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

#: Manifest ``settings`` keys read by ``catalog_for``.
WEIGHTS_KEY = "score_weights"
DEFINITION_CHANGES_KEY = "definition_changes"


@dataclass(frozen=True)
class Standard:
    """A standard or target, always with its source.

    comparison: ``'>='`` (value at least ``value``), ``'<='`` (at most ``value``) or
    ``'between'`` (``low`` ≤ value ≤ ``high``). Values are in the indicator's value units
    (rates as fractions: 0.918 = 91.8%).
    basis: ``'standard'`` (an official or adopted norm) or ``'peer'`` (a figure a peer city
    published, used as a benchmark).
    effective_year: the first year the standard applies (None: every year); ``applies`` tells.
    figure: the published figures it was taken from, as ``'place:figure_id'`` of
    ``indicators/published/peer_cases.csv`` (``'a / b'`` a ratio of two figures, ``'a .. b'``
    low and high of a band); several entries when several places published the same figure.
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
    effective_year: int | None = None
    figure: tuple[str, ...] = ()

    def applies(self, year: int | str | None) -> bool:
        """True when the standard is in force in ``year`` (an int, ``'2025'`` or ``'2025-03'``;
        None or unparsable: True)."""
        if self.effective_year is None or year is None:
            return True
        try:
            return int(str(year)[:4]) >= self.effective_year
        except ValueError:
            return True

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
class Exclusion:
    """Records an indicator leaves out, and why: ``measure`` (an additive measure counting them,
    indicators.measures.MEASURES), the reason in Chinese and English, and the unit of the count
    (件 / 个)."""

    measure: str
    reason_zh: str
    reason_en: str
    unit_zh: str = ""
    unit_en: str = ""

    def reason(self, lang: str = "zh") -> str:
        return self.reason_en if lang == "en" else self.reason_zh


@dataclass(frozen=True)
class Indicator:
    """One indicator's definition (see catalog.yaml for the values).

    kind: ``'rate'`` (fraction shown as %), ``'ratio'``, ``'count'``, ``'median'``,
    ``'per_capita'``, ``'score'`` (0–100 points, ``composite_score``). direction: ``'higher'`` |
    ``'lower'`` is better, or ``'band'`` (inside the standard's range is good). table: the
    canonical source table (``'indicators'`` for the composite score, derived from other rows).
    numerator / denominator: additive measures (indicators.measures.MEASURES) the indicator is
    computed from; value = Σnumerator / Σdenominator × scale (a count: Σnumerator × scale, its
    denominator the records summed, shown for reference). excluded: the records the rate
    leaves out, each an ``Exclusion`` (measure and reason). periods: the period kinds it is
    computed for. min_count: denominators below it are flagged ``small_count``.
    references: published peer figures for reference lines (never used by ``status``).
    score_weight: weight in ``composite_score`` (0: not scored; only indicators with a standard
    are scored). definition_changes: years from which the definition changed — the year-on-year
    change into such a year is marked not comparable (``indicators.compare.add_yoy``).
    maturity_days: open periods — a value of a period ending less than this many days before
    the data cut-off is ``provisional`` (its outcome can still change: tickets received then may
    still close); 0 = only a period not yet over at the cut-off; None = never (registers).
    used_by: which views show it (Chinese text, for the 指标说明).
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
    excluded: tuple[Exclusion, ...] = ()
    scale: float = 1.0
    periods: tuple[str, ...] = PERIOD_KINDS
    references: tuple[Standard, ...] = field(default_factory=tuple)
    score_weight: float = 0.0
    definition_changes: tuple[int, ...] = ()
    maturity_days: int | None = None
    used_by: str = ""

    def name(self, lang: str = "zh") -> str:
        return self.name_en if lang == "en" else self.name_zh

    def unit(self, lang: str = "zh") -> str:
        return self.unit_en if lang == "en" else self.unit_zh


def _standard(raw: Mapping[str, Any]) -> Standard:
    unknown = set(raw) - set(Standard.__dataclass_fields__)
    if unknown:
        raise ValueError(f"unknown standard fields: {sorted(unknown)}")
    raw = dict(raw)
    if raw.get("effective_year") is not None:
        raw["effective_year"] = int(raw["effective_year"])
    if isinstance(raw.get("figure"), str):
        raw["figure"] = [raw["figure"]]
    raw["figure"] = tuple(str(f) for f in raw.get("figure") or ())
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
    excluded = raw.pop("excluded", None) or ()
    if isinstance(excluded, (str, Mapping)):
        raise ValueError(f"{ind_id}: excluded must be a list of {{measure, reason_zh, reason_en}}")
    changes = tuple(int(y) for y in raw.pop("definition_changes", None) or ())
    weight = float(raw.pop("score_weight", 0) or 0)
    maturity = raw.pop("maturity_days", None)
    if maturity is not None:
        if isinstance(maturity, bool) or not isinstance(maturity, int) or maturity < 0:
            raise ValueError(f"{ind_id}: maturity_days must be a whole number of days ≥ 0: "
                             f"{maturity!r}")
    ind = Indicator(id=ind_id, standard=_standard(std) if std else None,
                    references=tuple(_standard(r) for r in refs), periods=periods,
                    excluded=tuple(Exclusion(**e) for e in excluded), score_weight=weight,
                    definition_changes=changes, maturity_days=maturity,
                    **{k: ("" if v is None else v) for k, v in raw.items()})
    if ind.kind not in KINDS:
        raise ValueError(f"{ind_id}: kind must be one of {KINDS}: {ind.kind!r}")
    if ind.direction not in DIRECTIONS:
        raise ValueError(f"{ind_id}: direction must be one of {DIRECTIONS}: {ind.direction!r}")
    if not set(ind.periods) <= set(PERIOD_KINDS):
        raise ValueError(f"{ind_id}: periods must be among {PERIOD_KINDS}: {ind.periods!r}")
    if ind.score_weight < 0 or (ind.score_weight > 0 and ind.standard is None):
        raise ValueError(f"{ind_id}: score_weight must be ≥ 0 and needs a standard")
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


def _override(ind: Indicator, spec: Mapping[str, Any]) -> Standard:
    """A manifest's standard override merged onto ``ind``'s built-in standard.

    Fields not given are inherited (a new comparison drops the targets of the old one). When the
    target (comparison, value, low, high) changes and no new label or source is given, the label
    is rewritten from the new target and the source names the dataset manifest: the built-in
    label and citation would no longer be true.
    """
    base = ind.standard
    if base is None:
        return _standard(spec)
    merged = {k: getattr(base, k) for k in Standard.__dataclass_fields__}
    if spec.get("comparison", base.comparison) != base.comparison:
        merged.update(value=None, low=None, high=None)
    merged.update(spec)
    std = _standard(merged)
    if any(getattr(std, k) != getattr(base, k) for k in ("comparison", "value", "low", "high")):
        if "label_zh" not in spec:
            std = replace(std, label_zh=_target_label(ind, std, "zh"),
                          label_en=spec.get("label_en", _target_label(ind, std, "en")))
        if "source_zh" not in spec:
            std = replace(std, source_zh=f"数据集清单 standards.{ind.id} 设定",
                          source_en=spec.get("source_en", f"dataset manifest, standards.{ind.id}"),
                          basis=spec.get("basis", "standard"), figure=())
    return std


def _target_label(ind: Indicator, std: Standard, lang: str) -> str:
    """'≥ 95%', '≤ 3 天', '300–500 户' from a standard's target in ``ind``'s units."""
    def text(v: float) -> str:
        return f"{v * 100:g}%" if ind.kind == "rate" else f"{v:g}"
    unit = "" if ind.kind == "rate" else f" {ind.unit(lang)}"
    if std.comparison == "between":
        return f"{text(std.low)}–{text(std.high)}{unit}"
    return f"{'≥' if std.comparison == '>=' else '≤'} {text(std.value)}{unit}"


def catalog_for(config: Mapping[str, Any] | None,
                catalog: Mapping[str, Indicator] | None = None) -> dict[str, Indicator]:
    """The catalog with a dataset's overrides applied.

    ``config`` is ``dataset.config`` (the manifest's ``standards`` and ``settings``):

    - ``standards: {indicator_id: {comparison, value | low+high, label_zh, source_zh,
      effective_year, …}}`` overrides that indicator's standard (fields not given are kept; see
      ``_override``), ``{indicator_id: None}`` drops it. The key ``station_area_min_m2`` is not
      an indicator (see ``station_area_minimums``) and is ignored here.
    - ``settings: {score_weights: {indicator_id: weight}}`` sets weights of ``composite_score``
      (a number ≥ 0; 0 leaves the indicator out; indicators not named keep their catalog weight).
    - ``settings: {definition_changes: {indicator_id: [year, …]}}`` adds years from which an
      indicator's definition changed (the year-on-year change into them is not comparable).

    - ``indicators: {id: {name_zh, numerator, denominator, scale, …}}``: the dataset's own
      indicators (``indicators.custom``), appended before the composite score.

    A dropped standard also drops the indicator's weight. Raises ``ValueError`` for an unknown
    indicator id, an invalid standard, a negative weight, a weight on an indicator without a
    standard, or a year that is not a whole number.
    """
    base = dict(CATALOG if catalog is None else catalog)
    own = (config or {}).get("indicators")
    if own:     # the dataset's own indicators, before the composite score (always last)
        from indicators.custom import parse_custom
        custom = parse_custom(own, base)
        tail = {k: base.pop(k) for k in [k for k in base if base[k].kind == "score"]}
        base.update(custom)
        base.update(tail)
    overrides = dict((config or {}).get("standards") or {})
    overrides.pop(STATION_AREA_KEY, None)
    for ind_id, spec in overrides.items():
        if ind_id not in base:
            raise ValueError(f"standards: unknown indicator {ind_id!r}")
        if spec:
            base[ind_id] = replace(base[ind_id], standard=_override(base[ind_id], spec))
        else:
            base[ind_id] = replace(base[ind_id], standard=None, score_weight=0.0)
    settings = (config or {}).get("settings") or {}
    for ind_id, weight in (settings.get(WEIGHTS_KEY) or {}).items():
        if ind_id not in base:
            raise ValueError(f"settings.{WEIGHTS_KEY}: unknown indicator {ind_id!r}")
        try:
            weight = float(weight)
        except (TypeError, ValueError):
            raise ValueError(f"settings.{WEIGHTS_KEY}.{ind_id}: not a number: {weight!r}") from None
        if weight < 0 or math.isnan(weight):
            raise ValueError(f"settings.{WEIGHTS_KEY}.{ind_id}: weight must be ≥ 0")
        if weight > 0 and base[ind_id].standard is None:
            raise ValueError(f"settings.{WEIGHTS_KEY}.{ind_id}: indicator has no standard to "
                             f"score against")
        base[ind_id] = replace(base[ind_id], score_weight=weight)
    for ind_id, years in (settings.get(DEFINITION_CHANGES_KEY) or {}).items():
        if ind_id not in base:
            raise ValueError(f"settings.{DEFINITION_CHANGES_KEY}: unknown indicator {ind_id!r}")
        years = [years] if isinstance(years, (int, str)) else list(years or ())
        try:
            added = tuple(int(y) for y in years)
        except (TypeError, ValueError):
            raise ValueError(f"settings.{DEFINITION_CHANGES_KEY}.{ind_id}: years must be whole "
                             f"numbers: {years!r}") from None
        base[ind_id] = replace(base[ind_id], definition_changes=tuple(
            sorted(set(base[ind_id].definition_changes) | set(added))))
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


def standard_arrays(indicator_id: "pd.Series", period: "pd.Series",
                    catalog: Mapping[str, Indicator]) -> dict[str, np.ndarray]:
    """Each row's standard as arrays, for vectorised comparisons over an indicator table.

    Inputs: the table's ``indicator_id`` and ``period`` columns ('YYYY' or 'YYYY-MM').
    Returns ``comparison`` (object: '>=' | '<=' | 'between' | None), ``value``, ``low``,
    ``high`` (float64, NaN when absent). A row whose indicator has no standard, or whose period
    lies before the standard's ``effective_year``, gets comparison None.
    """
    stds = {i: ind.standard for i, ind in catalog.items() if ind.standard is not None}
    comparison = indicator_id.map({i: s.comparison for i, s in stds.items()}) \
        .to_numpy(dtype=object, na_value=None)
    start = indicator_id.map({i: s.effective_year for i, s in stds.items()
                              if s.effective_year is not None}).to_numpy(dtype="float64",
                                                                        na_value=np.nan)
    if not np.isnan(start).all():
        year = pd.to_numeric(period.astype(str).str.slice(0, 4), errors="coerce") \
            .to_numpy(dtype="float64", na_value=np.nan)
        comparison = np.where(year < start, None, comparison)
    out = {"comparison": comparison}
    for name in ("value", "low", "high"):
        out[name] = indicator_id.map({i: getattr(s, name) for i, s in stds.items()}) \
            .to_numpy(dtype="float64", na_value=np.nan)
    return out


def standard_gap(indicator_id: "pd.Series", period: "pd.Series", value: np.ndarray,
                 catalog: Mapping[str, Indicator]) -> np.ndarray:
    """Vectorised ``Standard.gap`` over table rows: 0 when met, negative by how much short (value
    units: a fraction for rates), NaN without a (applicable) standard or value."""
    std = standard_arrays(indicator_id, period, catalog)
    comparison, target, low, high = std["comparison"], std["value"], std["low"], std["high"]
    v = np.asarray(value, dtype="float64")
    gap = np.full(len(v), np.nan)
    ge, le, bt = comparison == ">=", comparison == "<=", comparison == "between"
    gap[ge] = np.minimum(0.0, v[ge] - target[ge])
    gap[le] = np.minimum(0.0, target[le] - v[le])
    gap[bt] = np.minimum(0.0, np.minimum(v[bt] - low[bt], high[bt] - v[bt]))
    gap[np.isnan(v)] = np.nan
    return gap


def _is_nan(value: Any) -> bool:
    try:
        return value is None or math.isnan(float(value))
    except (TypeError, ValueError):
        return True


def status(ind: Indicator, value: float, period: int | str | None = None,
           provisional: Any = False) -> str:
    """``'meets'`` or ``'fails'`` against ``ind.standard``; ``'none'`` when the indicator has no
    standard, the value is NaN/None, or ``period`` ('2025', '2025-03' or 2025) lies before the
    standard's ``effective_year``; ``'provisional'`` instead of meets/fails when the row is
    provisional (an open period, ``indicators.table.provisional_flags``: never judged 未达标).
    Rates compare as fractions (0.95 ≥ 0.918)."""
    if ind.standard is None or _is_nan(value) or not ind.standard.applies(period):
        return "none"
    if provisional is True or (provisional is not None and not _is_nan(provisional)
                               and bool(provisional)):
        return "provisional"
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
