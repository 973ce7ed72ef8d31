"""Dash Pages of the dashboard, one module per page (imported by Dash, never by the app)."""
