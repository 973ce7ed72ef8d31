"""Parse and validate a dataset manifest (``dataset.yaml``; format in docs/architecture.md §1).

``load_manifest(path) -> Manifest`` turns the YAML into small frozen dataclasses and refuses a
wrong manifest with :class:`ManifestError`, whose message is Chinese and names the offending key
(``tables.complaints.sources[0].columns.received_at``) so that a non-programmer can fix the file.
Nothing here touches the data files themselves.
"""
from __future__ import annotations

import datetime as _dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from .model import LEVEL_NAMES_EN, LEVEL_NAMES_ZH, TABLES
from .safety import Limits

#: transform names without an argument, and those written as ``{name: argument}``
BARE_TRANSFORMS = ("strip", "upper", "lower")
ARG_TRANSFORMS = ("zfill", "regex", "replace", "map", "date_format", "number")
CRS_VALUES = ("wgs84", "gcj02", "bd09")

_TOP_KEYS = {"name", "name_en", "sample", "levels", "level_names", "level_names_en", "crs",
             "cutoff", "dates", "tables", "boundaries", "standards", "calendar", "settings",
             "indicators",
             "submissions", "crosswalk"}   # the last two: data/submissions.py, indicators/crosswalk.py
_SOURCE_KEYS = {"path", "sheet", "header_row", "encoding", "columns", "values", "transforms",
                "join", "format", "crs", "header_rows", "column_range", "delimiter", "na_values",
                "fill_down", "summary_labels", "note_labels"}
#: labels of summary rows (合计 rows are reported as their own kind, never as data)
SUMMARY_LABELS = ("合计", "小计", "总计", "总合计", "共计", "累计", "全部合计")
#: first words of footer rows (填表人：张三 …), reported as notes
NOTE_LABELS = ("填表人", "填报人", "制表人", "审核人", "审核", "负责人", "联系人", "联系电话", "填报日期",
               "填表日期", "制表日期", "报送日期", "备注", "说明", "注")
_LETTERS = re.compile(r"^[A-Za-z]{1,3}$")
_IDENT = re.compile(r"^[a-z][a-z0-9_]*$")

# PyYAML follows YAML 1.1, where yes/no/on/off/true/false are booleans: a value map written
# ``{Yes: true}`` arrives with the key ``True``. These are the spellings such a key may have had.
_YAML_BOOL_SPELLINGS = {True: ("true", "yes", "on", "y"), False: ("false", "no", "off", "n")}


class ManifestError(ValueError):
    """The manifest is missing, is not valid YAML, or does not follow the documented format."""


@dataclass(frozen=True)
class ColumnSpec:
    """How one canonical column is obtained: from a source header, a constant, or another
    canonical column (``from``) with its own transforms."""

    name: str
    header: str | None = None
    value: Any = None
    from_: str | None = None
    transforms: tuple = ()
    #: every accepted spelling of the header (Chinese and English aliases), ``header`` first
    aliases: tuple[str, ...] = ()
    #: Excel column letters (``{column: AC}``) instead of a header
    letter: str | None = None
    #: ``{from: [street_name, community_name]}``: an id built by joining these columns with ``/``
    from_parts: tuple[str, ...] = ()

    @property
    def header_names(self) -> tuple[str, ...]:
        """The header and its aliases (just the header when there are none)."""
        return self.aliases or ((self.header,) if self.header is not None else ())

    @property
    def is_constant(self) -> bool:
        return self.header is None and self.from_ is None and self.letter is None


