"""The two-indicator scatter of the same units."""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from layouts.figures.base import (FONT_FAMILY, LIGHT_GREY, STANDARD_LINE, _axis_format,
                                  _axis_title, _name, value_texts)
from layouts.i18n import t


#: Scatter points are named beside them up to this many units (more would overlap).
MAX_SCATTER_LABELS = 40


def two_indicator_scatter(x_rows: pd.DataFrame, y_rows: pd.DataFrame, x_ind: Any, y_ind: Any,
                          lang: str = "zh", *, title: str = "") -> go.Figure:
    """Scatter of two indicators across the same units: one point per unit present in both.

    x_rows, y_rows: unit_id, unit_name, value (rates as fractions), small_count (bool) of one
    level and year (DashboardData.level_rows). Each indicator's standard is a dashed line on its
    axis (both bounds of a band). Units with small_count in either indicator are hollow grey
    points. Returns a go.Figure with a Scatter trace of the units with enough cases and, if
    any, a second one of the others (x, y, text = unit names, customdata = ``[unit_id, x value
    text, y value text]`` per point — a click names its unit by customdata[0] — and a
    hovertemplate that writes name, both values and, for the others, 样本不足).
    """
    both = x_rows[["unit_id", "unit_name", "value", "small_count"]].merge(
        y_rows[["unit_id", "value", "small_count"]], on="unit_id", suffixes=("_x", "_y"))
    both = both[both["value_x"].notna() & both["value_y"].notna()]
    small = (both["small_count_x"].astype("boolean").fillna(False)
             | both["small_count_y"].astype("boolean").fillna(False)).to_numpy()
    # the hover's parts per point (the name is the trace's text): the values as the tables
    # write them, composed by the trace's hovertemplate in the browser — one long string per
    # point made 16,000 grids cost 60 ms and 3 MB
    # fixed-width text arrays (numpy "U"), not object arrays: plotly takes them in one step
    # where it deep-copies an object array cell by cell (16,000 grids: 83 → 14 ms to build)
    customdata = np.column_stack([both["unit_id"].astype(str).to_numpy(str),
                                  np.asarray(value_texts(x_ind, both["value_x"], lang), str),
                                  np.asarray(value_texts(y_ind, both["value_y"], lang), str)])
    names = both["unit_name"].astype(str).to_numpy(str)
    x_values, y_values = both["value_x"].to_numpy(float), both["value_y"].to_numpy(float)
    hover = (f"<b>%{{text}}</b><br>{x_ind.name(lang)}: %{{customdata[1]}}"
             f"<br>{y_ind.name(lang)}: %{{customdata[2]}}")
    traces = []
    # two traces with one colour each (per-point colour lists are slow to validate at 5,000
    # units): units with enough cases dark and filled, the others hollow grey
    for few in (False, True):
        keep = (small == few).nonzero()[0]
        if len(keep) == 0:
            continue
        traces.append(go.Scatter(
            x=x_values[keep], y=y_values[keep],
            # each point named beside it while the names can still be read
            mode="markers+text" if len(both) <= MAX_SCATTER_LABELS else "markers",
            textposition="top center", textfont={"size": 11, "color": "#444444"},
            text=names[keep], customdata=customdata[keep],
            hovertemplate=hover + (f"<br>{t('small_count', lang)}" if few else "")
            + "<extra></extra>",
            name=t("small_count", lang) if few else "",
            marker={"size": 10, "color": LIGHT_GREY if few else "#34495e",
                    "line": {"color": "#7f8c9a" if few else "#34495e", "width": 1.5},
                    "opacity": 0.85},
        ))
    shapes, annotations = [], []
    for ind, axis in ((x_ind, "x"), (y_ind, "y")):
        std = getattr(ind, "standard", None)
        if std is None:
            continue
        bounds = [std.low, std.high] if std.comparison == "between" else [std.value]
        # each standard line says whose standard it is: "办结率标准 ≥ 91.8%"
        label = f"{ind.name(lang)}{t('standard', lang)} {_name(std, lang, 'label')}"
        for v in (b for b in bounds if b is not None):
            line = {"color": STANDARD_LINE, "width": 1, "dash": "dash"}
            shapes.append({"type": "line", "xref": "x", "x0": v, "x1": v, "yref": "paper",
                           "y0": 0, "y1": 1, "line": line} if axis == "x" else
                          {"type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": "y",
                           "y0": v, "y1": v, "line": line})
            annotations.append(
                {"xref": "x", "x": v, "yref": "paper", "y": 0, "yanchor": "bottom",
                 "xanchor": "left", "textangle": -90, "text": label, "showarrow": False,
                 "font": {"size": 11, "color": STANDARD_LINE}} if axis == "x" else
                {"xref": "paper", "x": 1, "xanchor": "right", "yref": "y", "y": v,
                 "yanchor": "bottom", "text": label, "showarrow": False,
                 "font": {"size": 11, "color": STANDARD_LINE},
                 "bgcolor": "rgba(255,255,255,0.8)"})
    # the y indicator's name above its axis, upright (a rotated title turns Chinese sideways)
    annotations.append({"xref": "paper", "x": 0, "xanchor": "left", "yref": "paper", "y": 1,
                        "yanchor": "bottom", "text": f"↑ {_axis_title(y_ind, lang)}",
                        "showarrow": False, "font": {"size": 13, "color": "#333333"}})
    return go.Figure(traces, layout=dict(
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 16}},
        height=480, margin={"l": 10, "r": 20, "t": 80, "b": 40},
        font={"family": FONT_FAMILY, "size": 13, "color": "#222222"},
        plot_bgcolor="white", paper_bgcolor="white", shapes=shapes, annotations=annotations,
        showlegend=False,
        xaxis={"title": {"text": _axis_title(x_ind, lang)}, "gridcolor": "#e5e5e5",
               "zeroline": False, **_axis_format(x_ind)},
        yaxis={"gridcolor": "#e5e5e5", "zeroline": False, "automargin": True,
               **_axis_format(y_ind)},
    ))
