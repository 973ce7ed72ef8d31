"""Page shown for an unknown path (Dash Pages uses the module name ``not_found_404``)."""
from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import html

from layouts.components import page_href
from layouts.i18n import normalise_lang, t

dash.register_page(__name__, path="/404", title="页面不存在")


def layout(lang: str | None = None, **_other: Any) -> html.Div:
    """A short message with a link back to the overview."""
    lang = normalise_lang(lang)
    return dbc.Container(className="page", children=[
        html.H1(t("page_not_found", lang), className="h4 mt-4"),
        html.A(t("nav_overview", lang), href=page_href("/", {})),
    ])
