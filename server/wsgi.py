"""Production entry point: ``server.wsgi:application`` for gunicorn (Linux) or waitress.

    export SECRET_KEY=$(python -c 'import secrets; print(secrets.token_urlsafe(32))')
    export DASHBOARD_DATASET=/srv/data/2025/dataset.yaml DASHBOARD_USERS=/srv/data/users.yaml
    gunicorn --workers 3 --threads 4 --timeout 120 --keep-alive 75 --bind 0.0.0.0:8050 server.wsgi:application
    # Windows: waitress-serve --threads 8 --listen 0.0.0.0:8050 server.wsgi:application

Environment: ``DASHBOARD_DATASET`` (manifest; default the embedded sample), ``DASHBOARD_USERS``
(users file, see server.accounts; without it every request not from 127.0.0.1/::1 gets 403),
``SECRET_KEY`` (required with accounts: the process refuses to start without one),
``DASHBOARD_UPLOAD_MB`` (largest upload, default 50), ``DASHBOARD_STATE_DIR`` (sessions, sign-in
counters, audit log; default ``.dashboard-state/`` beside the users file),
``SESSION_COOKIE_SECURE=1`` (behind a TLS proxy: the cookie travels over HTTPS only),
``DASHBOARD_PROXY_FIX=1`` (trust one proxy's X-Forwarded-* headers), ``RATELIMIT_STORAGE_URI``
(Flask-Limiter's store; default per-worker memory). Dash debug and dev tools stay off, so a
failing callback answers a generic 500 and its traceback goes to the server log only.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from server.accounts import UsersFile
from server.auth import DEFAULT_UPLOAD_MB, env_flag, install_auth, install_local_only, state_folder
from server.guards import install_job_watch
from server.reload import DataWatcher, install

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parent.parent
SAMPLE_MANIFEST = ROOT / "data" / "sample" / "dataset.yaml"


class StartupError(RuntimeError):
    """The server must not start (message in Chinese)."""


def create_server_app(manifest_path: str | Path, users_path: str | Path | None = None,
                      secret_key: str | None = None,
                      max_upload_mb: float = DEFAULT_UPLOAD_MB, reload_interval_s: float = 2.0,
                      build: Any = None, state_dir: str | Path | None = None,
                      protections: bool = True) -> Any:
    """The dashboard as it is served to a department: data loaded and watched (server.reload),
    sign-in and scope (server.auth) when ``users_path`` is given, loopback-only otherwise.

    build: ``manifest → Results`` (default indicators.pipeline.build). state_dir: sessions,
    sign-in counters and the audit log (default server.auth.state_folder). protections False
    only for the load test's baseline. Raises StartupError for
    accounts without a SECRET_KEY, ValueError/OSError for a bad users file or dataset (the
    first load must be servable: no fatal file, some indicators).
    """
    from indicators.freeze import build_published as pipeline_build   # frozen years as published
    from layouts import create_app

    users = UsersFile(users_path) if users_path else None
    if users and not secret_key:
        raise StartupError("已启用账号但未设置环境变量 SECRET_KEY，拒绝启动。")
    watcher = DataWatcher(manifest_path, build or tolerant_build(pipeline_build),
                          interval_s=reload_interval_s)
    results = watcher.load_initial()
    app = create_app(results, data_version=watcher.status.version)
    if users:
        install_auth(app, users, secret_key, max_upload_mb=max_upload_mb,
                     state_dir=state_dir or state_folder(users_path), protections=protections)
    else:
        install_local_only(app, max_upload_mb=max_upload_mb, protections=protections)
    if env_flag("DASHBOARD_PROXY_FIX"):
        from werkzeug.middleware.proxy_fix import ProxyFix
        # behind one TLS proxy: trust its X-Forwarded-For/-Proto/-Host (client address for
        # throttling and the audit log, https for the Origin check)
        app.server.wsgi_app = ProxyFix(app.server.wsgi_app, x_for=1, x_proto=1, x_host=1)
    install(app, watcher)
    install_job_watch(app)
    return app


def tolerant_build(build: Any) -> Any:
    """``build`` (indicators.pipeline.build) that survives an unwritable cache folder: an
    OSError while building with the cache is logged as a warning and the build repeated
    without it (the data are then served from memory; nothing is written)."""
    def run(manifest: Any) -> Any:
        try:
            return build(manifest)
        except OSError as exc:
            log.warning("cache unusable (%s); building without the cache, serving from memory",
                        exc)
            return build(manifest, use_cache=False)
    return run


def _from_environment() -> Any:
    logging.basicConfig(level=logging.INFO)
    return create_server_app(
        os.environ.get("DASHBOARD_DATASET") or SAMPLE_MANIFEST,
        os.environ.get("DASHBOARD_USERS") or None,
        os.environ.get("SECRET_KEY") or None,
        float(os.environ.get("DASHBOARD_UPLOAD_MB") or DEFAULT_UPLOAD_MB),
        protections=os.environ.get("DASHBOARD_PROTECTIONS", "on").strip().lower() != "off"
    ).server


def __getattr__(name: str) -> Any:
    """``application`` is built on first access (gunicorn's ``server.wsgi:application``), so
    importing this module for its functions loads no data."""
    if name == "application":
        app = _from_environment()
        globals()["application"] = app
        return app
    raise AttributeError(name)
