"""Canonical schema and row rules, vectorised: whole columns in, boolean masks → error rows out.

Each canonical column has a *kind* (:data:`KINDS`) that says how its text is parsed and checked:

======== ==================================================== =========================
kind     parsed to                                            rules
======== ==================================================== =========================
id/text  ``string`` (stripped)                                 —
count    ``float64`` (households, people, m², hours …)        not_a_number, out_of_range (< 0)
number   ``float64``                                          not_a_number
lat/lon  ``float64`` WGS-84 degrees                           not_a_number, out_of_range (±90/±180)
year     ``Int64``                                            not_a_number, out_of_range
date     ``datetime64[ns]`` (naive, local time)               bad_date, out_of_range (manifest ``dates``)
bool     ``boolean``                                          bad_value
status   ``'closed'|'open'`` or excluded (model.EXCLUDED_STATUSES)  bad_value
satisf.  ``'satisfied'|'basically_satisfied'|'dissatisfied'`` bad_value
======== ==================================================== =========================

A value map in the manifest (``values:``) is applied first; a non-empty value that is neither a key
nor a target of its column's map is ``bad_value``. Errors are a DataFrame with columns ``_pos``
(int, row position in the source frame), ``column`` (source header), ``value`` (raw text),
``rule``, ``message`` (Chinese). Every failing cell gives one error: a row with three bad cells has
three errors.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .model import SATISFACTION_VALUES, TICKET_STATUSES
from .textops import arrow_of, isin, side_by_side, strip
from .transforms import FULLWIDTH_DIGITS

KINDS: dict[str, str] = {
    # grids
    "households": "count", "population": "count", "full_time_workers": "count",
    "part_time_workers": "count", "community_workers": "count", "has_party_branch": "bool",
    "lat": "lat", "lon": "lon", "year": "year",
    # stations
    "station_id": "id", "station_name": "text", "station_type": "text", "area_m2": "count",
    "opened": "date", "weekly_hours": "count",
    # volunteer_hours
    "date": "date", "team": "text", "activity_type": "text", "volunteers": "count",
    "participations": "count", "hours": "count", "beneficiaries": "count",
    # complaints
    "ticket_id": "id", "received_at": "date", "closed_at": "date", "due_at": "date",
    "deadline_working_days": "count", "status": "status", "category": "text",
    "satisfaction": "satisfaction", "is_repeat": "bool",
    # pre-aggregated complaints (per unit per month)
    "month": "date", "received": "count", "resolved": "count", "on_time": "count",
    "satisfied": "count", "rated": "count",
}

#: canonical columns every row of a table must fill (besides the grid register's level ids)
REQUIRED: dict[str, tuple[str, ...]] = {
    "grids": (), "stations": ("station_id",), "volunteer_hours": ("date",),
    "complaints": ("ticket_id", "received_at"),
}
#: columns that, when a source maps them, every row must fill (a register row without 户数 is
#: unusable for per-grid ratios; the sample's bad_rows.json expects it rejected)
REQUIRED_IF_MAPPED: dict[str, tuple[str, ...]] = {
    "grids": ("households", "population"), "stations": (), "volunteer_hours": (), "complaints": (),
}
#: key whose later copies are rejected (the first is kept); grids use (finest id, year)
KEYS: dict[str, str] = {"stations": "station_id", "complaints": "ticket_id"}

TRUE_WORDS = ("true", "t", "yes", "y", "1", "是", "有", "已建", "已建立", "√", "✓", "对")
FALSE_WORDS = ("false", "f", "no", "n", "0", "否", "无", "没有", "未建", "未建立", "×", "✗", "")
#: satisfaction scores 1–5 (12345 hotline practice): 4–5 satisfied, 3 basically, 1–2 dissatisfied
SCORE_TO_SATISFACTION = {1: "dissatisfied", 2: "dissatisfied", 3: "basically_satisfied",
                         4: "satisfied", 5: "satisfied"}

#: formats tried in order on text dates; ambiguous day/month orders need a date_format transform
DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d",
    "%Y年%m月%d日 %H:%M:%S", "%Y年%m月%d日 %H:%M", "%Y年%m月%d日", "%Y年%m月%d日%H:%M", "%Y.%m.%d",
    "%Y-%m", "%Y/%m", "%Y年%m月",
)
_SERIAL = re.compile(r"^\d{1,5}(\.\d+)?$")
_EIGHT_DIGITS = re.compile(r"^\d{8}$")
EXCEL_EPOCH = pd.Timestamp("1899-12-30")

RULE_ZH = {
    "missing_required": "必填项为空", "not_a_number": "不是数字", "bad_date": "不是有效日期",
    "out_of_range": "超出合理范围", "duplicate_key": "编号重复", "unknown_unit": "所属单位不存在",
    "closed_before_received": "办结时间早于受理时间", "bad_value": "取值不在允许范围",
    "id_stored_as_number": "长编号以数字保存、末位已丢失", "formula_no_value": "公式没有保存结果",
    "merged_cell": "合并单元格", "encoding": "该行文字编码无法识别",
}
#: how a number cell of 16+ digits reads (data.readers.cells_to_text): Excel keeps 15 significant
#: digits, so such an id (身份证号 110101199003074518) has already lost its last digits
_LONG_NUMBER = r"^\d(?:\.\d+)?e\+\d+$|^\d{16,}\.0$"


def kind_of(column: str, levels: list[str]) -> str:
    """Kind of a canonical column; level id/name columns are ``id``/``text``; others ``text``."""
    if column in KINDS:
        return KINDS[column]
    return "id" if column.endswith("_id") else "text"


class ErrorCollector:
    """Accumulates errors from boolean masks; :meth:`frame` returns the error DataFrame."""

    COLUMNS = ("_pos", "column", "value", "rule", "message")

    def __init__(self, pos: np.ndarray):
        self.pos = np.asarray(pos)
        self.parts: list[pd.DataFrame] = []

    def add(self, mask, column: str, values, rule: str, message: str) -> None:
        mask = np.asarray(mask, dtype=bool)
        idx = np.flatnonzero(mask)
        if len(idx):
            vals = np.asarray(values, dtype=object)[idx] if not np.isscalar(values) else values
            self.parts.append(pd.DataFrame({"_pos": self.pos[idx], "column": column, "value": vals,
                                            "rule": rule, "message": message}))

    def frame(self) -> pd.DataFrame:
        return combine_errors(self.parts)


def combine_errors(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate error frames (possibly none) into one with the standard columns and dtypes."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame({"_pos": pd.Series([], dtype="int64"),
                             **{c: pd.Series([], dtype="str") for c in ErrorCollector.COLUMNS[1:]}})
    out = pd.concat(parts, ignore_index=True)
    out["_pos"] = out["_pos"].astype("int64")
    for c in ErrorCollector.COLUMNS[1:]:
        out[c] = out[c].astype("str")
    return out


#: a number with thousands separators: 1,234 / 12,345,678.5 / -1,000 (groups of exactly three)
_THOUSANDS = r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$"


#: columns shorter than this are checked cell by cell (factorising costs more than it saves)
DISTINCT_MIN_ROWS = 4096


def per_distinct(check, s: pd.Series, *args):
    """``check(s, *args)`` computed once per distinct value of ``s`` and spread back to every
    row: the same ``(values Series, mask)`` result, at the cost of one factorisation (Arrow
    dictionary encoding) plus the check on the distinct values — status, satisfaction, yes/no
    and unit id columns hold 2–16,000 distinct values in millions of rows. Columns that are
    short or nearly all distinct in evenly spaced rows (ticket ids, timestamps) are checked
    directly."""
    n = len(s)
    if n < DISTINCT_MIN_ROWS:
        return check(s, *args)
    probe = s.iloc[::max(n // DISTINCT_MIN_ROWS, 1)]       # evenly spaced rows
    if probe.nunique(dropna=False) > 0.9 * len(probe):     # (nearly) all distinct: ids, times
        return check(s, *args)
    codes, uniques = pd.factorize(s, use_na_sentinel=False)
    if len(uniques) > n // 4:
        return check(s, *args)
    values, bad = check(pd.Series(uniques, dtype=s.dtype), *args)
    values = values.take(codes)
    values.index = s.index
    return values, np.asarray(bad, dtype=bool)[codes]


def _ascii_only(text: pd.Series) -> bool:
    """True when no cell holds a non-ASCII character (then full-width digits cannot occur)."""
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
        arr = pa.array(text.array) if not hasattr(text.array, "_pa_array") else text.array._pa_array
        return bool(pc.all(pc.string_is_ascii(arr)).as_py() is not False)
    except Exception:                    # not Arrow-backed: ask Python
        return bool(text.map(lambda v: not isinstance(v, str) or v.isascii()).all())


def parse_numbers(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Text → float64 (NaN when empty); also returns the mask of non-empty text that is no number.

    Accepts full-width digits (``１２３``), the full-width comma and point, and thousands
    separators in groups of three (``1,234``, ``１２，３４５``); ``1,5`` or ``12,34`` stay bad
    (they may be a decimal comma, which is not guessed).
    """
    text = strip(s)
    if not _ascii_only(text):            # full-width digits only where a cell is not ASCII
        text = text.str.translate(FULLWIDTH_DIGITS)
    grouped = text.str.match(_THOUSANDS).fillna(False).to_numpy(dtype=bool)
    if grouped.any():
        text = text.where(~grouped, text.str.replace(",", "", regex=False))
    values = pd.to_numeric(text.where(text != ""), errors="coerce").astype("float64")
    values = values.where(np.isfinite(values))  # "inf", "1e999" are no numbers a person typed
    bad = (text != "").to_numpy() & values.isna().to_numpy()
    return values, bad


