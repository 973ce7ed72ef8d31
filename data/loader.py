"""``load_dataset``: manifest → validated canonical tables, the unit hierarchy and the load report.

Every source goes through the same steps (docs/architecture.md §2):

1. **read** the file × sheet as text (:mod:`data.readers`) after the hostile-file checks of
   :mod:`data.safety` (zip bomb, DOCTYPE, renamed or truncated files); merged cells and formulas
   without a saved result are found by :mod:`data.xlsx_structure`; a file that cannot be read at
   all is a one-line ``report.fatal`` entry and the rest still loads;
2. **map headers**, with aliases, ignoring spaces and case (a mapped header that is missing or
   repeated is fatal for that source; unmapped columns are named in a note);
3. **transform** and apply **value maps** (:mod:`data.transforms`);
4. **validate** cells by kind and row rules (:mod:`data.validate`), derive complaint status and
   working-day due dates, convert coordinates — steps 1–4 are cached per file (:mod:`data.cache`);
5. per table: **join** sheets on a key, **stack** files, reject **duplicate keys** (all copies), build
   the hierarchy from the grid register and **attach** records to units (``unknown_unit``);
6. **report**: for every file × sheet rows_read = accepted + rejected + blank + summary + notes
   + template (rows that are not data: :mod:`data.layout`).
"""
from __future__ import annotations

import glob
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from . import cache as _cache
from .coords import to_wgs84
from .hierarchy import ancestor_at, attach_units, build_units, units_from_records
from .layout import BLANK, DATA, NOTE, SUMMARY, TEMPLATE, fill_down, row_kinds, spread_merged
from .manifest import Manifest, ManifestError, SourceSpec, load_manifest
from .model import TABLES, Dataset, LoadReport, RowError, SourceReport
from .mapping import map_columns, resolve_headers
from .readers import ReadError, read_source_file
from .safety import Limits
from .textops import as_categories, from_categories, pool, side_by_side, strip
from .validate import (KEYS, REQUIRED, REQUIRED_IF_MAPPED, SCORE_TO_SATISFACTION, ErrorCollector, apply_value_map,
                       combine_errors, validate_columns)
from .workdays import END_OF_DAY, add_working_days

RECORD_TABLES = ("stations", "volunteer_hours", "complaints")


@dataclass
class SourceResult:
    """Steps 1–4 for one file × sheet. ``data`` rows are the non-blank rows, with ``_pos`` (row
    position in the file's frame, blank rows included) and ``excel_row``."""

    spec: SourceSpec
    file: str
    sheet: str | None
    sha256: str
    rows_read: int
    blank: int
    data: pd.DataFrame
    errors: pd.DataFrame
    headers: dict[str, str]
    warnings: list[str] = field(default_factory=list)
    #: summary (合计), note (填表人 …) and template (only zeros) rows: counted, never validated
    summary: int = 0
    notes: int = 0
    template: int = 0
    #: positions → the raw rows (as read, with ``_pos`` and ``excel_row``) at least for those
    raw_loader: Callable[[np.ndarray], pd.DataFrame] | None = None


def _resolve_paths(manifest: Manifest, spec: SourceSpec) -> list[Path]:
    pattern = os.path.join(manifest.base_dir, spec.path)
    if glob.has_magic(spec.path):
        return [Path(p) for p in sorted(glob.glob(pattern))]
    return [Path(os.path.normpath(pattern))]


def _display(manifest: Manifest, path: Path) -> str:
    try:
        return Path(os.path.relpath(path, manifest.base_dir)).as_posix()
    except ValueError:
        return path.as_posix()


def _check_required_mappings(manifest: Manifest) -> None:
    """A table's first source must map its required columns (ManifestError otherwise)."""
    for table, specs in manifest.tables.items():
        mapped = set().union(*(s.columns for s in specs))
        need = list(REQUIRED[table])
        where = f"tables.{table}"
        for col in need:
            if col not in mapped:
                raise ManifestError(f"清单错误（{where}）：必须映射列 {col}")
        if table == "grids":
            for level in manifest.levels:
                if f"{level}_id" not in mapped and f"{level}_name" not in mapped:
                    raise ManifestError(f"清单错误（{where}）：网格台账必须为每个层级映射 {level}_id"
                                        f"（或 {level}_name）")


