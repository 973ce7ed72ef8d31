"""月度趋势: the scope unit's monthly values in the year beside the year before, and a native
Excel line chart per indicator (this year solid dark blue, last year dashed grey)."""
from __future__ import annotations

import math
from typing import Any, Iterable

import pandas as pd
from openpyxl.chart import LineChart, Reference
from openpyxl.chart.axis import ChartLines
from openpyxl.chart.marker import DataPoint, Marker
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from reports import formats as fmt
from reports.cells import (GRID_BORDER, HEADER_FILL, WRAP_CENTER, put_label, put_number,
                           set_column_widths)
from reports.frames import standard_of
from reports.sheets.summary import provisional_format
from reports.sheets.common import (HEADER_ROW, Context, sheet_header, finish, conditional_pass_fail,
                                   as_float, indicator_column_width, CENTER, F_HEADER, F_BODY,
                                   F_MUTED, F_SECTION)

MONTHS = [f"{m:02d}" for m in range(1, 13)]

_CHART_W_CM, _CHART_H_CM, _CHARTS_PER_ROW = 15.0, 7.0, 2
#: Rows of charts printed on one A4 landscape page.
_CHART_ROWS_PER_PAGE = 2
#: Colours of the two years' lines: this year dark blue, solid; last year grey, dashed (told
#: apart without colour, and in grey print).
_LINE_THIS, _LINE_LAST = "1F4E79", "8C8C8C"


def monthly_format(ind: Any, values: Iterable[float]) -> str:
    """The number format of an indicator's monthly values: its own decimals, or more when the
    months are small — the smallest non-zero month shows two significant digits (a monthly
    0.013 小时/人 reads 0.013, not 0.01)."""
    base = fmt.value_format(ind)
    shown = [abs(float(v)) for v in values if v is not None and v == v and float(v) != 0]
    if not shown or fmt.is_rate(ind):
        return base
    decimals = int(getattr(ind, "decimals", 1) or 0)
    needed = max(decimals, min(4, -math.floor(math.log10(min(shown))) + 1))
    if needed == decimals:
        return base
    dec = "." + "0" * needed
    return f'0{dec}" 天"' if fmt.is_days(ind) else f"#,##0{dec}"


def rate_axis_bounds(values: Iterable[float]) -> tuple[float, float]:
    """(min, max) of a rate's chart axis: never above 100 % nor below 0, the lower bound a
    tenth below the lowest month rounded down (so small changes still show)."""
    shown = [float(v) for v in values if v is not None and v == v]
    low = min(shown) if shown else 0.0
    return max(0.0, math.floor((low - 0.05) * 10) / 10), 1.0


def _monthly_wide(ctx: Context, year: int, column: str = "value") -> pd.DataFrame:
    """months (``"01"`` … ``"12"``) × indicator ids: the scope unit's monthly ``column``
    (value, or provisional) of ``year``."""
    t = ctx.table
    rows = t.loc[(t["level"] == ctx.scope.level)
                 & (t["unit_id"].astype("string") == ctx.scope.unit_id)
                 & t["period"].astype("string").str.fullmatch(rf"{year}-\d\d").fillna(False)]
    if column not in rows.columns:
        rows = rows.assign(**{column: False})
    wide = rows.assign(month=rows["period"].astype("string").str.slice(5, 7)) \
        .pivot(index="month", columns="indicator_id", values=column)
    return wide.reindex(index=MONTHS)


