"""The units × indicators status matrix (a heatmap, each cell judged against its standard)."""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from indicators.catalog import format_value, status
from layouts.figures.base import FONT_FAMILY, _axis_title
from layouts.i18n import t


#: Cell codes of the status matrix and their colours (pale versions of COLOURS, so the value
#: printed in the cell stays readable; the cell text also carries ✓ / ✗).
MATRIX_CODES = {"none": 0, "meets": 1, "fails": 2, "small": 3}
MATRIX_COLOURS = ("#eef0f2", "#c6dbef", "#fdd0a2", "#f7f7f7")
#: Above this many units the matrix cells show bare numbers (no unit) in a smaller font.
MATRIX_COMPACT_ABOVE = 8
#: Above this many units the cell text is smaller still (the colour carries the status).
MATRIX_SMALL_TEXT_ABOVE = 20


def status_matrix(rows: pd.DataFrame, catalog: dict[str, Any], lang: str = "zh", *,
                  title: str = "") -> go.Figure:
    """Units × indicators table as a heatmap: one column per unit, one row per indicator (in
    catalog order), each cell coloured by status against the standard and showing the value.

    rows: unit_id, unit_name, indicator_id, value (rates as fractions), small_count (bool) —
    e.g. DashboardData.children_rows. Cells: meets pale blue with ✓, fails pale orange with ✗,
    no standard grey, small_count near-white with 样本不足 in the hover. Returns a go.Figure
    with one Heatmap trace (z = MATRIX_CODES, x = unit ids labelled by name, y = indicator ids
    labelled by name).
    """
    # indicators with at least one value (a row of dashes says nothing)
    with_value = set(rows.loc[rows["value"].notna(), "indicator_id"].astype(str))
    indicators = [i for i in catalog if i in with_value]
    units = rows.drop_duplicates("unit_id")[["unit_id", "unit_name"]]
    # (indicator, unit) → (value, small_count): one dict built once, looked up per cell
    periods = rows["period"] if "period" in rows else pd.Series(None, index=rows.index)
    provisional = (rows["provisional"] if "provisional" in rows
                   else pd.Series(False, index=rows.index))
    # columns as Python lists: iterating Arrow-backed columns costs a call per cell
    keyed = dict(zip(zip(rows["indicator_id"].tolist(), rows["unit_id"].tolist(), strict=True),
                     zip(rows["value"].tolist(), rows["small_count"].tolist(), periods.tolist(),
                         provisional.tolist(), strict=True),
                     strict=True))
    unit_pairs = list(zip(units["unit_id"].tolist(), units["unit_name"].tolist(), strict=True))
    z, text, hover = [], [], []
    small_text = t("small_count", lang)
    # many units: numbers without units in the cells (the unit is in the hover and the row name)
    compact = len(units) > MATRIX_COMPACT_ABOVE
    for ind_id in indicators:  # ≤ ~20 indicators × the children of one unit: display only
        ind = catalog[ind_id]
        z_row, text_row, hover_row = [], [], []
        for unit_id, unit_name in unit_pairs:
            if (ind_id, unit_id) not in keyed:
                z_row.append(None)
                text_row.append("")
                hover_row.append(f"{unit_name} · {ind.name(lang)}: —")
                continue
            value, small_count, period, prov = keyed[(ind_id, unit_id)]
            small = bool(small_count) if pd.notna(small_count) else False
            st = "small" if small else status(ind, value, period, prov)
            shown = format_value(ind, value, lang)
            if st == "provisional":    # an open period is not judged: grey, marked 暂定
                st, shown = "none", shown + t("provisional_suffix", lang)
            cell_text = (f"{value:,.{ind.decimals}f}" if compact and ind.kind != "rate"
                         and pd.notna(value) else shown)
            mark = {"meets": "✓", "fails": "✗"}.get(st, "")
            z_row.append(MATRIX_CODES[st])
            text_row.append(f"{mark}{'' if compact else ' '}{cell_text}" if mark else cell_text)
            hover_row.append(f"{unit_name} · {ind.name(lang)}: {shown}"
                             + (f" · {small_text}" if small else ""))
        z.append(z_row)
        text.append(text_row)
        hover.append(hover_row)
    n = len(MATRIX_COLOURS)
    colourscale = [[edge, colour] for k, colour in enumerate(MATRIX_COLOURS)
                   for edge in (k / n, (k + 1) / n)]
    # object arrays, not nested lists: plotly validates a list of lists cell by cell
    def grid(cells: list[list[Any]]) -> np.ndarray:
        out = np.empty((len(cells), len(unit_pairs)), dtype=object)
        for k, row in enumerate(cells):
            out[k, :] = row
        return out

    fig = go.Figure(go.Heatmap(
        z=grid(z), x=units["unit_id"].tolist(), y=indicators, text=grid(text),
        texttemplate="%{text}", customdata=grid(hover),
        hovertemplate="%{customdata}<extra></extra>",
        colorscale=colourscale, zmin=-0.5, zmax=n - 0.5, showscale=False, xgap=2, ygap=2,
        textfont={"size": 12 if not compact else (11 if len(units) <= MATRIX_SMALL_TEXT_ABOVE
                                                  else 9)},
    ), layout=dict(
        # the title at the very top; the unit names below it, slanted when there are many
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 16},
               "yref": "container", "y": 1, "yanchor": "top", "pad": {"t": 12}},
        height=max(300, 120 + 30 * len(indicators)),
        hoverlabel={"font": {"family": FONT_FAMILY}},
        margin={"l": 10, "r": 10, "t": 45 + _label_room(units["unit_name"], compact),
                "b": 10},
        font={"family": FONT_FAMILY, "size": 13, "color": "#222222"},
        plot_bgcolor="white", paper_bgcolor="white",
        xaxis={"side": "top", "tickangle": -45 if compact else 0,
               "tickmode": "array", "tickvals": units["unit_id"].tolist(),
               "ticktext": units["unit_name"].tolist(), "automargin": True, "type": "category"},
        yaxis={"autorange": "reversed", "tickmode": "array", "tickvals": indicators,
               "ticktext": [_row_label(catalog[i], lang, compact) for i in indicators],
               "automargin": True,
               "type": "category"},
    ))
    return fig


def _label_room(names: pd.Series, slanted: bool) -> int:
    """Pixels above the matrix for its unit names (13 px font; a CJK character is about 13 px
    wide, a Latin one about 7): one line, or the height of the longest name slanted at 45°."""
    if names.empty:
        return 25
    text = names.astype(str)
    wide = text.str.count(r"[^\x00-\x7f]")
    width = int((wide * 13 + (text.str.len() - wide) * 7).max())
    return int(width * 0.71) + 15 if slanted else 25


def _row_label(indicator: Any, lang: str, with_unit: bool) -> str:
    return _axis_title(indicator, lang) if with_unit else indicator.name(lang)
