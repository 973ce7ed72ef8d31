"""Fill-in templates (填报模板): an empty workbook per table, written from the dataset manifest,
that a street office fills and sends back and that loads through the same manifest unchanged.

``write_template(manifest, table, out, units=None, scope=None) -> Path``

* the sheets and header rows are those of the manifest's source group for ``table`` (a source
  and the ``join:`` sources after it — for the sample's grid register 网格台账 with its header on
  row 3, then 人口 and 社区工作者); headers are each mapped column's **first alias**; constant
  and derived (``from``) columns are not asked for;
* a 填表说明 sheet (last, so that a manifest without ``sheet:`` still reads the first sheet):
  what each column means, its unit, whether it is required, the allowed values;
* Excel data validation: a dropdown for every mapped value list (``values:``, e.g. 是/否,
  办结状态), 是/否 for yes/no columns, station types (a warning only: the loader accepts any
  type), numbers ≥ 0 for counts (户数, 面积 m², 小时 …), −90…90 / −180…180 for coordinates, dates
  within the manifest's ``dates`` window, years within it; each header cell carries an input
  message (含义、单位、是否必填);
* the title and header rows are frozen and protected (sheet protection without a password;
  the data rows are unlocked);
* with a ``scope`` (a unit id from the grid register) the grid register is pre-filled with that
  unit's grids and their parents' codes and names, and the record tables offer that unit's codes
  as a dropdown.

The workbook's core properties carry ``template:<table>`` (subject) and the dataset name
(keywords), read back by :func:`data.submissions.template_mark` to refuse a template of another
dataset. Raises :class:`TemplateError` (Chinese message) for a table the manifest does not have
or an unknown scope.
"""
from __future__ import annotations

import datetime as _dt
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Protection
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from data.manifest import Manifest, SourceSpec
from data.validate import REQUIRED, REQUIRED_IF_MAPPED, kind_of
from reports.cells import (HEADER_FILL, fit_width, font, put_label, put_text, set_column_widths,
                           setup_print)

TEMPLATE_TABLES = ("grids", "stations", "volunteer_hours", "complaints")
TABLE_ZH = {"grids": "网格台账", "stations": "党群服务阵地", "volunteer_hours": "志愿服务记录",
            "complaints": "12345 工单"}
GUIDE_SHEET = "填表说明"
#: rows below the header covered by validation and unlocked for typing
DATA_ROWS = 2000
MARK_SUBJECT = "template:"

#: canonical column → (meaning, unit); level columns are described from the manifest's level names
COLUMN_ZH: dict[str, tuple[str, str]] = {
    "households": ("户数", "户"), "population": ("常住人口", "人"),
    "full_time_workers": ("专职网格员人数", "人"), "part_time_workers": ("兼职网格员人数", "人"),
    "community_workers": ("社区工作者人数（本社区合计）", "人"),
    "has_party_branch": ("是否建立党支部", ""), "community_type": ("社区类型", ""),
    "lat": ("纬度（WGS-84）", "度"), "lon": ("经度（WGS-84）", "度"), "year": ("年度", "年"),
    "station_id": ("阵地编号（唯一）", ""), "station_name": ("阵地名称", ""),
    "station_type": ("阵地类型", ""), "area_m2": ("建筑面积", "平方米"),
    "opened": ("启用日期", "日期"), "weekly_hours": ("每周开放时长", "小时"),
    "date": ("活动日期", "日期"), "team": ("志愿服务队", ""), "activity_type": ("活动类型", ""),
    "volunteers": ("志愿者人数", "人"), "participations": ("服务人次", "人次"),
    "hours": ("服务时长", "小时"), "beneficiaries": ("受益人次", "人次"),
    "ticket_id": ("工单编号（唯一）", ""), "received_at": ("受理时间", "日期时间"),
    "closed_at": ("办结时间（未办结不填）", "日期时间"), "due_at": ("办理期限", "日期时间"),
    "deadline_working_days": ("办理时限", "工作日"), "status": ("办理状态", ""),
    "category": ("诉求类别", ""), "satisfaction": ("满意度", ""), "is_repeat": ("是否重复诉求", ""),
}
_DATETIME_COLUMNS = ("received_at", "closed_at", "due_at")