def _complaint_fields(typed: pd.DataFrame, raw: pd.DataFrame, headers: dict[str, str],
                      errors: ErrorCollector, manifest: Manifest, warnings: list[str]) -> pd.DataFrame:
    """closed_before_received, status from closed_at, cutoff, due_at from working days."""
    if "closed_at" in typed and "received_at" in typed:
        bad = (typed["closed_at"] < typed["received_at"]).fillna(False).to_numpy()
        head = headers["closed_at"]
        errors.add(bad, head, raw["closed_at"], "closed_before_received",
                   f"「{head}」早于「{headers['received_at']}」")
    closed_at = typed["closed_at"] if "closed_at" in typed else pd.Series(pd.NaT, index=typed.index,
                                                                            dtype="datetime64[ns]")
    if manifest.cutoff is not None and "closed_at" in typed:
        later = (closed_at > manifest.cutoff.normalize() + END_OF_DAY).to_numpy()
        if later.any():
            warnings.append(f"{int(later.sum())} 张工单在数据截止日 {manifest.cutoff.date()} 之后才办结，按截止日时仍在办理计")
            closed_at = closed_at.mask(later)
            typed["closed_at"] = closed_at
            if "status" in typed:
                typed.loc[later, "status"] = "open"
    derived = pd.Series(pd.array(["open", "closed"], dtype="string")
                        .take(closed_at.notna().to_numpy().astype("int64")), index=typed.index)
    typed["status"] = typed["status"].fillna(derived) if "status" in typed else derived
    if "deadline_working_days" in typed and "received_at" in typed:
        due, fallback = add_working_days(typed["received_at"], typed["deadline_working_days"],
                                         manifest.calendar.get("holidays", ()),
                                         manifest.calendar.get("workdays", ()))
        typed["due_at"] = typed["due_at"].fillna(due) if "due_at" in typed else due
        if fallback:
            warnings.append(f"法定节假日日历不含 {'、'.join(map(str, fallback))} 年，这些年份的办理期限按周一至周五计算工作日")
    return typed


def _structure_errors(sheet, keep: np.ndarray, mapped: set[str], errors: ErrorCollector,
                      warnings: list[str]) -> None:
    """Cell issues the reader found in the file's structure (formula without a saved value,
    merged cell): an error on the row when the column is mapped, else a warning."""
    if not sheet.cell_issues:
        return
    issues = pd.DataFrame(sheet.cell_issues, columns=["excel_row", "column", "value", "rule", "message"])
    pos_of_row = pd.Series(np.arange(len(sheet.excel_row)), index=sheet.excel_row)
    issues["pos"] = pos_of_row.reindex(issues["excel_row"]).fillna(-1).astype("int64").to_numpy()
    # a line that did not decode rejects its row whichever column holds the bad bytes
    on_rows = ((issues["column"].isin(mapped) | (issues["rule"] == "encoding")).to_numpy()
               & np.isin(issues["pos"], keep))
    at = pd.Series(np.arange(len(keep)), index=keep)
    for (column, rule, message), group in issues[on_rows].groupby(["column", "rule", "message"], sort=False):
        mask = np.zeros(len(keep), dtype=bool)
        mask[at.reindex(group["pos"].to_numpy()).to_numpy()] = True
        errors.add(mask, column, "", rule, message)
    ignored = issues[~on_rows]
    if len(ignored):
        warnings.append(f"未映射的列中有 {len(ignored)} 个单元格是无结果的公式或合并单元格："
                        + "、".join(f"{c}{r}" for c, r in zip(ignored["column"][:10], ignored["excel_row"][:10])))


