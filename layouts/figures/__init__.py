"""Figure builders: pure functions ``(data_frame, indicator, …) -> go.Figure``.

They take rows already sliced from the indicator table (docs/architecture.md §3), never raw
records, and know nothing about Dash. Colours are colour-blind safe (blue / orange / grey, from
the Okabe–Ito and ColorBrewer RdBu/PuOr families) and every colour is doubled by text.

One module per figure family — bars (ranked bar chart), trends (monthly, yearly, one unit's
line), matrix (units × indicators), scatter (two indicators) — and base for what they share;
every name is importable from ``layouts.figures`` as before.
"""
from __future__ import annotations

import plotly.graph_objects as go

from layouts.figures.bars import (BAR_HEIGHT_PX, MAX_BARS, REFERENCE_SPAN, ChartSelection,
                                  quartiles, ranked_bar, select_chart_rows)
from layouts.figures.base import (COLOURS, FONT_FAMILY, LIGHT_GREY, REFERENCE_LINE,
                                  STANDARD_LINE, count_text, value_texts)
from layouts.figures.matrix import (MATRIX_CODES, MATRIX_COLOURS, MATRIX_COMPACT_ABOVE,
                                    MATRIX_SMALL_TEXT_ABOVE, status_matrix)
from layouts.figures.scatter import MAX_SCATTER_LABELS, two_indicator_scatter
from layouts.figures.trends import (MAX_TREND_UNITS, UNIT_COLOURS, monthly_trend, yearly_line,
                                    yearly_trend)

__all__ = [
    "BAR_HEIGHT_PX", "COLOURS", "ChartSelection", "FONT_FAMILY", "LIGHT_GREY", "MATRIX_CODES",
    "MATRIX_COLOURS", "MATRIX_COMPACT_ABOVE", "MATRIX_SMALL_TEXT_ABOVE", "MAX_BARS",
    "MAX_SCATTER_LABELS", "MAX_TREND_UNITS", "REFERENCE_LINE", "REFERENCE_SPAN",
    "STANDARD_LINE", "UNIT_COLOURS", "count_text", "go", "monthly_trend", "quartiles",
    "ranked_bar", "select_chart_rows", "status_matrix", "two_indicator_scatter",
    "value_texts", "yearly_line", "yearly_trend",
]
