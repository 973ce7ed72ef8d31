"""Year-end freeze (年度锁定): the published figures of a year kept as a snapshot beside the
dataset, so that a file corrected in March or a re-drawn grid never changes what was published.

Layout (``<dataset folder>/frozen/``, visible to the server's reload fingerprint so a freeze made
from the dashboard is picked up by every worker)::

    frozen/2025/table.parquet      the indicator table's rows of 2025 and its months, every column
    frozen/2025/report.json        the load report (``LoadReport.to_dict()``)
    frozen/2025/sources.json       every source file × sheet with its SHA-256 and row counts
    frozen/2025/catalog.json       each indicator's definition (name, unit, formula, table, standard)
    frozen/2025/standards.json     ``Results.standards_library()`` as records
    frozen/2025/dataset.yaml       the manifest as it was
    frozen/2025/meta.json          year, frozen_at (ISO, local time), by, dataset name, rows
    frozen/log.jsonl               one line per freeze / unfreeze: action, year, at, by
    frozen/_unfrozen/2025-<stamp>/ a snapshot that was unfrozen (kept, never deleted)

``build_published(manifest_path)`` is ``indicators.pipeline.build`` with every frozen year's
rows replaced by the snapshot's; it sets ``results.frozen`` (``{year: meta}``) and
``results.freeze_differences`` (``{year: DataFrame}``: level, unit_id, unit_name,
indicator_id, indicator_name, frozen_value, current_value, changed_files) — the yearly rows
whose current value differs from the frozen one, with the files of the indicator's table whose
SHA-256 changed (or that were added or removed) since the freeze.

Errors are :class:`FreezeError` with a Chinese message: a year with no indicator rows, a year
already frozen, unfreezing a year that is not frozen.
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

FROZEN_DIR = "frozen"
LOG_FILE = "log.jsonl"
#: resolved manifest path → (frozen, freeze_differences) of the last published build in this
#: process (pages read it: a scoped copy of Results does not carry these attributes)
_PUBLISHED: dict[str, tuple[dict, dict]] = {}


class FreezeError(ValueError):
    """A freeze or unfreeze that cannot be done (message in Chinese)."""


def frozen_root(manifest_path: str | Path) -> Path:
    """``<folder of dataset.yaml>/frozen``."""
    return Path(manifest_path).resolve().parent / FROZEN_DIR


def _year_rows(table: pd.DataFrame, year: int) -> np.ndarray:
    period = table["period"].astype(str)
    return ((period == str(year)) | period.str.startswith(f"{year}-")).to_numpy()


def _log(root: Path, action: str, year: int, by: str, **extra: Any) -> None:
    root.mkdir(parents=True, exist_ok=True)
    line = {"action": action, "year": year, "at": _dt.datetime.now().isoformat(timespec="seconds"),
            "by": by, **extra}
    with open(root / LOG_FILE, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(line, ensure_ascii=False) + "\n")


def freeze_log(manifest_path: str | Path) -> list[dict[str, Any]]:
    """Every freeze / unfreeze recorded for the dataset, oldest first."""
    path = frozen_root(manifest_path) / LOG_FILE
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def frozen_years(manifest_path: str | Path) -> dict[int, dict[str, Any]]:
    """``{year: meta}`` for every frozen year of the dataset (meta: year, frozen_at, by, …)."""
    root = frozen_root(manifest_path)
    out: dict[int, dict[str, Any]] = {}
    if not root.is_dir():
        return out
    for sub in sorted(root.iterdir()):
        meta = sub / "meta.json"
        if sub.name.isdigit() and meta.is_file():
            try:
                out[int(sub.name)] = json.loads(meta.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
    return out


def _sources(report: Any) -> list[dict[str, Any]]:
    return [{"table": s.table, "file": s.file, "sheet": s.sheet, "sha256": s.sha256,
             "rows_read": s.rows_read, "accepted": s.accepted, "rejected": s.rejected}
            for s in report.sources]


def _catalog_records(catalog: dict) -> list[dict[str, Any]]:
    out = []
    for ind in catalog.values():
        rec = dataclasses.asdict(ind)
        out.append(json.loads(json.dumps(rec, ensure_ascii=False, default=str)))
    return out


def freeze_year(results: Any, year: int, by: str = "") -> dict[str, Any]:
    """Store ``year``'s snapshot of ``results`` (an ``indicators.pipeline.Results`` built from
    the live files, not a published one) beside the dataset and return its meta.

    Raises FreezeError when the table has no row for ``year`` or the year is already frozen.
    """
    manifest = Path(results.dataset.manifest_path)
    table = results.table
    year = int(year)
    mask = _year_rows(table, year)
    if not mask.any():
        years = sorted({p for p in table["period"].astype(str) if len(p) == 4})
        raise FreezeError(f"{year} 年没有任何指标数据，无法锁定；有数据的年度：{'、'.join(years) or '无'}")
    root = frozen_root(manifest)
    target = root / str(year)
    if (target / "meta.json").is_file():
        meta = json.loads((target / "meta.json").read_text(encoding="utf-8"))
        raise FreezeError(f"{year} 年已于 {meta.get('frozen_at', '')[:10]} 锁定；如需重新锁定，请先解除锁定")
    tmp = root / f".{year}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    rows = table.loc[mask].reset_index(drop=True)
    rows.to_parquet(tmp / "table.parquet", index=False)
    report = results.dataset.report
    (tmp / "report.json").write_text(json.dumps(report.to_dict(), ensure_ascii=False), encoding="utf-8")
    (tmp / "sources.json").write_text(json.dumps(_sources(report), ensure_ascii=False, indent=1),
                                      encoding="utf-8")
    (tmp / "catalog.json").write_text(json.dumps(_catalog_records(results.catalog), ensure_ascii=False),
                                      encoding="utf-8")
    try:
        standards = results.standards_library()
        (tmp / "standards.json").write_text(
            standards.to_json(orient="records", force_ascii=False, default_handler=str), encoding="utf-8")
    except Exception as exc:     # noqa: BLE001 — a snapshot without the library still freezes figures
        (tmp / "standards.json").write_text(json.dumps({"error": str(exc)}, ensure_ascii=False),
                                            encoding="utf-8")
    shutil.copyfile(manifest, tmp / "dataset.yaml")
    meta = {"year": year, "frozen_at": _dt.datetime.now().isoformat(timespec="seconds"), "by": by,
            "dataset": results.dataset.name, "rows": int(mask.sum()),
            "indicators": int(rows["indicator_id"].nunique())}
    (tmp / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.rename(target)
    _log(root, "freeze", year, by)
    return meta


def unfreeze_year(manifest_path: str | Path, year: int, by: str = "", reason: str = "") -> Path:
    """Unfreeze ``year``: its snapshot moves to ``frozen/_unfrozen/<year>-<stamp>/`` (kept) and
    the action is logged. Returns the new folder. Raises FreezeError if the year is not frozen."""
    root = frozen_root(manifest_path)
    source = root / str(int(year))
    if not (source / "meta.json").is_file():
        raise FreezeError(f"{year} 年没有锁定，无需解除")
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    target = root / "_unfrozen" / f"{int(year)}-{stamp}"
    target.parent.mkdir(parents=True, exist_ok=True)
    source.rename(target)
    _log(root, "unfreeze", int(year), by, reason=reason)
    return target


def changed_files(frozen_sources: list[dict[str, Any]], report: Any) -> pd.DataFrame:
    """Files whose content changed since the freeze: table, file, change (修改 | 新增 | 删除),
    frozen_sha256, current_sha256 (one row per file, sheets folded)."""
    before = {(s["table"], s["file"]): s["sha256"] for s in frozen_sources}
    now = {(s.table, s.file): s.sha256 for s in report.sources}
    rows = []
    for key in sorted(set(before) | set(now)):
        a, b = before.get(key), now.get(key)
        if a == b:
            continue
        change = "新增" if a is None else "删除" if b is None else "修改"
        rows.append({"table": key[0], "file": key[1], "change": change,
                     "frozen_sha256": a or "", "current_sha256": b or ""})
    return pd.DataFrame(rows, columns=["table", "file", "change", "frozen_sha256", "current_sha256"])


def _display_scale(indicator_ids: pd.Series, catalog: dict) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the factor to the shown unit (100 for rates) and the decimals shown."""
    factor = np.array([100.0 if getattr(catalog.get(i), "kind", "") == "rate" else 1.0
                       for i in indicator_ids])
    decimals = np.array([int(getattr(catalog.get(i), "decimals", 6)) for i in indicator_ids])
    return factor, decimals


