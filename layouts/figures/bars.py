"""The ranked bar chart of one indicator across units: which units to draw, the peer band and
the standard's marks."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from indicators.catalog import format_value, status
from layouts.figures.base import (COLOURS, FONT_FAMILY, LIGHT_GREY, REFERENCE_LINE,
                                  STANDARD_LINE, _axis_format, _name, count_text)
from layouts.i18n import t


BAR_HEIGHT_PX = 26
#: A published reference is drawn only up to this multiple of the largest value shown.
REFERENCE_SPAN = 2.0
#: Above this many units the chart shows the top and bottom N instead of every unit.
MAX_BARS = 40


@dataclass(frozen=True)
class ChartSelection:
    """Which rows to draw and why: ``mode`` is ``all``, ``top_bottom`` or ``search``."""

    rows: pd.DataFrame
    mode: str
    total: int
    n: int = 0
    query: str = ""


def select_chart_rows(rows: pd.DataFrame, top_n: int, query: str | None = None,
                      max_bars: int = MAX_BARS) -> ChartSelection:
    """Choose the units to draw for a ranked bar chart.

    rows: indicator rows sorted best first (as ``DashboardData.level_rows`` returns them), with
    unit_name (str), rank (float, NaN when not ranked) and small_count (bool).
    query: if given, only units whose name contains it (case-insensitive, literal) are drawn.
    Otherwise, up to ``max_bars`` units are all drawn; beyond that, the ``top_n`` best and
    ``top_n`` worst ranked units (small_count units are left to the table).
    Returns a ChartSelection whose rows keep the input order.
    """
    total = len(rows)
    query = (query or "").strip()
    if query:
        hit = rows["unit_name"].astype("string").str.contains(query, case=False, regex=False)
        return ChartSelection(rows[hit.fillna(False).to_numpy()].reset_index(drop=True),
                              "search", total, query=query)
    if total <= max_bars:
        return ChartSelection(rows.reset_index(drop=True), "all", total)
    ranked = rows[rows["rank"].notna()].sort_values("rank", kind="stable")
    n = max(1, int(top_n))
    if len(ranked) <= 2 * n:
        return ChartSelection(ranked.reset_index(drop=True), "all", total)
    picked = pd.concat([ranked.head(n), ranked.tail(n)])
    return ChartSelection(picked.reset_index(drop=True), "top_bottom", total, n=n)

def quartiles(values: Any) -> tuple[float, float, float] | None:
    """(Q1, median, Q3) of the values (NaN left out; linear interpolation, as pandas), or None
    with fewer than four values — too few units for quartiles to mean anything."""
    v = pd.to_numeric(pd.Series(values, dtype="float64"), errors="coerce").dropna()
    if len(v) < 4:
        return None
    q = v.quantile([0.25, 0.5, 0.75]).to_numpy()
    return float(q[0]), float(q[1]), float(q[2])


def ranked_bar(rows: pd.DataFrame, indicator: Any, lang: str = "zh", *, title: str = "",
               gap_after: int | None = None,
               peer_band: tuple[float, float, float] | None = None) -> go.Figure:
    """Horizontal bar chart of one indicator across units, best at the top.

    rows: unit_id, unit_name (str), value (float; rates as fractions), numerator, denominator
    (float), small_count (bool), rank (Int64/float, NA = not ranked), optionally period (a
    standard is used from its effective_year on), in the order to draw (top first). The y categories are the unit ids, labelled ``"<rank>. <unit_name>"``.
    indicator: an indicators.catalog.Indicator; its ``standard`` (comparison and value, or low and
    high for a band) is drawn as a solid labelled line (a shaded band for ``between``), and
    its ``references`` (published peer figures, peer_cases.csv) that fit the axis as dotted
    labelled lines.
    gap_after: in top/bottom mode, the number of top rows; a dotted separator is drawn after them.
    peer_band: (Q1, median, Q3) of all the units compared (:func:`quartiles`), drawn behind the
    bars as a grey band with the median as a line (LG Inform's peer context): the middle half
    of the units lies inside it (the page says so under the chart: ``peer_band_label``).

    Bars are coloured by status against the standard (COLOURS); small_count units are light grey
    and their label says 样本不足 / Too few cases. Returns a go.Figure with one Bar trace.
    """
    unit = indicator.unit_en if lang == "en" else indicator.unit_zh
    values = rows["value"].astype("Float64")
    small = rows["small_count"].astype("boolean").fillna(False).to_numpy()
    periods = rows["period"] if "period" in rows else pd.Series(None, index=rows.index)
    provisional = (rows["provisional"].astype("boolean").fillna(False).to_numpy()
                   if "provisional" in rows else np.zeros(len(rows), dtype=bool))
    statuses = [status(indicator, v, p, pv) if pd.notna(v) else "none"
                for v, p, pv in zip(values, periods, provisional, strict=True)]
    colours = [LIGHT_GREY if s else COLOURS[st] for st, s in zip(statuses, small, strict=True)]
    status_text = {st: t(f"status_{st}", lang) for st in COLOURS}
    labels = [
        (format_value(indicator, v, lang) if pd.notna(v) else "—")
        + (t("small_count_suffix", lang) if s else "")
        + (t("provisional_suffix", lang) if pv else "")
        for v, s, pv in zip(values, small, provisional, strict=True)
    ]
    ranks = rows["rank"].astype("Float64")
    names = [
        f"{int(r)}. {n}" if pd.notna(r) else str(n)
        for r, n in zip(ranks, rows["unit_name"], strict=True)
    ]
    # Categories are unit ids (two units may share a display name); the names are tick labels.
    keys = rows["unit_id"].astype(str).tolist()
    def as_text(col: str) -> list[str]:
        return [count_text(v) for v in rows[col].astype("Float64").astype(float)]

    custom = pd.DataFrame({
        "label": labels,
        "status": [t("small_count", lang) if s else status_text[st]
                   for st, s in zip(statuses, small, strict=True)],
        "numerator": as_text("numerator"),
        "denominator": as_text("denominator"),
        "name": names,
    })
    bar = go.Bar(
        x=values.astype(float).to_numpy(), y=keys, orientation="h",
        marker={"color": colours, "line": {"width": 0}},
        text=labels, textposition="outside", cliponaxis=False,
        customdata=custom.to_numpy(),
        hovertemplate=(
            "<b>%{customdata[4]}</b><br>%{customdata[0]} · %{customdata[1]}<br>"
            + t("numerator", lang) + " %{customdata[2]} / " + t("denominator", lang)
            + " %{customdata[3]}<extra></extra>"
        ),
        name=_name(indicator, lang),
    )
    data_max = float(values.abs().max()) if values.notna().any() else 0.0
    year = rows["period"].iloc[0] if "period" in rows and len(rows) else None
    shapes, annotations = _standard_marks(indicator, lang, data_max, year)
    if gap_after is not None and 0 < gap_after < len(rows):
        shapes.append({"type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": "y",
                       "y0": gap_after - 0.5, "y1": gap_after - 0.5,
                       "line": {"color": "#999999", "width": 1, "dash": "dot"}})
    if peer_band is not None:
        q1, med, q3 = peer_band
        shapes.insert(0, {"type": "rect", "xref": "x", "x0": q1, "x1": q3, "yref": "paper",
                          "y0": 0, "y1": 1, "fillcolor": "rgba(120,120,120,0.13)",
                          "line": {"width": 0}, "layer": "below"})
        shapes.insert(1, {"type": "line", "xref": "x", "x0": med, "x1": med, "yref": "paper",
                          "y0": 0, "y1": 1, "layer": "below",
                          "line": {"color": "rgba(90,90,90,0.6)", "width": 1}})
    height = max(260, 110 + BAR_HEIGHT_PX * len(rows))
    # the layout given to the constructor: update_layout walks each property path (3× slower)
    return go.Figure(bar, layout=dict(
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 16}},
        height=height,
        margin={"l": 10, "r": 70, "t": 70, "b": 40},
        font={"family": FONT_FAMILY, "size": 13, "color": "#222222"},
        plot_bgcolor="white", paper_bgcolor="white",
        shapes=shapes, annotations=annotations,
        showlegend=False, bargap=0.25,
        xaxis={"title": {"text": "" if indicator.kind == "rate" else unit},
               "gridcolor": "#e5e5e5", "zeroline": True, "zerolinecolor": "#999999",
               "rangemode": "tozero", **_axis_format(indicator)},
        yaxis={"autorange": "reversed", "automargin": True, "type": "category",
               "tickmode": "array", "tickvals": keys, "ticktext": names},
    ))


def _reference_fits(indicator: Any, value: float, data_max: float) -> bool:
    """Whether a published reference can share the axis with the data.

    References come from peer_cases.csv and are not always in the indicator's value units or
    at the unit's scale (a county-wide 8,600 人次 beside grids of 100; an area in m² beside a
    rate). One is drawn only if it is a fraction for a rate, and at most REFERENCE_SPAN × the
    largest value shown; it is always listed in the definition box under the chart.
    """
    if indicator.kind == "rate" and not -1.0 <= value <= 1.0:
        return False
    return abs(value) <= REFERENCE_SPAN * max(data_max, 1e-12)


def _standard_marks(indicator: Any, lang: str, data_max: float,
                    year: Any = None) -> tuple[list[dict], list[dict]]:
    """Shapes and annotations for the indicator's standard (when it applies in ``year``) and
    for the published references that fit the axis (see _reference_fits)."""
    shapes: list[dict] = []
    annotations: list[dict] = []
    std = getattr(indicator, "standard", None)
    if std is not None and not std.applies(year):
        std = None
    std_word = t("standard", lang)
    if std is not None:
        label = f"{std_word} {_name(std, lang, 'label')}".strip()
        if std.comparison == "between" and std.low is not None and std.high is not None:
            shapes.append({"type": "rect", "xref": "x", "x0": std.low, "x1": std.high,
                           "yref": "paper", "y0": 0, "y1": 1, "fillcolor": COLOURS["meets"],
                           "opacity": 0.10, "line": {"width": 0}, "layer": "below"})
            for x in (std.low, std.high):
                shapes.append(_vline(x, STANDARD_LINE, "solid"))
            annotations.append(_vlabel(std.low, label, STANDARD_LINE, 1.0, data_max))
        elif std.value is not None:
            shapes.append(_vline(std.value, STANDARD_LINE, "solid"))
            annotations.append(_vlabel(std.value, label, STANDARD_LINE, 1.0, data_max))
    for i, ref in enumerate(getattr(indicator, "references", None) or []):
        if getattr(ref, "value", None) is None or not _reference_fits(indicator, ref.value,
                                                                       data_max):
            continue
        shapes.append(_vline(ref.value, REFERENCE_LINE, "dot"))
        annotations.append(_vlabel(ref.value, _name(ref, lang, "label"), REFERENCE_LINE,
                                   1.0 + 0.045 * (i + 1 + (std is not None)), data_max))
    return shapes, annotations


def _vline(x: float, colour: str, dash: str) -> dict:
    return {"type": "line", "xref": "x", "x0": x, "x1": x, "yref": "paper", "y0": 0, "y1": 1,
            "line": {"color": colour, "width": 1.5, "dash": dash}}


def _vlabel(x: float, text: str, colour: str, y: float, data_max: float) -> dict:
    # A label near the right end of the axis is right-aligned to its line so it is not cut off.
    right = x > 0.6 * max(data_max, x)
    return {"x": x, "xref": "x", "y": y, "yref": "paper", "yanchor": "bottom", "text": text,
            "xanchor": "right" if right else "left",
            "showarrow": False, "font": {"size": 12, "color": colour},
            "bgcolor": "rgba(255,255,255,0.85)"}
