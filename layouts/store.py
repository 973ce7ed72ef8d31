"""The one access point to the precomputed results for every page and callback.

``create_app`` calls :func:`set_results` once; pages call :func:`get` and read slices of the tidy
indicator table through :class:`DashboardData`. Every method returns a new DataFrame (a copy), so
no callback can mutate the shared table, and nothing here ever groups raw records: the indicator
table of docs/architecture.md §3 is already rolled up to every level and period.

One process serves one dataset: a second ``set_results`` replaces the first.
"""
from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pandas as pd

from data.model import LEVEL_NAMES_EN, LEVEL_NAMES_ZH
from indicators.slices import slice_rows
from reports.plain import plain_indicator

TOTAL = "total"
#: Columns every page relies on (docs/architecture.md §3 plus indicators.compare's additions).
REQUIRED_COLUMNS = (
    "level", "unit_id", "unit_name", "period", "indicator_id", "numerator", "denominator",
    "value", "small_count", "prev_value", "change", "change_unit", "change_good", "rank",
)
_UNIT_KEY_SEP = ":"


def unit_key(level: str, unit_id: str) -> str:
    """URL/dropdown key of a unit, ``"<level>:<unit_id>"`` (unit ids are unique within a level
    only); the whole dataset is ``"total"``."""
    return TOTAL if level == TOTAL else f"{level}{_UNIT_KEY_SEP}{unit_id}"


def parse_unit_key(key: str | None) -> tuple[str, str]:
    """Inverse of :func:`unit_key`: ``(level, unit_id)``; ``None``/``""``/``"total"`` give
    ``("total", "total")``. Raises ValueError for a key without a level part."""
    if not key or key == TOTAL:
        return TOTAL, TOTAL
    level, sep, unit_id = key.partition(_UNIT_KEY_SEP)
    if not sep or not unit_id:
        raise ValueError(f"not a unit key: {key!r}")
    return level, unit_id


@dataclass(frozen=True)
class UnitOption:
    """One unit as offered in a dropdown: key (see unit_key), label and depth (0 = whole)."""

    key: str
    label: str
    depth: int


class _LazySlices(Mapping):
    """``{key: rows of the indicator table}``; each frame is taken from the table (and kept) the
    first time it is read. Reads may race on first use; both compute the same frame."""

    def __init__(self, table: pd.DataFrame, rows: dict[tuple[str, str], np.ndarray]) -> None:
        self._table, self._rows = table, rows
        self._frames: dict[tuple[str, str], pd.DataFrame] = {}

    def __getitem__(self, key: tuple[str, str]) -> pd.DataFrame:
        frame = self._frames.get(key)
        if frame is None:
            frame = self._table.take(self._rows[key]).reset_index(drop=True)
            self._frames[key] = frame
        return frame

    def __iter__(self):
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)


class _FileSlices(Mapping):
    """``{key: rows of the indicator table}`` read from a slice file (indicators.slices), one
    record batch the first time a key is read, then kept. Reads may race on first use; both
    read the same frame."""

    def __init__(self, source: Any, batches: dict[tuple[str, str], int]) -> None:
        self._source, self._batches = source, batches
        self._frames: dict[tuple[str, str], pd.DataFrame] = {}

    def __getitem__(self, key: tuple[str, str]) -> pd.DataFrame:
        frame = self._frames.get(key)
        if frame is None:
            frame = self._source.frame(self._batches[key])
            self._frames[key] = frame
        return frame

    def __iter__(self):
        return iter(self._batches)

    def __len__(self) -> int:
        return len(self._batches)