class TemplateError(ValueError):
    """A template cannot be written: the table is not in the manifest, or the scope is unknown."""


def source_group(manifest: Manifest, table: str) -> list[SourceSpec]:
    """The source group a template is written for: the last stacked source of ``table`` (the
    latest year) with the ``join:`` sources right after it, preferring one whose dates need no
    ``date_format`` (typed Excel dates then load as they are)."""
    if table not in TEMPLATE_TABLES:
        raise TemplateError(f"没有「{table}」这张表；可选：{'、'.join(TEMPLATE_TABLES)}")
    specs = manifest.tables.get(table)
    if not specs:
        raise TemplateError(f"本数据集的清单没有{TABLE_ZH[table]}（{table}），无法生成模板")
    groups: list[list[SourceSpec]] = []
    for spec in specs:
        if spec.join is None or not groups:
            groups.append([spec])
        else:
            groups[-1].append(spec)

    def typed_dates(group):
        return not any(step[0] == "date_format" for s in group for steps in s.transforms.values()
                       for step in steps)
    plain = [g for g in groups if typed_dates(g)]
    return (plain or groups)[-1]


def scope_units(units: pd.DataFrame, levels: list[str], scope: str | None) -> pd.DataFrame:
    """The units in ``scope`` and below it (all units when ``scope`` is None), with one column
    ``{level}_id`` / ``{level}_name`` per level holding each unit's ancestor at that level.
    Raises :class:`TemplateError` for a scope that is not a unit of the grid register."""
    units = units.copy()
    units["unit_id"] = units["unit_id"].astype(str)
    if scope is not None and scope not in set(units["unit_id"]):
        raise TemplateError(f"找不到范围单位「{scope}」：它不在网格台账中")
    parent = dict(zip(zip(units["level"], units["unit_id"]), units["parent_id"]))
    names = dict(zip(zip(units["level"], units["unit_id"]), units["unit_name"].astype(str)))
    rows = []
    for level, uid in zip(units["level"], units["unit_id"]):
        depth = levels.index(level)
        row = {"level": level, "unit_id": uid}
        cur = uid
        for k in range(depth, -1, -1):
            lv = levels[k]
            row[f"{lv}_id"] = cur
            row[f"{lv}_name"] = names.get((lv, cur), cur)
            if k:
                p = parent.get((lv, cur))
                cur = None if p is None or pd.isna(p) else str(p)
                if cur is None:
                    break
        rows.append(row)
    out = pd.DataFrame(rows)
    if scope is not None:
        in_scope = pd.Series(False, index=out.index)
        for lv in levels:
            if f"{lv}_id" in out:
                in_scope |= out[f"{lv}_id"].astype("string").eq(scope).fillna(False)
        out = out[in_scope]
    return out.reset_index(drop=True)


def _describe(name: str, manifest: Manifest) -> tuple[str, str]:
    for level in manifest.levels:
        if name == f"{level}_id":
            return f"{manifest.level_names.get(level, level)}代码", ""
        if name == f"{level}_name":
            return f"{manifest.level_names.get(level, level)}名称", ""
    return COLUMN_ZH.get(name, (name, ""))


def _allowed_words(spec: SourceSpec, name: str) -> list[str]:
    """The source words of a column's value map, one spelling per word (YAML's true/yes/on
    expansions collapsed)."""
    seen, out = set(), []
    for word in spec.values.get(name, {}):
        key = word.lower()
        if key not in seen:
            seen.add(key)
            out.append(word)
    return out


def _required(table: str, spec: SourceSpec, name: str, manifest: Manifest) -> bool:
    if name in REQUIRED[table] or name in REQUIRED_IF_MAPPED[table] or name == spec.join:
        return True
    return table == "grids" and name in {f"{level}_id" for level in manifest.levels}


