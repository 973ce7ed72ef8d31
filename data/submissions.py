"""Submissions register (报送登记) and reporting progress (上报进度).

Manifest section (all keys optional except ``due``)::

    submissions:
      level: street                    # who submits (default: street, else the second level)
      period: 2025                     # the year being collected (default: the cut-off's year)
      due: {complaints: 2026-01-15, volunteer_hours: 2026-01-20}   # due date per table
      files:                           # where the submitting unit's code is in the file name
        complaints: '(?P<unit>S\\d+)\\.xlsx$'      # a regex with a `unit` group (and optional `period`)

**Register.** Every file of the dataset is recorded once per content (SHA-256) in
``<dataset folder>/.submissions/register.jsonl`` by :func:`record_arrivals`: table, file, unit_id,
period, arrived_at (the file's modification time when it was found in the folder, or the upload
time), by (the account that uploaded it; ``''`` for the folder), rows_read, accepted, rejected,
replaces (the SHA-256 of the earlier version of the same file, ``''`` for the first) and
recorded_at. A file whose name does not give a unit is recorded with ``unit_id`` ``''``.

**Progress.** :func:`progress` → one row per expected (unit at ``level``, table) for ``period``:
unit_id, unit_name, table, due (date), arrived_at (the first arrival of a file of that unit,
table and period; NaT when none), status (``submitted`` on or before the due date's end,
``late`` after it, ``missing`` when nothing arrived), by, rows_read, accepted, rejected.
:func:`completeness` → per level (and the whole) the reporting completeness rate: expected
unit-tables, on time, late, missing, rate = on time / expected (a fraction).

:func:`template_mark` reads the mark a fill-in template carries (reports/template.py) and
:func:`check_template` refuses a filled template of another dataset or another table.
Errors are :class:`SubmissionsError` (Chinese message).
"""
from __future__ import annotations

import datetime as _dt
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd

REGISTER_DIR = ".submissions"
REGISTER_FILE = "register.jsonl"
STATUS_ZH = {"submitted": "按时报送", "late": "逾期报送", "missing": "未报送"}
PROGRESS_COLUMNS = ["unit_id", "unit_name", "table", "due", "arrived_at", "status", "by",
                    "rows_read", "accepted", "rejected"]


class SubmissionsError(ValueError):
    """A wrong ``submissions`` section or a template of another dataset (Chinese message)."""


def settings(dataset: Any) -> dict[str, Any] | None:
    """The manifest's ``submissions`` section, checked; None when the manifest has none."""
    raw = (dataset.config or {}).get("submissions")
    if raw is None:
        return None
    where = "清单错误（submissions"
    if not isinstance(raw, dict) or not isinstance(raw.get("due"), dict) or not raw["due"]:
        raise SubmissionsError(f"{where}）：需要 due（每张表的截止日期，如 {{complaints: 2026-01-15}}）")
    levels = dataset.levels
    level = str(raw.get("level") or ("street" if "street" in levels else levels[min(1, len(levels) - 1)]))
    if level not in levels:
        raise SubmissionsError(f"{where}.level）：没有「{level}」这一层级；可选：{'、'.join(levels)}")
    due = {}
    for table, day in raw["due"].items():
        if table not in ("grids", "stations", "volunteer_hours", "complaints"):
            raise SubmissionsError(f"{where}.due）：未知的表「{table}」")
        try:
            due[str(table)] = pd.Timestamp(str(day)).normalize()
        except (ValueError, TypeError) as exc:
            raise SubmissionsError(f"{where}.due.{table}）：无法识别的日期「{day}」") from exc
    files = {}
    for table, pattern in (raw.get("files") or {}).items():
        try:
            rx = re.compile(str(pattern))
        except re.error as exc:
            raise SubmissionsError(f"{where}.files.{table}）：正则表达式无效：{exc}") from exc
        if "unit" not in rx.groupindex:
            raise SubmissionsError(f"{where}.files.{table}）：正则表达式需要一个 (?P<unit>…) 组")
        files[str(table)] = rx
    cutoff = dataset.cutoff if getattr(dataset, "cutoff", None) is not None else None
    period = raw.get("period") or (cutoff.year if cutoff is not None else max(d.year for d in due.values()) - 1)
    return {"level": level, "due": due, "files": files, "period": str(period)}


def register_path(manifest_path: str | Path) -> Path:
    return Path(manifest_path).resolve().parent / REGISTER_DIR / REGISTER_FILE


def read_register(manifest_path: str | Path) -> pd.DataFrame:
    """Every recorded arrival, oldest first (columns: see module docstring)."""
    path = register_path(manifest_path)
    cols = ["table", "file", "sha256", "unit_id", "period", "arrived_at", "by", "rows_read",
            "accepted", "rejected", "replaces", "recorded_at"]
    if not path.is_file():
        return pd.DataFrame(columns=cols)
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rows.append(json.loads(line))
        except ValueError:
            continue
    frame = pd.DataFrame(rows, columns=cols)
    frame["arrived_at"] = pd.to_datetime(frame["arrived_at"], errors="coerce")
    return frame


