"""What the analyst sees while the dashboard's data load on a cold start.

``python app.py serve`` listens at once and answers every request with a Chinese page
"正在载入数据……已用 N 秒" (refreshing itself every 2 s) until the dashboard is built; the
terminal prints the elapsed time every few seconds. Without this a cold start showed nothing
for ≈ 20 s on a busy machine (the browser could not even connect).
"""
from __future__ import annotations

import html
import threading
import time
from typing import Any, Callable

#: The page shown while loading: plain HTML, no script, nothing fetched from outside.
PAGE = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta http-equiv="refresh" content="2">
<title>正在载入数据 · 党建引领基层治理指标看板</title>
<style>body{{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;background:#f6f7f9;
color:#212529;margin:0}}header{{background:#fff;border-bottom:3px solid #b71c1c;
padding:.6rem 1rem}}h1{{font-size:1.25rem;color:#8b1a1a;margin:0}}main{{padding:2rem 1rem}}
.bar{{width:420px;max-width:90%;height:10px;background:#e9ecef;border-radius:5px;overflow:hidden}}
.bar span{{display:block;height:100%;width:{pct}%;background:#2166ac}}
p{{margin:.6rem 0}}.muted{{color:#6c757d;font-size:.9rem}}.error{{color:#b35806}}</style>
</head><body><header><h1>党建引领基层治理指标看板</h1></header><main>
<p><strong>{message}</strong></p><div class="bar"><span></span></div>
<p>已用 {seconds} 秒{expected}</p>
<p class="muted">本页每 2 秒自动刷新，数据载入完成后显示看板。</p></main></body></html>"""


class Starting:
    """A WSGI app that answers with :data:`PAGE` until ``app`` is set, then passes every
    request to it. ``error``: set when loading failed (the page says so)."""

    def __init__(self, expected_s: float | None = None) -> None:
        self.app: Any = None
        self.error: str | None = None
        self.started = time.monotonic()
        self.expected_s = expected_s

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def page(self) -> bytes:
        seconds = self.elapsed()
        if self.error:
            message = f"数据载入失败：{html.escape(self.error)}"
        else:
            message = "正在读取数据文件并计算指标，请稍候……"
        expected, pct = "", 0
        if self.expected_s:
            expected = f"（上次载入用时约 {self.expected_s:.0f} 秒）"
            pct = min(95, int(100 * seconds / max(self.expected_s, 1)))
        else:
            pct = min(90, int(seconds * 4))
        return PAGE.format(message=message, seconds=f"{seconds:.0f}", expected=expected,
                           pct=pct).encode("utf-8")

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        if self.app is not None:
            return self.app(environ, start_response)
        body = self.page()
        start_response("503 Service Unavailable",
                       [("Content-Type", "text/html; charset=utf-8"),
                        ("Content-Length", str(len(body))), ("Retry-After", "2"),
                        ("Cache-Control", "no-store")])
        return [body]


def serve_while_loading(make_app: Callable[[], Any], host: str, port: int,
                        say: Callable[[str], None], tick_s: float = 3.0,
                        expected_s: float | None = None) -> float:
    """Listen on ``host:port`` at once, build the dashboard with ``make_app()`` (a Dash app),
    answer with the loading page meanwhile and print the elapsed time to ``say`` every
    ``tick_s`` seconds; then serve the dashboard until interrupted (Ctrl+C).

    The app is built in the calling thread (Dash registers its pages in a context that only the
    main thread has); the server runs in a thread. Returns the seconds the load took.
    Re-raises whatever ``make_app`` raised (after closing the listening socket), so the caller
    can turn it into a one-line message."""
    from werkzeug.serving import make_server

    state = Starting(expected_s)
    server = make_server(host, port, state, threaded=True)
    serving = threading.Thread(target=server.serve_forever, name="serve", daemon=True)
    serving.start()
    done = threading.Event()

    def ticker() -> None:
        while not done.wait(tick_s):
            say(f"正在载入数据……已用 {state.elapsed():.0f} 秒（浏览器中显示载入进度）")

    threading.Thread(target=ticker, name="load-ticker", daemon=True).start()
    try:
        try:
            state.app = make_app().server
        finally:
            done.set()
        took = state.elapsed()
        say(f"数据载入完成（用时 {took:.1f} 秒），看板可以使用。")
        while serving.is_alive():
            serving.join(0.5)
    except BaseException as exc:
        if not isinstance(exc, KeyboardInterrupt):
            state.error = str(exc)
        raise
    finally:
        server.shutdown()
        server.server_close()
    return took
