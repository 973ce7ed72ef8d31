"""Trend charts: an indicator by month or by year for a few units, and one unit's yearly line."""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from indicators.catalog import format_value
from layouts.figures.base import FONT_FAMILY, STANDARD_LINE, _axis_format, _name
from layouts.i18n import t


#: Trend line colours, one per unit (Okabe–Ito, colour-blind safe); last year is the same colour
#: dashed and thinner, so colour names the unit and the dash names the year.
UNIT_COLOURS = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9")
#: At most this many units are drawn in one trend chart.
MAX_TREND_UNITS = len(UNIT_COLOURS)


def _trend_marks(indicator: Any, lang: str, any_provisional: bool, *,
                 label_at: str) -> tuple[list[dict], list[dict]]:
    """A trend chart's dotted standard line(s) across the plot with the standard's label at its
    ``label_at`` end ("left" or "right"), and the provisional footnote under the chart (printed
    with it) when a drawn value is provisional: ``(shapes, annotations)`` for the layout."""
    shapes: list[dict] = []
    annotations: list[dict] = []
    std = getattr(indicator, "standard", None)
    if std is not None:
        label = f"{t('standard', lang)} {_name(std, lang, 'label')}".strip()
        levels = [std.low, std.high] if std.comparison == "between" else [std.value]
        for level in levels:
            if level is None:
                continue
            shapes.append({"type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": "y",
                           "y0": level, "y1": level,
                           "line": {"color": STANDARD_LINE, "width": 1.5, "dash": "dot"}})
        annotations.append({"xref": "paper", "x": 1 if label_at == "right" else 0,
                            "xanchor": label_at, "yref": "y",
                            "y": levels[-1], "yanchor": "bottom", "text": label,
                            "showarrow": False, "font": {"size": 12, "color": STANDARD_LINE},
                            "bgcolor": "rgba(255,255,255,0.85)"})
    if any_provisional:
        annotations.append({"xref": "paper", "x": 0, "xanchor": "left", "yref": "paper",
                            "y": -0.28, "yanchor": "top", "showarrow": False, "align": "left",
                            "text": t("provisional_footnote", lang),
                            "font": {"size": 12, "color": "#555555"}})
    return shapes, annotations


def _trend_layout(fig: go.Figure, indicator: Any, lang: str, title: str, any_provisional: bool,
                  *, label_at: str, right_margin: int, xaxis: dict) -> None:
    """The layout both trend charts share (title, standard marks, provisional footnote, y axis
    in the indicator's format, the unit above a non-rate axis); ``xaxis`` and the right margin
    are each chart's own."""
    shapes, annotations = _trend_marks(indicator, lang, any_provisional, label_at=label_at)
    axis = ({"tickformat": f".{indicator.decimals}%", "hoverformat": f".{indicator.decimals}%"}
            if indicator.kind == "rate" else _axis_format(indicator))
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 16}},
        height=460 + (80 if any_provisional else 0),
        margin={"l": 10, "r": right_margin, "t": 70, "b": 150 if any_provisional else 40},
        font={"family": FONT_FAMILY, "size": 13, "color": "#222222"},
        plot_bgcolor="white", paper_bgcolor="white", shapes=shapes, annotations=annotations,
        legend={"orientation": "h", "y": -0.12, "yanchor": "top", "x": 0, "xanchor": "left"},
        hovermode="x unified", xaxis=xaxis,
        yaxis={"gridcolor": "#e5e5e5", "automargin": True, **axis},
    )
    if indicator.kind != "rate" and indicator.unit(lang):
        # the unit above the y axis, upright (a rotated axis title turns Chinese sideways)
        fig.add_annotation(xref="paper", x=0, xanchor="right", yref="paper", y=1,
                           yanchor="bottom", text=indicator.unit(lang), showarrow=False,
                           font={"size": 12, "color": "#555555"})


