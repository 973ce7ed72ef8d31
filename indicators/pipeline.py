"""From a dataset manifest to the results every view and the workbook read.

``build(manifest_path)`` = ``data.load_dataset`` → ``compute_indicators`` → ``add_yoy`` →
``add_rank`` → ``add_peer_rank`` (peer groups from the manifest's ``settings.peer_group``), with
the indicator table cached as Parquet. The cache key is a SHA-256 over the
manifest file's bytes, the dataset's source hashes (``dataset.report.sources[*].sha256``), the
standard overrides (``dataset.config['standards']``), the cut-off and the code version (a hash of the ``.py`` and ``.yaml`` files of ``indicators/``
and ``data/``), so editing data, manifest, standards, ingest or indicator code all invalidate it.

Warm start: beside the table, ``build`` keeps the dataset without its records and an index of
the watched files' sizes and modification times (``_save_warm``); when none of them and no
code changed, the next ``build`` returns from those files without ingesting anything — its
time does not depend on the number of tickets. Any change falls through to the full path
above (hashes and all).
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from indicators.catalog import Indicator, catalog_for
from indicators.measures import ENGINES
from indicators.compare import add_peer_rank, add_rank, add_yoy, failing_units
from indicators.peer import peer_groups
from indicators.table import compute_with_registers

log = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).parent
CACHE_SUBDIR = "indicators"


@dataclass
class Results:
    """What the Dash app (layouts/) and the workbook (reports/) read.

    dataset: the ``data.model.Dataset``; table: the tidy indicator table (compute_indicators
    columns + add_yoy's prev_value, change, change_unit, change_good, comparable + add_rank's
    rank, rank_of + add_peer_rank's peer_group, peer_rank, peer_rank_of); catalog:
    ``{id: Indicator}`` in display order with the dataset's standard overrides, score weights
    and definition changes; register_years: which register each year used (period, table,
    register_year, fallback); from_cache: whether the table came from the Parquet cache.

    The methods below are cheap (they read the table, the catalog or the small station
    register) and are what views and the workbook call for the standards library, failing
    lists, published benchmarks and the narrative.
    """

    dataset: Any
    table: pd.DataFrame
    catalog: dict[str, Indicator]
    register_years: pd.DataFrame = field(default_factory=pd.DataFrame)
    from_cache: bool = False

    def standards_library(self) -> pd.DataFrame:
        """``indicators.standards.standards_library`` for this dataset."""
        from indicators.standards import standards_library
        return standards_library(self.dataset.config, self.catalog)

    def failing_units(self, period: str | int, level: str) -> pd.DataFrame:
        """``indicators.compare.failing_units`` of this table and catalog."""
        return failing_units(self.table, str(period), level, self.catalog)

    def failing_stations(self, year: int | None = None) -> pd.DataFrame:
        """``indicators.standards.failing_stations`` of this dataset's station register."""
        from indicators.standards import failing_stations
        return failing_stations(self.dataset.tables.get("stations"), self.dataset.config, year)

    def uncovered_grids(self, year: int) -> pd.DataFrame:
        """``indicators.standards.uncovered_grids`` of this dataset in ``year``."""
        from indicators.standards import uncovered_grids
        tables = self.dataset.tables
        return uncovered_grids(tables.get("grids"), tables.get("stations"), year,
                               self.dataset.config)

    def quality_findings(self) -> pd.DataFrame:
        """``indicators.quality.quality_findings`` of this table (levels above the finest)
        with the grid register's residents-per-household check."""
        from indicators.quality import quality_findings
        levels = list(self.dataset.levels)
        return quality_findings(self.table, self.catalog, self.dataset.tables.get("grids"),
                                levels[:-1] if len(levels) > 1 else levels)

    def benchmarks(self) -> pd.DataFrame:
        """``indicators.benchmarks.benchmarks`` of this catalog (published figures matched)."""
        from indicators.benchmarks import benchmarks
        return benchmarks(self.catalog)

    @property
    def table_rows(self) -> int:
        """Rows of the indicator table (a warm start answers without reading the table)."""
        return len(self.table)

    def narrate(self, unit_id: str, year: int | str, lang: str = "zh",
                level: str | None = None) -> dict[str, str]:
        """``indicators.narrative.narrate`` with this dataset's catalog and level names."""
        from indicators.narrative import narrate
        names = getattr(self.dataset, "level_names_en" if lang == "en" else "level_names", None)
        if names:
            from data.model import LEVEL_NAMES_EN, LEVEL_NAMES_ZH
            names = {**(LEVEL_NAMES_EN if lang == "en" else LEVEL_NAMES_ZH), **names}
        return narrate(self.table, unit_id, year, self.catalog, lang, level, names or None)


#: Record tables nothing reads once the indicator table exists (views and the workbook read the
#: table, the registers and the load report): ``build`` releases them.
RECORD_TABLES = ("complaints", "volunteer_hours")


def release_records(dataset):
    """The dataset without its ticket and volunteer records (``RECORD_TABLES``), so a served
    app does not keep millions of raw rows alive; units, registers, config and the load report
    (row counts, rejected rows) stay. Returns a new ``Dataset``; the argument is not changed."""
    from dataclasses import replace
    return replace(dataset, tables={k: v for k, v in dataset.tables.items()
                                    if k not in RECORD_TABLES})


#: packages whose code decides the indicator table: ingest (what is accepted, where records
#: attach) and this package (measures, roll-up, catalog)
CODE_DIRS = (PACKAGE_DIR, PACKAGE_DIR.parent / "data")


def code_version() -> str:
    """SHA-256 (first 16 hex digits) of the ingest and indicator source and catalog files."""
    digest = hashlib.sha256()
    for folder in CODE_DIRS:
        for path in sorted(folder.glob("*.py")) + sorted(folder.glob("*.yaml")):
            digest.update(f"{folder.name}/{path.name}".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def cache_key(dataset, periods: tuple[str, ...], engine: str = "pandas") -> str:
    """Cache key of a dataset's indicator table (see module docstring; a non-default
    ``engine`` is part of it)."""
    digest = hashlib.sha256(code_version().encode())
    manifest = Path(dataset.manifest_path)
    if manifest.is_file():
        digest.update(manifest.read_bytes())
    sources = sorted((s.table, s.file, s.sheet or "", s.sha256) for s in dataset.report.sources)
    standards = (dataset.config or {}).get("standards")   # the only config read here; other
    if engine != "pandas":
        digest.update(f"engine={engine}".encode())
    digest.update(json.dumps({"sources": sources, "periods": list(periods),  # keys may hold
                              "standards": standards, "cutoff": str(dataset.cutoff)},  # run stats
                             sort_keys=True, default=str, ensure_ascii=False).encode())
    # grid centroids may come from boundary polygons (data/geo.py): their bytes count too
    from data.geo import boundary_hashes
    digest.update(json.dumps(boundary_hashes(dataset.config, manifest.parent),
                             sort_keys=True).encode())
    return digest.hexdigest()[:24]


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Write atomically (temporary file + rename) so a crash never leaves half a cache file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    os.close(fd)
    try:
        frame.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _prune(folder: Path, max_age_days: float = 30) -> None:
    """Delete cached tables not used for ``max_age_days`` (old data or code versions)."""
    limit = time.time() - max_age_days * 86_400
    for path in [*folder.glob("*.parquet"), *folder.glob("*.dataset.pkl"), *folder.glob("*.arrow"),
                 *folder.glob("warm-*.json")]:
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except OSError:
            continue


# ---------------------------------------------------------------- warm start

def _warm_index(base: Path, manifest_path: Path, periods: tuple[str, ...], engine: str) -> Path:
    """Where the warm-start index of this manifest, periods and engine lives."""
    name = json.dumps([str(Path(manifest_path).resolve()), list(periods), engine])
    return base / f"warm-{hashlib.sha256(name.encode()).hexdigest()[:16]}.json"


def _watched(dataset) -> list[Path]:
    """Files whose change must invalidate a warm start: the manifest, every source file (also
    those that could not be read), boundary files, and the folders holding them."""
    manifest = Path(dataset.manifest_path).resolve()
    base = manifest.parent
    files = [manifest]
    files += [base / s.file for s in dataset.report.sources]
    files += [base / f["file"] for f in dataset.report.fatal if f.get("file")]
    for spec in ((dataset.config or {}).get("boundaries") or {}).values():
        if (spec or {}).get("path"):
            files.append(base / str(spec["path"]))
    files = list(dict.fromkeys(p.resolve() for p in files))
    return files + list(dict.fromkeys(p.parent for p in files))


def _dataset_pickle(base: Path, key: str, manifest_path: str | Path) -> Path:
    """Where the warm start keeps the dataset without its records: per content key *and* per
    manifest location — two copies of the same files in two folders share the indicator table,
    but each dataset carries its own absolute paths (manifest, boundaries, sources)."""
    import hashlib
    where = hashlib.sha256(str(Path(manifest_path).resolve()).encode("utf-8")).hexdigest()[:12]
    return base / f"{key}.{where}.dataset.pkl"


def _save_warm(base: Path, key: str, dataset, table: pd.DataFrame, periods: tuple[str, ...],
               engine: str) -> None:
    """Keep what a restart needs without reading any ticket: the indicator table as
    LZ4-compressed Arrow IPC (Feather; on this machine read 2–5× faster than the Parquet
    copy, at about 5× its size), the
    dataset without its records (units, registers, config, load report; pickled — the cache
    folder is the application's own), and an index of the watched files' sizes and
    modification times. Failures to write are ignored (read-only disk …)."""
    from data.cache import fingerprint
    if not Path(dataset.manifest_path).is_file():
        return                           # nothing on disk to watch
    try:
        from pyarrow import feather
        arrow = base / f"{key}.arrow"       # Arrow IPC, LZ4: reads 2–5× faster than Parquet
        if not arrow.is_file():
            fd, tmp = tempfile.mkstemp(dir=base, suffix=".tmp")
            os.close(fd)
            feather.write_feather(table, tmp, compression="lz4")
            os.replace(tmp, arrow)
        slices = base / f"{key}.slices.arrow"     # what the pages read, one batch per slice
        if not slices.is_file():
            from indicators.slices import write_slices
            write_slices(table, slices)
        ds_path = _dataset_pickle(base, key, dataset.manifest_path)
        fd, tmp = tempfile.mkstemp(dir=base, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(release_records(dataset), fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, ds_path)
        index = {"key": key, "code": code_version(), "files": fingerprint(_watched(dataset))}
        _warm_index(base, dataset.manifest_path, periods, engine).write_text(
            json.dumps(index, ensure_ascii=False), encoding="utf-8")
    except (OSError, pickle.PicklingError, TypeError, AttributeError, ValueError) as exc:
        log.warning("warm start not saved: %s", exc)


def _load_warm(base: Path, manifest_path: Path, periods: tuple[str, ...], engine: str
               ) -> Results | None:
    """Results of an unchanged dataset from the warm-start files, or None (no index, any
    watched file changed, other code, damaged files). Reads the indicator table, the
    registers' years and the pickled dataset without its records — never the tickets, so the
    time does not grow with the ticket count."""
    from data.cache import fingerprint
    try:
        index = json.loads(_warm_index(base, manifest_path, periods, engine)
                           .read_text(encoding="utf-8"))
        if index.get("code") != code_version():
            return None
        files = index.get("files") or {}
        if not files or fingerprint(list(files)) != files:
            return None
        key = index["key"]
        registers = pd.read_parquet(base / f"{key}.registers.parquet")
        with open(_dataset_pickle(base, key, manifest_path), "rb") as fh:
            dataset = pickle.load(fh)
        table_path = base / f"{key}.arrow"
        if not table_path.is_file():
            raise FileNotFoundError(table_path)
        slices = None
        if (base / f"{key}.slices.arrow").is_file():
            from indicators.slices import SliceFile
            try:
                slices = SliceFile(base / f"{key}.slices.arrow")
            except Exception as exc:          # noqa: BLE001 — a damaged file: slice the table
                log.info("slice file not used: %s", exc)
    except (OSError, ValueError, KeyError, EOFError, pickle.UnpicklingError, AttributeError,
            ImportError, TypeError) as exc:
        log.info("no warm start: %s", exc)
        return None
    if slices is None:
        from pyarrow import feather
        try:
            table = feather.read_table(table_path).to_pandas()
        except (OSError, ValueError) as exc:
            log.info("no warm start: %s", exc)
            return None
        return Results(dataset, table, catalog_for(dataset.config), registers, from_cache=True)
    warm = WarmResults(dataset, None, catalog_for(dataset.config), registers, from_cache=True)
    warm._table_path, warm.slices = table_path, slices
    return warm


class WarmResults(Results):
    """Results of a warm start: ``slices`` (an ``indicators.slices.SliceFile``) gives the
    dashboard its (year, level) and monthly slices batch by batch, and ``table`` — the whole
    indicator table — is read from its Arrow file the first time something asks for it (the
    workbook, quality findings, a scoped copy), not at start-up. Assigning ``table`` (or
    ``dataclasses.replace``) gives results holding that table and no slices."""

    slices: Any = None
    _table_path: Path | None = None
    _table_value: pd.DataFrame | None = None
    _table_lock = threading.Lock()

    @property                                     # type: ignore[override]
    def table(self) -> pd.DataFrame:
        if self._table_value is None and self._table_path is not None:
            with self._table_lock:
                if self._table_value is None:
                    from pyarrow import feather
                    self._table_value = feather.read_table(self._table_path).to_pandas()
        return self._table_value

    @table.setter
    def table(self, value: pd.DataFrame | None) -> None:
        # a table assigned after the warm start (indicators.freeze: crosswalk, completeness,
        # frozen years) is no longer the one the slice file holds: the store slices this one
        self._table_value, self._table_path, self.slices = value, None, None

    @property
    def table_rows(self) -> int:
        """Rows of the indicator table, without reading it when the slice file knows."""
        if self._table_value is None and self.slices is not None:
            return self.slices.rows
        return len(self.table)


#: environment variable naming the default measure engine of ``build`` (``app.py --engine``
#: sets it, so ``serve``'s reloads and uploads use the same engine)
ENGINE_ENV = "INDICATOR_ENGINE"


def default_engine() -> str:
    """$INDICATOR_ENGINE or ``'pandas'``."""
    return os.environ.get(ENGINE_ENV) or "pandas"


def build(manifest_path: str | Path, cache_dir: str | Path | None = None,
          periods: tuple[str, ...] = ("year", "month"), use_cache: bool = True,
          engine: str | None = None) -> Results:
    """Load a dataset and compute its indicator table with year-on-year change and ranks.

    manifest_path: the dataset's ``dataset.yaml``. cache_dir: where ingest and this step keep
    their Parquet caches; default ingest's default (``<project>/.cache/``). The indicator table
    goes to ``<cache_dir>/indicators/<key>.parquet`` (entries unused for 30 days are pruned).
    use_cache=False disables both caches. periods: see ``compute_indicators``. engine: who
    computes the ticket measures (``measures.ENGINES``: pandas, duckdb, spark; default
    ``default_engine()``) — the table is the same; the engine is part of the cache key, so a
    cached table says which engine made it.
    Raises whatever ``data.load_dataset`` raises for an unreadable manifest
    (``data.manifest.ManifestError``), and ``ValueError`` for invalid standard overrides or
    settings in the manifest (score weights, peer group, definition changes, radius).
    """
    from data import load_dataset  # imported here: ingest is a separate stage

    engine = engine or default_engine()
    if engine not in ENGINES:
        raise ValueError(f"未知的计算引擎“{engine}”，可选：{'、'.join(ENGINES)}")
    if use_cache:                # warm start: nothing changed since the last build
        from data.cache import DEFAULT_CACHE_DIR
        warm = _load_warm(Path(cache_dir or DEFAULT_CACHE_DIR) / CACHE_SUBDIR,
                          Path(manifest_path), periods, engine)
        if warm is not None:
            return warm
    if not use_cache:
        dataset = load_dataset(manifest_path, cache_dir=cache_dir, use_cache=False)
    else:
        dataset = load_dataset(manifest_path, cache_dir=cache_dir)
    catalog = catalog_for(dataset.config)
    if use_cache:
        if cache_dir is None:
            from data.cache import DEFAULT_CACHE_DIR
            cache_dir = DEFAULT_CACHE_DIR
        base = Path(cache_dir) / CACHE_SUBDIR
        key = cache_key(dataset, periods, engine)
        table_path, reg_path = base / f"{key}.parquet", base / f"{key}.registers.parquet"
        if table_path.is_file() and reg_path.is_file():
            try:
                table, registers = pd.read_parquet(table_path), pd.read_parquet(reg_path)
                table_path.touch()
                reg_path.touch()
                _save_warm(base, key, dataset, table, periods, engine)
                return Results(release_records(dataset), table, catalog, registers,
                               from_cache=True)
            except (OSError, ValueError) as exc:   # a damaged cache is recomputed, not fatal
                log.warning("ignoring unreadable indicator cache %s: %s", table_path, exc)
    table, registers = compute_with_registers(dataset, periods, catalog, engine)
    dataset = release_records(dataset)      # the cube exists: the raw records can go
    table = add_rank(add_yoy(table, catalog), catalog)
    table = add_peer_rank(table, peer_groups(dataset, table, catalog), catalog)
    if use_cache:
        _prune(base)
        _write_parquet(table, table_path)
        _write_parquet(registers, reg_path)
        _save_warm(base, key, dataset, table, periods, engine)
    return Results(dataset, table, catalog, registers)