def _process(spec: SourceSpec, path: Path, manifest: Manifest, sha: str) -> tuple[SourceResult, pd.DataFrame]:
    """Steps 1–4 for one file (uncached). Returns the result and the raw non-blank rows."""
    expected = [h for c in spec.columns.values() for h in c.header_names]
    sheet = read_source_file(path, spec.format, spec.sheet, spec.header_row, spec.encoding,
                             expected, Limits.from_settings(manifest.config.get("settings")),
                             spec.read_options)
    found, map_warnings = resolve_headers(spec, sheet.frame, sheet.duplicates, sheet.letters)
    kinds = row_kinds(sheet.frame, spec.summary_labels, spec.note_labels)
    hierarchy = {f"{lv}_{k}" for lv in manifest.levels for k in ("id", "name")}
    fill = {found[c] for c in found if c in hierarchy or c in spec.fill_down}
    frame, merged_cells, merge_warnings = spread_merged(sheet.frame, sheet.excel_row, sheet.merges,
                                                        sheet.letters, fill, set(found.values()))
    frame, n_filled = fill_down(frame, [found[c] for c in spec.fill_down if c in found],
                                np.flatnonzero(kinds == DATA))
    if n_filled:
        merge_warnings.append(f"{n_filled} 个空单元格按上一行的值填充（"
                              + "、".join(f"「{found[c]}」" for c in spec.fill_down if c in found) + "）")
    sheet.frame = frame
    blank = kinds != DATA
    keep = np.flatnonzero(~blank)
    every_row = len(keep) == len(frame)  # the usual machine export: no row to leave out
    frame = (frame if every_row else frame.iloc[keep]).reset_index(drop=True)
    text, raw, headers, map_warnings = map_columns(spec, frame, found, map_warnings + merge_warnings)
    errors = ErrorCollector(keep)
    _structure_errors(sheet, keep, set(headers.values()), errors, map_warnings)
    merged_pairs = set()
    if merged_cells:
        at = pd.Series(np.arange(len(keep)), index=keep)
        by_col: dict[tuple[str, str], list[int]] = {}
        for pos, label, ref in merged_cells:
            if pos in at.index:
                by_col.setdefault((label, ref), []).append(int(at[pos]))
                merged_pairs.add((int(pos), label))
        for (label, ref), idx in by_col.items():
            mask = np.zeros(len(keep), dtype=bool)
            mask[idx] = True
            errors.add(mask, label, frame[label], "merged_cell",
                       f"「{label}」在合并单元格 {ref} 中，只有左上角单元格有值，请取消合并并逐行填写")
    bad_map = {}
    mapped = {name: (apply_value_map, text[name], mapping,
                     tuple(map(str, SCORE_TO_SATISFACTION)) if name == "satisfaction" else ())
              for name, mapping in spec.values.items()}
    for name, (values, bad) in side_by_side(mapped, len(frame)).items():
        text[name], bad_map[name] = values, bad
    levels = manifest.levels
    table = spec.table
    if table == "grids":
        for level in levels:
            if f"{level}_id" not in text and f"{level}_name" in text:
                text[f"{level}_id"], raw[f"{level}_id"] = text[f"{level}_name"], raw[f"{level}_name"]
                headers[f"{level}_id"] = headers[f"{level}_name"]
    required = ([spec.join] if spec.join else list(REQUIRED[table])) + list(REQUIRED_IF_MAPPED[table])
    if table == "grids" and not spec.join:
        required += [f"{lv}_id" for lv in levels]
    for col in dict.fromkeys(required):
        if col in text:
            errors.add((strip(text[col]) == "").to_numpy(), headers[col], raw[col],
                       "missing_required", f"必填项「{headers[col]}」为空")
    typed = validate_columns(text, raw, headers, levels, manifest.date_min, manifest.date_max,
                             errors, bad_map)
    warnings = list(sheet.warnings) + map_warnings
    if table == "complaints" and not spec.join:
        typed = _complaint_fields(typed, raw, headers, errors, manifest, warnings)
    crs = spec.crs or manifest.crs          # a source may state its own coordinate system
    if "lat" in typed and "lon" in typed and crs != "wgs84":
        lat, lon = to_wgs84(typed["lat"].to_numpy(), typed["lon"].to_numpy(), crs)
        typed["lat"], typed["lon"] = lat, lon
    pos = keep.astype("int64", copy=False)     # computed once for both frames (each copies them)
    excel_row = np.asarray(sheet.excel_row) if every_row else np.asarray(sheet.excel_row)[keep]
    typed.insert(0, "_pos", pos)
    typed.insert(1, "excel_row", excel_row)
    raw_rows = (sheet.frame if every_row else sheet.frame.iloc[keep]).reset_index(drop=True).assign(
        _pos=pos, excel_row=excel_row)
    error_frame = errors.frame()
    if merged_pairs and len(error_frame):
        # a merged number cell: merged_cell and nothing else on that column of those rows
        pair = list(zip(error_frame["_pos"].astype("int64"), error_frame["column"]))
        other = np.array([p in merged_pairs for p in pair]) & (error_frame["rule"] != "merged_cell").to_numpy()
        error_frame = error_frame[~other].reset_index(drop=True)
    counts = np.bincount(kinds, minlength=5)
    result = SourceResult(spec=spec, file=_display(manifest, path), sheet=sheet.sheet, sha256=sha,
                          rows_read=len(blank), blank=int(counts[BLANK]), data=typed,
                          errors=error_frame, headers=headers, warnings=warnings,
                          summary=int(counts[SUMMARY]), notes=int(counts[NOTE]),
                          template=int(counts[TEMPLATE]))
    if counts[SUMMARY] + counts[NOTE] + counts[TEMPLATE]:
        result.warnings.append(_kind_line(sheet.excel_row, kinds))
    return result, raw_rows


def _kind_line(excel_row: np.ndarray, kinds: np.ndarray) -> str:
    """One warning naming the rows that are not data: "合计行 1 行（第 5 行）；…"."""
    parts = []
    for kind, word in ((SUMMARY, "合计行"), (NOTE, "表尾说明行"), (TEMPLATE, "只有 0 的空白模板行")):
        rows = excel_row[kinds == kind]
        if len(rows):
            shown = "、".join(map(str, rows[:8])) + (" 等" if len(rows) > 8 else " ")
            parts.append(f"{word} {len(rows):,} 行（第 {shown}行）")
    return "未作为数据读取：" + "；".join(parts) + "（不计入接收或拒收）"


