"""``create_app(results) -> dash.Dash``: the dashboard for one precomputed Results bundle."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import dash

from layouts import store
from layouts.i18n import t

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "assets"
PAGES = Path(__file__).resolve().parent / "pages"

#: index.html: Chinese document language, nothing loaded from outside the app.
INDEX_STRING = """<!DOCTYPE html>
<html lang="zh-CN">
    <head>
        {%metas%}
        <title>{%title%}</title>
        {%favicon%}
        {%css%}
    </head>
    <body>
        {%app_entry%}
        <footer>
            {%config%}
            {%scripts%}
            {%renderer%}
        </footer>
    </body>
</html>"""


def create_app(results: Any, *, data_version: str = "", **dash_kwargs: Any) -> dash.Dash:
    """Build the Dash app over ``results`` (an ``indicators.pipeline.Results``: dataset, table
    with indicators.compare's columns, catalog).

    Pages (``layouts/pages/``: 概览 ``/``, 比较 ``/compare``) read ``results`` through
    ``layouts.store``; every script, stylesheet and locale is served by the app itself
    (``serve_locally``; Bootstrap 5.3.3 CSS and the plotly zh-CN locale sit in ``assets/``), so
    the page works with no internet. ``dash_kwargs`` are passed on to ``dash.Dash`` (e.g.
    ``url_base_pathname``). One process serves one app: a later create_app replaces the data.

    ``data_version`` names the data (server.reload's fingerprint; scoped caches are keyed by
    it). Sign-in, scope and reload are added by ``server.wsgi.create_server_app``.

    Raises ValueError if the table lacks a column the pages need (see store.REQUIRED_COLUMNS).
    """
    store.set_results(results, data_version)
    options: dict[str, Any] = {
        "use_pages": True,
        "pages_folder": str(PAGES),
        "assets_folder": str(ASSETS),
        "serve_locally": True,
        "title": t("app_title", "zh"),
        "update_title": None,
        "suppress_callback_exceptions": True,
        "meta_tags": [{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    }
    options.update(dash_kwargs)
    # name="layouts" makes Dash import the page modules as layouts.pages.<page>.
    app = dash.Dash("layouts", **options)
    app.index_string = INDEX_STRING
    return app
