"""Reusable pieces of page layout: the header and the KPI card.

Pure functions of their arguments (no store, no callbacks), so tests can build them and compare
the component tree.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, quote, urlencode

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from indicators.catalog import format_change, format_value, status
from layouts import ids
from layouts.i18n import t

#: Text marks that double the status colours (colour is never the only cue).
STATUS_ICON = {"meets": "✓", "fails": "✗", "none": "–", "provisional": "…"}


def query_params(search: str | None) -> dict[str, Any]:
    """A query string (``"?a=1&unit=x&unit=y"``) as Dash Pages hands it to ``layout``: one
    value as a str, a repeated key as a list of str."""
    parsed = parse_qs((search or "").lstrip("?"), keep_blank_values=True)
    return {k: v[0] if len(v) == 1 else v for k, v in parsed.items()}


def page_href(path: str, query: dict[str, Any]) -> str:
    """Relative link to ``path`` with ``query`` (empty values dropped; a list value is repeated,
    ``unit=a&unit=b``), honouring the app's url_base_pathname (dash.get_relative_path)."""
    clean = {k: v for k, v in query.items() if v not in (None, "", [])}
    href = dash.get_relative_path(path)
    return f"{href}?{urlencode(clean, doseq=True)}" if clean else href


def header(dataset_name: str, is_sample: bool, lang: str, current_path: str,
           query: dict[str, Any], lang_switch_id: str) -> html.Header:
    """The page header: product name, dataset name, 示例数据 badge, page navigation (the pages
    of dash.page_registry that declare a ``nav_key`` UI string, by ``order``) and the
    language switch. ``query`` is the current page's state, carried into the language link so
    switching language keeps the view; ``lang_switch_id`` is the page's id for that link (a
    page callback keeps its href in step with the controls)."""
    pages = sorted((p for p in dash.page_registry.values() if p.get("nav_key")),
                   key=lambda p: p.get("order", 0))
    nav = [
        dbc.NavLink(t(p["nav_key"], lang),
                    href=page_href(p["path"], {"lang": lang if lang != "zh" else None}),
                    active=(p["path"] == current_path), className="px-3")
        for p in pages
    ]
    other = "en" if lang != "en" else "zh"
    lang_href = page_href(current_path, {**query, "lang": other if other != "zh" else None})
    badge = (
        dbc.Badge(t("sample_badge", lang), id=ids.SAMPLE_BADGE, color="warning",
                  text_color="dark", className="ms-2 sample-badge",
                  title=t("sample_badge_title", lang))
        if is_sample else None
    )
    return html.Header(
        id=ids.HEADER, className="app-header",
        children=dbc.Container(fluid=True, className="d-flex flex-wrap align-items-center gap-2",
                               children=[
            html.Div(className="me-auto", children=[
                html.H1(t("app_title", lang), className="app-title"),
                html.Div(className="d-flex align-items-center", children=[
                    html.Span(dataset_name, id=ids.DATASET_NAME, className="dataset-name"),
                    badge,
                ]),
            ]),
            dbc.Nav(nav, id=ids.NAV, pills=True, className="app-nav"),
            dcc.Link(t("lang_switch", lang), id=lang_switch_id, href=lang_href,
                     className="lang-switch ms-2", refresh=True),
        ]),
    )


SPARK_WIDTH, SPARK_HEIGHT = 120, 28


def sparkline_svg(values: Any, colour: str = "#495057") -> str | None:
    """A sparkline of ``values`` (floats in time order, NaN = no value) as an SVG data URI for an
    ``<img>`` (no script, nothing fetched): one polyline per run of values, the last value
    marked with a dot, scaled to the values' own min–max. None with fewer than two values."""
    y = pd.to_numeric(pd.Series(values, dtype="float64"), errors="coerce").to_numpy()
    present = ~pd.isna(y)
    if present.sum() < 2:
        return None
    lo, hi = float(y[present].min()), float(y[present].max())
    span = hi - lo if hi > lo else 1.0
    pad = 3.0
    xs = pad + (SPARK_WIDTH - 2 * pad) * pd.RangeIndex(len(y)).to_numpy() / max(len(y) - 1, 1)
    # a constant series is drawn flat through the middle
    ys = SPARK_HEIGHT - pad - (SPARK_HEIGHT - 2 * pad) * ((y - lo) / span if hi > lo
                                                          else 0.5 + 0.0 * y)
    runs, current = [], []
    for x, v, ok in zip(xs, ys, present, strict=True):  # ≤ 12 points: drawing, not data
        if ok:
            current.append(f"{x:.1f},{v:.1f}")
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    lines = "".join(f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" '
                    f'stroke-width="1.5" stroke-linejoin="round"/>' for run in runs)
    last = int(present.nonzero()[0][-1])
    dot = f'<circle cx="{xs[last]:.1f}" cy="{ys[last]:.1f}" r="2.5" fill="{colour}"/>'
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{SPARK_WIDTH}" '
           f'height="{SPARK_HEIGHT}" viewBox="0 0 {SPARK_WIDTH} {SPARK_HEIGHT}">{lines}{dot}</svg>')
    return "data:image/svg+xml;charset=utf-8," + quote(svg)


