"""Send-back (退回修改): one workbook per responsible unit (street office) holding only its
rejected rows with the reasons in Chinese, plus a zip of all of them; and the matching of a
returned (corrected) workbook to the rows it fixes.

``write_sendback(dataset, out_dir, level=None) -> SendbackResult``
    Each rejected row of the load report is assigned to the unit at ``level`` (default: the
    manifest's ``street`` level, else the second level) from the unit codes in the row itself
    (``{level}_id`` columns of its source, after the source's transforms; the finest one that is
    in the hierarchy wins). Rows whose unit cannot be told (no code, or a code not in the grid
    register) go to ``未能确定责任单位``. Each workbook is the rejected-rows workbook of
    ``reports.rejected_rows`` (original columns, original Excel row, reasons) restricted to that
    unit's rows, with the rule ids taken out of the reasons. Files are named
    ``退回修改_<unit name>_<unit id>.xlsx``; ``退回修改_全部.zip`` holds them all.

``match_returned(dataset, returned) -> pandas.DataFrame``
    A returned send-back workbook (the same sheets, rows corrected in place) is matched to the
    rejected rows of the current load report by file, sheet and original row number; each
    corrected row is checked again through the dataset's own manifest (the same columns, value
    maps and transforms, the same grid register). One row per returned row: table, file, sheet,
    excel_row, matched (the row is still rejected in the current report), fixed (it now passes),
    reasons (what is still wrong, Chinese). Raises :class:`SendbackError` (Chinese) for a file
    that is not a send-back workbook of this dataset.
"""
from __future__ import annotations

import copy
import fnmatch
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import pandas as pd
import yaml

from data.manifest import load_manifest
from data.model import LoadReport, SourceReport
from data.transforms import apply_transforms
from data.validate import RULE_ZH

try:                                    # engineer i12 moves the writer to reports/ (issue 12)
    from reports.rejected_rows import ROW_HEADER, rejected_rows_workbook
except ImportError:                     # pragma: no cover — before that move lands
    from data.report import ROW_HEADER, rejected_rows_workbook

UNASSIGNED = "未能确定责任单位"
GUIDE = "说明"
_RULE_PREFIX = re.compile(r"(^|；)(?:" + "|".join(map(re.escape, RULE_ZH)) + r")：")
_UNSAFE = re.compile(r'[\\/:*?"<>|\s]+')


class SendbackError(ValueError):
    """A returned file that cannot be matched (message in Chinese)."""


@dataclass
class SendbackResult:
    """What :func:`write_sendback` wrote: one entry per unit (unit_id, unit_name, rows, path)
    and the zip."""

    units: list[dict] = field(default_factory=list)
    zip_path: Path | None = None


def chinese_reasons(reasons: pd.Series) -> pd.Series:
    """``out_of_range：「面积」不能为负数；bad_date：…`` → ``「面积」不能为负数；…`` (rule ids out)."""
    return reasons.astype("string").fillna("").str.replace(_RULE_PREFIX, r"\1", regex=True)


def responsible_level(levels: list[str]) -> str:
    """The level of the unit that answers for a row: ``street`` when the dataset has it,
    otherwise the second level from the top (the only level when there is one)."""
    return "street" if "street" in levels else levels[min(1, len(levels) - 1)]


def _spec_for(manifest, src: SourceReport):
    for spec in manifest.tables.get(src.table, []):
        if fnmatch.fnmatch(src.file, spec.path.replace("\\", "/")):
            sheet_ok = spec.sheet is None or isinstance(spec.sheet, int) or spec.sheet == src.sheet
            if sheet_ok:
                return spec
    return None


def _ancestor_map(units: pd.DataFrame, levels: list[str], target: str) -> dict[tuple[str, str], str]:
    """(level, unit_id) → id of its ancestor at ``target`` (itself at ``target``)."""
    parent = dict(zip(zip(units["level"], units["unit_id"].astype(str)), units["parent_id"]))
    t = levels.index(target)
    out = {}
    for level, uid in zip(units["level"], units["unit_id"].astype(str)):
        d = levels.index(level)
        if d < t:
            continue
        cur = uid
        for k in range(d, t, -1):
            p = parent.get((levels[k], cur))
            cur = None if p is None or pd.isna(p) else str(p)
            if cur is None:
                break
        if cur is not None:
            out[(level, uid)] = cur
    return out


