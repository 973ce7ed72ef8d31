"""Page shown for an unknown path (Dash Pages uses the module name ``not_found_404``): the
usual header and navigation, a short message, and links to every page."""
from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import html

from layouts import ids, store
from layouts.components import header, page_href
from layouts.i18n import normalise_lang, t

dash.register_page(__name__, path="/404", title="页面不存在 · 党建引领基层治理指标看板")


def layout(lang: str | None = None, **_other: Any) -> html.Div:
    """The header with navigation, what happened, and a link to each page of the navigation."""
    data = store.get()
    lang = normalise_lang(lang)
    query = {"lang": None if lang == "zh" else lang}
    pages = sorted((p for p in dash.page_registry.values() if p.get("nav_key")),
                   key=lambda p: p.get("order", 0))
    return html.Div([
        header(data.dataset_name(lang), bool(data.dataset.is_sample), lang, "/404", query,
               ids.NF_LANG_SWITCH),
        dbc.Container(fluid=True, className="page", children=[
            html.H1(t("page_not_found", lang), className="h4 mt-3"),
            html.P(t("page_not_found_hint", lang), className="text-muted"),
            html.Ul([html.Li(html.A(t(p["nav_key"], lang), href=page_href(p["path"], query)))
                     for p in pages], id=ids.NF_LINKS),
        ]),
    ])