def _unit_period(rx: re.Pattern | None, file: str) -> tuple[str, str]:
    if rx is None:
        return "", ""
    m = rx.search(file)
    if not m:
        return "", ""
    period = m.groupdict().get("period") or ""
    return m.group("unit") or "", period


def uploads_by_content(manifest_path: str | Path) -> dict[str, tuple[str, _dt.datetime]]:
    """SHA-256 → (account, time) of every accepted upload (``.uploads/<id>.json`` written by
    server.uploads; the id starts with the upload time ``20260115-093000``)."""
    out: dict[str, tuple[str, _dt.datetime]] = {}
    folder = Path(manifest_path).resolve().parent / ".uploads"
    if not folder.is_dir():
        return out
    for meta in sorted(folder.glob("*.json")):
        try:
            doc = json.loads(meta.read_text(encoding="utf-8"))
            when = _dt.datetime.strptime(str(doc["id"])[:15], "%Y%m%d-%H%M%S")
        except (OSError, ValueError, KeyError):
            continue
        if doc.get("accepted") and doc.get("sha256"):
            out[str(doc["sha256"])] = (str(doc.get("uploaded_by") or ""), when)
    return out


def record_arrivals(dataset: Any, uploaded: dict[str, tuple[str, _dt.datetime]] | None = None
                    ) -> list[dict[str, Any]]:
    """Record every file of ``dataset.report`` not yet in the register (by content). Returns the
    new entries. uploaded: ``{file: (account, time)}`` for files that came through 上传数据
    (default: read from the uploads' metadata, matched by content)."""
    conf = settings(dataset)
    files_rx = conf["files"] if conf else {}
    default_period = conf["period"] if conf else ""
    manifest = Path(dataset.manifest_path)
    register = read_register(manifest)
    seen = set(register["sha256"])
    last = {f: s for f, s in zip(register["file"], register["sha256"])}
    per_file: dict[tuple[str, str], dict[str, Any]] = {}
    for src in dataset.report.sources:
        key = (src.table, src.file)
        item = per_file.setdefault(key, {"sha256": src.sha256, "rows_read": 0, "accepted": 0,
                                         "rejected": 0})
        for k in ("rows_read", "accepted", "rejected"):
            item[k] += getattr(src, k)
    new = []
    by_content = uploads_by_content(manifest)
    now = _dt.datetime.now().isoformat(timespec="seconds")
    for (table, file), item in per_file.items():
        if item["sha256"] in seen:
            continue
        path = manifest.parent / file
        account, when = (uploaded or {}).get(file) or by_content.get(item["sha256"], ("", None))
        if when is None:
            try:
                when = _dt.datetime.fromtimestamp(path.stat().st_mtime)
            except OSError:
                when = _dt.datetime.now()
        unit, period = _unit_period(files_rx.get(table), file)
        entry = {"table": table, "file": file, "sha256": item["sha256"], "unit_id": unit,
                 "period": period or default_period, "arrived_at": when.isoformat(timespec="seconds"),
                 "by": account, "rows_read": item["rows_read"], "accepted": item["accepted"],
                 "rejected": item["rejected"], "replaces": last.get(file, ""), "recorded_at": now}
        new.append(entry)
        seen.add(item["sha256"])
    if new:
        out = register_path(manifest)
        out.parent.mkdir(parents=True, exist_ok=True)
        with open(out, "a", encoding="utf-8") as fh:
            for entry in new:
                fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
    return new


def progress(dataset: Any, register: pd.DataFrame | None = None) -> pd.DataFrame:
    """Submitted / late / missing per expected (unit, table) of the collected period (see module
    docstring). Empty (with the columns) when the manifest has no ``submissions`` section."""
    conf = settings(dataset)
    if conf is None:
        return pd.DataFrame(columns=PROGRESS_COLUMNS)
    register = read_register(dataset.manifest_path) if register is None else register
    units = dataset.units[dataset.units["level"] == conf["level"]]
    reg = register[(register["period"].astype(str) == conf["period"]) & (register["unit_id"] != "")]
    rows = []
    for table, due in conf["due"].items():
        got = reg[reg["table"] == table].sort_values("arrived_at", kind="stable")
        first = got.drop_duplicates("unit_id", keep="first").set_index("unit_id")
        latest = got.drop_duplicates("file", keep="last").groupby("unit_id")[
            ["rows_read", "accepted", "rejected"]].sum()
        for uid, name in zip(units["unit_id"].astype(str), units["unit_name"].astype(str)):
            if uid in first.index:
                hit = first.loc[uid]
                arrived = pd.Timestamp(hit["arrived_at"])
                status = "submitted" if arrived < due + pd.Timedelta(days=1) else "late"
                counts = latest.loc[uid]
                rows.append([uid, name, table, due, arrived, status, hit["by"],
                             int(counts["rows_read"]), int(counts["accepted"]), int(counts["rejected"])])
            else:
                rows.append([uid, name, table, due, pd.NaT, "missing", "", 0, 0, 0])
    return pd.DataFrame(rows, columns=PROGRESS_COLUMNS)