def assign_units(dataset, level: str | None = None) -> list[tuple[SourceReport, pd.Series]]:
    """For every source with rejected rows: the responsible unit id of each rejected row
    (``UNASSIGNED`` when it cannot be told), aligned with ``src.rejected_rows``."""
    manifest = load_manifest(dataset.manifest_path)
    levels = dataset.levels
    level = level or responsible_level(levels)
    if level not in levels:
        raise SendbackError(f"没有「{level}」这一层级；可选：{'、'.join(levels)}")
    up = _ancestor_map(dataset.units, levels, level) if len(dataset.units) else {}
    out = []
    for src in dataset.report.sources:
        rej = src.rejected_rows
        if rej is None or not len(rej):
            continue
        owner = pd.Series(UNASSIGNED, index=rej.index, dtype="object")
        spec = _spec_for(manifest, src)
        if spec is not None:
            for lv in levels:        # coarse → fine: a finer code that is known overrides
                col = spec.columns.get(f"{lv}_id")
                if col is None or col.header is None:
                    continue
                header = next((h for h in col.header_names if h in rej.columns), None)
                if header is None:
                    continue
                codes = apply_transforms(rej[header].astype("string").fillna("").str.strip(),
                                         spec.transforms.get(f"{lv}_id", ()))
                found = codes.map(lambda c, lv=lv: up.get((lv, str(c))))
                owner = owner.where(found.isna(), found)
        out.append((src, owner))
    return out


def _safe(text: str) -> str:
    return _UNSAFE.sub("_", str(text)).strip("_")[:40] or "单位"


