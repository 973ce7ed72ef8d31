"""The Dash dashboard: ``create_app(results) -> dash.Dash`` (pages in ``layouts/pages/``)."""
from layouts.app import create_app

__all__ = ["create_app"]
