"""What every figure family shares: the status colours, the font, axis formats and the number
texts of hovers and tables."""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from indicators.catalog import NA_TEXT


#: Status colours: meets / fails / no standard; small_count units are drawn in LIGHT_GREY.
COLOURS = {"meets": "#2166ac", "fails": "#e08214", "none": "#7f8c9a", "provisional": "#b8bec6"}
LIGHT_GREY = "#d5d8dc"
STANDARD_LINE = "#222222"
REFERENCE_LINE = "#6a3d9a"
FONT_FAMILY = ('"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", '
               "sans-serif")


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

def _axis_title(indicator: Any, lang: str) -> str:
    unit = indicator.unit(lang)
    if indicator.kind == "rate" or not unit:
        return indicator.name(lang)
    template = "{name}（{unit}）" if lang == "zh" else "{name} ({unit})"
    return template.format(name=indicator.name(lang), unit=unit)