class DashboardData:
    """Read-only view of an ``indicators.pipeline.Results`` for the dashboard.

    results: any object with ``dataset`` (data.model.Dataset), ``table`` (the tidy indicator
    table, columns REQUIRED_COLUMNS; ``period`` is ``"2025"`` for years, ``"2025-03"`` for
    months; ``value`` rates are fractions) and ``catalog`` (dict id → Indicator, display order).

    Raises ValueError if the table lacks a required column.
    """

    def __init__(self, results: Any) -> None:
        prepared = getattr(results, "slices", None)   # a warm start's indicators.slices.SliceFile
        columns = prepared.columns if prepared is not None else list(results.table.columns)
        missing = [c for c in REQUIRED_COLUMNS if c not in columns]
        if missing:
            raise ValueError(f"indicator table lacks columns {missing}")
        self.dataset = results.dataset
        # texts for people: no file names or setting keys from the catalog (reports.plain)
        self.catalog: dict[str, Any] = {k: plain_indicator(v) for k, v in results.catalog.items()}
        self._results = results
        self._quality: pd.DataFrame | None = None
        # One frame per (year, level) and per (level, indicator) of the months: a callback slices
        # one of these, never the table. Each frame is made the first time a page asks for it —
        # read from the warm start's slice file (one record batch) or taken out of the table at
        # the positions found here — so start-up neither reads nor copies a table of millions
        # of rows.
        if prepared is not None:
            self._by_year_level: Mapping[tuple[str, str], pd.DataFrame] = _FileSlices(
                prepared, prepared.by_year_level)
            self._monthly: Mapping[tuple[str, str], pd.DataFrame] = _FileSlices(
                prepared, prepared.monthly)
            self.month_years: list[str] = list(prepared.month_years)
            present = set(prepared.year_indicator_ids)
        else:
            table: pd.DataFrame = results.table
            rows = slice_rows(table)
            self._by_year_level = _LazySlices(table, rows.by_year_level)
            self._monthly = _LazySlices(table, rows.monthly)
            #: years with monthly rows, latest first
            self.month_years = rows.month_years
            present = rows.year_indicator_ids
        self.years: list[str] = sorted({p for p, _ in self._by_year_level}, reverse=True)
        with_months = {ind for _, ind in self._monthly}
        #: indicator ids with monthly rows, in catalog order
        self.monthly_indicator_ids: list[str] = [i for i in self.catalog if i in with_months]
        #: indicator ids with at least one yearly row, in catalog order
        self.indicator_ids: list[str] = [i for i in self.catalog if i in present]
        self.levels: list[str] = list(self.dataset.levels)
        units = self.dataset.units
        self._ancestors = _ancestor_tables(units, self.levels)
        self._report = report_frames(self.dataset.report)
        self._names: dict[tuple[str, str], str] = dict(zip(
            zip(units["level"].astype(str), units["unit_id"].astype(str), strict=True),
            units["unit_name"].astype(str), strict=True))

    # -- vocabulary ---------------------------------------------------------------------------
    @property
    def latest_year(self) -> str | None:
        """Most recent year with indicator rows (``"2025"``), or None for an empty table."""
        return self.years[0] if self.years else None

    def level_name(self, level: str, lang: str) -> str:
        """Display name of a level: the dataset's own names first, then data.model defaults."""
        if lang == "en":
            own = self.dataset.level_names_en or {}
            return own.get(level) or LEVEL_NAMES_EN.get(level, level)
        own = self.dataset.level_names or {}
        return own.get(level) or LEVEL_NAMES_ZH.get(level, level)

    def dataset_name(self, lang: str) -> str:
        """The manifest's name in ``lang`` (English falls back to the Chinese name)."""
        if lang == "en" and self.dataset.name_en:
            return str(self.dataset.name_en)
        return str(self.dataset.name)

    def unit_name(self, level: str, unit_id: str, lang: str) -> str:
        """Display name of a unit; the whole dataset is called by the level name of ``total``."""
        if level == TOTAL:
            return self.level_name(TOTAL, lang)
        return self._names.get((level, unit_id), unit_id)

    def has_unit(self, level: str, unit_id: str) -> bool:
        """Whether the dataset's hierarchy holds a unit ``unit_id`` at ``level``."""
        return (level, unit_id) in self._names

    def unit_label(self, level: str, unit_id: str, lang: str) -> str:
        """The unit's name, or ``"<level name> <id>"`` when the data give it no name of its
        own (Boston's wards are named ``03``): a label that reads alone in a legend."""
        name = self.unit_name(level, unit_id, lang)
        if level == TOTAL or name != unit_id:
            return name
        return f"{self.level_name(level, lang)} {unit_id}"

    def unit_options(self, lang: str, max_depth: int | None = None) -> list[UnitOption]:
        """Units for a dropdown: the whole dataset, then each unit in hierarchy order (a parent
        before its children), labelled ``"区县 · 东城区"``. ``max_depth`` limits the levels
        (0 = top level only); the finest level is usually left out of dropdowns."""
        out = [UnitOption(TOTAL, self.level_name(TOTAL, lang), -1)]
        last = len(self.levels) - 1 if max_depth is None else min(max_depth, len(self.levels) - 1)
        if last < 0:
            return out
        frame = self._hierarchy_order(last)
        for level, unit_id, depth in frame.itertuples(index=False):
            name = self._names.get((level, unit_id), unit_id)
            label = f"{self.level_name(level, lang)} · {name}"
            out.append(UnitOption(unit_key(level, unit_id), label, int(depth)))
        return out

    def _hierarchy_order(self, last_depth: int) -> pd.DataFrame:
        parts = []
        for depth, level in enumerate(self.levels[: last_depth + 1]):
            anc = self._ancestors[level]
            parts.append(anc.assign(level=level, depth=depth, unit_id=anc[level]))
        frame = pd.concat(parts, ignore_index=True)
        sort_cols = self.levels[: last_depth + 1]
        # NaN ancestors (the unit is above that level) sort first, so parents precede children.
        frame = frame.sort_values(sort_cols, na_position="first", kind="stable")
        return frame[["level", "unit_id", "depth"]]

    # -- slices -------------------------------------------------------------------------------
    def unit_rows(self, year: str, level: str, unit_id: str) -> pd.DataFrame:
        """All indicator rows of one unit in one year (copy), in catalog order."""
        frame = self._by_year_level.get((year, level))
        if frame is None:
            return _empty_like(self._any_frame())
        rows = frame[frame["unit_id"] == unit_id]
        order = {ind: i for i, ind in enumerate(self.catalog)}
        rows = rows.assign(_order=rows["indicator_id"].map(order)).sort_values("_order")
        return rows.drop(columns="_order").reset_index(drop=True)

    def level_rows(self, year: str, level: str, indicator_id: str,
                   scope: str | None = None) -> pd.DataFrame:
        """Rows of one indicator for every unit of ``level`` in ``year`` (copy).

        scope: a unit key (see unit_key); keeps only units under it. ``None``/``"total"`` keeps all.
        Rows are sorted by rank (ranked units first, best first; units with small_count or no
        rank last, by name).
        """
        rows = self._in_scope(year, level, scope)
        rows = rows[rows["indicator_id"] == indicator_id]
        rows = rows.sort_values(["rank", "unit_name"], na_position="last", kind="stable")
        return rows.reset_index(drop=True)

    def children_rows(self, year: str, unit: str | None) -> tuple[str | None, pd.DataFrame]:
        """Rows of every indicator for the units one level below ``unit`` (a unit key; the top
        level for the whole dataset) in ``year``: ``(child level, rows)``, rows ordered by
        unit name then catalog order (copy). ``(None, empty)`` for a unit at the finest level.
        """
        child = self.level_below(parse_unit_key(unit)[0])
        if child is None:
            return None, _empty_like(self._any_frame())
        return child, self.scope_rows(year, child, unit)

    def scope_rows(self, year: str, level: str, scope: str | None,
                   unit_ids: list[str] | None = None) -> pd.DataFrame:
        """Rows of every catalog indicator for the units of ``level`` under ``scope`` in
        ``year`` (copy) — the cells of a units × indicators matrix. ``unit_ids``, if given,
        keeps those units only, in that order (then catalog order within a unit)."""
        rows = self._in_scope(year, level, scope)
        order = {ind: i for i, ind in enumerate(self.catalog)}
        if unit_ids is not None:     # the few units first: then the indicators of those only
            position = pd.Series(range(len(unit_ids)), index=pd.Index(unit_ids, dtype="string"))
            rows = rows[rows["unit_id"].isin(position.index)]
            rows = rows[rows["indicator_id"].isin(order)]
            first = rows["unit_id"].map(position)
        else:
            rows = rows[rows["indicator_id"].isin(order)]
            first = rows["unit_name"]
        rows = rows.assign(_first=first, _order=rows["indicator_id"].map(order)).sort_values(
            ["_first", "unit_id", "_order"], kind="stable")
        return rows.drop(columns=["_first", "_order"]).reset_index(drop=True)

    def unit_coverage(self, year: str, level: str) -> pd.DataFrame:
        """Per unit of ``level`` in ``year``: how many catalog indicators it has a value for.

        Returns one row per unit of the level (units with no indicator row at all included),
        ordered by fewest values first then name: unit_id, unit_name (str), with_value (int64,
        indicators with a non-NaN value), small_count (int64, of those, flagged too few cases),
        missing (list[str], the catalog ids without a value, in catalog order). Read from the
        indicator table only."""
        frame = self._by_year_level.get((year, level))
        ids_ = list(self.indicator_ids)
        if frame is None or not ids_:
            frame = _empty_like(self._any_frame())
        rows = frame[frame["indicator_id"].isin(ids_)]
        has = rows.assign(has=rows["value"].notna(),
                          small=rows["small_count"].astype("boolean").fillna(False)
                          & rows["value"].notna())
        wide = has.pivot_table(index="unit_id", columns="indicator_id", values="has",
                               aggfunc="any", fill_value=False, observed=True)
        units = self.dataset.units
        own = units.loc[units["level"] == level, ["unit_id", "unit_name"]].astype(
            {"unit_id": "string", "unit_name": "string"})
        wide = wide.reindex(index=own["unit_id"], columns=ids_, fill_value=False).astype(bool)
        small = has.groupby("unit_id", observed=True)["small"].sum()
        names = pd.Index(ids_)
        out = pd.DataFrame({
            "unit_id": own["unit_id"].to_numpy(),
            "unit_name": own["unit_name"].to_numpy(),
            "with_value": wide.sum(axis=1).to_numpy().astype("int64"),
            "small_count": small.reindex(own["unit_id"]).fillna(0).to_numpy().astype("int64"),
            "missing": [list(names[~row]) for row in wide.to_numpy()],
        })
        return out.sort_values(["with_value", "unit_name"], kind="stable").reset_index(drop=True)

    def ancestors(self, level: str, unit_id: str) -> list[tuple[str, str]]:
        """The chain of units above a unit, top level first, as ``(level, unit_id)`` pairs
        (empty for the whole dataset, a top-level unit or an unknown unit)."""
        if level not in self._ancestors:
            return []
        anc = self._ancestors[level]
        hit = anc[anc[level] == unit_id]
        if hit.empty:
            return []
        row = hit.iloc[0]
        above = self.levels[: self.levels.index(level)]
        return [(lv, str(row[lv])) for lv in above if pd.notna(row[lv])]

    def unit_chain(self, unit: str | None) -> list[tuple[str, str]]:
        """The whole dataset, each unit above ``unit`` (a unit key) and the unit itself, top
        first, as ``(level, unit_id)`` pairs — a breadcrumb's items."""
        level, unit_id = parse_unit_key(unit)
        chain = [(TOTAL, TOTAL)]
        if level != TOTAL:
            chain += self.ancestors(level, unit_id) + [(level, unit_id)]
        return chain

    def level_below(self, level: str) -> str | None:
        """The level one step finer than ``level`` (the top level for ``total``); None at the
        finest level."""
        depth = self.levels.index(level) + 1 if level in self.levels else 0
        return self.levels[depth] if depth < len(self.levels) else None

    def _in_scope(self, year: str, level: str, scope: str | None) -> pd.DataFrame:
        """Rows of ``level`` in ``year`` for units under ``scope`` (a view: callers copy)."""
        frame = self._by_year_level.get((year, level))
        if frame is None:
            return _empty_like(self._any_frame())
        scope_level, scope_id = parse_unit_key(scope)
        if scope_level != TOTAL and level in self._ancestors and scope_level in self.levels:
            anc = self._ancestors[level]
            if scope_level in anc.columns:
                inside = anc.loc[anc[scope_level] == scope_id, level]
                return frame[frame["unit_id"].isin(inside)]
        return frame

    def load_report(self) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """(sources, errors, fatal) of the dataset's load report as copies (see report_frames)."""
        return tuple(frame.copy() for frame in self._report)  # type: ignore[return-value]

    def quality_findings(self) -> pd.DataFrame:
        """``Results.quality_findings`` (indicators.quality), computed on first use and kept;
        an empty frame when the results cannot give them."""
        if self._quality is None:
            find = getattr(self._results, "quality_findings", None)
            from indicators.quality import FINDING_COLUMNS
            self._quality = find() if find else pd.DataFrame(columns=FINDING_COLUMNS)
        return self._quality

    def month_rows(self, level: str, unit_id: str, indicator_id: str) -> pd.DataFrame:
        """Monthly rows (period ``"2025-03"``) of one indicator for one unit, oldest first (copy);
        empty if the indicator has no monthly values."""
        frame = self._monthly.get((level, indicator_id))
        if frame is None:
            return _empty_like(self._any_frame())
        rows = frame[frame["unit_id"] == unit_id].sort_values("period")
        return rows.reset_index(drop=True)

    def _any_frame(self) -> pd.DataFrame:
        return next(iter(self._by_year_level.values()), pd.DataFrame(columns=REQUIRED_COLUMNS))


