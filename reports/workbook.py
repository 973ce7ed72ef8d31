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

This module assembles the workbook; each sheet family is written by its own module in
:mod:`reports.sheets` (``common`` holds what they share).
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Sequence

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from reports.cells import EXCEL_MAX_ROWS, sheet_title
from reports.frames import resolve_scope, scoped_units, year_table
from reports.plain import plain_indicator
from reports.sheets.benchmarks import write_benchmarks
from reports.sheets.common import (HEADER_ROW, Context, default_level_names, place_name,
                                   workbook_title)
from reports.sheets.cover import write_cover
from reports.sheets.definitions import write_definitions
from reports.sheets.failing import failing_frame, write_failing
from reports.sheets.levels import LEVEL_FIRST_ROW, level_data, write_level
from reports.sheets.quality import write_quality
from reports.sheets.summary import write_summary
from reports.sheets.trends import write_trends

#: Rows one worksheet may hold (Excel's limit); a level sheet with more units continues on
#: further sheets.  Tests patch it to a small number.
MAX_SHEET_ROWS = EXCEL_MAX_ROWS


# --------------------------------------------------------------------------- entry point

def review_context(results: Any, year: int, scope: str | None = None,
                   generated_at: datetime | None = None) -> Context:
    """What the workbook's sheets and the Word report (reports.review) read: the year's rows,
    the scope and the units under it, the indicators present that year with plain texts
    (reports.plain), the title. Raises ValueError as :func:`write_workbook` does."""
    dataset, table, catalog = results.dataset, results.table, results.catalog
    ytab = year_table(table, year)
    total_name = place_name(dataset.name) or "全市"
    level_names = {**default_level_names(), **(dataset.level_names or {})}
    sc = resolve_scope(dataset.units, list(dataset.levels), level_names, scope, total_name)
    units_by_level = scoped_units(dataset.units, list(dataset.levels), sc)
    present = set(ytab["indicator_id"].astype("string"))
    indicators = [plain_indicator(ind) for ind_id, ind in catalog.items() if ind_id in present]
    return Context(dataset=dataset, year=int(year), scope=sc, level_names=level_names,
                   indicators=indicators, ytab=ytab, table=table, units=units_by_level,
                   title=workbook_title(dataset.name, sc, int(year)),
                   generated_at=generated_at or datetime.now().astimezone(),
                   register_years=getattr(results, "register_years", None))


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
    ctx = review_context(results, year, scope, generated_at)
    dataset, sc, level_names = ctx.dataset, ctx.scope, ctx.level_names

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

    add("汇总", "各指标本年值、达标情况、排名与同比变化", lambda ws: write_summary(ws, ctx))
    for level in sc.levels:
        data = level_data(ctx, level)
        name = level_names.get(level, level)
        add_parts(name, f"各{name}逐项指标值及同比", len(data.units),
                  max(1, (MAX_SHEET_ROWS - LEVEL_FIRST_ROW + 1) // 2), f"个{name}（每个占 2 行）",
                  lambda ws, rows, part, data=data: write_level(ws, ctx, data, rows, part))
    fail_levels = list(failing_levels) if failing_levels else (
        sc.levels[:-1] if len(sc.levels) > 1 else sc.levels)
    groups = failing_frame(ctx, fail_levels)
    add_parts("不达标清单", "未达到标准的单位及差距", sum(len(g[2]) for g in groups),
              max(1, MAX_SHEET_ROWS - HEADER_ROW), "行不达标记录",
              lambda ws, rows, part: write_failing(ws, ctx, fail_levels, groups, rows, part))
    add("月度趋势", f"{sc.unit_name}逐月指标值（本年与上年）及折线图",
        lambda ws: write_trends(ws, ctx))
    add("对标参考", "判定标准与公开案例参考值及其出处", lambda ws: write_benchmarks(ws, ctx))
    add("指标说明", "指标口径、公式、方向、标准及来源", lambda ws: write_definitions(ws, ctx))
    add("数据质量", "各文件读取、接受、拒绝行数，排除记录数与导出处理说明",
        lambda ws: write_quality(ws, ctx))

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
    write_cover(cover, ctx, [(ws.title, what) for ws, what, _ in plan])
    tick(cover.title)
    quality, _, quality_writer = plan[-1]
    quality_writer(quality)
    tick(quality.title)
    from reports.yearly import add_yearly_sheets   # 已锁定 mark, 锁定后变动, 区划调整 (issue 17)
    add_yearly_sheets(wb, results, int(year), cover, scope=scope)

    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    if progress is not None:
        progress(total, total, "")
    return out