def change_text(indicator: Any, row: Any, lang: str = "zh") -> tuple[str, str]:
    """The change on last year as a card shows it, and its class (``good`` / ``bad`` /
    ``neutral``): the arrow gives the direction and the number its size, without a sign
    (``▼ 1.3 个百分点``, ``▲ 10.8%``); a median (days) changes in its own unit
    (``▼ 0.1 天``, from ``value − prev_value``); ``■ 0.0`` when it reads as no change."""
    change = row.get("change")
    if change is None or pd.isna(change):
        return t("no_previous", lang), "neutral"
    good = row.get("change_good")
    prev = row.get("prev_value")
    in_unit = indicator.kind == "median" and prev is not None and pd.notna(prev) \
        and pd.notna(row.get("value"))
    if in_unit:
        diff = float(row["value"]) - float(prev)
        flat = round(diff, indicator.decimals) == 0
        size = format_value(indicator, 0.0 if flat else abs(diff), lang)
        direction = diff
    else:
        # format_change shows one decimal of % or pp: a change that reads 0.0 is no change
        flat = round(float(change) * 100, 1) == 0
        size = format_change(indicator, 0.0 if flat else abs(float(change)), lang).lstrip("+")
        direction = float(change)
    cls = "neutral" if flat or good is None or pd.isna(good) else ("good" if bool(good) else "bad")
    arrow = "■" if flat else ("▲" if direction > 0 else "▼")
    text = f"{t('change_vs_last_year', lang)} {arrow} {size}"
    if _true(row.get("provisional_change")):     # this or last year's value is still open
        text += f"（{t('provisional_change', lang)}）" if lang == "zh" else \
            f" ({t('provisional_change', lang)})"
        cls = "neutral"
    return text, cls


def kpi_card(indicator: Any, row: pd.Series, lang: str = "zh",
             href: str | None = None, spark: str | None = None,
             spark_title: str = "", note: str | None = None,
             peer: str | None = None) -> dbc.Card:
    """One KPI card for an indicator's row of the indicator table.

    row: value (float; rates as fractions), period (the standard applies from its effective
    year), small_count (bool), change (float, NaN when there
    is no previous year), change_good (bool or NA: whether the change goes the indicator's good
    direction; NA for band indicators), numerator/denominator (float).
    Shows the name, the formatted value, the standard with a status mark (✓ 达标 blue,
    ✗ 未达标 orange, – 无标准 grey; class ``status-<meets|fails|none>``), the change on last year
    (class ``change-<good|bad|neutral>``). A small_count row is marked 样本不足.
    href: if given, the indicator's name links there (e.g. its ranking on the compare page).
    spark: a sparkline image (``sparkline_svg``) of the months, described by ``spark_title``.
    note: shown instead of the standard line (e.g. how the composite score is built).
    peer: the peer context line (median and interquartile range of the unit's peers).
    """
    value = row["value"]
    st = status(indicator, value, row.get("period"), row.get("provisional", False))
    std = indicator.standard
    if std is not None and not std.applies(row.get("period")):
        std = None  # not yet in force that year
    if std is not None:
        label = std.label_en if lang == "en" else std.label_zh
        source = std.source_en if lang == "en" else std.source_zh
        std_text = f"{t('standard', lang)} {label}"
    else:
        std_text, source = t("no_standard", lang), ""
    change, change_cls = change_text(indicator, row, lang)
    small_count = row.get("small_count", False)
    small = bool(small_count) if pd.notna(small_count) else False
    name = indicator.name_en if lang == "en" else indicator.name_zh
    formula = indicator.formula_en if lang == "en" else indicator.formula_zh
    return dbc.Card(
        className=f"kpi-card status-{st}" + (" kpi-provisional" if _true(row.get("provisional"))
                                             else ""),
        id={"type": ids.KPI_CARD, "indicator": indicator.id},
        children=dbc.CardBody([
            html.Div(dcc.Link(name, href=href) if href else name, className="kpi-name",
                     title=formula),
            html.Div(format_value(indicator, value, lang)
                     + (t("provisional_suffix", lang) if _true(row.get("provisional")) else ""),
                     className="kpi-value"),
            html.Div(className="kpi-status", title=source, children=[
                html.Span(f"{STATUS_ICON[st]} {t('status_' + st, lang)}",
                          className=f"status-mark status-mark-{st}"),
                html.Span(std_text, className="kpi-standard"),
            ]) if not note else html.Div(note, className="kpi-status kpi-note"),
            html.Div(change, className=f"kpi-change change-{change_cls}"),
            html.Img(src=spark, className="kpi-spark", alt=spark_title, title=spark_title)
            if spark else None,
            html.Div(peer, className="kpi-peer") if peer else None,
            html.Div(t("small_count", lang), className="kpi-small") if small else None,
        ]),
    )