def differences(frozen: pd.DataFrame, current: pd.DataFrame, year: int, catalog: dict,
                files: pd.DataFrame) -> pd.DataFrame:
    """Yearly rows (period == year) whose current value differs from the frozen one.

    Returns level, unit_id, unit_name, indicator_id, indicator_name, frozen_value,
    current_value, changed_files (the changed files of the indicator's source table, ``、``-joined;
    for indicators computed from other indicators, every changed file). A unit present on one
    side only is listed with NaN on the other; indicators added to the catalog after the freeze
    are not differences (never published for the year). Values are compared as they are published: rounded
    to the indicator's decimals (rates in percent, 0.8181 and 0.8183 are both 81.8%).
    """
    keys = ["level", "unit_id", "indicator_id"]
    cols = keys + ["unit_name", "value"]
    f = frozen.loc[frozen["period"].astype(str) == str(year), cols]
    c = current.loc[current["period"].astype(str) == str(year), cols]
    # an indicator the catalog gained after the freeze was never published for this year
    c = c[c["indicator_id"].isin(set(f["indicator_id"]))]
    merged = f.merge(c, on=keys, how="outer", suffixes=("_frozen", "_current"))
    shown = _display_scale(merged["indicator_id"], catalog)
    scale = 10.0 ** shown[1]
    a = np.round(merged["value_frozen"].astype(float).to_numpy() * shown[0] * scale)
    b = np.round(merged["value_current"].astype(float).to_numpy() * shown[0] * scale)
    same = (np.isnan(a) & np.isnan(b)) | (a == b)
    out = merged.loc[~same].copy()
    by_table = files.groupby("table")["file"].apply(lambda s: "、".join(s)).to_dict() if len(files) else {}
    every = "、".join(files["file"]) if len(files) else ""

    def files_for(ind_id: str) -> str:
        ind = catalog.get(ind_id)
        table = getattr(ind, "table", None)
        return by_table.get(table, "") if table in by_table else every
    out["unit_name"] = out["unit_name_frozen"].fillna(out["unit_name_current"])
    out["indicator_name"] = [getattr(catalog.get(i), "name_zh", i) for i in out["indicator_id"]]
    out["changed_files"] = [files_for(i) for i in out["indicator_id"]]
    out = out.rename(columns={"value_frozen": "frozen_value", "value_current": "current_value"})
    return out[["level", "unit_id", "unit_name", "indicator_id", "indicator_name", "frozen_value",
                "current_value", "changed_files"]].reset_index(drop=True)