def write_trends(ws: Worksheet, ctx: Context) -> None:
    """The scope unit's monthly values, this year beside last year, and one native Excel line
    chart per indicator (two series: the two years over the twelve months)."""
    this, last = _monthly_wide(ctx, ctx.year), _monthly_wide(ctx, ctx.year - 1)
    prov = _monthly_wide(ctx, ctx.year, "provisional").astype("boolean").fillna(False)
    inds = [i for i in ctx.indicators if i.id in this.columns and this[i.id].notna().any()]
    sheet_header(ws, ctx, f"{ctx.year} 年{ctx.scope.unit_name}月度趋势（与 {ctx.year - 1} 年同月对照）",
                  "各月按当月受理或发生的记录计算；台账类指标（网格、阵地）无月度值时不列出。"
                  f"本年值底色：蓝色＝达到标准，橙色加粗＝未达标准。折线图：深蓝实线＝{ctx.year} 年，"
                  f"灰色虚线＝{ctx.year - 1} 年。标“（暂定）”的月份截至数据截止日仍有工单可能办结，"
                  "数值还会变化，不判定达标与否；折线图中为空心点、点线。")
    year_row = HEADER_ROW + 1
    first = year_row + 1
    put_label(ws, HEADER_ROW, 1, "月份", font=F_HEADER, fill=HEADER_FILL, alignment=WRAP_CENTER,
              border=GRID_BORDER)
    put_label(ws, year_row, 1, "", fill=HEADER_FILL, border=GRID_BORDER)
    ws.merge_cells(start_row=HEADER_ROW, start_column=1, end_row=year_row, end_column=1)
    widths = {1: 8.0}
    for k, ind in enumerate(inds):
        col = 2 + 2 * k
        label = fmt.header_label_stacked(ind)
        put_label(ws, HEADER_ROW, col, label, font=F_HEADER, fill=HEADER_FILL,
                  alignment=WRAP_CENTER, border=GRID_BORDER)
        put_label(ws, HEADER_ROW, col + 1, "", fill=HEADER_FILL, border=GRID_BORDER)
        ws.merge_cells(start_row=HEADER_ROW, start_column=col, end_row=HEADER_ROW,
                       end_column=col + 1)
        for c, y in ((col, ctx.year), (col + 1, ctx.year - 1)):
            put_label(ws, year_row, c, f"{y} 年", font=F_HEADER if y == ctx.year else F_MUTED,
                      fill=HEADER_FILL, alignment=CENTER, border=GRID_BORDER)
        # two columns share the header: each needs half of its width (never under 9: 100.0%)
        half = max(9.0, indicator_column_width(label) * 0.62)
        widths[col] = widths[col + 1] = half
        if ind.id in prov.columns and prov[ind.id].any():   # room for “77.4%（暂定）”
            widths[col] = max(half, 14.0)
    ws.row_dimensions[HEADER_ROW].height = 44
    formats = {ind.id: monthly_format(ind, list(this[ind.id]) + (
        list(last[ind.id]) if ind.id in last.columns else [])) for ind in inds}
    for r, month in enumerate(MONTHS):
        row = first + r
        put_label(ws, row, 1, f"{int(month)} 月", font=F_BODY, border=GRID_BORDER,
                  alignment=CENTER)
        for k, ind in enumerate(inds):
            vfmt = formats[ind.id]
            is_prov = ind.id in prov.columns and bool(prov.at[month, ind.id])
            put_number(ws, row, 2 + 2 * k, as_float(this.at[month, ind.id]),
                       provisional_format(vfmt) if is_prov else vfmt, font=F_BODY,
                       border=GRID_BORDER)
            before = last.at[month, ind.id] if ind.id in last.columns else None
            put_number(ws, row, 3 + 2 * k, as_float(before), vfmt, font=F_MUTED,
                       border=GRID_BORDER)
    end = first + len(MONTHS) - 1
    for k, ind in enumerate(inds):
        letter = get_column_letter(2 + 2 * k)
        months_prov = (prov[ind.id].to_numpy(dtype=bool) if ind.id in prov.columns
                       else [False] * 12)
        # provisional months (the last ones) are not coloured: the rule stops before them
        judged = next((r for r, p in enumerate(months_prov) if p), len(MONTHS))
        if judged:
            conditional_pass_fail(ws, f"{letter}{first}:{letter}{first + judged - 1}",
                                  standard_of(ind))
    if not inds:
        put_label(ws, first, 2, "本年无月度指标数据。", font=F_MUTED)
    set_column_widths(ws, widths)
    _trend_charts(ws, ctx, inds, year_row, first, end, widths, prov)
    # no repeated header rows: the table fits its page, and repeated above the chart pages
    # they would print a stray table header over every page of charts
    finish(ws, ctx, "", f"B{first}")


def _trend_charts(ws: Worksheet, ctx: Context, inds: list[Any], title_row: int, first: int,
                  last: int, widths: dict[int, float], prov: pd.DataFrame | None = None) -> None:
    """One line chart per indicator below the table, ``_CHARTS_PER_ROW`` side by side."""
    if not inds:
        return
    top = last + 3
    # the charts start on a page of their own: a chart is never cut across two sheets of paper
    ws.row_breaks.append(Break(id=top - 2))
    put_label(ws, top - 1, 1, f"折线图（{ctx.year} 年与 {ctx.year - 1} 年逐月对照）", font=F_SECTION)
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
        if prov is not None and ind.id in prov.columns:     # 暂定 months: hollow, dotted
            for idx in [i for i, p in enumerate(prov[ind.id].to_numpy(dtype=bool)) if p]:
                point = DataPoint(idx=idx)
                point.marker = Marker(symbol="circle", size=7)
                point.marker.graphicalProperties = GraphicalProperties(noFill=True)
                point.marker.graphicalProperties.line.solidFill = _LINE_THIS
                point.graphicalProperties.line.solidFill = _LINE_THIS
                point.graphicalProperties.line.dashStyle = "sysDot"
                chart.series[0].dPt.append(point)
        chart.y_axis.number_format = fmt.value_format(ind) if fmt.is_rate(ind) else \
            monthly_format(ind, [ws.cell(r, c).value for r in range(first, last + 1)
                                 for c in (col, col + 1)])
        if fmt.is_rate(ind):      # a rate's axis stays within 0–100 % (Excel's own ran to 120 %)
            low, high = rate_axis_bounds(ws.cell(r, c).value for r in range(first, last + 1)
                                         for c in (col, col + 1))
            chart.y_axis.scaling.min, chart.y_axis.scaling.max = low, high
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