def _station_types(manifest: Manifest) -> list[str]:
    settings = manifest.config.get("settings") or {}
    types = list(settings.get("service_station_types") or [])
    mins = (manifest.config.get("standards") or {}).get("station_area_min_m2") or {}
    if isinstance(mins, dict):
        types += [str(k) for k in mins]
    if not types:
        from indicators.catalog import DEFAULT_STATION_AREA_MIN_M2   # the catalog's centre types
        types = list(DEFAULT_STATION_AREA_MIN_M2)
    return list(dict.fromkeys(str(t) for t in types))


class _Lists:
    """Dropdown lists too long for an inline list, written in columns of the guide sheet."""

    def __init__(self, ws, first_col: int):
        self.ws, self.col = ws, first_col

    def add(self, title: str, values: list[str]) -> str:
        put_label(self.ws, 1, self.col, title, font=font(bold=True), fill=HEADER_FILL)
        for i, v in enumerate(values, start=2):
            put_text(self.ws, i, self.col, v, font=font())
        letter = get_column_letter(self.col)
        self.ws.column_dimensions[letter].width = 18
        self.col += 1
        return f"{quote_sheetname(self.ws.title)}!${letter}$2:${letter}${len(values) + 1}"


def _list_validation(values: list[str], lists: _Lists, title: str, **kw) -> DataValidation:
    inline = '"' + ",".join(values) + '"'
    if len(inline) <= 250 and not any("," in v or '"' in v for v in values):
        formula = inline
    else:
        formula = lists.add(title, values)
    return DataValidation(type="list", formula1=formula, allow_blank=True, **kw)


def _column_rules(table: str, spec: SourceSpec, name: str, manifest: Manifest, lists: _Lists,
                  unit_choices: dict[str, list[str]]) -> tuple[DataValidation | None, str, str]:
    """(validation of the data cells or None, number format, allowed-values text)."""
    kind = kind_of(name, manifest.levels)
    header = spec.columns[name].header
    lo, hi = manifest.date_min, manifest.date_max
    stop = dict(showErrorMessage=True, errorStyle="stop", errorTitle="填写有误")
    if name in spec.values:
        words = _allowed_words(spec, name)
        dv = _list_validation(words, lists, header, error=f"请从下拉列表中选择：{'、'.join(words)[:200]}",
                              **stop)
        return dv, "@", "、".join(words)
    if name in unit_choices:
        codes = unit_choices[name]
        dv = _list_validation(codes, lists, header, error="请从下拉列表中选择本单位的代码", **stop)
        return dv, "@", f"从下拉列表选择（{len(codes):,} 个）"
    if kind == "bool":
        return _list_validation(["是", "否"], lists, header, error="请填写 是 或 否", **stop), "@", "是、否"
    if name == "station_type":
        types = _station_types(manifest)
        dv = _list_validation(types, lists, header, showErrorMessage=True, errorStyle="warning",
                              errorTitle="请核对", error="不是常见的阵地类型，请核对后再填")
        return dv, "@", "、".join(types) + "（也可填其他类型）"
    if kind == "count":
        dv = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0",
                            allow_blank=True, error="请填写不小于 0 的数字", **stop)
        return dv, "#,##0.##", "不小于 0 的数字"
    if kind in ("lat", "lon"):
        bound = 90 if kind == "lat" else 180
        dv = DataValidation(type="decimal", operator="between", formula1=str(-bound),
                            formula2=str(bound), allow_blank=True,
                            error=f"请填写 -{bound} 至 {bound} 之间的数字", **stop)
        return dv, "0.000000", f"-{bound} 至 {bound}"
    if kind == "year":
        dv = DataValidation(type="whole", operator="between", formula1=str(lo.year),
                            formula2=str(hi.year), allow_blank=True,
                            error=f"请填写 {lo.year} 至 {hi.year} 之间的年份", **stop)
        return dv, "0", f"{lo.year} 至 {hi.year}"
    if kind == "date":
        # Excel stores dates as serial days since 1899-12-30
        serial = [(d.normalize() - pd.Timestamp("1899-12-30")).days for d in (lo, hi)]
        dv = DataValidation(type="date", operator="between", formula1=str(serial[0]),
                            formula2=str(serial[1] + 1), allow_blank=True,
                            error=f"请填写 {lo:%Y-%m-%d} 至 {hi:%Y-%m-%d} 之间的日期", **stop)
        fmt = "yyyy-mm-dd hh:mm" if name in _DATETIME_COLUMNS else "yyyy-mm-dd"
        return dv, fmt, f"{lo:%Y-%m-%d} 至 {hi:%Y-%m-%d} 之间的日期"
    if kind == "satisfaction":
        return None, "@", "满意、基本满意、不满意，或 1–5 分"
    return None, "@", ""