def readable_names(rows: pd.DataFrame, level_name: str) -> pd.DataFrame:
    """``rows`` with a unit_name that reads alone: a bare number (Boston's wards are named
    ``01`` … ``22``) becomes ``"<level name> 01"`` (``选区 01``); other names are kept. The
    frame is returned as is when no name is a bare number."""
    if rows.empty or "unit_name" not in rows:
        return rows
    names = rows["unit_name"].astype("string")
    bare = names.str.fullmatch(r"\d{1,4}").fillna(False).to_numpy()
    if not bare.any():
        return rows
    return rows.assign(unit_name=names.mask(bare, level_name + " " + names))


def chart_footer(dataset: Any, indicator: Any | None, lang: str,
                 note: str | None = None, definition: bool = True) -> html.Div:
    """The line under a chart saying where it comes from (DESIGN: every chart says its source):
    the dataset and the table the indicator is computed from, the data cut-off, and the
    indicator's definition (its formula, unless ``definition`` is False because the page shows
    it beside); ``note`` adds a sentence (e.g. what the bands are)."""
    colon, sep = t("colon", lang), t("semicolon", lang)
    table = getattr(indicator, "table", "") if indicator is not None else ""
    try:
        table_name = t(f"table_{table}", lang) if table else ""
    except KeyError:
        table_name = ""
    name = getattr(dataset, "name_en", None) if lang == "en" else None
    source = (name or getattr(dataset, "name", "")) + (f"（{table_name}）" if table_name else "")
    parts = [f"{t('footer_source', lang)}{colon}{source}"]
    cutoff = getattr(dataset, "cutoff", None)
    if cutoff is not None and not pd.isna(cutoff):
        parts.append(f"{t('footer_cutoff', lang)}{colon}{pd.Timestamp(cutoff):%Y-%m-%d}")
    if indicator is not None and definition:
        formula = indicator.formula_en if lang == "en" else indicator.formula_zh
        parts.append(f"{t('footer_definition', lang)}{colon}{formula}")
    if note:
        parts.append(note)
    return html.Div(sep.join(parts), className="chart-footer")


def _true(flag: Any) -> bool:
    """A boolean table cell that may be missing or NA."""
    return flag is not None and not (isinstance(flag, float) and flag != flag) \
        and flag is not pd.NA and bool(flag)


def breadcrumb(items: list[tuple[str, str | None]], lang: str,
               tail: str | None = None) -> html.Nav:
    """A breadcrumb of the hierarchy: ``items`` are ``(text, href)`` top first, the current one
    with href None (plain text, ``active``); ``tail`` (e.g. the level shown below the last
    unit) follows as bold text."""
    lis = [html.Li(text if href is None else dcc.Link(text, href=href),
                   className="breadcrumb-item" + (" active" if href is None else ""))
           for text, href in items]
    if tail:
        lis.append(html.Li(tail, className="breadcrumb-item breadcrumb-level"))
    return html.Nav(html.Ol(lis, className="breadcrumb mb-0"),
                    **{"aria-label": t("breadcrumb_label", lang)})


def dropdown_labels(lang: str) -> dict[str, str]:
    """``labels`` of a dcc.Dropdown in ``lang``: the search box, select-all, the selected count
    (``{num_selected}`` is filled in by the browser) and the empty-result text, which Dash
    otherwise shows in English."""
    keys = ("select_all", "deselect_all", "selected_count", "search", "clear_search",
            "clear_selection", "no_options_found")
    return {k: t(f"dd_{k}", lang) for k in keys}


def grid_locale(lang: str) -> dict[str, str]:
    """AG Grid ``localeText`` for the pager and overlays (English is AG Grid's default)."""
    if lang == "en":
        return {}
    return {"page": "页", "of": "/", "to": "–", "more": "更多", "firstPage": "首页",
            "previousPage": "上一页", "nextPage": "下一页", "lastPage": "末页",
            "pageSizeSelectorLabel": "每页行数：", "noRowsToShow": "无数据",
            "loadingOoo": "加载中…", "ariaSortAscending": "升序", "ariaSortDescending": "降序",
            "filterOoo": "筛选…", "contains": "包含", "notContains": "不包含",
            "equals": "等于", "notEqual": "不等于", "startsWith": "开头是", "endsWith": "结尾是",
            "blank": "为空", "notBlank": "不为空", "andCondition": "且", "orCondition": "或",
            "lessThan": "小于", "greaterThan": "大于", "inRange": "介于",
            "lessThanOrEqual": "小于等于", "greaterThanOrEqual": "大于等于"}
