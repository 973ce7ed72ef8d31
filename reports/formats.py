"""Native Excel number formats for indicator values, year-on-year changes and gaps.

Numbers stay numbers in the workbook; only their display format changes:

- rates (kind ``rate``, stored as fractions 0.918) → ``0.0%``;
- medians of handling time (days) → ``0.0" 天"``;
- counts → ``#,##0``;
- ratios and per-capita values → ``#,##0.0`` with the catalog's decimals (unit in the header).

Year-on-year change follows indicators.catalog.format_change: for rates ``change`` is a difference
of fractions, written ×100 with ``+0.0" 个百分点"``; for everything else a relative change written
as a fraction with ``+0.0%``.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

PP_SUFFIX = " 个百分点"


def _decimals(indicator: Any) -> str:
    d = int(getattr(indicator, "decimals", 1) or 0)
    return "." + "0" * d if d > 0 else ""


def is_rate(indicator: Any) -> bool:
    return getattr(indicator, "kind", "") == "rate"


def is_days(indicator: Any) -> bool:
    return getattr(indicator, "kind", "") == "median" or getattr(indicator, "unit_zh", "") == "天"


def value_format(indicator: Any) -> str:
    """Excel number format for the indicator's values (see module docstring)."""
    dec = _decimals(indicator)
    if is_rate(indicator):
        return f"0{dec}%"
    if is_days(indicator):
        return f'0{dec}" 天"'
    return f"#,##0{dec}"


def signed(fmt_positive: str) -> str:
    """``+fmt;-fmt;fmt``: an explicit sign on changes and gaps (the minus is Excel's own)."""
    return f"+{fmt_positive};-{fmt_positive};{fmt_positive}"


def change_format(indicator: Any) -> str:
    """Format for the year-on-year change as written by :func:`change_for_excel`."""
    if is_rate(indicator):
        return signed(f'0.0"{PP_SUFFIX}"')
    return signed("0.0%")


def change_for_excel(indicator: Any, change: float) -> float:
    """Rates: percentage points (×100); otherwise the relative change as a fraction — rounded to
    the one decimal shown (0.1 pp, 0.1 %), so −0.03 pp prints as ``+0.0``, never ``-0.0``."""
    if is_rate(indicator):
        return round(change * 100, 1) + 0.0
    return round(change, 3) + 0.0


def gap_format(indicator: Any) -> str:
    """Format for a gap to the standard as written by :func:`gap_for_excel`."""
    if is_rate(indicator):
        return signed(f'0.0"{PP_SUFFIX}"')
    dec = _decimals(indicator)
    if is_days(indicator):
        return signed(f'0{dec}" 天"')
    return signed(f"#,##0{dec}")


def gap_for_excel(indicator: Any, gap: float) -> float:
    """Rates: percentage points (×100); otherwise in the value's own unit."""
    return gap * 100 if is_rate(indicator) else gap


def gap_words(indicator: Any, gap: float, comparison: str = ">=") -> str:
    """``'低于标准 2.3 个百分点'`` / ``'高于上限 50 户'`` (the gap in words, for print)."""
    magnitude = abs(gap_for_excel(indicator, gap))
    d = 1 if is_rate(indicator) else int(getattr(indicator, "decimals", 1) or 0)
    # round half away from zero, as Excel displays the number in the 差距 column beside it
    shown = Decimal(repr(magnitude)).quantize(Decimal(1).scaleb(-d), rounding=ROUND_HALF_UP)
    if is_rate(indicator):
        amount = f"{shown:,.1f}{PP_SUFFIX}"
    else:
        unit = getattr(indicator, "unit_zh", "") or ""
        amount = f"{shown:,.{d}f} {unit}".rstrip()
    if comparison == "between":
        return f"{'低于下限' if gap < 0 else '高于上限'} {amount}"
    return f"{'低于' if gap < 0 else '高于'}标准 {amount}"


def header_label(indicator: Any) -> str:
    """Column header: ``办结率（%）``, ``网格平均户数（户）``."""
    unit = getattr(indicator, "unit_zh", "") or ""
    return f"{indicator.name_zh}（{unit}）" if unit else indicator.name_zh


def header_label_stacked(indicator: Any) -> str:
    """Column header on two lines for narrow columns: ``办结率\n（%）``."""
    unit = getattr(indicator, "unit_zh", "") or ""
    return f"{indicator.name_zh}\n（{unit}）" if unit else indicator.name_zh


def standard_short(indicator: Any, standard: Any | None) -> str:
    """The standard as bare numbers in the indicator's unit (``≥ 91.8%``, ``300–500``,
    ``≥ 18``) for narrow header cells; ``'—'`` without one.  The full label with its conditions
    is on 汇总 and 指标说明."""
    if standard is None:
        return "—"

    def num(x: float) -> str:
        return f"{x * 100:g}%" if is_rate(indicator) else f"{x:,g}"

    if standard.comparison == "between":
        return f"{num(standard.low)}–{num(standard.high)}"
    return f"{'≥' if standard.comparison == '>=' else '≤'} {num(standard.value)}"


def standard_label(standard: Any | None) -> str:
    """The standard's Chinese label, or a label built from its numbers; ``'—'`` without one."""
    if standard is None:
        return "—"
    label = getattr(standard, "label_zh", "") or ""
    if label:
        return label
    if standard.comparison == "between":
        return f"{standard.low:g}–{standard.high:g}"
    return f"{'≥' if standard.comparison == '>=' else '≤'} {standard.value:g}"
