"""Static charts for the Word report (reports.review): plotly figures rendered to PNG offline
by kaleido with the system's Chromium and Noto CJK fonts (no internet, nothing fetched).

One figure per indicator family: a panel per indicator, the units one level below the scope as
horizontal bars coloured by status against the standard (blue meets, orange below, grey no
standard), the standard as a dotted line, rate axes 0–100 %.
"""
from __future__ import annotations

import contextlib
import warnings
from typing import Any, Iterator

import numpy as np
import pandas as pd

from reports import formats as fmt
from reports.frames import FAIL, PASS, evaluate, standard_of

FONT = "Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, sans-serif"
COLOURS = {PASS: "#2166ac", FAIL: "#e08214"}
NO_STANDARD_COLOUR = "#8c8c8c"
STANDARD_LINE = "#444444"
#: Units drawn per panel: the best and the worst halves when there are more.
MAX_BARS = 20
#: The picture's width in pixels (rendered at 2× for print) and the height of one bar.
WIDTH_PX, BAR_PX, PANEL_EXTRA_PX = 900, 18, 70


def _shown(ind: Any, v: float) -> float:
    return v * 100 if fmt.is_rate(ind) else v


def family_figure(panels: list[tuple[Any, pd.DataFrame]], title: str) -> Any:
    """A plotly figure with one horizontal-bar panel per ``(indicator, rows)``; rows: unit_name,
    value (rates as fractions), in the order to draw (best first). Bars carry their value as
    the tables write it; the indicator's standard is a dotted line labelled with it."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    heights = [PANEL_EXTRA_PX + BAR_PX * max(len(rows), 1) for _, rows in panels]
    fig = make_subplots(rows=len(panels), cols=1, row_heights=heights,
                        vertical_spacing=min(0.25, 60 / max(sum(heights), 1)),
                        subplot_titles=[fmt.header_label(ind) for ind, _ in panels])
    for k, (ind, rows) in enumerate(panels, start=1):
        std = standard_of(ind)
        status, _ = evaluate(rows["value"], std)
        colours = [COLOURS.get(s, NO_STANDARD_COLOUR) for s in status]
        x = [_shown(ind, v) for v in rows["value"].astype(float)]
        text = [_label(ind, v) for v in rows["value"].astype(float)]
        fig.add_trace(go.Bar(x=x, y=rows["unit_name"].astype(str).tolist(), orientation="h",
                             marker_color=colours, text=text, textposition="outside",
                             cliponaxis=False, showlegend=False), row=k, col=1)
        axis: dict[str, Any] = {"gridcolor": "#e5e5e5", "zeroline": True}
        finite = [v for v in x if np.isfinite(v)]
        top = max(finite) if finite else 1.0
        low = min(finite + [0.0])
        if std is not None:
            for b in ([std.low, std.high] if std.comparison == "between" else [std.value]):
                if b is None:
                    continue
                line = _shown(ind, float(b))
                top = max(top, line)
                fig.add_vline(x=line, line={"color": STANDARD_LINE, "dash": "dot", "width": 1.5},
                              row=k, col=1)
                fig.add_annotation(x=line, y=1.0, xref=f"x{k if k > 1 else ''}",
                                   yref=f"y{k if k > 1 else ''} domain", yanchor="bottom",
                                   text=f"标准 {fmt.standard_label(std)}", showarrow=False,
                                   font={"size": 11, "color": STANDARD_LINE})
        if fmt.is_rate(ind):       # a rate's axis never runs past 100 %
            axis.update(range=[0, 100], ticksuffix="%")
        else:
            axis.update(range=[low * 1.25 if low < 0 else 0, top * 1.18 if top > 0 else 1])
        fig.update_xaxes(row=k, col=1, **axis)
        fig.update_yaxes(row=k, col=1, autorange="reversed", automargin=True)
    fig.update_layout(title={"text": title, "x": 0, "font": {"size": 16}},
                      font={"family": FONT, "size": 12, "color": "#222222"},
                      plot_bgcolor="white", paper_bgcolor="white", bargap=0.3,
                      margin={"l": 10, "r": 40, "t": 70, "b": 30},
                      height=sum(heights) + 90, width=WIDTH_PX)
    return fig


def _label(ind: Any, v: float) -> str:
    if v is None or not np.isfinite(v):
        return "—"
    d = int(getattr(ind, "decimals", 1) or 0)
    if fmt.is_rate(ind):
        return f"{v * 100:.{d}f}%"
    return f"{v:,.{d}f}"


def pick_rows(rows: pd.DataFrame, limit: int = MAX_BARS) -> pd.DataFrame:
    """``rows`` sorted best first (the indicator's direction given by ``ascending``) cut to
    the best and the worst ``limit // 2`` when longer."""
    if len(rows) <= limit:
        return rows
    half = limit // 2
    return pd.concat([rows.head(half), rows.tail(half)])


@contextlib.contextmanager
def renderer() -> Iterator[Any]:
    """A function ``png(figure) -> bytes`` rendering with one kaleido browser for the whole
    report (the first picture ≈ 2–4 s, then ≈ 0.2 s each); the browser is closed afterwards.
    Raises RuntimeError (Chinese message) when kaleido or Chromium is missing."""
    try:
        import kaleido
        import plotly.io as pio
    except ImportError as exc:      # pragma: no cover - kaleido is in requirements.txt
        raise RuntimeError("缺少图表导出组件 kaleido，无法生成报告中的图表。") from exc
    started = False
    try:
        kaleido.start_sync_server(silence_warnings=True)
        started = True
    except Exception:               # noqa: BLE001 - a server already running is fine
        started = False

    def png(figure: Any) -> bytes:
        try:
            with warnings.catch_warnings():      # "kopts ignored with a server": expected
                warnings.simplefilter("ignore", UserWarning)
                return pio.to_image(figure, format="png", scale=2)
        except Exception as exc:    # noqa: BLE001 - no Chromium: say so in Chinese
            raise RuntimeError(f"图表无法生成（需要本机安装 Chromium 浏览器）：{exc}") from exc

    try:
        yield png
    finally:
        if started:
            with contextlib.suppress(Exception):
                kaleido.stop_sync_server(silence_warnings=True)
