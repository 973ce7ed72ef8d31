"""The annual review workbook (年度评议工作簿), written with openpyxl.

Sheets, in order (DESIGN.md §6):

- 封面: title, scope, year, data cut-off, generation time, contents, and every source file with
  its SHA-256 and rows read / accepted / rejected / blank (示例数据 marked when the dataset is a
  sample);
- 汇总: every indicator × (the scope unit + the units one level below it): value, status against
  the standard, rank, last year's value and the year-on-year change;
- one sheet per hierarchy level below the scope (区县, 街道, 社区, 网格 …): two rows per unit (the
  year's values, and below them the change on last year), the names of its parent units, one
  column per indicator and the number of standards it fails;
- 不达标清单: per indicator with a standard, the units failing it and by how much;
- 月度趋势: the scope unit's monthly values in the year beside the year before, and a native
  Excel line chart per indicator (this year solid dark blue, last year dashed grey);
- 对标参考: every standard and reference value used, the scope's value against the standards, and
  the published figure each comes from (place, figure, article, author);
- 指标说明: definitions, formulas, direction, standards and their sources;
- 数据质量: the load report per file, the records each rate left out (and why), the rejected rows
  counted per rule and listed, and 导出处理说明 — every control character removed, every text cut
  at 32,767 characters (sheet and cell) and every level split across sheets.

Numbers are real numbers with native number formats; pass/fail is native conditional formatting
(blue / orange, always with text or a count beside it); every sheet prints on A4 landscape, one
page wide, header rows repeated, ``第 &P 页，共 &N 页`` in the footer.  All text born from input
files goes through :func:`reports.cells.put_text` and can never become a formula.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import LineChart, Reference
from openpyxl.chart.axis import ChartLines
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from reports import formats as fmt
from reports.benchmarks import benchmark_rows
from reports.cells import (EXCEL_MAX_CELL_CHARS, EXCEL_MAX_ROWS, TRUNCATION_MARKER, CellNote,
                           FAIL_FILL, FAIL_FONT_COLOR, GRID_BORDER, HEADER_FILL, LEFT_CENTER,
                           MUTED_FONT_COLOR, PASS_FILL, PASS_FONT_COLOR, TOTAL_FILL, WRAP_CENTER,
                           WRAP_TOP, display_width, fit_row_heights, fit_width, font, put_label,
                           put_number,
                           put_text, safe_text, set_column_widths, setup_print, sheet_title,
                           cell_notes)
from reports.frames import (FAIL, NO_STANDARD, PASS, DIRECTION_ZH, Scope, evaluate,
                            resolve_scope, scoped_units, standard_of, wide_values, year_table)

TABLE_NAMES_ZH = {"grids": "网格台账", "stations": "党群服务阵地", "volunteer_hours": "志愿服务记录",
                  "complaints": "群众诉求"}

RULE_NAMES_ZH = {
    "missing_required": "必填项缺失", "bad_date": "日期无法识别", "out_of_range": "超出合理范围",
    "duplicate_key": "编号重复", "unknown_unit": "单位不在台账中",
    "closed_before_received": "办结时间早于受理时间", "not_a_number": "不是有效数字",
    "bad_value": "取值不在允许范围内",
}

TITLE_ROW, NOTE_ROW, HEADER_ROW = 1, 2, 3

#: Rows one worksheet may hold (Excel's limit); a level sheet with more units continues on
#: further sheets.  Tests patch it to a small number.
MAX_SHEET_ROWS = EXCEL_MAX_ROWS

#: Rows of problem details listed on 数据质量 (the dashboard offers the full download).
MAX_ERROR_DETAILS = 500

_F_TITLE = font(16, bold=True)
_F_SUBTITLE = font(10, color=MUTED_FONT_COLOR)
_F_HEADER = font(10, bold=True)
_F_BODY = font(10)
_F_BOLD = font(10, bold=True)
_F_MUTED = font(10, color=MUTED_FONT_COLOR)
_F_SMALL = font(9, italic=True, color=MUTED_FONT_COLOR)
_F_PASS = font(10, color=PASS_FONT_COLOR)
_F_FAIL = font(10, color=FAIL_FONT_COLOR)
_F_SECTION = font(12, bold=True)
_F_SAMPLE = font(12, bold=True, color=FAIL_FONT_COLOR)
_F_MONO = font(9)
_F_SMALL_PLAIN = font(9)
_F_LINK = font(10, color=PASS_FONT_COLOR)
_CENTER = Alignment(horizontal="center")
_RIGHT = Alignment(horizontal="right")
_TOP = Alignment(vertical="top")

#: a unit's two rows on a level sheet read as one block: no rule between them
_TOP_BORDER = Border(left=GRID_BORDER.left, right=GRID_BORDER.right, top=GRID_BORDER.top)
_BOTTOM_BORDER = Border(left=GRID_BORDER.left, right=GRID_BORDER.right, bottom=GRID_BORDER.bottom)
_BLOCK_END_BORDER = Border(left=GRID_BORDER.left, right=GRID_BORDER.right, top=GRID_BORDER.top,
                           bottom=Side(style="medium", color="808080"))

_MONTHS = [f"{m:02d}" for m in range(1, 13)]


# --------------------------------------------------------------------------- entry point

def write_workbook(results: Any, year: int, path: str | Path, scope: str | None = None, *,
                   generated_at: datetime | None = None,
                   failing_levels: Sequence[str] | None = None,
                   progress: Callable[[int, int, str], None] | None = None) -> Path:
    """Write the annual review workbook for ``year`` to ``path`` (.xlsx) and return its path.

    results: an ``indicators.pipeline.Results`` — ``dataset`` (data.model.Dataset: name, levels,
        level_names, units, report, cutoff, is_sample), ``table`` (the tidy indicator table of
        docs/architecture.md §3 with ``prev_value``, ``change``, ``change_unit``, ``change_good``
        and ``rank`` from indicators.compare; rates as fractions, changes of rates as differences
        of fractions) and ``catalog`` (``{indicator_id: Indicator}`` in display order, standards
        from indicators/catalog.yaml with their sources).
    year: the review year; the table's rows with ``period == str(year)`` are shown, and the
        monthly rows ``YYYY-MM`` of that year and the year before on the trends sheet.
    scope: None for the whole dataset, or a unit_id (a district or street …): the workbook then
        covers only that unit and its descendants.
    generated_at: the time printed on the cover (default: now, local time).
    failing_levels: levels listed on 不达标清单 (default: every level below the scope except the
        finest — in the sample 600 grids give ~700 failing rows, 16 printed pages; the finest
        level's failures stay visible as orange cells on its own sheet).
    progress: called as ``progress(done, total, sheet_name)`` after each sheet is written and
        once more (``done == total``) when the file is saved — for a progress bar.

    A level with more units than one sheet holds (:data:`MAX_SHEET_ROWS`) continues on sheets
    ``网格（续2）`` …; every split, every removal of control characters and every truncated text
    is listed on 数据质量 under 导出处理说明.

    Raises ValueError when the year has no rows, the scope id is unknown or at the finest level.
    Parent directories of ``path`` are created.
    """
    dataset, table, catalog = results.dataset, results.table, results.catalog
    ytab = year_table(table, year)
    total_name = _place_name(dataset.name) or "全市"
    level_names = {**_default_level_names(), **(dataset.level_names or {})}
    sc = resolve_scope(dataset.units, list(dataset.levels), level_names, scope, total_name)
    units_by_level = scoped_units(dataset.units, list(dataset.levels), sc)
    present = set(ytab["indicator_id"].astype("string"))
    indicators = [ind for ind_id, ind in catalog.items() if ind_id in present]

    ctx = _Context(dataset=dataset, year=int(year), scope=sc, level_names=level_names,
                   indicators=indicators, ytab=ytab, table=table, units=units_by_level,
                   title=_title(dataset.name, sc, int(year)),
                   generated_at=generated_at or datetime.now().astimezone(),
                   register_years=getattr(results, "register_years", None))

    wb = Workbook()
    taken: set[str] = set()
    cover = wb.active
    cover.title = sheet_title("封面", taken)
    # (sheet, what it holds, writer): sheets are created in print order, written in this order,
    # and 数据质量 last so that it can list what writing every other sheet had to change
    plan: list[tuple[Worksheet, str, Callable[[Worksheet], None]]] = []

    def add(name: str, what: str, writer: Callable[[Worksheet], None]) -> None:
        plan.append((wb.create_sheet(sheet_title(name, taken)), what, writer))

    def add_parts(name: str, what: str, n_items: int, per_sheet: int, items_zh: str,
                  writer: Callable[[Worksheet, slice, tuple[int, int]], None]) -> None:
        """Sheets ``name``, ``name（续2）`` … holding ``per_sheet`` items each; a split is
        reported on 数据质量."""
        chunks = [slice(i, i + per_sheet) for i in range(0, max(n_items, 1), per_sheet)]
        for k, rows in enumerate(chunks, start=1):
            part = (k, len(chunks))
            add(name if k == 1 else f"{name}（续{k}）",
                what + (f"（第 {k} 部分，共 {len(chunks)} 部分）" if len(chunks) > 1 else ""),
                lambda ws, rows=rows, part=part: writer(ws, rows, part))
        if len(chunks) > 1:
            ctx.split_notes.append(
                (name, f"{n_items:,} {items_zh}超出单个工作表可容纳的行数（{MAX_SHEET_ROWS:,} 行），"
                       f"已依次分列在 {len(chunks)} 个工作表中：{name}、{name}（续2）……"))

    add("汇总", "各指标本年值、达标情况、排名与同比变化", lambda ws: _write_summary(ws, ctx))
    for level in sc.levels:
        data = _level_data(ctx, level)
        name = level_names.get(level, level)
        add_parts(name, f"各{name}逐项指标值及同比", len(data.units),
                  max(1, (MAX_SHEET_ROWS - _LEVEL_FIRST_ROW + 1) // 2), f"个{name}（每个占 2 行）",
                  lambda ws, rows, part, data=data: _write_level(ws, ctx, data, rows, part))
    fail_levels = list(failing_levels) if failing_levels else (
        sc.levels[:-1] if len(sc.levels) > 1 else sc.levels)
    groups = _failing_frame(ctx, fail_levels)
    add_parts("不达标清单", "未达到标准的单位及差距", sum(len(g[2]) for g in groups),
              max(1, MAX_SHEET_ROWS - HEADER_ROW), "行不达标记录",
              lambda ws, rows, part: _write_failing(ws, ctx, fail_levels, groups, rows, part))
    add("月度趋势", f"{sc.unit_name}逐月指标值（本年与上年）及折线图",
        lambda ws: _write_trends(ws, ctx))
    add("对标参考", "判定标准与公开案例参考值及其出处", lambda ws: _write_benchmarks(ws, ctx))
    add("指标说明", "指标口径、公式、方向、标准及来源", lambda ws: _write_definitions(ws, ctx))
    add("数据质量", "各文件读取、接受、拒绝行数，排除记录数与导出处理说明",
        lambda ws: _write_quality(ws, ctx))

    total = len(plan) + 2          # + cover + saving
    done = 0

    def tick(name: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total, name)

    for ws, _, writer in plan[:-1]:
        writer(ws)
        tick(ws.title)
    _write_cover(cover, ctx, [(ws.title, what) for ws, what, _ in plan])
    tick(cover.title)
    quality, _, write_quality = plan[-1]
    write_quality(quality)
    tick(quality.title)
    from reports.yearly import add_yearly_sheets   # 已锁定 mark, 锁定后变动, 区划调整 (issue 17)
    add_yearly_sheets(wb, results, int(year), cover, scope=scope)

    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    if progress is not None:
        progress(total, total, "")
    return out


# --------------------------------------------------------------------------- context

class _Context:
    """Everything the sheet writers share (read-only)."""

    def __init__(self, *, dataset: Any, year: int, scope: Scope, level_names: dict[str, str],
                 indicators: list[Any], ytab: pd.DataFrame, table: pd.DataFrame,
                 units: dict[str, pd.DataFrame], title: str, generated_at: datetime,
                 register_years: pd.DataFrame | None = None) -> None:
        self.dataset, self.year, self.scope = dataset, year, scope
        self.register_years = register_years
        self.level_names, self.indicators = level_names, indicators
        self.ytab, self.table, self.units = ytab, table, units
        self.title, self.generated_at = title, generated_at
        #: (sheet, explanation) for every level that had to continue on further sheets
        self.split_notes: list[tuple[str, str]] = []

    def level_zh(self, level: str) -> str:
        return self.level_names.get(level, level)

    @property
    def scope_zh(self) -> str:
        if self.scope.level == "total":
            return f"{self.scope.unit_name}（全部单位）"
        return f"{self.scope.path_zh}（{self.level_zh(self.scope.level)}）及其下辖单位"


def _default_level_names() -> dict[str, str]:
    try:
        from data.model import LEVEL_NAMES_ZH
        return dict(LEVEL_NAMES_ZH)
    except ImportError:  # pragma: no cover - data/ is part of the project
        return {"total": "全市"}


def _place_name(dataset_name: str) -> str:
    """The dataset's place name: ``示例市 2023–2025（示例数据）`` → ``示例市``,
    ``波士顿 2015（真实公开数据）`` → ``波士顿`` (a trailing year or year range and a note about
    the data in brackets are dropped; the full name is on the cover); the name itself when
    nothing is left."""
    place = re.sub(r"[（(][^）)]*(数据|data)[^）)]*[）)]", "", str(dataset_name), flags=re.I)
    place = re.sub(r"\s*\d{4}(\s*[-–—~～至]\s*\d{4})?\s*年?\s*$", "", place.strip())
    return safe_text(place).strip() or safe_text(dataset_name)


def _title(dataset_name: str, scope: Scope, year: int) -> str:
    """``示例市 2025 年度党建引领基层治理指标评议`` — the dataset's place name, plus the scope
    unit's path when there is one."""
    place = _place_name(dataset_name)
    if scope.level != "total":
        place = f"{place} {scope.path_zh.replace(' / ', '')}"
    return f"{place} {year} 年度党建引领基层治理指标评议"


# --------------------------------------------------------------------------- shared layout

def _sheet_header(ws: Worksheet, ctx: _Context, title: str, note: str) -> None:
    put_label(ws, TITLE_ROW, 1, title, font=_F_TITLE)
    ws.row_dimensions[TITLE_ROW].height = 26
    put_label(ws, NOTE_ROW, 1, note, font=_F_SUBTITLE)


def _wrap_note(ws: Worksheet) -> None:
    """Merge the note (row 2) across the table's columns and make the row tall enough for it,
    so a long note never widens the printed page (fit-to-width would shrink everything)."""
    note = ws.cell(NOTE_ROW, 1).value
    last = ws.max_column
    if not note or last < 2:
        return
    widths = [ws.column_dimensions[get_column_letter(c)].width or 9 for c in range(1, last + 1)]
    ws.merge_cells(start_row=NOTE_ROW, start_column=1, end_row=NOTE_ROW, end_column=last)
    ws.cell(NOTE_ROW, 1).alignment = Alignment(wrap_text=True, vertical="top")
    lines = max(1, -(-display_width(str(note)) // max(int(sum(widths) * 0.95), 1)))
    ws.row_dimensions[NOTE_ROW].height = 14 * lines + 2


def _header_row(ws: Worksheet, row: int, labels: Iterable[str], height: float = 30) -> None:
    for col, label in enumerate(labels, start=1):
        put_label(ws, row, col, label, font=_F_HEADER, fill=HEADER_FILL, alignment=WRAP_CENTER,
                  border=GRID_BORDER)
    ws.row_dimensions[row].height = height


def _finish(ws: Worksheet, ctx: _Context, title_rows: str, freeze: str | None) -> None:
    """Wrap the note row across the table, freeze panes, set up printing."""
    _wrap_note(ws)
    if freeze:
        ws.freeze_panes = freeze
    ws.sheet_view.zoomScale = 100
    setup_print(ws, title_rows, ctx.title)


def _conditional_pass_fail(ws: Worksheet, rng: str, standard: Any,
                           guard: str | None = None) -> None:
    """Native conditional formatting on a column range of values: blue when the standard is met,
    orange (bold) when not; blanks stay plain.  Values are rounded to 9 decimals first so that a
    computed 0.99999999999 meets a 100% standard, as in :func:`reports.frames.evaluate`.
    ``guard``: an extra condition written for the range's first row (e.g. ``$E5="本年"``: only
    the value rows of a level sheet)."""
    if standard is None:
        return
    first = rng.split(":")[0]
    ref = f"ROUND({first},9)"

    def num(x: Any) -> str:   # repr of a plain float: 0.918, 7.994219653179191 (never np.float64)
        return repr(float(x))

    if standard.comparison == ">=":
        ok, bad = f"{ref}>={num(standard.value)}", f"{ref}<{num(standard.value)}"
    elif standard.comparison == "<=":
        ok, bad = f"{ref}<={num(standard.value)}", f"{ref}>{num(standard.value)}"
    else:
        ok = f"AND({ref}>={num(standard.low)},{ref}<={num(standard.high)})"
        bad = f"OR({ref}<{num(standard.low)},{ref}>{num(standard.high)})"
    guard = f"ISNUMBER({first})" + (f",{guard}" if guard else "")
    ws.conditional_formatting.add(rng, FormulaRule(formula=[f"AND({guard},{bad})"],
                                                   stopIfTrue=True, fill=FAIL_FILL,
                                                   font=Font(color=FAIL_FONT_COLOR, bold=True)))
    ws.conditional_formatting.add(rng, FormulaRule(formula=[f"AND({guard},{ok})"],
                                                   fill=PASS_FILL,
                                                   font=Font(color=PASS_FONT_COLOR)))


def _conditional_status_text(ws: Worksheet, rng: str) -> None:
    """Colour the 达标 / 未达标 text cells of a column range (text stays readable in grey print)."""
    first = rng.split(":")[0]
    ws.conditional_formatting.add(rng, FormulaRule(formula=[f'{first}="{FAIL}"'], fill=FAIL_FILL,
                                                   font=Font(color=FAIL_FONT_COLOR, bold=True)))
    ws.conditional_formatting.add(rng, FormulaRule(formula=[f'{first}="{PASS}"'], fill=PASS_FILL,
                                                   font=Font(color=PASS_FONT_COLOR)))


def _legend(has_standards: bool) -> str:
    return ("底色：蓝色＝达到标准，橙色加粗＝未达标准；灰色斜体＝样本量小（不参与排名）。"
            if has_standards else "灰色斜体＝样本量小（不参与排名）。")


def _flag(x: Any) -> bool:
    """True for True / np.True_; False for False, None, NA and NaN."""
    return x is not None and not pd.isna(x) and bool(x)


def _num(x: Any) -> float | None:
    return None if x is None or pd.isna(x) else float(x)


# --------------------------------------------------------------------------- 汇总

_SUMMARY_HEADERS = ["指标（计量单位）", "标准", "单位", "本年值", "达标情况", "同级排名", "上年值",
                    "同比变化", "备注"]


def _summary_rows(ctx: _Context, ind: Any) -> pd.DataFrame:
    """Scope row + the units one level below it, ranked, for one indicator."""
    t = ctx.ytab.loc[ctx.ytab["indicator_id"] == ind.id]
    head = t.loc[(t["level"] == ctx.scope.level) & (t["unit_id"].astype("string") == ctx.scope.unit_id)]
    level = ctx.scope.levels[0]
    units = ctx.units[level][["unit_id", "unit_name"]].copy()
    units["_order"] = np.arange(len(units))
    rows = t.loc[t["level"] == level].drop(columns=["unit_name"], errors="ignore")
    if "rank" not in rows.columns:   # a table without indicators.compare's columns
        rows = rows.assign(rank=np.nan)
    rows = rows.assign(unit_id=rows["unit_id"].astype("string"))
    body = units.merge(rows, on="unit_id", how="left")
    body = body.sort_values(["rank", "_order"], na_position="last", kind="stable")
    head = head.assign(unit_name=ctx.scope.unit_name, is_scope_row=True)
    body = body.assign(is_scope_row=False)
    return pd.concat([head, body], ignore_index=True)


def _write_summary(ws: Worksheet, ctx: _Context) -> None:
    first_level = ctx.level_zh(ctx.scope.levels[0])
    has_std = any(standard_of(i) is not None for i in ctx.indicators)
    _sheet_header(ws, ctx, f"{ctx.year} 年度指标汇总",
                  f"范围：{ctx.scope_zh}；每项指标首行为{ctx.scope.unit_name}合计，其下为各{first_level}"
                  f"（按排名排列；排名为“名次 / 参与排名的同级单位数”，1 为最好；设有同类组的，为同类组内排名，见备注）。"
                  f"同比变化：比率类为百分点，其余为百分比；"
                  f"蓝色字＝向好，橙色字＝变差。{_legend(has_std)}")
    _header_row(ws, HEADER_ROW, _SUMMARY_HEADERS)
    row = HEADER_ROW + 1
    name_texts, std_texts, unit_texts, note_texts = [], [], [], []
    for ind in ctx.indicators:
        std = standard_of(ind)
        data = _summary_rows(ctx, ind)
        if data.empty or data["value"].isna().all():
            continue
        status, _ = evaluate(data["value"], std)
        vfmt, cfmt = fmt.value_format(ind), fmt.change_format(ind)
        start = row
        label, std_label = fmt.header_label(ind), fmt.standard_label(std)
        name_texts.append(label)
        std_texts.append(std_label)
        for rec, st in zip(data.itertuples(index=False), status):
            is_scope = bool(rec.is_scope_row)
            small = _flag(getattr(rec, "small_count", None))
            body = _F_BOLD if is_scope else (_F_SMALL if small else _F_BODY)
            fill = TOTAL_FILL if is_scope else None
            put_text(ws, row, 1, label if row == start else "", font=_F_BOLD, border=GRID_BORDER,
                     fill=fill)
            put_text(ws, row, 2, std_label if row == start else "", font=_F_BODY,
                     alignment=WRAP_TOP, border=GRID_BORDER, fill=fill)
            put_text(ws, row, 3, rec.unit_name, font=body, border=GRID_BORDER, fill=fill)
            put_number(ws, row, 4, _num(rec.value), vfmt, font=body, border=GRID_BORDER, fill=fill)
            put_text(ws, row, 5, "" if st == NO_STANDARD else st, font=_F_BODY,
                     alignment=_CENTER, border=GRID_BORDER, fill=fill)
            group = _peer_group(rec)
            rank = _num(getattr(rec, "peer_rank" if group else "rank", None))
            rank_of = _num(getattr(rec, "peer_rank_of" if group else "rank_of", None))
            rank_fmt = f'0" / {rank_of:.0f}"' if rank_of is not None else "0"
            put_number(ws, row, 6, None if is_scope else rank, rank_fmt, font=_F_BODY,
                       alignment=_CENTER, border=GRID_BORDER, fill=fill)
            put_number(ws, row, 7, _num(getattr(rec, "prev_value", None)), vfmt, font=_F_MUTED,
                       border=GRID_BORDER, fill=fill)
            change = _num(getattr(rec, "change", None))
            shown = None if change is None else fmt.change_for_excel(ind, change)
            good = getattr(rec, "change_good", None)
            # colour only a change that shows: +0.0 stays neutral whatever its sign underneath
            cfont = (_F_BODY if not shown or good is None or pd.isna(good)
                     else _F_PASS if bool(good) else _F_FAIL)
            put_number(ws, row, 8, shown, cfmt, font=cfont, border=GRID_BORDER, fill=fill)
            note = _row_note(rec, ind)
            if group and not is_scope:
                note = "；".join(x for x in (f"同类组“{group}”内排名", note) if x)
            note_texts.append(note)
            put_text(ws, row, 9, note, font=_F_MUTED, border=GRID_BORDER, fill=fill)
            unit_texts.append(str(rec.unit_name))
            row += 1
        _conditional_pass_fail(ws, f"D{start}:D{row - 1}", std)
        if std is not None:
            _conditional_status_text(ws, f"E{start}:E{row - 1}")
        # a thicker rule under each indicator block keeps blocks apart on paper
        for col in range(1, len(_SUMMARY_HEADERS) + 1):
            ws.cell(row - 1, col).border = _BLOCK_END_BORDER
    set_column_widths(ws, {
        1: fit_width(name_texts, 12, 30), 2: fit_width(std_texts, 8, 24),
        3: fit_width(unit_texts, 10, 30), 4: 12, 5: 9, 6: 8, 7: 12, 8: 15,
        9: fit_width(note_texts, 10, 34)})
    fit_row_heights(ws, range(HEADER_ROW + 1, row))
    if row > HEADER_ROW + 1:
        ws.auto_filter.ref = f"A{HEADER_ROW}:I{row - 1}"
    _finish(ws, ctx, f"{HEADER_ROW}:{HEADER_ROW}", f"D{HEADER_ROW + 1}")


def _peer_group(rec: Any) -> str:
    """The unit's peer group (indicators.compare.add_peer_rank's ``peer_group``) when the
    dataset configures peer groups and the unit is ranked in one; else ``""``."""
    group = getattr(rec, "peer_group", None)
    if group is None or pd.isna(group) or pd.isna(getattr(rec, "peer_rank_of", np.nan)):
        return ""
    return safe_text(group)


def _row_note(rec: Any, ind: Any) -> str:
    if pd.isna(getattr(rec, "value", np.nan)):
        return "无数据"
    if _flag(getattr(rec, "small_count", None)):
        n = _num(getattr(rec, "denominator", None))
        size = f"{n:,.0f}" if n is not None else "?"
        need = getattr(ind, "min_count", 0)
        return f"样本量小（{size}，少于 {need}），不参与排名"
    return ""


# --------------------------------------------------------------------------- level sheets

#: Indicator columns on the level and trend sheets: headers wrap onto up to four lines so that
#: 18 indicators still print one page wide on A4 landscape at a readable scale (≈ 70 %).
_LEVEL_HEADER_HEIGHT = 58
_LEVEL_STANDARD_HEIGHT = 18


def _indicator_column_width(header: str) -> float:
    """Width of an indicator column: the header on ≤ 4 lines, never under 8.5 (``100.0%``,
    ``22,537``, ``3.6 天`` fit)."""
    name_w = max(display_width(part) for part in header.split("\n"))
    return float(min(max(8.5, -(-name_w // 3) + 2.5), 13))


def _ancestor_levels(ctx: _Context, level: str) -> list[str]:
    """Levels strictly between the scope and ``level`` (their names give context)."""
    return ctx.scope.levels[: ctx.scope.levels.index(level)]


#: First data row of a level sheet (title, note, header, standards above it).
_LEVEL_FIRST_ROW = 5
#: Text of the marker column on a level sheet: each unit has a value row and a change row.
_ROW_VALUE, _ROW_CHANGE = "本年", "同比"

_F_CHANGE = font(9, color=MUTED_FONT_COLOR)
_F_CHANGE_GOOD = font(9, color=PASS_FONT_COLOR)
_F_CHANGE_BAD = font(9, color=FAIL_FONT_COLOR)


@dataclass
class _LevelData:
    """units × indicators of one level (rows aligned with ``units``): value, change as written
    (percentage points for rates, fractions otherwise), change_good, small_count, failed count."""

    level: str
    units: pd.DataFrame
    inds: list[Any]
    values: pd.DataFrame
    changes: pd.DataFrame
    good: pd.DataFrame
    small: pd.DataFrame
    n_fail: pd.Series


def _level_data(ctx: _Context, level: str) -> _LevelData:
    units = ctx.units[level]
    values = wide_values(ctx.ytab, level, units, [i.id for i in ctx.indicators])
    inds = [i for i in ctx.indicators if values[i.id].notna().any()]
    ids_ = [i.id for i in inds]
    values = values[ids_]

    def wide(column: str, default: Any) -> pd.DataFrame:
        if column in ctx.ytab.columns:
            return wide_values(ctx.ytab, level, units, ids_, column)
        return pd.DataFrame(default, index=values.index, columns=ids_)

    small = wide("small_count", False).astype("boolean").fillna(False).astype(bool)
    change = wide("change", np.nan).astype("float64")
    # as written: rates in percentage points, others as fractions, rounded to the decimal shown
    changes = pd.DataFrame({i.id: (change[i.id] * 100).round(1) if fmt.is_rate(i)
                            else change[i.id].round(3) for i in inds}, index=values.index) + 0.0
    good = wide("change_good", pd.NA).astype("boolean")
    fails = pd.DataFrame({i.id: evaluate(values[i.id], standard_of(i))[0].eq(FAIL) & ~small[i.id]
                          for i in inds}, index=values.index)
    n_fail = fails.sum(axis=1) if inds else pd.Series(0, index=values.index)
    return _LevelData(level, units, inds, values, changes, good, small, n_fail)


def _level_change_format(ind: Any) -> str:
    """Change under a value on a level sheet: bare percentage points for rates (the note says
    so; “个百分点” would not fit a narrow column), ``+0.0%`` otherwise."""
    return fmt.signed("0.0") if fmt.is_rate(ind) else fmt.signed("0.0%")


def _write_level(ws: Worksheet, ctx: _Context, data: _LevelData, rows: slice,
                 part: tuple[int, int] = (1, 1)) -> None:
    """One level's units (``rows`` of ``data.units``): a value row and a 同比 row per unit."""
    level, inds = data.level, data.inds
    units = data.units.iloc[rows]
    values, changes = data.values.iloc[rows], data.changes.iloc[rows]
    good, small, n_fail = data.good.iloc[rows], data.small.iloc[rows], data.n_fail.iloc[rows]
    n_std = sum(standard_of(i) is not None for i in inds)

    anc = _ancestor_levels(ctx, level)
    name = ctx.level_zh(level)
    k, parts = part
    part_note = (f"第 {k} 部分，共 {parts} 部分（第 {rows.start + 1:,}–{rows.start + len(units):,} "
                 f"个）；" if parts > 1 else "")
    _sheet_header(ws, ctx, f"{ctx.year} 年度各{name}指标",
                  f"范围：{ctx.scope_zh}；共 {len(data.units):,} 个{name}，{part_note}"
                  f"每个单位两行：本年值，其下为同比变化（比率类为百分点，其余为百分比；蓝色＝向好，"
                  f"橙色＝变差）。第二行表头为标准。{_legend(n_std > 0)}")
    fixed = [ctx.level_zh(a) for a in anc] + [f"{name}编号", f"{name}名称", "项目"]
    first_ind = len(fixed) + 1
    headers = fixed + [fmt.header_label_stacked(i) for i in inds] + ["未达标项数"]
    _header_row(ws, HEADER_ROW, headers, height=_LEVEL_HEADER_HEIGHT)
    std_row = HEADER_ROW + 1
    for col in range(1, len(headers) + 1):
        put_label(ws, std_row, col, "", font=_F_SMALL, fill=HEADER_FILL, border=GRID_BORDER)
    put_label(ws, std_row, len(fixed), "标准 →", font=_F_SMALL, fill=HEADER_FILL,
              border=GRID_BORDER, alignment=_RIGHT)
    for j, ind in enumerate(inds):
        put_label(ws, std_row, first_ind + j, fmt.standard_short(ind, standard_of(ind)),
                  font=_F_SMALL, fill=HEADER_FILL, border=GRID_BORDER, alignment=WRAP_CENTER)
    put_label(ws, std_row, len(headers), f"{n_std} 项有标准", font=_F_SMALL, fill=HEADER_FILL,
              border=GRID_BORDER, alignment=WRAP_CENTER)
    ws.row_dimensions[std_row].height = _LEVEL_STANDARD_HEIGHT

    first = std_row + 1
    id_cols = [f"name__{a}" for a in anc] + ["unit_id", "unit_name"]
    text_block = units[id_cols].astype("string").fillna("")
    value_formats = [fmt.value_format(i) for i in inds]
    change_formats = [_level_change_format(i) for i in inds]
    for r, (texts, vals, chs, goods, smalls, nf) in enumerate(zip(
            text_block.itertuples(index=False), values.itertuples(index=False),
            changes.itertuples(index=False), good.itertuples(index=False),
            small.itertuples(index=False), n_fail.tolist())):
        row = first + 2 * r
        for c, text in enumerate(texts, start=1):
            put_text(ws, row, c, text, font=_F_BODY, border=_TOP_BORDER)
            put_label(ws, row + 1, c, "", font=_F_BODY, border=_BOTTOM_BORDER)
        put_label(ws, row, len(fixed), _ROW_VALUE, font=_F_MUTED, border=_TOP_BORDER)
        put_label(ws, row + 1, len(fixed), _ROW_CHANGE, font=_F_CHANGE, border=_BOTTOM_BORDER)
        for j, (v, ch, g, sm) in enumerate(zip(vals, chs, goods, smalls)):
            put_number(ws, row, first_ind + j, _num(v), value_formats[j],
                       font=_F_SMALL if sm else _F_BODY, border=_TOP_BORDER)
            cfont = (_F_CHANGE if pd.isna(ch) or ch == 0 or g is pd.NA or pd.isna(g)
                     else _F_CHANGE_GOOD if bool(g) else _F_CHANGE_BAD)
            put_number(ws, row + 1, first_ind + j, _num(ch), change_formats[j], font=cfont,
                       border=_BOTTOM_BORDER)
        put_number(ws, row, len(headers), int(nf), "0", font=_F_BOLD if nf else _F_BODY,
                   border=_TOP_BORDER, alignment=_CENTER)
        put_label(ws, row + 1, len(headers), "", font=_F_BODY, border=_BOTTOM_BORDER)
    last = first + 2 * len(units) - 1
    if len(units):
        marker = f"${get_column_letter(len(fixed))}{first}=\"{_ROW_VALUE}\""
        for j, ind in enumerate(inds):
            letter = get_column_letter(first_ind + j)
            _conditional_pass_fail(ws, f"{letter}{first}:{letter}{last}", standard_of(ind),
                                   guard=marker)

    widths = {c: fit_width(text_block.iloc[:, c - 1].tolist() + [headers[c - 1]], 8, 24)
              for c in range(1, len(fixed))}
    widths[len(fixed)] = 5.5
    for j in range(len(inds)):
        widths[first_ind + j] = _indicator_column_width(headers[first_ind - 1 + j])
    widths[len(headers)] = 7
    set_column_widths(ws, widths)
    _finish(ws, ctx, f"{HEADER_ROW}:{std_row}", f"{get_column_letter(first_ind)}{first}")


# --------------------------------------------------------------------------- 不达标清单

_FAILING_HEADERS = ["指标", "标准", "层级", "上级单位", "编号", "单位名称", "本年值", "差距",
                    "说明", "备注"]


def _failing_frame(ctx: _Context, levels: Sequence[str]) -> list[tuple[Any, str, pd.DataFrame]]:
    """(indicator, level, failing units with value, gap, small_count, parents) in print order."""
    out = []
    for ind in ctx.indicators:
        std = standard_of(ind)
        if std is None:
            continue
        for level in levels:
            if level not in ctx.units:
                continue
            units = ctx.units[level]
            vals = wide_values(ctx.ytab, level, units, [ind.id])[ind.id]
            status, gap = evaluate(vals, std)
            mask = status.eq(FAIL).to_numpy()
            if not mask.any():
                continue
            sel = units.loc[mask].copy()
            sel["value"] = vals[mask].to_numpy()
            sel["gap"] = gap[mask].to_numpy()
            if "small_count" in ctx.ytab.columns:
                sel["small_count"] = wide_values(ctx.ytab, level, units, [ind.id],
                                                 "small_count")[ind.id][mask].to_numpy()
                sel["denominator"] = wide_values(ctx.ytab, level, units, [ind.id],
                                                 "denominator")[ind.id][mask].to_numpy()
            anc = [f"name__{a}" for a in _ancestor_levels(ctx, level)]
            sel["parents"] = (sel[anc].astype("string").fillna("").agg(" / ".join, axis=1)
                              if anc else "")
            sel = sel.assign(_abs=sel["gap"].abs()).sort_values("_abs", ascending=False,
                                                                kind="stable")
            out.append((ind, level, sel.reset_index(drop=True)))
    return out


def _write_failing(ws: Worksheet, ctx: _Context, levels: Sequence[str],
                   groups: list[tuple[Any, str, pd.DataFrame]], rows: slice = slice(0, None),
                   part: tuple[int, int] = (1, 1)) -> None:
    """Rows ``rows`` of the failing units of ``groups`` (see :func:`_failing_frame`), counted
    across groups in print order."""
    level_list = "、".join(ctx.level_zh(lv) for lv in levels)
    left_out = [ctx.level_zh(lv) for lv in ctx.scope.levels if lv not in levels]
    left_note = (f"{'、'.join(left_out)}层级未列入本清单，其不达标单位见对应工作表中的橙色单元格。"
                 if left_out else "")
    _sheet_header(ws, ctx, f"{ctx.year} 年度不达标清单",
                  f"范围：{ctx.scope_zh}；层级：{level_list}。按指标、层级排列，差距大的在前；"
                  f"差距＝本年值 − 标准（比率类为百分点）。样本量小的单位照常列出并在备注中说明。"
                  f"{left_note}" + (f"第 {part[0]} 部分，共 {part[1]} 部分。" if part[1] > 1 else ""))
    _header_row(ws, HEADER_ROW, _FAILING_HEADERS)
    row = HEADER_ROW + 1
    texts: dict[int, list[str]] = {c: [] for c in range(1, len(_FAILING_HEADERS) + 1)}
    if not groups:
        put_label(ws, row, 1, "所有单位均达到有标准指标的要求。", font=_F_BODY)
        row += 1
    offset = 0
    stop = rows.stop if rows.stop is not None else sum(len(g[2]) for g in groups)
    for ind, level, sel in groups:
        lo, hi = max(rows.start - offset, 0), min(stop - offset, len(sel))
        offset += len(sel)
        if lo >= hi:
            continue
        std = standard_of(ind)
        vfmt, gfmt = fmt.value_format(ind), fmt.gap_format(ind)
        name, std_label, level_zh = ind.name_zh, fmt.standard_label(std), ctx.level_zh(level)
        for rec in sel.iloc[lo:hi].itertuples(index=False):
            small = _flag(getattr(rec, "small_count", None))
            note = ""
            if small:
                n = _num(getattr(rec, "denominator", None))
                note = f"样本量小（{n:,.0f}）" if n is not None else "样本量小"
            words = fmt.gap_words(ind, rec.gap, std.comparison)
            cells = [name, std_label, level_zh, rec.parents, rec.unit_id, rec.unit_name]
            for c, text in enumerate(cells, start=1):
                put_text(ws, row, c, text, font=_F_BODY, border=GRID_BORDER)
                texts[c].append(str(text))
            put_number(ws, row, 7, _num(rec.value), vfmt, font=_F_FAIL, border=GRID_BORDER)
            put_number(ws, row, 8, fmt.gap_for_excel(ind, rec.gap), gfmt, font=_F_FAIL,
                       border=GRID_BORDER)
            put_text(ws, row, 9, words, font=_F_BODY, border=GRID_BORDER)
            put_text(ws, row, 10, note, font=_F_MUTED, border=GRID_BORDER)
            texts[9].append(words)
            texts[10].append(note)
            row += 1
    set_column_widths(ws, {1: fit_width(texts[1] + ["指标"], 10, 20),
                           2: fit_width(texts[2] + ["标准"], 8, 26),
                           3: fit_width(texts[3] + ["层级"], 6, 10),
                           4: fit_width(texts[4] + ["上级单位"], 10, 36),
                           5: fit_width(texts[5] + ["编号"], 8, 20),
                           6: fit_width(texts[6] + ["单位名称"], 10, 28),
                           7: 12, 8: 18, 9: fit_width(texts[9], 12, 26),
                           10: fit_width(texts[10] + ["备注"], 8, 20)})
    if row > HEADER_ROW + 1 and groups:
        ws.auto_filter.ref = f"A{HEADER_ROW}:J{row - 1}"
    _finish(ws, ctx, f"{HEADER_ROW}:{HEADER_ROW}", f"A{HEADER_ROW + 1}")


# --------------------------------------------------------------------------- 月度趋势

#: Line charts on 月度趋势: size (cm) and how many side by side.
_CHART_W_CM, _CHART_H_CM, _CHARTS_PER_ROW = 15.0, 7.0, 2
#: Rows of charts printed on one A4 landscape page (with the repeated header rows above them).
_CHART_ROWS_PER_PAGE = 2
#: Colours of the two years' lines: this year dark blue, solid; last year grey, dashed (told
#: apart without colour, and in grey print).
_LINE_THIS, _LINE_LAST = "1F4E79", "8C8C8C"


def _monthly_wide(ctx: _Context, year: int) -> pd.DataFrame:
    """months (``"01"`` … ``"12"``) × indicator ids: the scope unit's monthly values of ``year``."""
    t = ctx.table
    rows = t.loc[(t["level"] == ctx.scope.level)
                 & (t["unit_id"].astype("string") == ctx.scope.unit_id)
                 & t["period"].astype("string").str.fullmatch(rf"{year}-\d\d").fillna(False)]
    wide = rows.assign(month=rows["period"].astype("string").str.slice(5, 7)) \
        .pivot(index="month", columns="indicator_id", values="value")
    return wide.reindex(index=_MONTHS)


def _write_trends(ws: Worksheet, ctx: _Context) -> None:
    """The scope unit's monthly values, this year beside last year, and one native Excel line
    chart per indicator (two series: the two years over the twelve months)."""
    this, last = _monthly_wide(ctx, ctx.year), _monthly_wide(ctx, ctx.year - 1)
    inds = [i for i in ctx.indicators if i.id in this.columns and this[i.id].notna().any()]
    _sheet_header(ws, ctx, f"{ctx.year} 年{ctx.scope.unit_name}月度趋势（与 {ctx.year - 1} 年同月对照）",
                  "各月按当月受理或发生的记录计算；台账类指标（网格、阵地）无月度值时不列出。"
                  f"本年值底色：蓝色＝达到标准，橙色加粗＝未达标准。折线图：深蓝实线＝{ctx.year} 年，"
                  f"灰色虚线＝{ctx.year - 1} 年。")
    year_row = HEADER_ROW + 1
    first = year_row + 1
    put_label(ws, HEADER_ROW, 1, "月份", font=_F_HEADER, fill=HEADER_FILL, alignment=WRAP_CENTER,
              border=GRID_BORDER)
    put_label(ws, year_row, 1, "", fill=HEADER_FILL, border=GRID_BORDER)
    ws.merge_cells(start_row=HEADER_ROW, start_column=1, end_row=year_row, end_column=1)
    widths = {1: 8.0}
    for k, ind in enumerate(inds):
        col = 2 + 2 * k
        label = fmt.header_label_stacked(ind)
        put_label(ws, HEADER_ROW, col, label, font=_F_HEADER, fill=HEADER_FILL,
                  alignment=WRAP_CENTER, border=GRID_BORDER)
        put_label(ws, HEADER_ROW, col + 1, "", fill=HEADER_FILL, border=GRID_BORDER)
        ws.merge_cells(start_row=HEADER_ROW, start_column=col, end_row=HEADER_ROW,
                       end_column=col + 1)
        for c, y in ((col, ctx.year), (col + 1, ctx.year - 1)):
            put_label(ws, year_row, c, f"{y} 年", font=_F_HEADER if y == ctx.year else _F_MUTED,
                      fill=HEADER_FILL, alignment=_CENTER, border=GRID_BORDER)
        # two columns share the header: each needs half of its width (never under 9: 100.0%)
        half = max(9.0, _indicator_column_width(label) * 0.62)
        widths[col] = widths[col + 1] = half
    ws.row_dimensions[HEADER_ROW].height = 44
    for r, month in enumerate(_MONTHS):
        row = first + r
        put_label(ws, row, 1, f"{int(month)} 月", font=_F_BODY, border=GRID_BORDER,
                  alignment=_CENTER)
        for k, ind in enumerate(inds):
            vfmt = fmt.value_format(ind)
            put_number(ws, row, 2 + 2 * k, _num(this.at[month, ind.id]), vfmt, font=_F_BODY,
                       border=GRID_BORDER)
            before = last.at[month, ind.id] if ind.id in last.columns else None
            put_number(ws, row, 3 + 2 * k, _num(before), vfmt, font=_F_MUTED,
                       border=GRID_BORDER)
    end = first + len(_MONTHS) - 1
    for k, ind in enumerate(inds):
        letter = get_column_letter(2 + 2 * k)
        _conditional_pass_fail(ws, f"{letter}{first}:{letter}{end}", standard_of(ind))
    if not inds:
        put_label(ws, first, 2, "本年无月度指标数据。", font=_F_MUTED)
    set_column_widths(ws, widths)
    _trend_charts(ws, ctx, inds, year_row, first, end, widths)
    _finish(ws, ctx, f"{HEADER_ROW}:{year_row}", f"B{first}")


def _trend_charts(ws: Worksheet, ctx: _Context, inds: list[Any], title_row: int, first: int,
                  last: int, widths: dict[int, float]) -> None:
    """One line chart per indicator below the table, ``_CHARTS_PER_ROW`` side by side."""
    if not inds:
        return
    top = last + 3
    # the charts start on a page of their own: a chart is never cut across two sheets of paper
    ws.row_breaks.append(Break(id=top - 2))
    put_label(ws, top - 1, 1, f"折线图（{ctx.year} 年与 {ctx.year - 1} 年逐月对照）", font=_F_SECTION)
    # the column where the second chart of a row starts: the first one clear of the first chart
    cm_per_unit = 0.19          # an Excel width unit is ≈ 7 px ≈ 0.19 cm at 100 %
    offset, col = 0.0, 1
    while offset < _CHART_W_CM + 0.5:
        offset += widths.get(col, 8.43) * cm_per_unit
        col += 1
    anchors_col = [1, col]
    rows_per_chart = int(_CHART_H_CM / 0.53) + 2      # default row height 15 pt ≈ 0.53 cm
    for k, ind in enumerate(inds):
        chart = LineChart()
        chart.title = fmt.header_label(ind)
        chart.style = 2
        chart.height, chart.width = _CHART_H_CM, _CHART_W_CM
        col = 2 + 2 * k
        data = Reference(ws, min_col=col, max_col=col + 1, min_row=title_row, max_row=last)
        chart.add_data(data, titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
        for series, colour, dash in zip(chart.series, (_LINE_THIS, _LINE_LAST), ("solid", "dash")):
            series.graphicalProperties.line.solidFill = colour
            series.graphicalProperties.line.width = 22_000 if dash == "solid" else 16_000
            series.graphicalProperties.line.dashStyle = dash
            series.smooth = False
        chart.y_axis.number_format = fmt.value_format(ind)
        chart.y_axis.majorGridlines = ChartLines()
        chart.x_axis.delete = False         # openpyxl hides both axes by default in new Excel
        chart.y_axis.delete = False
        chart.legend.position = "b"
        anchor_row = top + (k // _CHARTS_PER_ROW) * rows_per_chart
        anchor_col = anchors_col[k % _CHARTS_PER_ROW]
        ws.add_chart(chart, f"{get_column_letter(anchor_col)}{anchor_row}")
        chart_row = k // _CHARTS_PER_ROW
        if k % _CHARTS_PER_ROW == 0 and chart_row and chart_row % _CHART_ROWS_PER_PAGE == 0:
            ws.row_breaks.append(Break(id=anchor_row - 1))     # a new page, never half a chart


# --------------------------------------------------------------------------- 对标参考

_BENCH_HEADERS = ["指标", "用途", "对标值", "本年值", "对照", "出处（指标目录）", "公开地区",
                  "公开口径", "公开数值", "计量单位", "原文标题", "发布单位"]
_ROLE_ZH = {("standard", "peer"): "判定标准（取自公开案例）",
            ("standard", "standard"): "判定标准（政策文件）",
            ("reference", "peer"): "参考值（公开案例，不判定达标）",
            ("reference", "standard"): "参考值（不判定达标）"}


def _scope_values(ctx: _Context) -> dict[str, float]:
    """indicator id → the scope unit's value in the review year."""
    t = ctx.ytab
    rows = t.loc[(t["level"] == ctx.scope.level)
                 & (t["unit_id"].astype("string") == ctx.scope.unit_id)]
    return dict(zip(rows["indicator_id"].astype(str), rows["value"].astype("float64")))


def _write_benchmarks(ws: Worksheet, ctx: _Context) -> None:
    """Every standard and reference value used, the scope unit's value against it, and the
    published figure it comes from (place, figure, value, article, author)."""
    rows = benchmark_rows(ctx.indicators)
    by_id = {i.id: i for i in ctx.indicators}
    values = _scope_values(ctx)
    _sheet_header(ws, ctx, "对标参考：判定标准与公开案例",
                  f"本工作簿判定达标所用的标准及图表中的参考值，逐项注明出处；“本年值”为{ctx.scope.unit_name}"
                  f"{ctx.year} 年的值。公开案例数据为各地整体的公开数字（indicators/published/peer_cases.csv），"
                  "仅作对照；口径可能与本表指标不同（如工作日与自然日），请结合出处说明使用。")
    _header_row(ws, HEADER_ROW, _BENCH_HEADERS)
    row = HEADER_ROW + 1
    if rows.empty:
        put_label(ws, row, 1, "本工作簿的指标均未设标准或参考值。", font=_F_MUTED)
    for rec in rows.itertuples(index=False):
        ind = by_id[rec.indicator_id]
        std = ind.standard if rec.role == "standard" else next(
            r for r in ind.references if (r.label_zh or "") == rec.label)
        value = values.get(ind.id, float("nan"))
        if rec.role == "standard":
            status, _ = evaluate(pd.Series([value]), std)
            verdict = {PASS: "达到", FAIL: "未达到"}.get(status.iloc[0], "无数据")
        else:   # a reference may be in another unit or definition (working days, one category)
            verdict = "仅作参考"
        texts = [fmt.header_label(ind), _ROLE_ZH.get((rec.role, rec.basis), rec.role),
                 fmt.standard_label(std)]
        for c, text in enumerate(texts, start=1):
            put_text(ws, row, c, text, font=_F_BODY, alignment=WRAP_TOP, border=GRID_BORDER)
        put_number(ws, row, 4, _num(value), fmt.value_format(ind), font=_F_BODY,
                   alignment=_TOP, border=GRID_BORDER)
        put_label(ws, row, 5, verdict, alignment=_TOP, border=GRID_BORDER,
                  font=_F_FAIL if verdict == "未达到" else _F_PASS if verdict == "达到" else _F_MUTED)
        for c, text in zip((6, 7, 8), (rec.source, rec.place, rec.figure)):
            put_text(ws, row, c, text, font=_F_BODY, alignment=WRAP_TOP, border=GRID_BORDER)
        unit = "" if pd.isna(rec.published_unit) else str(rec.published_unit)
        ratio = unit.startswith("比例")
        put_number(ws, row, 9, _num(rec.published_value), "0.0%" if ratio else "#,##0.###",
                   font=_F_BODY, alignment=_TOP, border=GRID_BORDER)
        for c, text in zip((10, 11, 12), (unit, rec.article, rec.author)):
            put_text(ws, row, c, text, font=_F_BODY, alignment=WRAP_TOP, border=GRID_BORDER)
        row += 1
    set_column_widths(ws, {1: 16, 2: 14, 3: 14, 4: 10, 5: 7, 6: 40, 7: 12, 8: 16, 9: 9, 10: 9,
                           11: 22, 12: 16})
    fit_row_heights(ws, range(HEADER_ROW + 1, row))
    _finish(ws, ctx, f"{HEADER_ROW}:{HEADER_ROW}", f"B{HEADER_ROW + 1}")


# --------------------------------------------------------------------------- 指标说明

_DEF_HEADERS = ["序号", "指标编号", "指标名称", "计量单位", "计算公式（口径）", "方向", "标准",
                "标准来源与参考值", "最小样本量"]


def _write_definitions(ws: Worksheet, ctx: _Context) -> None:
    _sheet_header(ws, ctx, "指标说明",
                  "比率类指标均为分子合计 ÷ 分母合计（不对下级比率取平均）；中位数由逐小时直方图汇总求得。"
                  "样本量低于最小样本量的单位标记为样本量小，不参与排名。参考值为同行公开数据，仅作对照，不用于判定达标。")
    _header_row(ws, HEADER_ROW, _DEF_HEADERS)
    for r, ind in enumerate(ctx.indicators):
        row = HEADER_ROW + 1 + r
        std = standard_of(ind)
        sources = [f"标准：{std.source_zh}"] if std is not None and getattr(std, "source_zh", "") \
            else []
        sources += [f"参考：{getattr(x, 'label_zh', '')}（{getattr(x, 'source_zh', '')}）"
                    for x in (getattr(ind, "references", ()) or ())]
        texts = [str(r + 1), ind.id, ind.name_zh, getattr(ind, "unit_zh", ""),
                 getattr(ind, "formula_zh", ""), DIRECTION_ZH.get(ind.direction, ind.direction),
                 fmt.standard_label(std), "\n".join(sources)]
        for c, text in enumerate(texts, start=1):
            put_text(ws, row, c, text, font=_F_SMALL_PLAIN if c == 2 else _F_BODY, alignment=WRAP_TOP,
                     border=GRID_BORDER)
        put_number(ws, row, 9, getattr(ind, "min_count", None) or None, "#,##0", font=_F_BODY,
                   alignment=_TOP, border=GRID_BORDER)
    set_column_widths(ws, {1: 5, 2: fit_width([i.id for i in ctx.indicators], 12, 28), 3: 14,
                           4: 8, 5: 38, 6: 9, 7: 16, 8: 46, 9: 8})
    fit_row_heights(ws, range(HEADER_ROW + 1, HEADER_ROW + 1 + len(ctx.indicators)))
    _finish(ws, ctx, f"{HEADER_ROW}:{HEADER_ROW}", f"D{HEADER_ROW + 1}")


# --------------------------------------------------------------------------- 数据质量

def _write_quality(ws: Worksheet, ctx: _Context) -> None:
    report = ctx.dataset.report
    sources = list(report.sources)
    _sheet_header(ws, ctx, "数据质量",
                  "每个文件（工作表）均满足：读取行数 ＝ 接受 ＋ 拒绝 ＋ 空行。被拒绝的行不参与计算，"
                  "可在看板“数据质量”页下载明细。")
    headers = ["数据表", "文件", "工作表", "读取行数", "接受", "拒绝", "空行", "核对"]
    _header_row(ws, HEADER_ROW, headers)
    row = HEADER_ROW + 1
    text_cols: dict[int, list[str]] = {1: [], 2: [], 3: []}
    for s in sources:
        cells = [TABLE_NAMES_ZH.get(s.table, s.table), s.file, s.sheet or ""]
        for c, text in enumerate(cells, start=1):
            put_text(ws, row, c, text, font=_F_BODY, border=GRID_BORDER)
            text_cols[c].append(str(text))
        for c, n in enumerate([s.rows_read, s.accepted, s.rejected, s.blank], start=4):
            put_number(ws, row, c, n, "#,##0", font=_F_FAIL if c == 6 and n else _F_BODY,
                       border=GRID_BORDER)
        put_label(ws, row, 8, "平衡" if s.reconciles else "不平衡", border=GRID_BORDER,
                  font=_F_BODY if s.reconciles else _F_FAIL)
        row += 1
    put_label(ws, row, 1, "合计", font=_F_BOLD, fill=TOTAL_FILL, border=GRID_BORDER)
    for c in (2, 3, 8):
        put_label(ws, row, c, "", fill=TOTAL_FILL, border=GRID_BORDER)
    for c, n in enumerate([report.rows_read, report.accepted, report.rejected, report.blank],
                          start=4):
        put_number(ws, row, c, n, "#,##0", font=_F_BOLD, fill=TOTAL_FILL, border=GRID_BORDER)
    row += 2
    row = _write_excluded(ws, ctx, row) + 1

    # rejected rows counted per rule (file × sheet × rule), with one example
    counts: Counter[tuple[int, str]] = Counter()
    example: dict[tuple[int, str], Any] = {}
    for k, s in enumerate(sources):
        for e in s.errors:
            counts[(k, e.rule)] += 1
            example.setdefault((k, e.rule), e)
    put_label(ws, row, 1, "问题按规则统计", font=_F_SECTION)
    row += 1
    _header_row(ws, row, ["数据表", "文件", "工作表", "问题数", "问题", "", "示例（行 / 列 / 值）", ""])
    _merge_pairs(ws, row)
    row += 1
    if not counts:
        put_label(ws, row, 1, "未发现问题。", font=_F_MUTED)
        row += 1
    rule_names = _rule_names_zh()
    for (k, rule), n in sorted(counts.items(), key=lambda kv: (kv[0][0], -kv[1])):
        s, e = sources[k], example[(k, rule)]
        for c, text in enumerate([TABLE_NAMES_ZH.get(s.table, s.table), s.file, s.sheet or ""],
                                 start=1):
            put_text(ws, row, c, text, font=_F_BODY, border=GRID_BORDER)
        put_number(ws, row, 4, n, "#,##0", font=_F_FAIL, border=GRID_BORDER)
        put_text(ws, row, 5, rule_names.get(rule) or e.message or rule, font=_F_BODY,
                 border=GRID_BORDER)
        put_text(ws, row, 7, f"第 {e.row} 行 / {e.column} / {e.value}", font=_F_BODY,
                 border=GRID_BORDER)
        _merge_pairs(ws, row)
        row += 1

    extra = [(f.get("file", ""), f.get("message", ""), "无法读取") for f in report.fatal]
    extra += [(s.file, w, "警告") for s in sources for w in s.warnings]
    if extra:
        row += 1
        put_label(ws, row, 1, "无法读取的文件与警告", font=_F_SECTION)
        row += 1
        _header_row(ws, row, ["类别", "文件", "说明", "", "", "", "", ""])
        ws.merge_cells(start_row=row, start_column=3, end_row=row, end_column=8)
        row += 1
        for file, message, kind in extra:
            put_label(ws, row, 1, kind, font=_F_FAIL if kind == "无法读取" else _F_BODY,
                      border=GRID_BORDER)
            put_text(ws, row, 2, file, font=_F_BODY, border=GRID_BORDER)
            put_text(ws, row, 3, message, font=_F_BODY, border=GRID_BORDER)
            ws.merge_cells(start_row=row, start_column=3, end_row=row, end_column=8)
            row += 1

    # the first problems one by one, to hand back to the offices that sent the files
    details = [(s, e) for s in sources for e in s.errors]
    if details:
        row += 1
        shown = details[:MAX_ERROR_DETAILS]
        more = (f"（共 {len(details):,} 条，列出前 {len(shown):,} 条；完整明细可在看板“数据质量”页下载）"
                if len(details) > len(shown) else f"（共 {len(details):,} 条）")
        put_label(ws, row, 1, f"问题明细{more}", font=_F_SECTION)
        row += 1
        _header_row(ws, row, ["数据表", "文件", "工作表", "Excel 行号", "列", "", "原始值", "问题"])
        ws.merge_cells(start_row=row, start_column=5, end_row=row, end_column=6)
        row += 1
        rule_names = _rule_names_zh()
        for s, e in shown:
            for c, text in enumerate([TABLE_NAMES_ZH.get(s.table, s.table), s.file,
                                      s.sheet or ""], start=1):
                put_text(ws, row, c, text, font=_F_BODY, border=GRID_BORDER)
            put_number(ws, row, 4, e.row, "0", font=_F_BODY, border=GRID_BORDER)
            put_text(ws, row, 5, e.column, font=_F_BODY, border=GRID_BORDER)
            ws.cell(row, 6).border = GRID_BORDER
            ws.merge_cells(start_row=row, start_column=5, end_row=row, end_column=6)
            put_text(ws, row, 7, e.value, font=_F_BODY, border=GRID_BORDER)
            put_text(ws, row, 8, rule_names.get(e.rule) or e.message or e.rule, font=_F_BODY,
                     border=GRID_BORDER)
            row += 1
    row = _write_export_notes(ws, ctx, row + 1)
    set_column_widths(ws, {1: 18, 2: fit_width(text_cols[2] + ["文件"], 12, 40),
                           3: fit_width(text_cols[3] + ["工作表"], 8, 20), 4: 11, 5: 11,
                           6: 11, 7: 14, 8: 18})
    _finish(ws, ctx, f"{HEADER_ROW}:{HEADER_ROW}", f"A{HEADER_ROW + 1}")


def _excluded_reason(ind: Any, row: pd.Series) -> str:
    """Why an indicator leaves records out: the table's ``excluded_reason`` when it has one,
    else the catalog's reasons (``Indicator.excluded``: Exclusion objects with ``reason_zh``, or
    the name of a measure described in indicators.measures.MEASURES)."""
    given = row.get("excluded_reason")
    if isinstance(given, str) and given.strip():
        return given
    excluded = getattr(ind, "excluded", "") or ""
    if isinstance(excluded, str):
        try:
            from indicators.measures import MEASURES
            return getattr(MEASURES.get(excluded), "description_zh", "") or excluded
        except ImportError:  # pragma: no cover - indicators/ is part of the project
            return excluded
    return "；".join(getattr(e, "reason_zh", "") or str(getattr(e, "measure", e))
                    for e in excluded)


def _write_excluded(ws: Worksheet, ctx: _Context, row: int) -> int:
    """Records each rate of the scope unit left out in the review year (the table's
    ``excluded`` column: tickets without a due date, unrated tickets …), with the reason.
    Returns the next free row."""
    t = ctx.ytab
    here = t.loc[(t["level"] == ctx.scope.level)
                 & (t["unit_id"].astype("string") == ctx.scope.unit_id)]
    if "excluded" not in here.columns:
        return row
    here = here.set_index(here["indicator_id"].astype(str))
    put_label(ws, row, 1, f"计算中排除的记录（{ctx.scope.unit_name}，{ctx.year} 年）", font=_F_SECTION)
    row += 1
    _header_row(ws, row, ["指标", "排除原因", "", "计入记录数", "排除记录数", "排除占比", "", ""])
    ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=3)
    row += 1
    shown = 0
    for ind in ctx.indicators:
        if not getattr(ind, "excluded", "") or ind.id not in here.index:
            continue
        rec = here.loc[ind.id]
        excluded, counted = _num(rec["excluded"]), _num(rec["denominator"])
        if excluded is None:
            continue
        put_text(ws, row, 1, ind.name_zh, font=_F_BODY, border=GRID_BORDER, alignment=WRAP_TOP)
        put_text(ws, row, 2, _excluded_reason(ind, rec), font=_F_BODY, border=GRID_BORDER,
                 alignment=WRAP_TOP)
        ws.cell(row, 3).border = GRID_BORDER
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=3)
        put_number(ws, row, 4, counted, "#,##0", font=_F_BODY, border=GRID_BORDER)
        put_number(ws, row, 5, excluded, "#,##0", font=_F_FAIL if excluded else _F_BODY,
                   border=GRID_BORDER)
        whole = (counted or 0) + excluded
        put_number(ws, row, 6, excluded / whole if whole else None, "0.0%", font=_F_BODY,
                   border=GRID_BORDER)
        row += 1
        shown += 1
    if not shown:
        put_label(ws, row, 1, "各项指标均未排除记录。", font=_F_MUTED)
        row += 1
    return row


#: Cells listed by address per sheet and kind on 导出处理说明 (the count is always complete).
MAX_NOTE_CELLS = 20
_NOTE_KIND_ZH = {"control": "删除控制字符", "truncated": "超长文本截断"}


def _write_export_notes(ws: Worksheet, ctx: _Context, row: int) -> int:
    """导出处理说明: every text the workbook had to change to store it (control characters
    removed, text cut at 32,767 characters) by sheet with the cells' addresses, and every level
    that continued on further sheets.  Returns the next free row."""
    put_label(ws, row, 1, "导出处理说明", font=_F_SECTION)
    row += 1
    _header_row(ws, row, ["工作表", "处理", "说明", "", "", "", "", ""])
    ws.merge_cells(start_row=row, start_column=3, end_row=row, end_column=8)
    row += 1
    notes: dict[tuple[str, str], list[CellNote]] = {}
    for note in list(cell_notes(ws.parent)):
        notes.setdefault((note.sheet, note.kind), []).append(note)
    lines = []
    for (sheet, kind), group in notes.items():
        cells = "、".join(n.cell for n in group[:MAX_NOTE_CELLS])
        more = f" 等（共 {len(group):,} 个单元格）" if len(group) > MAX_NOTE_CELLS else ""
        chars = sum(n.count for n in group)
        what = (f"删除了 {chars:,} 个无法写入 Excel 的控制字符（\\x00–\\x1f）" if kind == "control"
                else f"文本超过单元格上限 {EXCEL_MAX_CELL_CHARS:,} 字符，共截去 {chars:,} 个字符，"
                     f"截断处以“{TRUNCATION_MARKER.strip('…')}”标明")
        lines.append((sheet, _NOTE_KIND_ZH.get(kind, kind),
                      f"{len(group):,} 个单元格{what}：{cells}{more}"))
    lines += [(sheet, "拆分工作表", text) for sheet, text in ctx.split_notes]
    if not lines:
        put_label(ws, row, 1, "无：所有文本均原样写入，没有拆分工作表。", font=_F_MUTED)
        return row + 1
    for sheet, kind, text in lines:
        put_text(ws, row, 1, sheet, font=_F_BODY, border=GRID_BORDER, alignment=WRAP_TOP)
        put_label(ws, row, 2, kind, font=_F_FAIL, border=GRID_BORDER, alignment=WRAP_TOP)
        put_text(ws, row, 3, text, font=_F_BODY, border=GRID_BORDER, alignment=WRAP_TOP)
        for col in range(4, 9):
            ws.cell(row, col).border = GRID_BORDER
        ws.merge_cells(start_row=row, start_column=3, end_row=row, end_column=8)
        # merged wrapped text: Excel does not grow the row, so size it for ~70 characters a line
        ws.row_dimensions[row].height = 14 * max(1, -(-display_width(text) // 140)) + 3
        row += 1
    return row


def _merge_pairs(ws: Worksheet, row: int) -> None:
    """Merge columns E:F and G:H of a row (the wide text cells of the rule table)."""
    for first in (5, 7):
        for col in (first, first + 1):
            ws.cell(row, col).border = GRID_BORDER
        ws.merge_cells(start_row=row, start_column=first, end_row=row, end_column=first + 1)


def _rule_names_zh() -> dict[str, str]:
    """Chinese rule names, shared with the dashboard's load report when data/ provides them."""
    try:
        from data.validate import RULE_ZH
        return {**RULE_NAMES_ZH, **RULE_ZH}
    except ImportError:  # pragma: no cover - data/ is part of the project
        return dict(RULE_NAMES_ZH)


# --------------------------------------------------------------------------- 封面

def _register_text(register_years: pd.DataFrame | None, year: int) -> str:
    """Which register (台账) each table used for ``year``: ``网格台账 2025 年；党群服务阵地
    未注明年份（沿用）`` — from ``Results.register_years`` (period, table, register_year,
    fallback)."""
    if register_years is None or register_years.empty:
        return "—"
    rows = register_years.loc[register_years["period"].astype("string") == str(year)]
    parts = []
    for table, ry, fallback in zip(rows["table"], rows["register_year"], rows["fallback"]):
        name = TABLE_NAMES_ZH.get(str(table), str(table))
        if pd.isna(ry):
            parts.append(f"{name} 未注明年份的台账")
        elif bool(fallback):
            parts.append(f"{name} {int(ry)} 年（无 {year} 年台账，沿用最近一期）")
        else:
            parts.append(f"{name} {int(ry)} 年")
    return "；".join(parts) or "—"


def _write_cover(ws: Worksheet, ctx: _Context, sheets: list[tuple[str, str]]) -> None:
    ds = ctx.dataset
    put_label(ws, 1, 1, ctx.title, font=font(18, bold=True))
    ws.merge_cells("A1:H1")
    ws.row_dimensions[1].height = 36
    row = 2
    if getattr(ds, "is_sample", False):
        put_label(ws, row, 1, "【示例数据】本工作簿由示例数据生成，仅供演示，不代表任何地区的真实情况。",
                  font=_F_SAMPLE)
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=8)
    row += 1
    cutoff = getattr(ds, "cutoff", None)
    levels_zh = " → ".join(ctx.level_zh(lv) for lv in ds.levels)
    counts = "，".join(f"{ctx.level_zh(lv)} {len(df):,} 个" for lv, df in ctx.units.items())
    facts = [("评议范围", ctx.scope_zh), ("评议年度", f"{ctx.year} 年"),
             ("数据截止日期", pd.Timestamp(cutoff).strftime("%Y-%m-%d") if cutoff is not None
              and not pd.isna(cutoff) else "未指定"),
             ("生成时间", ctx.generated_at.strftime("%Y-%m-%d %H:%M")),
             ("数据集", ds.name), ("层级", levels_zh), ("单位数", counts),
             ("台账年份", _register_text(ctx.register_years, ctx.year)),
             ("指标数", f"{len(ctx.indicators)} 项（{sum(standard_of(i) is not None for i in ctx.indicators)} 项有标准）")]
    for label, value in facts:
        row += 1
        put_label(ws, row, 1, label, font=_F_BOLD, alignment=LEFT_CENTER)
        put_text(ws, row, 2, value, font=_F_BODY)
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=8)

    row += 2
    put_label(ws, row, 1, "工作簿内容", font=_F_SECTION)
    for name, what in sheets:
        row += 1
        cell = put_text(ws, row, 1, name, font=_F_LINK)
        # an internal link (location), not an external target: Excel jumps to the sheet
        cell.hyperlink = Hyperlink(ref=cell.coordinate,
                                   location="'{}'!A1".format(name.replace("'", "''")))
        put_text(ws, row, 2, what, font=_F_BODY)
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=8)

    row += 2
    put_label(ws, row, 1, "数据来源", font=_F_SECTION)
    row += 1
    _header_row(ws, row, ["数据表", "文件", "工作表", "SHA-256（文件指纹）", "读取行数", "接受",
                          "拒绝", "空行"])
    files, sheets_txt = [], []
    for s in ds.report.sources:
        row += 1
        put_text(ws, row, 1, TABLE_NAMES_ZH.get(s.table, s.table), font=_F_BODY, border=GRID_BORDER)
        put_text(ws, row, 2, s.file, font=_F_BODY, border=GRID_BORDER, alignment=WRAP_TOP)
        put_text(ws, row, 3, s.sheet or "", font=_F_BODY, border=GRID_BORDER)
        put_text(ws, row, 4, s.sha256, font=_F_MONO, border=GRID_BORDER)
        for c, n in enumerate([s.rows_read, s.accepted, s.rejected, s.blank], start=5):
            put_number(ws, row, c, n, "#,##0", font=_F_BODY, border=GRID_BORDER)
        files.append(str(s.file))
        sheets_txt.append(str(s.sheet or ""))
    if not ds.report.sources:
        row += 1
        put_label(ws, row, 1, "（无来源文件记录）", font=_F_MUTED)
    set_column_widths(ws, {1: 14, 2: fit_width(files, 14, 34), 3: fit_width(sheets_txt, 8, 16),
                           4: 66, 5: 10, 6: 10, 7: 10, 8: 10})
    ws.sheet_view.showGridLines = False
    setup_print(ws, "", ctx.title)
    ws.page_setup.fitToHeight = 1          # the cover is one sheet of paper, however many files