def apply_snapshots(results: Any) -> Any:
    """Replace every frozen year's rows of ``results.table`` by the snapshot's, and set
    ``results.frozen`` and ``results.freeze_differences`` (see module docstring). Returns
    ``results`` (changed in place). A snapshot that cannot be read is left out and logged in
    ``results.freeze_errors`` (Chinese), never raised."""
    manifest = Path(results.dataset.manifest_path)
    years = frozen_years(manifest)
    results.frozen, results.freeze_differences, results.freeze_errors = {}, {}, []
    if not years:
        _PUBLISHED[str(manifest.resolve())] = ({}, {})
        return results
    table = results.table
    for year, meta in sorted(years.items()):
        folder = frozen_root(manifest) / str(year)
        try:
            snap = pd.read_parquet(folder / "table.parquet")
            sources = json.loads((folder / "sources.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            results.freeze_errors.append(f"{year} 年的锁定数据无法读取（{exc}），显示的是当前数据")
            continue
        files = changed_files(sources, results.dataset.report)
        results.freeze_differences[year] = differences(snap, table, year, results.catalog, files)
        results.frozen[year] = {**meta, "changed_files": files.to_dict("records")}
        keep = table.loc[~_year_rows(table, year)]
        snap = snap.reindex(columns=table.columns)
        if "boundary_note" in snap.columns:          # a snapshot from before the crosswalk
            snap["boundary_note"] = snap["boundary_note"].fillna("")
        for col in table.columns:
            if snap[col].dtype != table[col].dtype:
                try:
                    snap[col] = snap[col].astype(table[col].dtype)
                except (TypeError, ValueError):
                    pass
        table = pd.concat([keep, snap], ignore_index=True)
    results.table = table.reset_index(drop=True)
    _PUBLISHED[str(manifest.resolve())] = (results.frozen, results.freeze_differences)
    return results


def published_state(manifest_path: str | Path) -> tuple[dict, dict]:
    """``(frozen, freeze_differences)`` of the last :func:`apply_snapshots` of this dataset in
    this process (``({}, {})`` when none)."""
    return _PUBLISHED.get(str(Path(manifest_path).resolve()), ({}, {}))


def build_published(manifest_path: str | Path, **kwargs: Any) -> Any:
    """:func:`build_live` + :func:`apply_snapshots`: what views and the workbook show (frozen
    years as published). Same arguments and errors as ``indicators.pipeline.build``, plus
    ``CrosswalkError`` / ``SubmissionsError`` for a wrong ``crosswalk`` / ``submissions``."""
    return apply_snapshots(build_live(manifest_path, **kwargs))


def build_live(manifest_path: str | Path, **kwargs: Any) -> Any:
    """``indicators.pipeline.build`` + comparable change across boundary changes
    (``indicators.crosswalk``) + the reporting completeness indicator (:func:`add_completeness`):
    the figures from the files as they are now — what a freeze stores."""
    from indicators.crosswalk import apply_crosswalk, parse
    from indicators.pipeline import build

    results = build(manifest_path, **kwargs)
    if parse(results.dataset):      # without a crosswalk the table is left alone, so a warm
        results.table = apply_crosswalk(results.table, results.dataset, results.catalog)
    return add_completeness(results)   # start keeps its slice file (indicators.slices)


def add_completeness(results: Any) -> Any:
    """Add the ``reporting_completeness`` rows (share of expected unit × table submissions that
    arrived on time, data.submissions) and its catalog entry when the manifest sets due dates.
    Changes ``results`` in place and returns it."""
    from data.submissions import COMPLETENESS_ID, completeness_rows
    from indicators.catalog import Indicator

    rows = completeness_rows(results.dataset)
    if not len(rows):
        return results
    results.catalog[COMPLETENESS_ID] = Indicator(
        id=COMPLETENESS_ID, name_zh="按时报送率", name_en="On-time reporting rate",
        unit_zh="%", unit_en="%", kind="rate", decimals=1, direction="higher",
        formula_zh="截止日期前报送的单位·数据表数 ÷ 应报送的单位·数据表数（数据集清单设定的截止日期）",
        formula_en="unit × table submissions received by the due date ÷ those expected (manifest due dates)",
        table="submissions", numerator="on_time", denominator="expected", periods=("year",))
    table = results.table[results.table["indicator_id"] != COMPLETENESS_ID]
    rows = rows.reindex(columns=table.columns)
    if "comparable" in rows.columns:
        rows["comparable"] = True
    if "change_unit" in rows.columns:
        rows["change_unit"] = "pp"
    if "boundary_note" in rows.columns:
        rows["boundary_note"] = ""
    results.table = pd.concat([table, rows.astype({c: table[c].dtype for c in rows.columns
                                                   if c in ("level", "unit_id", "unit_name", "period",
                                                            "indicator_id")})],
                              ignore_index=True)
    return results


def frozen_label(meta: dict[str, Any]) -> str:
    """``已锁定（2026-01-15）``: the mark views and the workbook show for a frozen year."""
    return f"已锁定（{str(meta.get('frozen_at', ''))[:10]}）"
