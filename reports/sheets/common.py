"""What every sheet of the annual review workbook shares: the context the writers read,
the title / note / header rows, printing set-up, pass/fail conditional formatting, fonts and
the Chinese names of tables and rules."""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Iterable

import pandas as pd
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from reports.cells import (FAIL_FILL, FAIL_FONT_COLOR, GRID_BORDER, HEADER_FILL, MUTED_FONT_COLOR,
                           PASS_FILL, PASS_FONT_COLOR, WRAP_CENTER, display_width, font, put_label,
                           safe_text, setup_print)
from reports.frames import FAIL, PASS, Scope

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

F_TITLE = font(16, bold=True)
F_SUBTITLE = font(10, color=MUTED_FONT_COLOR)
F_HEADER = font(10, bold=True)
F_BODY = font(10)
F_BOLD = font(10, bold=True)
F_MUTED = font(10, color=MUTED_FONT_COLOR)
F_SMALL = font(9, italic=True, color=MUTED_FONT_COLOR)
F_PASS = font(10, color=PASS_FONT_COLOR)
F_FAIL = font(10, color=FAIL_FONT_COLOR)
F_SECTION = font(12, bold=True)
F_SAMPLE = font(12, bold=True, color=FAIL_FONT_COLOR)
F_MONO = font(9)
F_SMALL_PLAIN = font(9)
F_LINK = font(10, color=PASS_FONT_COLOR)
CENTER = Alignment(horizontal="center")
RIGHT = Alignment(horizontal="right")
TOP = Alignment(vertical="top")

class Context:
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


def default_level_names() -> dict[str, str]:
    try:
        from data.model import LEVEL_NAMES_ZH
        return dict(LEVEL_NAMES_ZH)
    except ImportError:  # pragma: no cover - data/ is part of the project
        return {"total": "全市"}


def place_name(dataset_name: str) -> str:
    """The dataset's place name: ``示例市 2023–2025（示例数据）`` → ``示例市``,
    ``波士顿 2015（真实公开数据）`` → ``波士顿`` (a trailing year or year range and a note about
    the data in brackets are dropped; the full name is on the cover); the name itself when
    nothing is left."""
    place = re.sub(r"[（(][^）)]*(数据|data)[^）)]*[）)]", "", str(dataset_name), flags=re.I)
    place = re.sub(r"\s*\d{4}(\s*[-–—~～至]\s*\d{4})?\s*年?\s*$", "", place.strip())
    return safe_text(place).strip() or safe_text(dataset_name)


def workbook_title(dataset_name: str, scope: Scope, year: int) -> str:
    """``示例市 2025 年度党建引领基层治理指标评议`` — the dataset's place name, plus the scope
    unit's path when there is one."""
    place = place_name(dataset_name)
    if scope.level != "total":
        place = f"{place} {scope.path_zh.replace(' / ', '')}"
    return f"{place} {year} 年度党建引领基层治理指标评议"


def sheet_header(ws: Worksheet, ctx: Context, title: str, note: str) -> None:
    put_label(ws, TITLE_ROW, 1, title, font=F_TITLE)
    ws.row_dimensions[TITLE_ROW].height = 26
    put_label(ws, NOTE_ROW, 1, note, font=F_SUBTITLE)


def wrap_note(ws: Worksheet) -> None:
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


def header_row(ws: Worksheet, row: int, labels: Iterable[str], height: float = 30) -> None:
    for col, label in enumerate(labels, start=1):
        put_label(ws, row, col, label, font=F_HEADER, fill=HEADER_FILL, alignment=WRAP_CENTER,
                  border=GRID_BORDER)
    ws.row_dimensions[row].height = height


def finish(ws: Worksheet, ctx: Context, title_rows: str, freeze: str | None) -> None:
    """Wrap the note row across the table, freeze panes, set up printing."""
    wrap_note(ws)
    if freeze:
        ws.freeze_panes = freeze
    ws.sheet_view.zoomScale = 100
    setup_print(ws, title_rows, ctx.title)


def conditional_pass_fail(ws: Worksheet, rng: str, standard: Any,
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


def conditional_status_text(ws: Worksheet, rng: str) -> None:
    """Colour the 达标 / 未达标 text cells of a column range (text stays readable in grey print)."""
    first = rng.split(":")[0]
    ws.conditional_formatting.add(rng, FormulaRule(formula=[f'{first}="{FAIL}"'], fill=FAIL_FILL,
                                                   font=Font(color=FAIL_FONT_COLOR, bold=True)))
    ws.conditional_formatting.add(rng, FormulaRule(formula=[f'{first}="{PASS}"'], fill=PASS_FILL,
                                                   font=Font(color=PASS_FONT_COLOR)))


def legend(has_standards: bool) -> str:
    return ("底色：蓝色＝达到标准，橙色加粗＝未达标准；灰色斜体＝样本量小（不参与排名）。"
            if has_standards else "灰色斜体＝样本量小（不参与排名）。")


def is_true(x: Any) -> bool:
    """True for True / np.True_; False for False, None, NA and NaN."""
    return x is not None and not pd.isna(x) and bool(x)


def as_float(x: Any) -> float | None:
    return None if x is None or pd.isna(x) else float(x)


def indicator_column_width(header: str) -> float:
    """Width of an indicator column: the header on ≤ 4 lines, never under 8.5 (``100.0%``,
    ``22,537``, ``3.6 天`` fit)."""
    name_w = max(display_width(part) for part in header.split("\n"))
    return float(min(max(8.5, -(-name_w // 3) + 2.5), 13))


def ancestor_levels(ctx: Context, level: str) -> list[str]:
    """Levels strictly between the scope and ``level`` (their names give context)."""
    return ctx.scope.levels[: ctx.scope.levels.index(level)]