def _load_source(spec: SourceSpec, path: Path, manifest: Manifest, cache_dir: Path | None,
                 stats: dict) -> SourceResult:
    """Steps 1–4 through the cache."""
    if cache_dir is None:
        # no cache to look up: the file's fingerprint (for the report) is hashed on another
        # core while this one reads it (hashlib releases the GIL)
        sha_of = pool().submit(_cache.file_sha256, path)
        result, raw_rows = _process(spec, path, manifest, "")
        result.sha256 = sha_of.result()
        result.raw_loader = _raw_keeper(raw_rows)
        stats["misses"] += 1
        return result
    sha = _cache.file_sha256(path)
    key = _cache.cache_key(sha, spec.table, spec.spec_json, manifest.settings_json())
    hit = _cache.load_entry(cache_dir, key)
    if hit is not None:
        frames, meta = hit
        stats["hits"] += 1
        return SourceResult(spec=spec, file=_display(manifest, path), sheet=meta["sheet"],
                            sha256=sha, rows_read=meta["rows_read"], blank=meta["blank"],
                            data=frames["data"], errors=frames["errors"],
                            headers=meta["headers"], warnings=meta["warnings"],
                            summary=meta.get("summary", 0), notes=meta.get("notes", 0),
                            template=meta.get("template", 0),
                            raw_loader=lambda pos: _cache.load_part(cache_dir, key, "raw", pos))
    stats["misses"] += 1
    result, raw_rows = _process(spec, path, manifest, sha)
    _cache.save_entry(cache_dir, key, {"data": result.data, "errors": result.errors, "raw": raw_rows},
                      {"sheet": result.sheet, "rows_read": result.rows_read,
                       "blank": result.blank, "headers": result.headers,
                       "warnings": result.warnings, "summary": result.summary,
                       "notes": result.notes, "template": result.template})
    result.raw_loader = _raw_keeper(raw_rows)
    return result


def _raw_keeper(raw_rows: pd.DataFrame) -> Callable[[np.ndarray], pd.DataFrame]:
    """A ``raw_loader`` over the file's raw rows, kept until the load report is written with
    low-cardinality columns as categories (:func:`data.textops.as_categories`); it hands back
    the rows at the given positions with their original values and dtypes."""
    pos = raw_rows["_pos"].to_numpy()
    n = len(pos)
    # positions 0..n-1 (every row of the file was data, the usual export): kept implicitly,
    # and the Excel row numbers as int32 — 10M rows: 120 MB less until the report is written
    implicit = n > 0 and pos[0] == 0 and pos[-1] == n - 1       # increasing: then it is 0..n-1
    excel_row = raw_rows["excel_row"].to_numpy()
    if implicit and excel_row.max(initial=0) < 2 ** 31:
        excel_row = excel_row.astype("int32")
        raw_rows = raw_rows.drop(columns=["_pos", "excel_row"])
    else:
        implicit = False
    kept, dtypes = as_categories(raw_rows)
    del raw_rows

    def load(wanted: np.ndarray) -> pd.DataFrame:
        if not implicit:
            return from_categories(kept[kept["_pos"].isin(wanted)], dtypes)
        at = np.unique(np.asarray(wanted, dtype="int64"))
        at = at[(at >= 0) & (at < n)]
        rows = kept.iloc[at].reset_index(drop=True)
        return from_categories(rows.assign(_pos=at, excel_row=excel_row[at].astype("int64")), dtypes)
    return load


def _key_columns(table: str, frame: pd.DataFrame, manifest: Manifest) -> list[str]:
    if table == "grids":
        return [f"{manifest.levels[-1]}_id"] + (["year"] if "year" in frame else [])
    return [KEYS[table]] if table in KEYS and KEYS[table] in frame else []


TABLE_NOUN = {"stations": "党群服务阵地", "volunteer_hours": "志愿服务", "complaints": "群众诉求工单"}
RECORD_NOUN = {"complaints": ("张", "工单"), "stations": ("个", "阵地"),
               "volunteer_hours": ("条", "志愿服务记录")}