def monthly_trend(rows: pd.DataFrame, indicator: Any, year: str, lang: str = "zh", *,
                  title: str = "") -> go.Figure:
    """Line chart of an indicator by month (x = month 1–12) for one or more units: for each
    unit, ``year`` as a solid line and the year before as a dashed line of the same colour,
    with the standard as a horizontal line.

    rows: unit_id, unit_name (str), period (str ``"2025-03"``), value (float; rates as
    fractions), small_count (bool), provisional (bool, optional); months of other years are
    ignored. Units are drawn in the order they first appear (at most MAX_TREND_UNITS); months
    with small_count are hollow markers (样本不足 in the hover); provisional months (暂定) are
    hollow markers on a dotted line of their own (no legend entry) with a footnote under the
    chart. Returns a go.Figure with one Scatter trace per unit and
    year present, named ``"<unit_name> <year>"``.
    """
    period = rows["period"].astype(str)
    previous = str(int(year) - 1)
    frame = pd.DataFrame({
        "unit_id": rows["unit_id"].astype(str).to_numpy(),
        "unit_name": rows["unit_name"].astype(str).to_numpy(),
        "year": period.str.slice(0, 4).to_numpy(),
        "month": pd.to_numeric(period.str.slice(5, 7), errors="coerce").to_numpy(),
        "value": rows["value"].astype("Float64").astype(float).to_numpy(),
        "small": rows["small_count"].astype("boolean").fillna(False).to_numpy(),
        "provisional": (rows["provisional"].astype("boolean").fillna(False).to_numpy()
                        if "provisional" in rows.columns else False),
    })
    frame = frame[frame["year"].isin([year, previous]) & frame["month"].notna()]
    units = frame.drop_duplicates("unit_id")[["unit_id", "unit_name"]].head(MAX_TREND_UNITS)
    fig = go.Figure()
    small_text = t("small_count", lang)
    prov_text = t("provisional", lang)
    any_provisional = False
    for k, (unit_id, unit_name) in enumerate(units.itertuples(index=False)):
        colour = UNIT_COLOURS[k]
        for yr in (previous, year):  # last year first, so this year's line is drawn on top
            part = frame[(frame["unit_id"] == unit_id) & (frame["year"] == yr)]
            if part.empty:
                continue
            part = part.sort_values("month")
            current = yr == year
            labels = [(format_value(indicator, v, lang) if pd.notna(v) else "—")
                      + (f" · {small_text}" if s else "") + (f" · {prov_text}" if p else "")
                      for v, s, p in zip(part["value"], part["small"], part["provisional"],
                                         strict=True)]
            prov = part["provisional"].to_numpy(dtype=bool)
            final = ~prov
            if prov.any():       # open months: hollow points on a dotted line, own hover
                any_provisional = True
                start = np.flatnonzero(final)[-1:] if final.any() else np.array([], int)
                seg = np.concatenate([start, np.flatnonzero(prov)])
                fig.add_trace(go.Scatter(
                    x=part["month"].to_numpy()[seg], y=part["value"].to_numpy()[seg],
                    name=f"{unit_name} {yr} {prov_text}", legendgroup=unit_id,
                    showlegend=False, mode="lines+markers",
                    line={"color": colour, "width": 2 if current else 1.2, "dash": "dot"},
                    marker={"size": [0] * len(start) + [10 if current else 7] * int(prov.sum()),
                            "color": "white",
                            "symbol": "circle", "line": {"color": colour, "width": 2}},
                    opacity=1.0 if current else 0.8,
                    text=[labels[i] for i in seg],
                    hovertemplate=f"{unit_name} {yr}-%{{x:02d}}: %{{text}}<extra></extra>",
                ))
            fig.add_trace(go.Scatter(
                x=part["month"].to_numpy()[final], y=part["value"].to_numpy()[final],
                name=f"{unit_name} {yr}", legendgroup=unit_id, mode="lines+markers",
                line={"color": colour, "width": 3 if current else 1.5,
                      "dash": "solid" if current else "dash"},
                marker={"size": 7 if current else 5,
                        "color": ["white" if s else colour for s in part["small"][final]],
                        "line": {"color": colour, "width": 1.5}},
                opacity=1.0 if current else 0.8, text=[x for x, f in zip(labels, final) if f],
                hovertemplate=f"{unit_name} {yr}-%{{x:02d}}: %{{text}}<extra></extra>",
            ))
    month_names = t("month_names", lang).split(",")
    # values vary little month to month: one more decimal on the ticks than the bar chart
    _trend_layout(fig, indicator, lang, title, any_provisional, label_at="right", right_margin=20,
                  xaxis={"tickmode": "array", "tickvals": list(range(1, 13)), "ticktext": month_names,
                         "range": [0.5, 12.5], "gridcolor": "#eeeeee"})
    return fig