def write_sendback(dataset, out_dir: str | Path, level: str | None = None) -> SendbackResult:
    """Write one send-back workbook per responsible unit and the zip (see module docstring).
    Returns what was written; no workbook when nothing was rejected (``units`` empty, no zip)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    names = dict(zip(dataset.units["unit_id"].astype(str), dataset.units["unit_name"].astype(str))) \
        if len(dataset.units) else {}
    per_unit: dict[str, list[SourceReport]] = {}
    for src, owner in assign_units(dataset, level):
        rej = src.rejected_rows.assign(reasons=chinese_reasons(src.rejected_rows["reasons"]))
        for unit in pd.unique(owner):
            rows = rej[(owner == unit).to_numpy()].reset_index(drop=True)
            part = copy.copy(src)
            part.rejected_rows, part.rejected, part.errors = rows, len(rows), []
            per_unit.setdefault(unit, []).append(part)
    result = SendbackResult()
    order = sorted(per_unit, key=lambda u: (u == UNASSIGNED, u))
    for unit in order:
        parts = per_unit[unit]
        label = UNASSIGNED if unit == UNASSIGNED else f"{_safe(names.get(unit, unit))}_{_safe(unit)}"
        path = out_dir / f"退回修改_{label}.xlsx"
        path.write_bytes(rejected_rows_workbook(LoadReport(sources=parts)))
        result.units.append({"unit_id": unit, "unit_name": names.get(unit, unit),
                             "rows": sum(len(p.rejected_rows) for p in parts), "path": path})
    if result.units:
        result.zip_path = out_dir / "退回修改_全部.zip"
        with zipfile.ZipFile(result.zip_path, "w", zipfile.ZIP_DEFLATED) as zf:
            for item in result.units:
                zf.write(item["path"], item["path"].name)
    return result


def _read_returned(returned: str | Path | bytes) -> dict[tuple[str, str | None], pd.DataFrame]:
    """(file, sheet) → the rows of a returned send-back workbook (all cells as text, with
    ``excel_row``), using its 说明 sheet to tell which sheet holds which file."""
    from data.safety import UnsafeFileError, check_file_size, check_xlsx_package, require_defusedxml

    require_defusedxml()
    with tempfile.TemporaryDirectory(prefix="returned-") as tmp:
        path = Path(tmp) / "returned.xlsx"
        path.write_bytes(returned if isinstance(returned, bytes) else Path(returned).read_bytes())
        try:              # the hostile-file checks of ingest: size, zip bomb, DOCTYPE, not a zip
            check_file_size(path)
            check_xlsx_package(path)
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except UnsafeFileError as exc:
            raise SendbackError(f"退回的文件无法安全读取：{exc}") from exc
        except Exception as exc:     # noqa: BLE001 — any unreadable upload is the user's file
            raise SendbackError(f"无法打开退回的文件：{exc}") from exc
        return _sheets(wb)


def _sheets(wb) -> dict[tuple[str, str | None], pd.DataFrame]:
    if GUIDE not in wb.sheetnames:
        raise SendbackError("这不是本看板生成的退回修改工作簿（缺少「说明」工作表）")
    out = {}
    guide = list(wb[GUIDE].iter_rows(min_row=5, values_only=True))
    for row in guide:
        if not row or len(row) < 6 or not row[1] or not row[5]:
            continue
        file, sheet, target = str(row[1]), (str(row[2]) if row[2] else None), str(row[5])
        if target not in wb.sheetnames:
            continue
        values = list(wb[target].iter_rows(values_only=True))
        if not values:
            continue
        headers = [str(h) if h is not None else "" for h in values[0]]
        if not headers or headers[0] != ROW_HEADER:
            raise SendbackError(f"工作表「{target}」的第一列应是「{ROW_HEADER}」，请不要改动表头")
        body = [r for r in values[1:] if r and r[0] is not None and str(r[0]).strip().isdigit()]
        frame = pd.DataFrame([[("" if v is None else v) for v in r[:len(headers)]] for r in body],
                             columns=headers)
        out[(file, sheet)] = frame
    wb.close()
    if not out:
        raise SendbackError("退回的文件里没有可以核对的数据行")
    return out


def match_returned(dataset, returned: str | Path | bytes) -> pd.DataFrame:
    """Match a returned send-back workbook to the rejected rows it fixes (see module docstring)."""
    manifest = load_manifest(dataset.manifest_path)
    sheets = _read_returned(returned)
    current = {(s.file, s.sheet): s for s in dataset.report.sources}
    unknown = [f for f, _ in sheets if not any(f == k[0] for k in current)]
    if unknown and len(unknown) == len(sheets):
        raise SendbackError("退回的文件不属于本数据集：其中的文件 "
                            + "、".join(f"「{f}」" for f in unknown[:5]) + " 不在本数据集中")
    rows = []
    with tempfile.TemporaryDirectory(prefix="sendback-") as tmp:
        tmp = Path(tmp)
        doc = yaml.safe_load(Path(dataset.manifest_path).read_text(encoding="utf-8-sig"))
        base = Path(dataset.manifest_path).resolve().parent
        checks: dict[str, list] = {}
        for i, ((file, sheet), frame) in enumerate(sheets.items()):
            src = current.get((file, sheet))
            spec = _spec_for(manifest, src) if src is not None else None
            if spec is None:
                for r in frame[ROW_HEADER]:
                    rows.append({"table": "", "file": file, "sheet": sheet, "excel_row": int(r),
                                 "matched": False, "fixed": False,
                                 "reasons": "本数据集中没有这个文件"})
                continue
            originals = [c for c in frame.columns if c not in (ROW_HEADER,) and not c.startswith("问题")]
            path = tmp / f"returned_{i}.xlsx"
            wb = openpyxl.Workbook()
            ws = wb.active
            ws.title = "data"
            ws.append(originals)
            for _, r in frame.iterrows():
                ws.append([None if v == "" else v for v in r[originals].tolist()])
            wb.save(path)
            raw = copy.deepcopy(doc["tables"][spec.table]["sources"][spec.index])
            raw.update({"path": str(path), "sheet": "data", "header_row": 1})
            raw.pop("join", None)
            checks.setdefault(spec.table, []).append((raw, src, frame))
        for table, items in checks.items():
            check_doc = copy.deepcopy(doc)
            tables = {t: {"sources": [dict(s, path=str(base / s["path"])) for s in body["sources"]]}
                      for t, body in doc["tables"].items() if t == "grids" and table != "grids"}
            tables[table] = {"sources": [raw for raw, _, _ in items]}
            check_doc["tables"] = tables
            check_doc["boundaries"] = {}
            (tmp / "dataset.yaml").write_text(yaml.safe_dump(check_doc, allow_unicode=True), encoding="utf-8")
            from data import load_dataset
            checked = load_dataset(tmp / "dataset.yaml", use_cache=False)
            reports = [s for s in checked.report.sources if s.table == table]
            for (raw, src, frame), rep in zip(items, reports):
                still = {}
                for e in rep.errors:
                    still.setdefault(e.row, []).append(e.message)
                rejected_now = set() if src.rejected_rows is None else \
                    set(src.rejected_rows["excel_row"].astype(int))
                for k, original_row in enumerate(frame[ROW_HEADER].astype(int), start=2):
                    problems = still.get(k, [])
                    rows.append({"table": table, "file": src.file, "sheet": src.sheet,
                                 "excel_row": original_row, "matched": original_row in rejected_now,
                                 "fixed": not problems, "reasons": "；".join(problems)})
    return pd.DataFrame(rows, columns=["table", "file", "sheet", "excel_row", "matched", "fixed",
                                       "reasons"])