def _prompt(meaning: str, unit: str, required: bool, allowed: str) -> str:
    parts = [meaning + (f"（单位：{unit}）" if unit and unit not in ("日期", "日期时间") else "")]
    parts.append("必填" if required else "选填")
    if allowed:
        parts.append("可填：" + allowed)
    return "；".join(parts)[:250]


def write_template(manifest: Manifest, table: str, out: str | Path,
                   units: pd.DataFrame | None = None, scope: str | None = None) -> Path:
    """Write the fill-in template of ``table`` to ``out`` (.xlsx) and return its path.

    manifest: :func:`data.manifest.load_manifest`'s result. units: ``Dataset.units`` (level,
    unit_id, unit_name, parent_id) — needed for ``scope``. scope: a unit id; the grid register
    is pre-filled with its grids, the other tables get its codes as a dropdown.
    Raises :class:`TemplateError` (Chinese) for an unknown table or scope.
    """
    group = source_group(manifest, table)
    in_scope = None
    if scope is not None:
        if units is None or not len(units):
            raise TemplateError("数据集没有网格台账，无法按范围生成模板")
        in_scope = scope_units(units, manifest.levels, scope)
    wb = Workbook()
    wb.remove(wb.active)
    guide = None
    data_sheets = []
    for i, spec in enumerate(group):
        title = spec.sheet if isinstance(spec.sheet, str) else (TABLE_ZH[table] if i == 0 else f"附表{i}")
        data_sheets.append((wb.create_sheet(title), spec))
    guide = wb.create_sheet(GUIDE_SHEET)
    lists = _Lists(guide, first_col=8)
    guide_rows: list[list[str]] = []
    bold, plain = font(bold=True), font()
    wrap = Alignment(wrap_text=True, vertical="top")
    unlocked = Protection(locked=False)
    scope_name = ""
    for ws, spec in data_sheets:
        header_row = spec.header_row or 1
        asked = [n for n, c in spec.columns.items() if c.header is not None]
        # unit codes offered as a dropdown (record tables) when a scope is given
        unit_choices: dict[str, list[str]] = {}
        prefill: pd.DataFrame | None = None
        if in_scope is not None:
            scope_row = in_scope[in_scope["unit_id"] == scope].iloc[0]
            scope_name = str(scope_row[f"{scope_row['level']}_name"])
            if table == "grids":
                key = spec.join or f"{manifest.levels[-1]}_id"
                key_level = key[: -len("_id")] if key.endswith("_id") else manifest.levels[-1]
                prefill = in_scope[in_scope["level"] == key_level]
            else:
                for level in manifest.levels:
                    at = in_scope[in_scope["level"] == level]
                    if f"{level}_id" in asked:
                        unit_choices[f"{level}_id"] = list(dict.fromkeys(at["unit_id"]))
                    if f"{level}_name" in asked:
                        unit_choices[f"{level}_name"] = list(dict.fromkeys(at[f"{level}_name"]))
        if header_row > 1:
            put_label(ws, 1, 1, f"{TABLE_ZH[table]}填报模板 · {manifest.name}"
                      + (f" · {scope_name}" if scope_name else ""), font=font(size=14, bold=True))
            if header_row > 2:
                put_label(ws, 2, 1, "请从表头下一行开始逐行填写，不要改动表头和本行以上的内容；"
                                    "各列的含义和填写要求见「填表说明」。", font=plain)
        last = header_row + max(DATA_ROWS, 0 if prefill is None else len(prefill) + 200)
        widths = {}
        for j, name in enumerate(asked, start=1):
            header = spec.columns[name].header
            meaning, unit = _describe(name, manifest)
            required = _required(table, spec, name, manifest)
            dv, fmt, allowed = _column_rules(table, spec, name, manifest, lists, unit_choices)
            letter = get_column_letter(j)
            cell = put_label(ws, header_row, j, header, font=bold, fill=HEADER_FILL,
                             alignment=Alignment(wrap_text=True, vertical="center"))
            cell.protection = Protection(locked=True)
            tip = DataValidation(showInputMessage=True, promptTitle=header[:32],
                                 prompt=_prompt(meaning, unit, required, allowed))
            tip.add(cell.coordinate)
            ws.add_data_validation(tip)
            if dv is not None:
                dv.showInputMessage = True
                dv.promptTitle = header[:32]
                dv.prompt = _prompt(meaning, unit, required, allowed)
                dv.add(f"{letter}{header_row + 1}:{letter}{last}")
                ws.add_data_validation(dv)
            ws.column_dimensions[letter].number_format = fmt
            ws.column_dimensions[letter].protection = unlocked
            shown = [header] + ([] if prefill is None or name not in prefill.columns
                                else [str(v) for v in prefill[name].head(200)])
            widths[j] = fit_width(shown, minimum=10, maximum=30)
            if prefill is not None and name in prefill.columns:
                for r, value in enumerate(prefill[name].tolist(), start=header_row + 1):
                    put_text(ws, r, j, value, font=plain, protection=unlocked, number_format="@")
            guide_rows.append([ws.title, header, meaning, unit, "是" if required else "否", allowed])
        set_column_widths(ws, widths)
        ws.freeze_panes = f"A{header_row + 1}"
        ws.protection.sheet = True
        for allow in ("formatCells", "formatColumns", "formatRows", "insertRows", "deleteRows",
                      "sort", "autoFilter"):
            setattr(ws.protection, allow, False)
        setup_print(ws, f"{header_row}:{header_row}", f"{TABLE_ZH[table]}填报模板")

    put_label(guide, 1, 1, f"{TABLE_ZH[table]}填报说明", font=font(size=14, bold=True))
    put_text(guide, 2, 1, f"数据集：{manifest.name}" + (f"；填报单位：{scope_name}" if scope_name else "")
             + f"；模板生成于 {_dt.date.today():%Y-%m-%d}", font=plain)
    put_label(guide, 3, 1, "请只在表头下方填写；带下拉箭头的列请从列表中选择；日期请按 2025-03-05 的格式填写；"
                           "数字不要带单位。填好后原样发回，不要改动表头、工作表名称和本说明。", font=plain)
    if any(str(spec.path).lower().endswith((".csv", ".csv.gz")) for _, spec in data_sheets):
        put_label(guide, 4, 1, "注意：本数据集按 CSV 文件读取这张表。填好后请用 Excel「另存为」CSV（UTF-8）格式再报送。",
                  font=font(bold=True, color="B4470B"))
    heads = ["工作表", "表头", "含义", "单位", "必填", "可填的值"]
    for j, text in enumerate(heads, start=1):
        put_label(guide, 5, j, text, font=bold, fill=HEADER_FILL)
    for i, row in enumerate(guide_rows, start=6):
        for j, text in enumerate(row, start=1):
            put_text(guide, i, j, text, font=plain, alignment=wrap)
    set_column_widths(guide, {1: 12, 2: 18, 3: 26, 4: 8, 5: 6, 6: 40})
    guide.freeze_panes = "A6"
    guide.protection.sheet = True
    setup_print(guide, "5:5", f"{TABLE_ZH[table]}填表说明")

    wb.properties.title = f"{TABLE_ZH[table]}填报模板"
    wb.properties.subject = MARK_SUBJECT + table
    wb.properties.keywords = manifest.name
    wb.properties.creator = "党建引领基层治理指标看板"
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out