def yearly_trend(rows: pd.DataFrame, indicator: Any, lang: str = "zh", *,
                 title: str = "") -> go.Figure:
    """Line chart of an indicator over every year the data hold, one line per unit (OWID
    style: x = year, the unit's name at the end of its line), with the standard as a
    horizontal line where it applies.

    rows: unit_id, unit_name (str), period (str ``"2025"``), value (float; rates as fractions),
    small_count (bool), provisional (bool, optional). Small counts are hollow markers (样本不足
    in the hover); provisional years are hollow markers on a dotted line with a footnote.
    Returns a go.Figure with one Scatter trace per unit (at most MAX_TREND_UNITS), named by the
    unit, plus one dotted trace per unit with provisional years.
    """
    frame = pd.DataFrame({
        "unit_id": rows["unit_id"].astype(str).to_numpy(),
        "unit_name": rows["unit_name"].astype(str).to_numpy(),
        "year": pd.to_numeric(rows["period"].astype(str), errors="coerce").to_numpy(),
        "value": rows["value"].astype("Float64").astype(float).to_numpy(),
        "small": rows["small_count"].astype("boolean").fillna(False).to_numpy(),
        "provisional": (rows["provisional"].astype("boolean").fillna(False).to_numpy()
                        if "provisional" in rows.columns else False),
    })
    frame = frame[frame["year"].notna()]
    units = frame.drop_duplicates("unit_id")[["unit_id", "unit_name"]].head(MAX_TREND_UNITS)
    fig = go.Figure()
    small_text, prov_text = t("small_count", lang), t("provisional", lang)
    any_provisional = False
    for k, (unit_id, unit_name) in enumerate(units.itertuples(index=False)):
        colour = UNIT_COLOURS[k]
        part = frame[frame["unit_id"] == unit_id].sort_values("year")
        labels = [(format_value(indicator, v, lang) if pd.notna(v) else "—")
                  + (f" · {small_text}" if s else "") + (f" · {prov_text}" if p else "")
                  for v, s, p in zip(part["value"], part["small"], part["provisional"],
                                     strict=True)]
        prov = part["provisional"].to_numpy(dtype=bool)
        final = ~prov
        x, y = part["year"].to_numpy(dtype=int), part["value"].to_numpy()
        if prov.any():
            any_provisional = True
            start = np.flatnonzero(final)[-1:] if final.any() else np.array([], int)
            seg = np.concatenate([start, np.flatnonzero(prov)])
            fig.add_trace(go.Scatter(
                x=x[seg], y=y[seg], name=f"{unit_name} {prov_text}", legendgroup=unit_id,
                showlegend=False, mode="lines+markers+text",
                line={"color": colour, "width": 2, "dash": "dot"},
                marker={"size": [0] * len(start) + [10] * int(prov.sum()), "color": "white",
                        "line": {"color": colour, "width": 2}},
                text=[unit_name if i == len(seg) - 1 else "" for i in range(len(seg))],
                textposition="middle right", textfont={"color": colour, "size": 12},
                customdata=[labels[i] for i in seg],
                hovertemplate=f"{unit_name} %{{x}}: %{{customdata}}<extra></extra>"))
        fig.add_trace(go.Scatter(
            x=x[final], y=y[final], name=unit_name, legendgroup=unit_id,
            mode="lines+markers+text",
            line={"color": colour, "width": 3},
            marker={"size": 8, "color": ["white" if s else colour for s in part["small"][final]],
                    "line": {"color": colour, "width": 1.5}},
            # the unit's name at the end of its line, as Our World in Data labels its charts
            text=[unit_name if i == final.sum() - 1 and not prov.any() else ""
                  for i in range(int(final.sum()))],
            textposition="middle right", textfont={"color": colour, "size": 12},
            customdata=[x for x, f in zip(labels, final) if f],
            hovertemplate=f"{unit_name} %{{x}}: %{{customdata}}<extra></extra>"))
    years = sorted(int(v) for v in frame["year"].unique())
    _trend_layout(fig, indicator, lang, title, any_provisional, label_at="left", right_margin=120,
                  xaxis={"tickmode": "array", "tickvals": years,
                         "ticktext": [f"{y}{'年' if lang == 'zh' else ''}" for y in years],
                         "range": [min(years) - 0.3, max(years) + 0.6] if years else None,
                         "gridcolor": "#eeeeee"})
    return fig