@dataclass(frozen=True)
class SourceSpec:
    """One ``tables.<table>.sources[i]`` entry. ``path`` may be a glob (stacked matches)."""

    table: str
    index: int
    path: str
    sheet: str | int | None
    #: 1-based header row; None = not given, found by the mapped headers among the top rows
    header_row: int | None
    encoding: str
    columns: dict[str, ColumnSpec]
    values: dict[str, dict[str, Any]]
    transforms: dict[str, tuple]
    join: str | None
    format: str | None
    #: the entry as written (JSON-normalised); part of the cache key
    spec_json: str = ""
    #: this file's coordinate system (wgs84 | gcj02 | bd09); None = the manifest's ``crs``
    crs: str | None = None
    #: (first, last) 1-based rows of a multi-row header
    header_rows: tuple[int, int] | None = None
    #: (first, last) 0-based columns of the data area
    column_range: tuple[int, int] | None = None
    delimiter: str | None = None
    na_values: tuple[str, ...] = ()
    #: canonical columns whose empty cells take the value above (hierarchy labels: only
    #: within merged cells, always)
    fill_down: tuple[str, ...] = ()
    summary_labels: tuple[str, ...] = SUMMARY_LABELS
    note_labels: tuple[str, ...] = NOTE_LABELS

    @property
    def read_options(self):
        """The :class:`data.readers.ReadOptions` of this source."""
        from .readers import ReadOptions
        return ReadOptions(header_rows=self.header_rows, column_range=self.column_range,
                           delimiter=self.delimiter, na_values=self.na_values)

    @property
    def where(self) -> str:
        return f"tables.{self.table}.sources[{self.index}]"


@dataclass(frozen=True)
class Manifest:
    """A validated manifest. ``base_dir`` is the manifest's folder (paths are relative to it)."""

    path: Path
    base_dir: Path
    name: str
    name_en: str | None
    sample: bool
    levels: list[str]
    level_names: dict[str, str]
    level_names_en: dict[str, str]
    crs: str
    cutoff: pd.Timestamp | None
    date_min: pd.Timestamp
    date_max: pd.Timestamp
    tables: dict[str, list[SourceSpec]]
    calendar: dict[str, list[pd.Timestamp]] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)

    def settings_json(self) -> str:
        """Manifest-level settings that change how every source is parsed (part of cache keys)."""
        return json.dumps({"levels": self.levels, "crs": self.crs, "cutoff": str(self.cutoff),
                           "dates": [str(self.date_min), str(self.date_max)],
                           "calendar": {k: [str(d) for d in v] for k, v in self.calendar.items()}},
                          sort_keys=True, ensure_ascii=False)


def _fail(where: str, message: str) -> ManifestError:
    return ManifestError(f"清单错误（{where}）：{message}")


def _timestamp(value: Any, where: str) -> pd.Timestamp:
    if isinstance(value, (_dt.date, _dt.datetime)):
        return pd.Timestamp(value)
    try:
        return pd.Timestamp(str(value))
    except (ValueError, TypeError) as exc:
        raise _fail(where, f"无法识别的日期「{value}」，请写成 2025-12-31") from exc


def _key_text(key: Any) -> list[str]:
    """All spellings a YAML mapping key may have had (see _YAML_BOOL_SPELLINGS)."""
    if isinstance(key, bool):
        spellings = _YAML_BOOL_SPELLINGS[key]
        return [s for w in spellings for s in {w, w.capitalize(), w.upper()}]
    if isinstance(key, float) and key.is_integer():
        return [str(int(key))]
    return [str(key)]


