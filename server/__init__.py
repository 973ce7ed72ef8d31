"""Serving the dashboard to a department: accounts, per-unit scope, uploads, atomic reload and
the production entry point (``server.wsgi:application``).

Modules: :mod:`server.accounts` (users file, hashed passwords), :mod:`server.scope` (a Results
bundle restricted to a user's units), :mod:`server.auth` (Flask-Login sign-in on every route,
generic error pages, upload size limit), :mod:`server.reload` (validated, atomic data reload),
:mod:`server.uploads` (staged, validated uploads), :mod:`server.wsgi` (gunicorn / waitress).
"""