def yearly_line(rows: pd.DataFrame, indicator: Any, lang: str = "zh", *,
                title: str = "") -> go.Figure:
    """One unit's value in every year (x = year), its standard as a dotted labelled line.

    rows: period (``"2023"`` …), value (rates as fractions), small_count (bool), oldest first.
    Years with small_count are hollow markers. Returns a go.Figure with one Scatter trace
    whose hover texts are the values as the tables write them."""
    years = rows["period"].astype(str).tolist()
    values = rows["value"].astype("Float64").astype(float).to_numpy()
    small = rows["small_count"].astype("boolean").fillna(False).to_numpy() \
        if "small_count" in rows else np.zeros(len(rows), dtype=bool)
    labels = [format_value(indicator, v, lang) for v in values]
    fig = go.Figure(go.Scatter(
        x=years, y=values, mode="lines+markers+text", text=labels, textposition="top center",
        hovertemplate="%{x}: %{text}<extra></extra>", line={"color": "#1f4e79", "width": 2.5},
        marker={"size": 9, "color": ["white" if s else "#1f4e79" for s in small],
                "line": {"color": "#1f4e79", "width": 2}}, cliponaxis=False,
        name=_name(indicator, lang)))
    data_max = float(np.nanmax(np.abs(values))) if np.isfinite(values).any() else 0.0
    shapes, annotations = [], []
    std = getattr(indicator, "standard", None)
    if std is not None and std.applies(years[-1] if years else None):
        label = f"{t('standard', lang)} {_name(std, lang, 'label')}".strip()
        for y in ([std.low, std.high] if std.comparison == "between" else [std.value]):
            if y is None:
                continue
            shapes.append({"type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": "y",
                           "y0": y, "y1": y,
                           "line": {"color": STANDARD_LINE, "width": 1.5, "dash": "dot"}})
            annotations.append({"xref": "paper", "x": 1, "xanchor": "right", "yref": "y",
                                "y": y, "yanchor": "bottom", "text": label, "showarrow": False,
                                "font": {"size": 12, "color": STANDARD_LINE}})
            data_max = max(data_max, abs(float(y)))
    axis = _axis_format(indicator)
    if indicator.kind == "rate":
        axis = {**axis, "range": [0, max(1.0, data_max) * 1.08 if data_max > 1 else 1.05]}
    else:
        axis = {**axis, "rangemode": "tozero"}
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 16}},
        height=320, margin={"l": 10, "r": 20, "t": 60, "b": 40},
        font={"family": FONT_FAMILY, "size": 13, "color": "#222222"},
        plot_bgcolor="white", paper_bgcolor="white", shapes=shapes, annotations=annotations,
        showlegend=False, xaxis={"type": "category", "gridcolor": "#eeeeee"},
        yaxis={"gridcolor": "#e5e5e5", "automargin": True, **axis})
    return fig
