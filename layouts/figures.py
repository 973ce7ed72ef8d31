"""Figure builders: pure functions ``(data_frame, indicator, …) -> go.Figure``.

They take rows already sliced from the indicator table (docs/architecture.md §3), never raw
records, and know nothing about Dash. Colours are colour-blind safe (blue / orange / grey, from
the Okabe–Ito and ColorBrewer RdBu/PuOr families) and every colour is doubled by text.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from indicators.catalog import NA_TEXT, format_value, status
from layouts.i18n import t

#: Status colours: meets / fails / no standard; small_count units are drawn in LIGHT_GREY.
COLOURS = {"meets": "#2166ac", "fails": "#e08214", "none": "#7f8c9a", "provisional": "#b8bec6"}
LIGHT_GREY = "#d5d8dc"
STANDARD_LINE = "#222222"
REFERENCE_LINE = "#6a3d9a"
FONT_FAMILY = ('"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", '
               "sans-serif")
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


def _axis_format(indicator: Any) -> dict[str, Any]:
    if indicator.kind == "rate":
        return {"tickformat": ".0%", "hoverformat": f".{indicator.decimals}%"}
    return {"tickformat": ",", "hoverformat": f",.{indicator.decimals}f"}


def count_text(x: Any) -> str:
    """A numerator or denominator as the tables show it: thousands separators, no ``.0``
    (19437.0 → ``19,437``; 1234.5 → ``1,234.5``; at most two decimals); ``—`` for NaN."""
    if x is None or pd.isna(x):
        return "—"
    v = float(x)
    if abs(v - round(v)) < 1e-9:
        return f"{v:,.0f}"
    return f"{v:,.2f}".rstrip("0").rstrip(".")


def value_texts(indicator: Any, values: Any, lang: str = "zh") -> list[str]:
    """:func:`indicators.catalog.format_value` for many values at once: one str per value
    (``'91.8%'``, ``'1,234'``, ``'3.2 天'``; ``'—'`` for NaN/NA), the same text, without a
    function call per value. values: anything numpy reads as float64 (a Series, Float64 with
    <NA>, a list)."""
    v = pd.Series(values).to_numpy(dtype="float64", na_value=np.nan)
    spec = f",.{indicator.decimals}f"
    if indicator.kind == "rate":
        out = [format(x * 100, spec) + "%" for x in v.tolist()]
    else:
        unit = "" if indicator.kind == "count" else indicator.unit(lang)
        suffix = f" {unit}" if unit else ""
        out = [format(x, spec) + suffix for x in v.tolist()]
    if np.isnan(v).any():
        for k in np.flatnonzero(np.isnan(v)).tolist():
            out[k] = NA_TEXT
    return out


def _name(obj: Any, lang: str, field: str = "name") -> str:
    return str(getattr(obj, f"{field}_en" if lang == "en" else f"{field}_zh", "") or "")


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
    customdata = np.column_stack([both["unit_id"].astype(str).to_numpy(object),
                                  np.asarray(value_texts(x_ind, both["value_x"], lang), object),
                                  np.asarray(value_texts(y_ind, both["value_y"], lang), object)])
    names = both["unit_name"].astype(str).to_numpy(object)
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


def _axis_title(indicator: Any, lang: str) -> str:
    unit = indicator.unit(lang)
    if indicator.kind == "rate" or not unit:
        return indicator.name(lang)
    template = "{name}（{unit}）" if lang == "zh" else "{name} ({unit})"
    return template.format(name=indicator.name(lang), unit=unit)


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