def _value_map(raw: Any, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise _fail(where, "取值映射应写成 {原值: 规范值}")
    out: dict[str, Any] = {}
    for key, val in raw.items():
        for text in _key_text(key):
            out[text] = val
    return out


def _transforms(raw: Any, where: str) -> tuple:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raw = [raw]
    steps = []
    for i, step in enumerate(raw):
        at = f"{where}[{i}]"
        if isinstance(step, str):
            if step not in BARE_TRANSFORMS:
                raise _fail(at, f"未知的转换「{step}」；可用：{', '.join(BARE_TRANSFORMS + ARG_TRANSFORMS)}")
            steps.append((step, None))
            continue
        if not isinstance(step, dict) or len(step) != 1:
            raise _fail(at, "每个转换写成一个名称（如 strip）或一个单键映射（如 {zfill: 4}）")
        name, arg = next(iter(step.items()))
        if name in BARE_TRANSFORMS:
            steps.append((name, None))
        elif name == "zfill":
            if not isinstance(arg, int) or isinstance(arg, bool) or arg < 1:
                raise _fail(at, "zfill 需要一个正整数位数，如 {zfill: 4}")
            steps.append((name, arg))
        elif name in ("regex", "date_format"):
            if not isinstance(arg, str) or not arg:
                raise _fail(at, f"{name} 需要一个文本参数")
            if name == "regex":
                try:
                    re.compile(arg)
                except re.error as exc:
                    raise _fail(at, f"正则表达式「{arg}」无效：{exc}") from exc
            steps.append((name, arg))
        elif name == "replace":
            if not isinstance(arg, list) or len(arg) != 2:
                raise _fail(at, "replace 需要 [原文, 新文] 两项")
            steps.append((name, (str(arg[0]), "" if arg[1] is None else str(arg[1]))))
        elif name == "map":
            mapping = _value_map(arg, at)
            steps.append((name, tuple((k, "" if v is None else str(v)) for k, v in mapping.items())))
        elif name == "number":
            steps.append((name, None))
        else:
            raise _fail(at, f"未知的转换「{name}」；可用：{', '.join(BARE_TRANSFORMS + ARG_TRANSFORMS)}")
    return tuple(steps)


def _column(name: str, raw: Any, where: str) -> ColumnSpec:
    if isinstance(raw, dict):
        unknown = set(raw) - {"header", "value", "from", "transforms", "column"}
        if unknown:
            raise _fail(where, f"未知的键 {sorted(unknown)}；列可写成表头文字、{{column: AC}}、{{value: 常量}} 或 {{from: 列名}}")
        kinds = [k for k in ("header", "value", "from", "column") if k in raw]
        if len(kinds) != 1:
            raise _fail(where, "请只写 header、column、value、from 四者之一")
        steps = _transforms(raw.get("transforms"), f"{where}.transforms")
        if "column" in raw:
            letter = str(raw["column"]).strip()
            if not _LETTERS.match(letter):
                raise _fail(where, f"column 应是 Excel 列字母，如 {{column: AC}}，而不是「{raw['column']}」")
            return ColumnSpec(name, letter=letter.upper(), transforms=steps)
        if "from" in raw and isinstance(raw["from"], list):
            parts = tuple(str(p) for p in raw["from"] if p is not None)
            if len(parts) < 2:
                raise _fail(where, "from 列表至少写两列，如 {from: [street_name, community_name]}")
            return ColumnSpec(name, from_=parts[0], from_parts=parts, transforms=steps)
        if "header" in raw:
            if isinstance(raw["header"], list):
                return _aliases(name, raw["header"], where, steps)
            return ColumnSpec(name, header=str(raw["header"]).strip(), transforms=steps)
        if "from" in raw:
            return ColumnSpec(name, from_=str(raw["from"]), transforms=steps)
        value = raw["value"]
        if isinstance(value, (_dt.date, _dt.datetime)):
            value = pd.Timestamp(value).isoformat(sep=" ")
        return ColumnSpec(name, value=value, transforms=steps)
    if isinstance(raw, list):
        return _aliases(name, raw, where, ())
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise _fail(where, "没有写对应的表头")
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    return ColumnSpec(name, header=str(raw).strip())


def _aliases(name: str, raw: list, where: str, steps: tuple) -> ColumnSpec:
    """A header written as a list of accepted spellings: ``[工单编号, 工单号, Ticket ID]``."""
    names = [str(int(h) if isinstance(h, float) and h.is_integer() else h).strip()
             for h in raw if h is not None]
    names = [h for h in dict.fromkeys(names) if h]
    if not names:
        raise _fail(where, "表头别名列表为空")
    return ColumnSpec(name, header=names[0], transforms=steps, aliases=tuple(names))


def _row_pair(raw: Any, where: str) -> tuple[int, int] | None:
    """``header_rows: [2, 4]`` → (2, 4)."""
    if raw is None:
        return None
    if (not isinstance(raw, list) or len(raw) != 2
            or not all(isinstance(x, int) and not isinstance(x, bool) and x >= 1 for x in raw)
            or raw[0] > raw[1]):
        raise _fail(where, "header_rows 应写成 [第一行, 最后一行]，如 [2, 4]（与 Excel 显示的行号一致）")
    return int(raw[0]), int(raw[1])


def _column_range(raw: Any, where: str) -> tuple[int, int] | None:
    """``column_range: A:AH`` → (0, 33), 0-based inclusive."""
    if raw is None:
        return None
    parts = str(raw).replace("：", ":").split(":")
    if len(parts) != 2 or not all(_LETTERS.match(p.strip()) for p in parts):
        raise _fail(where, f"column_range 应写成 Excel 列字母范围，如 A:AH，而不是「{raw}」")
    from .xlsx_structure import column_index
    first, last = (column_index(p.strip().upper()) for p in parts)
    if first > last:
        raise _fail(where, "column_range 的第一列应在最后一列左边")
    return first, last


def _text_list(raw: Any, where: str, common: bool = False) -> tuple[str, ...]:
    """A list of texts (``[NA, NULL]``); with ``common``, the word ``common`` stands for
    :data:`data.readers.COMMON_NA`."""
    if raw is None:
        return ()
    if common and raw == "common":
        from .readers import COMMON_NA
        return COMMON_NA
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        raise _fail(where, "应写成列表，如 [NA, NULL]")
    out = []
    for item in raw:
        if common and item == "common":
            from .readers import COMMON_NA
            out += COMMON_NA
        elif item is None:  # YAML reads an unquoted NULL / null / ~ as None
            out += ["NULL", "null", "Null"] if common else []
        else:
            out.append(str(item))
    return tuple(dict.fromkeys(out))


def _source(table: str, index: int, raw: Any) -> SourceSpec:
    where = f"tables.{table}.sources[{index}]"
    if not isinstance(raw, dict):
        raise _fail(where, "每个来源应是一个映射，至少包含 path 和 columns")
    unknown = set(raw) - _SOURCE_KEYS
    if unknown:
        raise _fail(where, f"未知的键 {sorted(unknown)}；可用：{sorted(_SOURCE_KEYS)}")
    if not raw.get("path"):
        raise _fail(where, "缺少 path（文件路径，相对于清单所在文件夹）")
    columns_raw = raw.get("columns")
    if not isinstance(columns_raw, dict) or not columns_raw:
        raise _fail(where, "缺少 columns（规范列名: 源表头）")
    columns = {}
    for name, spec in columns_raw.items():
        name = str(name)
        if not _IDENT.match(name):
            raise _fail(f"{where}.columns", f"规范列名「{name}」只能用小写英文字母、数字和下划线")
        columns[name] = _column(name, spec, f"{where}.columns.{name}")
    for name, col in columns.items():
        for part in col.from_parts or ((col.from_,) if col.from_ is not None else ()):
            if part not in columns or columns[part].from_:
                raise _fail(f"{where}.columns.{name}", f"from 指向的列「{part}」不在本来源的 columns 中（或它本身也是 from 列）")
    header_row = raw.get("header_row")
    if header_row is not None and (not isinstance(header_row, int) or isinstance(header_row, bool)
                                   or header_row < 1):
        raise _fail(where, "header_row 应是表头所在的行号（从 1 开始，与 Excel 显示一致）")
    sheet = raw.get("sheet")
    if sheet is not None and not isinstance(sheet, (str, int)):
        raise _fail(where, "sheet 应是工作表名称或从 0 开始的序号")
    values = {}
    for name, mapping in (raw.get("values") or {}).items():
        values[str(name)] = _value_map(mapping, f"{where}.values.{name}")
    transforms = {}
    for name, steps in (raw.get("transforms") or {}).items():
        if str(name) not in columns:
            raise _fail(f"{where}.transforms", f"列「{name}」没有在 columns 中映射")
        transforms[str(name)] = _transforms(steps, f"{where}.transforms.{name}")
    for name in values:
        if name not in columns:
            raise _fail(f"{where}.values", f"列「{name}」没有在 columns 中映射")
    join = raw.get("join")
    if join is not None and str(join) not in columns:
        raise _fail(where, f"join 键「{join}」必须同时出现在 columns 中")
    fmt = raw.get("format")
    if fmt is not None and fmt not in ("xlsx", "xls", "csv", "geojson"):
        raise _fail(where, "format 只能是 xlsx、xls、csv、geojson（通常按扩展名自动判断，无需填写；.txt/.tsv 写 csv）")
    encoding = str(raw.get("encoding", "auto"))
    crs = None if raw.get("crs") is None else str(raw["crs"]).lower()
    if crs is not None and crs not in CRS_VALUES:
        raise _fail(f"{where}.crs", f"坐标系「{raw['crs']}」不支持；可用：{', '.join(CRS_VALUES)}")
    header_rows = _row_pair(raw.get("header_rows"), f"{where}.header_rows")
    if header_rows is not None and header_row is not None:
        raise _fail(where, "header_row 与 header_rows 只写一个（多行表头用 header_rows: [2, 4]）")
    column_range = _column_range(raw.get("column_range"), f"{where}.column_range")
    delimiter = raw.get("delimiter")
    if delimiter is not None:
        delimiter = {"tab": "\t", "\\t": "\t", "制表符": "\t"}.get(str(delimiter), str(delimiter))
        if len(delimiter) != 1:
            raise _fail(f"{where}.delimiter", "delimiter 应是一个字符，如 ',' ';' '|' 或 tab")
    na_values = _text_list(raw.get("na_values"), f"{where}.na_values", common=True)
    fill_down = _text_list(raw.get("fill_down"), f"{where}.fill_down")
    for name in fill_down:
        if name not in columns:
            raise _fail(f"{where}.fill_down", f"列「{name}」没有在 columns 中映射")
    summary = (SUMMARY_LABELS if "summary_labels" not in raw
               else _text_list(raw["summary_labels"], f"{where}.summary_labels"))
    notes = (NOTE_LABELS if "note_labels" not in raw
             else _text_list(raw["note_labels"], f"{where}.note_labels"))
    return SourceSpec(table=table, index=index, path=str(raw["path"]), sheet=sheet,
                      header_row=header_row, encoding=encoding, columns=columns, values=values,
                      transforms=transforms, join=None if join is None else str(join),
                      format=fmt, crs=crs, header_rows=header_rows, column_range=column_range,
                      delimiter=delimiter, na_values=na_values, fill_down=fill_down,
                      summary_labels=summary, note_labels=notes,
                      spec_json=json.dumps(raw, sort_keys=True, ensure_ascii=False, default=str))


def load_manifest(path: str | Path) -> Manifest:
    """Read and validate ``dataset.yaml``.

    Returns a :class:`Manifest` whose source paths are still patterns relative to
    ``Manifest.base_dir``. Raises :class:`ManifestError` (Chinese message naming the key) when the
    file is missing, is not YAML, or breaks the format of docs/architecture.md §1. Keys the loader
    does not interpret (``boundaries``, ``standards``, ``settings``) are passed on in ``config``.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise ManifestError(f"找不到数据集清单：{path}") from exc
    except UnicodeDecodeError as exc:
        raise ManifestError(f"数据集清单必须保存为 UTF-8 编码：{path}") from exc
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ManifestError(f"数据集清单不是有效的 YAML（{path}）：{exc}") from exc
    if not isinstance(doc, dict):
        raise ManifestError(f"数据集清单应是一个映射（name、levels、tables …）：{path}")
    unknown = set(doc) - _TOP_KEYS
    if unknown:
        raise _fail("顶层", f"未知的键 {sorted(unknown)}；可用：{sorted(_TOP_KEYS)}")
    if not doc.get("name"):
        raise _fail("name", "缺少数据集名称 name")

    levels = doc.get("levels")
    if (not isinstance(levels, list) or not levels
            or not all(isinstance(x, str) and _IDENT.match(x) for x in levels)
            or len(set(levels)) != len(levels) or "total" in levels):
        raise _fail("levels", "levels 应是从上到下的层级名列表，如 [district, street, community, grid]"
                              "（小写英文，不重复，不能用 total）")
    level_names = {lv: LEVEL_NAMES_ZH.get(lv, lv) for lv in levels}
    level_names.update({str(k): str(v) for k, v in (doc.get("level_names") or {}).items()})
    level_names_en = {lv: LEVEL_NAMES_EN.get(lv, lv) for lv in levels}
    level_names_en.update({str(k): str(v) for k, v in (doc.get("level_names_en") or {}).items()})

    crs = str(doc.get("crs", "wgs84")).lower()
    if crs not in CRS_VALUES:
        raise _fail("crs", f"坐标系「{crs}」不支持；可用：{', '.join(CRS_VALUES)}")
    cutoff = _timestamp(doc["cutoff"], "cutoff") if doc.get("cutoff") is not None else None
    dates = doc.get("dates") or {}
    if not isinstance(dates, dict) or set(dates) - {"min", "max"}:
        raise _fail("dates", "dates 应写成 {min: 2000-01-01, max: 2030-12-31}")
    date_min = _timestamp(dates.get("min", "1990-01-01"), "dates.min")
    date_max = _timestamp(dates.get("max", "2100-12-31"), "dates.max")
    if date_min >= date_max:
        raise _fail("dates", "min 应早于 max")

    calendar_raw = doc.get("calendar") or {}
    if not isinstance(calendar_raw, dict) or set(calendar_raw) - {"holidays", "workdays"}:
        raise _fail("calendar", "calendar 只能包含 holidays（额外放假日）和 workdays（额外调休上班日）两个日期列表")
    calendar = {k: [_timestamp(d, f"calendar.{k}").normalize() for d in (calendar_raw.get(k) or [])]
                for k in ("holidays", "workdays")}

    tables_raw = doc.get("tables")
    if not isinstance(tables_raw, dict) or not tables_raw:
        raise _fail("tables", f"至少需要一张表；可用：{', '.join(TABLES)}")
    tables: dict[str, list[SourceSpec]] = {}
    for table, body in tables_raw.items():
        if table not in TABLES:
            raise _fail("tables", f"未知的表「{table}」；可用：{', '.join(TABLES)}")
        if not isinstance(body, dict) or not isinstance(body.get("sources"), list) or not body["sources"]:
            raise _fail(f"tables.{table}", "每张表需要 sources 列表（一个或多个来源）")
        if set(body) - {"sources"}:
            raise _fail(f"tables.{table}", f"未知的键 {sorted(set(body) - {'sources'})}")
        specs = [_source(table, i, s) for i, s in enumerate(body["sources"])]
        if specs[0].join is not None:
            raise _fail(f"tables.{table}.sources[0]", "第一个来源不能带 join（join 表示并入前面的来源）")
        tables[table] = specs

    config = {k: doc[k] for k in ("boundaries", "standards", "settings", "indicators",
                                  "submissions", "crosswalk")
              if k in doc}
    settings = config.get("settings", {})
    if not isinstance(settings, dict):
        raise _fail("settings", "settings 应为键值对")
    try:
        Limits.from_settings(settings)
    except ValueError as exc:
        raise _fail("settings.limits", str(exc)) from exc
    if settings.get("unitless_records", "total") not in ("total", "reject"):
        raise _fail("settings.unitless_records",
                    "只能是 total（未填单位的记录计入全域合计）或 reject（拒收）")
    return Manifest(path=path.resolve(), base_dir=path.resolve().parent, name=str(doc["name"]),
                    name_en=None if doc.get("name_en") is None else str(doc["name_en"]),
                    sample=bool(doc.get("sample", False)), levels=list(levels),
                    level_names=level_names, level_names_en=level_names_en, crs=crs,
                    cutoff=cutoff, date_min=date_min, date_max=date_max, tables=tables,
                    calendar=calendar, config=config)
