"""Indicator catalog (指标说明): what each indicator means, how it is computed, its standard
and where the standard comes from. Read from ``results.catalog`` (the dataset's overrides
applied). URL: ``/catalog?lang=zh``.
"""
from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts import ids, store
from layouts.components import header, page_href
from layouts.i18n import normalise_lang, t

PATH = "/catalog"

dash.register_page(__name__, path=PATH, order=4, name="指标说明", nav_key="nav_catalog",
                   title="指标说明 · 党建引领基层治理指标看板")

COLUMNS = ("indicator", "unit", "direction", "formula", "standard", "references", "min_count")


def _mark(std: Any, lang: str) -> list:
    en = lang == "en"
    since = getattr(std, "effective_year", None)
    return [html.Div(std.label_en if en else std.label_zh),
            html.Div(t("standard_since", lang, year=since), className="small") if since
            else None,
            html.Div(std.source_en if en else std.source_zh, className="text-muted small")]


def _timing(ind: Any, lang: str) -> list:
    """When a value is provisional (暂定) and which views show the indicator."""
    days = getattr(ind, "maturity_days", None)
    out = []
    if days:
        out.append(html.Div(t("catalog_maturity", lang, days=days), className="text-muted small"))
    used = getattr(ind, "used_by", "")
    if used and lang == "zh":
        out.append(html.Div(f"使用：{used}", className="text-muted small"))
    return out


def catalog_rows(catalog: dict[str, Any], lang: str) -> list[html.Tr]:
    """One table row per indicator, in catalog order (cells in COLUMNS order)."""
    en = lang == "en"
    rows = []
    for ind in catalog.values():
        rows.append(html.Tr([
            html.Td([html.Strong(dcc.Link(ind.name(lang), href=page_href(
                "/indicator", {"indicator": ind.id, "lang": None if lang == "zh" else lang}))),
                     html.Div(ind.name_zh if en else ind.name_en, className="text-muted small")]),
            html.Td(ind.unit(lang)),
            html.Td(t(f"direction_{ind.direction}", lang)),
            html.Td([ind.formula_en if en else ind.formula_zh, *_timing(ind, lang)]),
            html.Td(_mark(ind.standard, lang) if ind.standard is not None else "—"),
            html.Td([part for ref in ind.references for part in _mark(ref, lang)] or "—"),
            html.Td(f"{ind.min_count:,}" if ind.min_count else "—", className="text-end"),
        ], id=f"cat-{ind.id}"))
    return rows


def layout(lang: str | None = None, **_other: Any) -> html.Div:
    """The catalog as one printable table."""
    data = store.get()
    lang = normalise_lang(lang)
    return html.Div([
        header(data.dataset_name(lang), bool(data.dataset.is_sample), lang, PATH,
               {"lang": None if lang == "zh" else lang}, ids.CAT_LANG_SWITCH),
        dbc.Container(fluid=True, className="page", children=[
            html.P(t("catalog_intro", lang), className="summary"),
            dbc.Table(
                [html.Thead(html.Tr([html.Th(t(f"col_{c}", lang)) for c in COLUMNS])),
                 html.Tbody(catalog_rows(data.catalog, lang))],
                id=ids.CAT_TABLE, bordered=False, hover=True, size="sm",
                className="catalog-table bg-white"),
        ]),
    ])