def completeness(dataset: Any, prog: pd.DataFrame) -> pd.DataFrame:
    """Reporting completeness per unit at every level at or above the submitting level, and
    the whole (level ``total``): level, unit_id, unit_name, expected, on_time, late, missing,
    rate (on_time / expected, a fraction; NaN when nothing is expected)."""
    conf = settings(dataset)
    cols = ["level", "unit_id", "unit_name", "expected", "on_time", "late", "missing", "rate"]
    if conf is None or not len(prog):
        return pd.DataFrame(columns=cols)
    levels = dataset.levels
    units = dataset.units
    parent = dict(zip(zip(units["level"], units["unit_id"].astype(str)), units["parent_id"]))
    names = dict(zip(zip(units["level"], units["unit_id"].astype(str)), units["unit_name"].astype(str)))
    depth = levels.index(conf["level"])
    counts = prog.assign(on_time=prog["status"].eq("submitted"), late=prog["status"].eq("late"),
                         missing=prog["status"].eq("missing"))
    chain = {uid: [(conf["level"], uid)] for uid in counts["unit_id"].unique()}
    for uid, path in chain.items():
        cur = uid
        for k in range(depth, 0, -1):
            p = parent.get((levels[k], cur))
            if p is None or pd.isna(p):
                break
            cur = str(p)
            path.append((levels[k - 1], cur))
        path.append(("total", "total"))
    rows: dict[tuple[str, str], list[int]] = {}
    for uid, on, la, mi in zip(counts["unit_id"], counts["on_time"], counts["late"], counts["missing"]):
        for key in chain[uid]:
            acc = rows.setdefault(key, [0, 0, 0, 0])
            acc[0] += 1
            acc[1] += int(on)
            acc[2] += int(la)
            acc[3] += int(mi)
    out = [[lv, uid, "全部" if lv == "total" else names.get((lv, uid), uid), *acc,
            acc[1] / acc[0] if acc[0] else float("nan")] for (lv, uid), acc in rows.items()]
    order = {lv: i for i, lv in enumerate(["total", *levels])}
    frame = pd.DataFrame(out, columns=cols)
    return frame.sort_values(["level", "unit_id"], key=lambda s: s.map(order) if s.name == "level" else s,
                             kind="stable").reset_index(drop=True)


def template_mark(path: Any) -> dict[str, str] | None:
    """The fill-in template mark of an .xlsx (a path or a binary file object) as
    ``{"table", "dataset"}``, or None when the file is not one of our templates. Reads
    ``docProps/core.xml`` only (no workbook parsing)."""
    try:
        with zipfile.ZipFile(path) as zf:
            info = zf.getinfo("docProps/core.xml")
            if info.file_size > 1_000_000:          # a real core.xml is a few hundred bytes
                return None
            xml = zf.read(info).decode("utf-8", "replace")
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None
    subject = re.search(r"<dc:subject[^>]*>(.*?)</dc:subject>", xml, re.S)
    keywords = re.search(r"<cp:keywords[^>]*>(.*?)</cp:keywords>", xml, re.S)
    if not subject or not subject.group(1).startswith("template:"):
        return None
    from html import unescape
    return {"table": unescape(subject.group(1))[len("template:"):],
            "dataset": unescape(keywords.group(1)) if keywords else ""}


def check_template(path: Any, dataset_name: str, table: str) -> None:
    """Raise SubmissionsError when ``path`` is a fill-in template of another dataset or table;
    a file that is not a template passes (departments also send their own workbooks)."""
    mark = template_mark(path)
    if mark is None:
        return
    if mark["dataset"] != dataset_name:
        raise SubmissionsError(f"这份填报模板来自另一个数据集「{mark['dataset']}」，不是「{dataset_name}」，"
                               "请使用本数据集生成的模板")
    if mark["table"] != table:
        raise SubmissionsError(f"这份填报模板是「{mark['table']}」表的，不能作为「{table}」上传")


#: the indicator this module adds to the indicator table (indicators/freeze.build_published)
COMPLETENESS_ID = "reporting_completeness"


def completeness_rows(dataset: Any) -> pd.DataFrame:
    """The reporting completeness rate as indicator-table rows (docs/architecture.md §3):
    level, unit_id, unit_name, period (the collected year), indicator_id
    (``reporting_completeness``), numerator (unit-tables on time), denominator (expected),
    value (fraction), small_count False, excluded NaN, excluded_reason ``''``. Records the
    dataset's files in the register first. Empty without a ``submissions`` section."""
    conf = settings(dataset)
    cols = ["level", "unit_id", "unit_name", "period", "indicator_id", "numerator", "denominator",
            "value", "small_count", "excluded", "excluded_reason"]
    if conf is None:
        return pd.DataFrame(columns=cols)
    record_arrivals(dataset)
    comp = completeness(dataset, progress(dataset))
    return pd.DataFrame({
        "level": comp["level"], "unit_id": comp["unit_id"], "unit_name": comp["unit_name"],
        "period": conf["period"], "indicator_id": COMPLETENESS_ID,
        "numerator": comp["on_time"].astype(float), "denominator": comp["expected"].astype(float),
        "value": comp["rate"].astype(float), "small_count": False, "excluded": float("nan"),
        "excluded_reason": ""}, columns=cols)
