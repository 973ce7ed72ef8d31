"""Issue 14 item 11: an unwritable cache folder is a warning, not a crash (its own module: it
builds a second app, which replaces the served one of the other security modules)."""
from __future__ import annotations

from pathlib import Path

from layouts import store
from server import reload as reload_mod

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample" / "dataset.yaml"


def test_an_unwritable_cache_is_a_warning_not_a_crash(tmp_path, monkeypatch, caplog):
    import data.cache
    from server.wsgi import create_server_app

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setattr(data.cache, "DEFAULT_CACHE_DIR", blocker / "cache")
    caplog.set_level("WARNING")
    try:
        app = create_server_app(SAMPLE, reload_interval_s=3600)
        client = app.server.test_client()
        answer = client.get("/_dash-layout")
        assert answer.status_code == 200
        assert store._results is not None and len(store._results.table) > 0
    finally:
        reload_mod._watcher = None
    assert any("serving from memory" in r.getMessage() for r in caplog.records)
    assert not (blocker / "cache").exists()