def parse_dates(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Text → datetime64[ns] (NaT when empty); also returns the mask of non-empty text that is no
    valid date.

    Accepts ISO text (what Excel datetime cells become on reading), ``2024/3/5``, ``2024年3月5日``
    (with optional time), ``2024.3.5``, ``20240305`` and Excel serial day numbers (``45356`` or
    ``45356.5``; epoch 1899-12-30). Impossible dates (2024-02-30) are bad, never silently NaT.
    Real dates that nanoseconds cannot hold (before 1677-09-22 or after 2262-04-11, e.g.
    9999-12-31) are also returned as bad here; :func:`validate_columns` reports them as
    ``out_of_range`` instead (see :func:`parse_dates_wide`).
    """
    wide, bad = parse_dates_wide(s)
    lo, hi = pd.Timestamp.min.ceil("s"), pd.Timestamp.max.floor("s")
    beyond = (wide.notna() & ((wide < lo) | (wide > hi))).to_numpy()
    return wide.mask(beyond).astype("datetime64[ns]"), bad | beyond


def _iso_seconds(text: pd.Series) -> pd.Series | None:
    """datetime64[us] of a stripped text column whose every non-empty cell is
    ``YYYY-MM-DD HH:MM:SS`` (or ``…THH:MM:SS``) and a real date and time, or None (then the
    caller tries the formats one by one).

    Arrow's strict ISO-8601 cast is the parser: with every cell 19 bytes long, the only text it
    accepts is those two layouts (it refuses zone offsets for a zone-less timestamp), which the
    general path reads as the same instant (the first and the fifth of :data:`DATE_FORMATS`).
    It refuses 2024-02-30 and 23:59:60 where ``strptime`` would roll them over, so any such
    cell sends the whole column down the general path: the result is always the general path's.
    """
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
        arr = text.array._pa_array if hasattr(text.array, "_pa_array") else pa.array(text.to_numpy(), pa.string())
        lengths = pc.binary_length(arr)
        if not pc.all(pc.is_in(lengths, value_set=pa.array([0, 19], lengths.type))).as_py():
            return None
        if pc.min(lengths).as_py() == 0:
            arr = pc.if_else(pc.equal(lengths, 0), pa.scalar(None, arr.type), arr)
        values = pc.cast(arr, pa.timestamp("us"))
    except Exception:                    # pyarrow refused a cell: the general path decides
        return None
    return pd.Series(values.to_numpy(zero_copy_only=False), index=text.index, dtype="datetime64[us]")


def parse_dates_wide(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """As :func:`parse_dates` but returns datetime64[us] (years 1–9999 all representable)."""
    text = strip(s)
    fast = _iso_seconds(text) if len(text) >= DISTINCT_MIN_ROWS else None
    if fast is not None:
        return fast, np.zeros(len(text), dtype=bool)
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[us]")
    todo = (text != "").to_numpy().copy()
    for fmt in DATE_FORMATS:
        if not todo.any():
            break
        got = pd.to_datetime(text[todo], format=fmt, errors="coerce")
        ok = got.notna().to_numpy()
        if ok.any():
            idx = np.flatnonzero(todo)[ok]
            out.iloc[idx] = got[ok].astype("datetime64[us]").to_numpy()
            todo[idx] = False
    if todo.any():
        rest = text[todo]
        serial = rest.str.match(_SERIAL.pattern).to_numpy()
        if serial.any():
            idx = np.flatnonzero(todo)[serial]
            days = pd.to_numeric(rest[serial]).to_numpy(dtype="float64")
            good = days >= 1
            out.iloc[idx[good]] = ((EXCEL_EPOCH + pd.to_timedelta(days[good], unit="D")).round("s")
                                   .astype("datetime64[us]").to_numpy())
            todo[idx[good]] = False
        rest = text[todo]
        eight = rest.str.match(_EIGHT_DIGITS.pattern).to_numpy()
        if eight.any():
            idx = np.flatnonzero(todo)[eight]
            got = pd.to_datetime(rest[eight], format="%Y%m%d", errors="coerce")
            ok = got.notna().to_numpy()
            out.iloc[idx[ok]] = got[ok].astype("datetime64[us]").to_numpy()
            todo[idx[ok]] = False
    return out, todo


def parse_booleans(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Text → nullable boolean (<NA> when empty); returns the mask of values that are no boolean.
    Accepts 是/否, 有/无, yes/no, true/false, 1/0, √/× (case-insensitive)."""
    text = strip(s).str.lower()
    is_true = isin(text, TRUE_WORDS)
    is_false = isin(text, FALSE_WORDS)
    out = pd.Series(pd.array([pd.NA] * len(s), dtype="boolean"), index=s.index)
    out[is_true] = True
    out[is_false & (text != "").to_numpy()] = False
    return out, ~(is_true | is_false)


def apply_value_map(s: pd.Series, mapping: dict[str, object], also_valid: tuple[str, ...] = ()
                    ) -> tuple[pd.Series, np.ndarray]:
    """Replace whole values found in ``mapping`` (keys compared after strip). Returns the mapped
    text and the mask of non-empty values that are neither a key nor one of the map's targets
    (nor in ``also_valid``, e.g. satisfaction scores 1–5 beside a word map). Each distinct
    value is looked up once (``per_distinct``)."""
    return per_distinct(_apply_value_map, s, mapping, also_valid)


def _apply_value_map(s: pd.Series, mapping: dict[str, object], also_valid: tuple[str, ...]
                     ) -> tuple[pd.Series, np.ndarray]:
    text = strip(s)
    targets = set(also_valid) | {"" if v is None else str(v).lower() if isinstance(v, bool) else str(v)
               for v in mapping.values()}
    keys = {str(k).strip(): ("" if v is None else str(v).lower() if isinstance(v, bool) else str(v))
            for k, v in mapping.items()}
    mapped = text.map(keys)
    out = mapped.where(mapped.notna(), text).astype("str")
    bad = (mapped.isna() & ~text.isin(targets) & (text != "")).to_numpy()
    return out, bad


def _check_id(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Stripped id text, and the mask of long numbers Excel has already rounded."""
    arr = arrow_of(s)
    if arr is not None:                  # both layouts need "e+" or ".0": look for those first
        import pyarrow.compute as pc
        if not (pc.any(pc.match_substring(arr, "e+")).as_py()
                or pc.any(pc.match_substring(arr, ".0")).as_py()):
            return strip(s).astype("string"), np.zeros(len(s), dtype=bool)
    return (strip(s).astype("string"),
            s.str.match(_LONG_NUMBER).fillna(False).to_numpy(dtype=bool))


def _check_text(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    return strip(s).astype("string"), np.zeros(len(s), dtype=bool)


def _check_status(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """A ``TICKET_STATUSES`` value (<NA> when empty or bad), and the mask of other non-empty
    values."""
    text = strip(s).str.lower()
    bad = ~isin(text, (*TICKET_STATUSES, ""))
    return text.where(~bad & (text != "").to_numpy()).astype("string"), bad


def _check_satisfaction(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """SATISFACTION_VALUES or a 1–5 score mapped to them (<NA> when empty or bad), and the
    mask of non-empty values that are neither."""
    text = strip(s)
    canon = text.isin(SATISFACTION_VALUES).to_numpy()
    score = pd.to_numeric(text.where(~canon & (text != "").to_numpy()), errors="coerce")
    value = text.where(canon, score.map(SCORE_TO_SATISFACTION))
    bad = (text != "").to_numpy() & value.isna().to_numpy()
    return value.astype("string"), bad


#: the parser of each column kind (run once per distinct value, :func:`per_distinct`)
PARSERS = {"id": _check_id, "text": _check_text, "count": parse_numbers, "number": parse_numbers,
           "lat": parse_numbers, "lon": parse_numbers, "year": parse_numbers,
           "date": parse_dates_wide, "bool": parse_booleans, "status": _check_status,
           "satisfaction": _check_satisfaction}


def _parse_all(frame: pd.DataFrame, levels: list[str]) -> dict[str, tuple]:
    """column → its parser's ``(values, bad mask)``. A large file's columns are parsed side by
    side (:func:`data.textops.side_by_side`): the kernels (Arrow casts, dictionary encoding,
    ``is_in``) release the GIL, so a second core parses the dates while the first maps the
    statuses. The results — and the order in which their errors are recorded — do not depend
    on it."""
    return side_by_side({col: (per_distinct, PARSERS[kind_of(col, levels)], frame[col])
                         for col in frame.columns if kind_of(col, levels) in PARSERS}, len(frame))


def validate_columns(frame: pd.DataFrame, raw: pd.DataFrame, headers: dict[str, str],
                     levels: list[str], date_min: pd.Timestamp, date_max: pd.Timestamp,
                     errors: ErrorCollector, bad_map: dict[str, np.ndarray] | None = None
                     ) -> pd.DataFrame:
    """Parse every canonical text column of ``frame`` by its kind; record cell errors.

    frame: canonical column → ``str`` Series (transforms and value maps already applied).
    raw: the same columns as typed in the file (reported as the error's value).
    headers: canonical column → source header (for error reports). bad_map: canonical column →
    mask of values outside its value map, reported as ``bad_value`` (and not again by the kind).
    Returns a new DataFrame of typed columns (see module docstring), same index.
    """
    out = {}
    bad_map = bad_map or {}
    parsed = _parse_all(frame, levels)
    for col in frame.columns:
        kind = kind_of(col, levels)
        s = frame[col]
        result = parsed.get(col)
        head = headers.get(col, col)
        label = f"「{head}」"
        already = bad_map.get(col, np.zeros(len(s), dtype=bool))
        errors.add(already, head, raw[col], "bad_value", f"{label}的取值不在取值映射中")

        def add(mask, rule: str, message: str) -> None:
            errors.add(np.asarray(mask, dtype=bool) & ~already, head, raw[col], rule, message)

        if kind in ("id", "text"):
            if kind == "id":
                stripped, long_number = result
                add(long_number, "id_stored_as_number",
                    f"{label}是以数字格式保存的长编号，Excel 只保留 15 位有效数字，末位已丢失："
                    "请把该列设为「文本」格式后重新录入")
                out[col] = stripped
            else:
                out[col] = result[0]
        elif kind in ("count", "number", "lat", "lon", "year"):
            values, bad = result
            add(bad, "not_a_number", f"{label}不是数字")
            if kind == "count":
                add((values < 0).to_numpy(), "out_of_range", f"{label}不能为负数")
                if col == "weekly_hours":
                    add((values > 168).to_numpy(), "out_of_range", f"{label}超过每周 168 小时")
            elif kind == "lat":
                add((values.abs() > 90).to_numpy(), "out_of_range", f"{label}纬度应在 -90 到 90 之间")
            elif kind == "lon":
                add((values.abs() > 180).to_numpy(), "out_of_range", f"{label}经度应在 -180 到 180 之间")
            if kind == "year":
                frac = (values.notna() & (values != np.floor(values))).to_numpy()
                add(frac, "not_a_number", f"{label}应是整数年份")
                rng = (values.notna() & ((values < date_min.year) | (values > date_max.year))).to_numpy()
                add(rng & ~frac, "out_of_range", f"{label}应在 {date_min.year}–{date_max.year} 之间")
                out[col] = values.where(~(frac | rng)).round().astype("Int64")
            else:
                out[col] = values
        elif kind == "date":
            values, bad = result
            add(bad, "bad_date", f"{label}不是有效日期（不存在的日期或无法识别的格式）")
            rng = (values.notna() & ((values < date_min)
                                     | (values >= date_max + pd.Timedelta(days=1)))).to_numpy()
            add(rng, "out_of_range", f"{label}不在 {date_min.date()} 至 {date_max.date()} 之间")
            out[col] = values.mask(rng).astype("datetime64[ns]")
        elif kind == "bool":
            values, bad = result
            add(bad, "bad_value", f"{label}应为 是/否")
            out[col] = values
        elif kind == "status":
            value, bad = result
            add(bad, "bad_value", f"{label}应映射为 closed（已办结）、open（办理中）或排除原因"
                f"（cancelled 撤销、duplicate 重复、referred 转办、invalid 无效）")
            out[col] = value
        elif kind == "satisfaction":
            value, bad = result
            add(bad, "bad_value", f"{label}应为 满意/基本满意/不满意 或 1–5 分")
            out[col] = value
    return pd.DataFrame(out, index=frame.index)
