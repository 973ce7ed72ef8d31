"""Record the callback requests a browser really makes, for bench/load_test.py and the tests.

    .venv/bin/python bench/record_payloads.py [--out bench/payloads/sample_callbacks.json]

Serves the embedded sample on 127.0.0.1 (no accounts), drives headless Chromium through every
page, two dropdown changes and one workbook export, and writes each POST to
``/_dash-update-component`` (page, query string kind, JSON body) as it was sent. The export's
progress polls are left out (the load test polls with the handles the server returns).
"""
from __future__ import annotations

import argparse
import io
import json
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = ["/", "/?unit=district:511603", "/compare",
         "/compare?indicator=satisfaction_rate&level=street", "/trends", "/map", "/quality",
         "/catalog", "/export", "/upload"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "payloads" /
                        "sample_callbacks.json")
    parser.add_argument("--port", type=int, default=8093)
    args = parser.parse_args()

    from selenium import webdriver
    from selenium.webdriver.common.by import By
    from werkzeug.serving import make_server

    from server.wsgi import create_server_app

    app = create_server_app(ROOT / "data" / "sample" / "dataset.yaml")
    recorded: list[dict] = []
    inner = app.server.wsgi_app

    def record(environ, start_response):
        if environ["PATH_INFO"] == "/_dash-update-component":
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = io.BytesIO(body)
            if "cacheKey=" not in environ.get("QUERY_STRING", ""):
                referer = urlsplit(environ.get("HTTP_REFERER", ""))
                page = referer.path + (f"?{referer.query}" if referer.query else "")
                recorded.append({"page": page,
                                 "body": json.loads(body)})
        return inner(environ, start_response)

    app.server.wsgi_app = record
    server = make_server("127.0.0.1", args.port, app.server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    options = webdriver.ChromeOptions()
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking"):
        options.add_argument(flag)
    options.binary_location = "/usr/bin/chromium"
    driver = webdriver.Chrome(options=options)
    base = f"http://127.0.0.1:{args.port}"

    def pick(selector: str, text: str) -> None:
        driver.find_element(By.CSS_SELECTOR, selector).click()
        time.sleep(1)
        for option in driver.find_elements(By.CSS_SELECTOR, ".dash-dropdown-option"):
            if text in option.text:
                option.click()
                time.sleep(3)
                return
        raise SystemExit(f"no option {text} in {selector}")

    try:
        driver.set_window_size(1400, 900)
        for page in PAGES:
            driver.get(base + page)
            time.sleep(4)
        driver.get(base + "/")
        time.sleep(4)
        pick("#ov-year", "2024")
        pick("#ov-unit", "演示区")
        driver.get(base + "/compare")
        time.sleep(4)
        pick("#cmp-indicator", "满意率")
        driver.get(base + "/export")
        time.sleep(4)
        driver.find_element(By.CSS_SELECTOR, "#exp-button").click()
        for _ in range(120):
            time.sleep(1)
            if "已生成" in driver.find_element(By.CSS_SELECTOR, "#exp-status").text or \
                    "xlsx" in driver.find_element(By.CSS_SELECTOR, "#exp-status").text:
                break
    finally:
        driver.quit()
        server.shutdown()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(recorded, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"{len(recorded)} callback requests → {args.out}")


if __name__ == "__main__":
    main()