def _empty_like(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.iloc[0:0].copy()


def _ancestor_tables(units: pd.DataFrame, levels: list[str]) -> dict[str, pd.DataFrame]:
    """For each level, a frame with one row per unit of that level and one column per level
    above it and itself, holding the ancestor's unit_id (the unit's own id in its own column).

    units: data.model ``units`` (level, unit_id, parent_id, …); a unit's parent is at the level
    just above it. Built by one merge per level, not per unit.
    """
    out: dict[str, pd.DataFrame] = {}
    above: pd.DataFrame | None = None
    for i, level in enumerate(levels):
        own = units.loc[units["level"] == level, ["unit_id", "parent_id"]]
        own = own.rename(columns={"unit_id": level}).astype({level: "string"})
        if above is None:
            frame = own[[level]]
        else:
            parent = levels[i - 1]
            frame = own.merge(above, how="left", left_on="parent_id", right_on=parent)
            frame = frame[[*levels[:i], level]]
        frame = frame.reset_index(drop=True)
        out[level] = frame
        above = frame
    return out


SOURCE_COLUMNS = ("table", "file", "sheet", "rows_read", "accepted", "rejected", "blank",
                  "not_data", "reconciles", "warnings")
ERROR_COLUMNS = ("table", "file", "sheet", "row", "column", "value", "rule", "message")


def report_frames(report: Any) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """A data.model.LoadReport as three tables for display.

    Returns (sources, errors, fatal):
    sources — one row per file × sheet: SOURCE_COLUMNS (counts int64; not_data = summary, note
    and template rows (合计/表尾/只有 0 的行, data/layout.py); reconciles bool = rows_read equals
    accepted + rejected + blank + not_data, warnings str joined by "；");
    errors — one row per RowError: ERROR_COLUMNS (row int64, the 1-based Excel row);
    fatal — file, message for files that could not be read at all.
    """
    sources = pd.DataFrame(
        [(s.table, s.file, s.sheet or "", s.rows_read, s.accepted, s.rejected, s.blank,
          getattr(s, "summary", 0) + getattr(s, "notes", 0) + getattr(s, "template", 0),
          s.reconciles, "；".join(s.warnings)) for s in report.sources],
        columns=list(SOURCE_COLUMNS))
    sources = sources.astype({c: "int64" for c in ("rows_read", "accepted", "rejected", "blank", "not_data")}
                             | {"reconciles": "bool"})
    errors = pd.DataFrame(
        [(s.table, s.file, s.sheet or "", e.row, e.column, e.value, e.rule, e.message)
         for s in report.sources for e in s.errors],
        columns=list(ERROR_COLUMNS)).astype({"row": "int64"})
    fatal = pd.DataFrame(list(report.fatal), columns=["file", "message"])
    return sources, errors, fatal


_current: DashboardData | None = None
_results: Any = None
#: Data version of the results set last (server.reload: a fingerprint of the dataset's files).
_version: str = ""
#: Access control (server.scope.install): ``provider()`` → the signed-in user's scope as a
#: frozenset of unit keys, or None for the whole dataset; ``restrict(results, scope)`` → a
#: Results bundle holding only the rows inside the scope. Without it everyone sees everything
#: (a local, single-user app).
_scope_provider: Callable[[], frozenset[str] | None] | None = None
_restrict: Callable[[Any, frozenset[str]], Any] | None = None
#: (scope, version) → (Results, DashboardData) restricted to that scope; cleared on a new version
_scoped: dict[tuple[frozenset[str], str], tuple[Any, DashboardData]] = {}
_lock = threading.Lock()


def set_results(results: Any, version: str = "") -> DashboardData:
    """Make ``results`` (an indicators.pipeline.Results) the data every page reads.

    version: the data version (server.reload fingerprints the files); every scoped copy made
    for an earlier version is dropped, so no request is answered from an older snapshot.
    """
    global _current, _results, _version
    data = DashboardData(results)
    with _lock:
        _current, _results, _version = data, results, version
        _scoped.clear()
    return data


def set_access(provider: Callable[[], frozenset[str] | None] | None,
               restrict: Callable[[Any, frozenset[str]], Any] | None) -> None:
    """Install (or with ``None, None`` remove) the access control every :func:`get` and
    :func:`results` goes through: the scope comes from ``provider()`` (the server-side
    session), never from a callback's arguments."""
    global _scope_provider, _restrict
    with _lock:
        _scope_provider, _restrict = provider, restrict
        _scoped.clear()


def version() -> str:
    """The data version of the results being served (``""`` when none was given)."""
    return _version


def access_key() -> str:
    """``"<version>|<scope>"`` of the current request (scope ``*`` for the whole dataset): the
    part of every cache key that keeps one user's cached result from another (the export's
    background jobs are cached by it). Raises PermissionError when no scope can be established."""
    scope = _scope_provider() if _scope_provider is not None else None
    return f"{_version}|" + ("*" if scope is None else ",".join(sorted(scope)))


def _for_scope() -> tuple[Any, DashboardData]:
    """(Results, DashboardData) of the current user's scope, cached by (scope, version).
    Raises RuntimeError before create_app, PermissionError when the provider refuses."""
    if _current is None:
        raise RuntimeError("layouts.store.set_results() has not been called (use create_app)")
    results_, data, version_ = _results, _current, _version
    if _scope_provider is None or _restrict is None:
        return results_, data
    scope = _scope_provider()
    if scope is None:
        return results_, data
    key = (scope, version_)
    hit = _scoped.get(key)
    if hit is None:
        restricted = _restrict(results_, scope)
        hit = (restricted, DashboardData(restricted))
        with _lock:
            if version_ == _version:     # a reload in between: do not cache a stale copy
                _scoped[key] = hit
    return hit


def results() -> Any:
    """The Results bundle set by :func:`set_results`, restricted to the signed-in user's scope
    — only for the workbook export (``reports.write_workbook`` reads the full table, register
    years and load report); pages read slices through :func:`get`. Raises RuntimeError before
    create_app has run, PermissionError when no scope can be established."""
    return _for_scope()[0]


def get() -> DashboardData:
    """The data set by :func:`set_results`, restricted to the signed-in user's scope. Raises
    RuntimeError before create_app has run, PermissionError when no scope can be established."""
    return _for_scope()[1]