def _duplicates(frame: pd.DataFrame, keys: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(every copy after the first, every copy) of each key as bool arrays — the same as
    ``frame.duplicated(keys, keep="first")`` and ``keep=False``. One key is hashed once
    (``pd.factorize``, codes in order of first appearance: a row is a later copy unless its code
    is new, i.e. above every code before it); several keys, or codes in any other order, go
    through pandas."""
    if len(keys) == 1 and len(frame):
        codes, uniques = pd.factorize(frame[keys[0]], use_na_sentinel=False)
        first = np.empty(len(codes), dtype=bool)
        first[0] = True
        first[1:] = codes[1:] > np.maximum.accumulate(codes)[:-1]       # a new highest code
        # a new highest code is always a first appearance; when there are as many of them as
        # distinct keys, every first appearance is one (the codes are in appearance order)
        if int(first.sum()) == len(uniques):
            copies = (np.bincount(codes, minlength=len(uniques)) > 1)[codes]
            return ~first, copies
    return (frame.duplicated(keys, keep="first").to_numpy(),
            frame.duplicated(keys, keep=False).to_numpy())


def _unknown_unit_lines(values: pd.Series, table: str, level_name: str, top: int = 20) -> list[str]:
    """One line per unknown unit, most-named first: "37 张工单填写的网格「0199」不在网格台账中"."""
    counts = values.astype("str").value_counts()
    measure, noun = RECORD_NOUN.get(table, ("条", "记录"))
    lines = [f"{n:,} {measure}{noun}填写的{level_name}「{unit}」不在网格台账中"
             for unit, n in counts.head(top).items()]
    if len(counts) > top:
        lines.append(f"另有 {len(counts) - top:,} 个{level_name}编号不在网格台账中（共 {int(counts.sum()):,} {measure}{noun}）")
    return lines


def _table_errors(table: str, results: list[SourceResult], manifest: Manifest,
                  units: pd.DataFrame | None) -> tuple[pd.DataFrame, list[pd.DataFrame], list[str], pd.DataFrame | None]:
    """Step 5 for one table. Returns (accepted canonical rows, extra errors per source (with
    ``_pos``), table warnings, units when the table is the grid register)."""
    extra: list[list[pd.DataFrame]] = [[] for _ in results]
    warnings: list[str] = []
    mains = [i for i, r in enumerate(results) if r.spec.join is None]
    frames = [results[i].data.assign(_src=np.full(len(results[i].data), i, dtype="int32"))
              for i in mains]
    main = (frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True) if frames
            else pd.DataFrame())

    def add(src_of_row: np.ndarray, mask: np.ndarray, column_of, values, rule: str, message):
        """Errors for the masked stacked rows, filed under each row's own source."""
        for i in np.unique(src_of_row[mask]):
            sel = mask & (src_of_row == i)
            head = column_of(i)
            msg = message if isinstance(message, str) else np.asarray(message, dtype=object)[sel]
            extra[i].append(pd.DataFrame({"_pos": main_pos[sel], "column": head,
                                          "value": np.asarray(values, dtype=object)[sel],
                                          "rule": rule, "message": msg}))

    def errored(i: int, data: pd.DataFrame) -> np.ndarray:
        bad = set(results[i].errors["_pos"]).union(*(set(e["_pos"]) for e in extra[i]))
        return data["_pos"].isin(bad).to_numpy()

    if main.empty:
        return main, [combine_errors(e) for e in extra], warnings, None
    main_src = main["_src"].to_numpy()
    main_pos = main["_pos"].to_numpy()

    # joins: a join source adds columns to the rows of the non-join source directly above it in
    # the manifest (e.g. each year's 人口 sheet onto that year's register), matched on its key
    main_spec = np.array([r.spec.index for r in results], dtype="int64")[main_src]
    for j, res in enumerate(results):
        key = res.spec.join
        if key is None:
            continue
        data = res.data
        head = res.headers.get(key, key)
        earlier = [results[i].spec.index for i in mains if results[i].spec.index < res.spec.index]
        target_spec = max(earlier) if earlier else -1
        tmask = main_spec == target_spec
        if key not in main:
            raise ManifestError(f"清单错误（{res.spec.where}）：join 键 {key} 不在前面的来源中")
        target_keys = main.loc[tmask, key]
        dup = data[key].duplicated(keep=False).to_numpy() & data[key].notna().to_numpy()
        if dup.any():
            extra[j].append(pd.DataFrame({"_pos": data["_pos"][dup], "column": head,
                                          "value": data[key][dup].astype("str"), "rule": "duplicate_key",
                                          "message": f"「{head}」在此表中重复出现"}))
        orphan = (~data[key].isin(target_keys)).to_numpy() & data[key].notna().to_numpy()
        rule = "unknown_unit" if key.endswith("_id") and key[:-3] in manifest.levels else "bad_value"
        if orphan.any():
            extra[j].append(pd.DataFrame({"_pos": data["_pos"][orphan], "column": head,
                                          "value": data[key][orphan].astype("str"), "rule": rule,
                                          "message": f"「{head}」在所并入的表中找不到"}))
        good = data[~errored(j, data)]
        own = set().union(*(results[i].data.columns for i in mains
                            if results[i].spec.index == target_spec))
        cols = [c for c in good.columns if c not in ("_pos", "excel_row", key) and c not in own]
        clash = [c for c in good.columns if c not in cols and c not in ("_pos", "excel_row", key)]
        if clash:
            warnings.append(f"{res.file} 中的列 {clash} 在所并入的来源中已有，保留原值")
        merged = target_keys.to_frame().merge(good[[key, *cols]], on=key, how="left",
                                              validate="many_to_one")
        for c in cols:
            if c not in main:
                main[c] = good[c].iloc[:0].reindex(main.index)
            main.loc[tmask, c] = merged[c].to_numpy()
        unmatched = int((~target_keys.isin(good[key]) & target_keys.notna()).sum())
        if unmatched:
            where = res.file + (f"「{res.sheet}」" if res.sheet else "")
            warnings.append(f"{unmatched} 行在 {where} 中没有对应的行，相应列为空")

    # duplicate keys across all stacked files: the first copy (in manifest and file order) is
    # kept, every later copy is rejected with a message naming every copy's file and row
    keys = _key_columns(results[mains[0]].spec.table, main, manifest)
    if keys:
        present = main[keys[0]].notna().to_numpy()
        dup, copies = _duplicates(main, keys)
        dup = dup & present
        if dup.any():
            copies = copies & present
            where = (main.loc[copies, "_src"].map({i: r.file for i, r in enumerate(results)}).astype("str")
                     + " 第 " + main.loc[copies, "excel_row"].astype("int64").astype("str") + " 行")
            of_row = main[keys[0]].astype("str")
            for k in keys[1:]:
                of_row = of_row + "\x1f" + main[k].astype("str")
            group = of_row[copies]
            listed = where.groupby(group, sort=False).agg("、".join)
            count = where.groupby(group, sort=False).size()
            kept = where.groupby(group, sort=False).first()
            message = pd.Series("", index=main.index, dtype="str")
            of_dup = of_row[dup]
            message[dup] = ("编号重复，共 " + of_dup.map(count).astype("str") + " 处："
                            + of_dup.map(listed) + "；保留首次出现的 " + of_dup.map(kept))
            add(main_src, dup, lambda i: results[i].headers.get(keys[0], keys[0]),
                main[keys[0]].astype("str"), "duplicate_key", message.to_numpy(dtype=object))
            n_keys = len(count)
            warnings.append(f"{n_keys:,} 个编号重复出现，共 {int(count.sum()):,} 行；每个编号保留首次出现的一行，"
                            f"其余 {int(dup.sum()):,} 行拒收（拒收原因中列出全部重复行）")

    def rejected_mask() -> np.ndarray:
        out = np.zeros(len(main), dtype=bool)
        for i in mains:
            sel = main_src == i
            out[sel] = errored(i, main[sel])
        return out

    built_units = None
    if table == "grids":
        built_units, unit_warnings = build_units(main[~rejected_mask()], manifest.levels)
        warnings += unit_warnings
        main["unit_id"] = main[f"{manifest.levels[-1]}_id"]
    elif table in RECORD_TABLES:
        level_cols = [f"{lv}_{k}" for lv in manifest.levels for k in ("id", "name") if f"{lv}_{k}" in main]
        if level_cols and "grids" not in manifest.tables:
            # no grid register: units come from the records' own unit columns
            # every row that could be read names its units (a row rejected for a bad date still
            # names a real unit); a line that did not decode names nothing trustworthy
            unreadable = np.zeros(len(main), dtype=bool)
            for i in mains:
                errs = results[i].errors
                bad_pos = set(errs.loc[errs["rule"] == "encoding", "_pos"])
                if bad_pos:
                    sel = main_src == i
                    unreadable[sel] = main.loc[sel, "_pos"].isin(bad_pos).to_numpy()
            own, unit_warnings = units_from_records(main[~unreadable], manifest.levels,
                                                    manifest.level_names, TABLE_NOUN.get(table, table))
            warnings += unit_warnings
            units = own if units is None else (pd.concat([units, own], ignore_index=True)
                                               .drop_duplicates(["level", "unit_id"]).reset_index(drop=True))
            built_units = units
        if level_cols:
            unit_level, unit_id, none, unknown, used = attach_units(main, units, manifest.levels)
            for col in level_cols:
                sel = unknown & (used == col).fillna(False).to_numpy()
                if sel.any():
                    level = col.rsplit("_", 1)[0]
                    add(main_src, sel, lambda i, c=col: results[i].headers.get(c, c),
                        main[col].astype("str"), "unknown_unit",
                        f"{manifest.level_names.get(level, level)}「" + main[col].astype("str")
                        + "」不在网格台账中")
                    warnings += _unknown_unit_lines(main.loc[sel, col], table,
                                                    manifest.level_names.get(level, level))
            unitless = manifest.config.get("settings", {}).get("unitless_records", "total")
            if none.any() and unitless != "reject":
                # A record that names no unit is a real record of the whole area (a city-wide
                # hotline ticket): it counts in the whole-dataset total only, and the report says so.
                warnings.append(f"{int(none.sum()):,} 条记录没有填写所属单位（"
                                + "、".join(manifest.level_names[lv] for lv in manifest.levels)
                                + "），只计入全域合计；如需拒收，在清单中设置 settings: {unitless_records: reject}")
            elif none.any():
                add(main_src, none,
                    lambda i: "/".join(results[i].headers.get(c, c) for c in level_cols
                                       if c in results[i].headers),
                    np.full(len(main), "", dtype=object), "missing_required",
                    "没有填写所属单位（" + "、".join(manifest.level_names[lv] for lv in manifest.levels) + "）")
            for depth, level in enumerate(manifest.levels[:-1]):
                col = f"{level}_id"
                if col not in main:
                    continue
                given = main[col].fillna("").str.strip()
                above = ancestor_at(units, manifest.levels, unit_level, unit_id, level)
                finer = unit_level.isin(manifest.levels[depth + 1:]).fillna(False)
                clash = int(((given != "") & above.notna() & (above != given) & finer).sum())
                if clash:
                    warnings.append(f"{clash} 条记录填写的{manifest.level_names[level]}与其所属更细一级单位的"
                                    f"上级不一致，已按更细一级的单位归属")
            main["unit_level"], main["unit_id"] = unit_level, unit_id
            main = main.drop(columns=level_cols)
        else:
            main["unit_level"] = pd.Series(pd.NA, index=main.index, dtype="string")
            main["unit_id"] = pd.Series(pd.NA, index=main.index, dtype="string")
            warnings.append("未映射所属单位列，记录不归属任何单位（只计入全域）")

    rejected = rejected_mask()
    accepted = (main[~rejected] if rejected.any() else main).drop(columns=["_src", "_pos", "excel_row"])
    accepted = accepted.reset_index(drop=True)
    return accepted, [combine_errors(e) for e in extra], warnings, built_units


def _finish_columns(table: str, frame: pd.DataFrame, manifest: Manifest) -> pd.DataFrame:
    """Canonical column order: documented columns first, then extras."""
    first = {"grids": ["unit_id", "year"], "stations": ["station_id", "station_name", "station_type",
                                                        "unit_level", "unit_id"],
             "volunteer_hours": ["date", "unit_level", "unit_id"],
             "complaints": ["ticket_id", "received_at", "closed_at", "due_at", "status", "category",
                            "satisfaction", "is_repeat", "unit_level", "unit_id"]}[table]
    order = [c for c in first if c in frame] + [c for c in frame.columns if c not in first]
    return frame[order]


def _source_report(table: str, res: SourceResult, extra: pd.DataFrame) -> SourceReport:
    errs = combine_errors([res.errors, extra]).sort_values(["_pos"], kind="stable")
    undecoded = errs["rule"] == "encoding"
    if undecoded.any():  # a line that did not decode: that, and nothing read from its garbled text
        errs = errs[undecoded | ~errs["_pos"].isin(errs.loc[undecoded, "_pos"])]
    rejected_pos = errs["_pos"].unique()
    skipped = res.blank + res.summary + res.notes + res.template
    rep = SourceReport(table=table, file=res.file, sheet=res.sheet, sha256=res.sha256,
                       rows_read=res.rows_read, blank=res.blank, rejected=len(rejected_pos),
                       accepted=res.rows_read - skipped - len(rejected_pos),
                       summary=res.summary, notes=res.notes, template=res.template,
                       warnings=list(res.warnings))
    if len(errs):
        pos_to_row = pd.Series(res.data["excel_row"].to_numpy(), index=res.data["_pos"].to_numpy())
        rows = pos_to_row.reindex(errs["_pos"].to_numpy()).to_numpy()
        rep.errors = [RowError(int(r), c, v, rule, m) for r, c, v, rule, m in
                      zip(rows, errs["column"], errs["value"], errs["rule"], errs["message"])]
        raw = res.raw_loader(rejected_pos)
        reason = errs["rule"] + "：" + errs["message"]
        multi = errs["_pos"].duplicated(keep=False).to_numpy()
        reasons = pd.concat([pd.Series(reason[~multi].to_numpy(), index=errs["_pos"][~multi].to_numpy()),
                             reason[multi].groupby(errs["_pos"][multi].to_numpy()).agg("；".join)])
        rej = raw[raw["_pos"].isin(rejected_pos)].copy()
        rej["reasons"] = rej["_pos"].map(reasons).astype("str")
        cols = ["excel_row"] + [c for c in rej.columns if c not in ("_pos", "excel_row", "reasons")] + ["reasons"]
        rep.rejected_rows = rej[cols].reset_index(drop=True)
    else:
        rep.rejected_rows = None
    return rep


def _geography(manifest: Manifest, tables: dict[str, pd.DataFrame], units: pd.DataFrame,
               report: LoadReport) -> dict[str, pd.DataFrame]:
    """Boundaries hook (data/geo.py): grid centroids from the finest level's polygons, points
    outside the boundaries and repeated fallback points, as warnings on each table's first
    source. A boundary that cannot be read is a ``report.fatal`` entry; the data still load."""
    from .geo import geography_warnings, load_boundaries
    try:
        boundaries = load_boundaries(manifest.config, manifest.base_dir, manifest.levels,
                                     manifest.crs)
    except ManifestError as exc:
        report.fatal.append({"file": "boundaries", "message": str(exc)})
        return tables
    tables, warnings = geography_warnings(tables, units, boundaries, manifest.levels)
    for table, messages in warnings.items():
        first = next((s for s in report.sources
                      if s.table == ("grids" if table == "boundaries" else table)), None)
        if first is not None:
            first.warnings.extend(messages)
    return tables


def load_dataset(manifest_path: str | Path, cache_dir: str | Path | None = None,
                 use_cache: bool = True) -> Dataset:
    """Load every table a dataset manifest describes.

    manifest_path: ``dataset.yaml`` (format: docs/architecture.md §1). cache_dir: where parsed
    sources are cached as Parquet (default ``<project>/.cache/``); ``use_cache=False`` disables
    the cache. Returns a :class:`data.model.Dataset` whose tables hold only accepted rows
    (columns and dtypes as in data/model.py) and whose ``report`` accounts for every row read.
    Raises :class:`data.manifest.ManifestError` for a wrong manifest; an unreadable file or sheet
    is listed in ``report.fatal`` and the rest still loads. ``dataset.config['cache']`` holds
    ``{'hits': n, 'misses': n}`` for this call.
    """
    manifest = load_manifest(manifest_path)
    _check_required_mappings(manifest)
    cache_path = None if not use_cache else Path(cache_dir) if cache_dir else _cache.DEFAULT_CACHE_DIR
    stats = {"hits": 0, "misses": 0}
    if cache_path is not None:
        _cache.prune(cache_path)
    report = LoadReport()
    tables: dict[str, pd.DataFrame] = {}
    units = None
    for table in sorted(manifest.tables, key=TABLES.index):
        results: list[SourceResult] = []
        for spec in manifest.tables[table]:
            paths = _resolve_paths(manifest, spec)
            if not paths:
                report.fatal.append({"file": spec.path, "message": f"没有文件与「{spec.path}」匹配（{spec.where}）"})
            for path in paths:
                try:
                    results.append(_load_source(spec, path, manifest, cache_path, stats))
                except (ReadError, OSError) as exc:
                    msg = str(exc) if isinstance(exc, ReadError) else f"无法读取：{exc}"
                    report.fatal.append({"file": _display(manifest, path), "message": msg})
        if not any(r.spec.join is None for r in results):
            continue
        accepted, extra, warnings, built = _table_errors(table, results, manifest, units)
        if built is not None:
            units = built
        reports = [_source_report(table, r, e) for r, e in zip(results, extra)]
        if reports:
            reports[0].warnings.extend(warnings)
        report.sources.extend(reports)
        tables[table] = _finish_columns(table, accepted, manifest)
    if units is None:
        units = pd.DataFrame({"level": pd.Series([], dtype="string"),
                              "unit_id": pd.Series([], dtype="string"),
                              "unit_name": pd.Series([], dtype="string"),
                              "parent_id": pd.Series([], dtype="string"),
                              "depth": pd.Series([], dtype="int64")})
    tables = _geography(manifest, tables, units, report)
    config = dict(manifest.config)
    config.update({"crs": manifest.crs, "dates": {"min": manifest.date_min, "max": manifest.date_max},
                   "calendar": manifest.calendar, "cache": stats})
    return Dataset(name=manifest.name, manifest_path=manifest.path, levels=manifest.levels,
                   level_names=manifest.level_names, level_names_en=manifest.level_names_en,
                   units=units, tables=tables, report=report, is_sample=manifest.sample,
                   name_en=manifest.name_en, cutoff=manifest.cutoff, config=config)
