"""Load test: real callback payloads against the production server while two exports run.

    .venv/bin/python bench/load_test.py [--users 20 --seconds 60 --workers 3 --threads 4]

Copies the embedded sample to a temporary folder, writes a users file (a whole-city account and
a district account), and starts ``gunicorn server.wsgi:application`` on 127.0.0.1 (accounts on,
SECRET_KEY set, debug off). Then ``--users`` virtual analysts, each signed in with its own
session, replay the callback requests recorded from a real browser
(``bench/payloads/sample_callbacks.json``, made by bench/record_payloads.py) back to back for
``--seconds``, while two year-end workbook exports run through the Export page's background
callback (started, polled every 0.4 s, the workbook checked in the answer; restarted when done;
an export unfinished after 180 s is an error).
Prints latency percentiles, errors, exports completed, then touches a data file and checks that
every worker process reports the same new data version. Stops the server it started; everything
is bounded in time (no request waits more than 60 s).

Two servers run side by side: with issue 14's protections (server-side session lookup,
CSRF/Origin checks, input guards, headers, audit log; ``DASHBOARD_PROTECTIONS=on``) and without
them (``off``, the baseline). Every analyst sends each request to both, in random order, and
each server has its own two exports, so both are measured under the same load at the same
moments (a shared machine's background load hits both alike); the figures are printed side by
side, ratio = with ÷ without.
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PAYLOADS = ROOT / "bench" / "payloads" / "sample_callbacks.json"
CALLBACK = "/_dash-update-component"
#: an export not finished this long after it started counts as an error (and the test moves on)
EXPORT_DEADLINE_S = 180
ACCOUNTS = {"city": ("city-load-pass", "all"), "east": ("east-load-pass", ["district:511602"])}


def end_id(session: requests.Session, base: str) -> str:
    """The signed page-load id Dash puts in the index page (background handles need it)."""
    html = session.get(base + "/", timeout=60).text
    match = re.search(r'"end_id":\s*"([^"]+)"', html)
    return match.group(1) if match else ""


def sign_in(base: str, username: str) -> requests.Session:
    """A browser-like session: the sign-in form's CSRF token, and the site's own Origin on
    every request (as the dashboard's pages send their callbacks)."""
    session = requests.Session()
    session.headers["Origin"] = base
    form = session.get(base + "/login", timeout=60).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    answer = session.post(base + "/login", data={"username": username,
                                                "password": ACCOUNTS[username][0],
                                                "csrf_token": token.group(1) if token else ""},
                          allow_redirects=False, timeout=60)
    if answer.status_code != 302:
        raise SystemExit(f"sign-in of {username} failed: {answer.status_code}")
    return session


def analyst(bases: dict[str, str], username: str, payloads: list[dict], stop: float,
            latencies: dict[str, list[tuple[str, float]]], errors: dict[str, list[str]],
            seed: int, think: tuple[float, float]) -> None:
    """One analyst signed in on every server in ``bases`` ({mode: url}); each step picks a
    recorded callback and sends it to every server, in a random order, so both servers are
    measured under the same load at the same moments."""
    sessions = {mode: sign_in(base, username) for mode, base in bases.items()}
    tokens = {mode: end_id(sessions[mode], base) for mode, base in bases.items()}
    rng = random.Random(seed)
    while time.monotonic() < stop:
        if think[1] > 0:
            time.sleep(rng.uniform(*think))
        body = rng.choice(payloads)
        order = list(bases)
        rng.shuffle(order)
        for mode in order:
            started = time.perf_counter()
            try:
                answer = sessions[mode].post(f"{bases[mode]}{CALLBACK}?endId={tokens[mode]}",
                                             json=body, timeout=60)
                if answer.status_code not in (200, 204):
                    errors[mode].append(f"{answer.status_code} {body['output'][:40]}")
            except requests.RequestException as exc:
                errors[mode].append(f"{type(exc).__name__} {body['output'][:40]}")
            latencies[mode].append((body["output"].split(".")[2],
                                    time.perf_counter() - started))


def exporter(base: str, username: str, body: dict, stop: float,
             done: list[tuple[str, float, int]], errors: list[str]) -> None:
    session = sign_in(base, username)
    token = end_id(session, base)
    clicks = 0
    while time.monotonic() < stop:
        clicks += 1
        run = json.loads(json.dumps(body))
        run["inputs"][0]["value"] = clicks          # a new click: a new job
        started = time.perf_counter()
        first = session.post(f"{base}{CALLBACK}?endId={token}", json=run, timeout=60)
        if first.status_code != 200 or "job" not in first.json():
            errors.append(f"export start {first.status_code}")
            return
        handles = first.json()
        deadline = time.monotonic() + EXPORT_DEADLINE_S
        while time.monotonic() < deadline:
            time.sleep(0.4)
            poll = session.post(f"{base}{CALLBACK}", json=run, timeout=60, params={
                "endId": token, "cacheKey": handles["cacheKey"], "job": handles["job"]})
            if poll.status_code not in (200, 204):
                errors.append(f"export poll {poll.status_code}")
                return
            answer = poll.json() if poll.status_code == 200 and poll.content else {}
            if "response" in answer:
                data = answer["response"].get("exp-download", {}).get("data")
                if not data or not data.get("filename", "").endswith(".xlsx"):
                    errors.append("export finished without a workbook")
                    return
                size = len(base64.b64decode(data["content"])) if data.get("base64") else \
                    len(data.get("content", ""))
                if size < 10_000:
                    errors.append(f"export of {size} bytes is not a workbook")
                    return
                done.append((username, time.perf_counter() - started, size))
                break
        else:
            errors.append(f"export did not finish in {EXPORT_DEADLINE_S} s")
            return


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--port", type=int, default=8073,
                        help="first server's port; the second uses the next one")
    parser.add_argument("--modes", nargs="+", choices=["on", "off"], default=["on", "off"],
                        help="runs with (on) and without (off) issue 14's protections")
    parser.add_argument("--think", type=float, nargs=2, default=(0.0, 0.0), metavar=("MIN", "MAX"),
                        help="seconds each analyst waits between requests (default: none)")
    args = parser.parse_args()

    from server.accounts import hash_password

    recorded = json.loads(PAYLOADS.read_text(encoding="utf-8"))
    export_body = next(r["body"] for r in recorded if r["body"]["output"].startswith("..exp-"))
    payloads = [r["body"] for r in recorded if not r["body"]["output"].startswith("..exp-")]
    modes = {"on": "with issue 14's protections", "off": "without them (baseline)"}
    servers: dict[str, tuple[subprocess.Popen, Path, Path, str]] = {}
    figures: dict[str, dict[str, Any]] = {}
    try:
        for offset, mode in enumerate(args.modes):
            servers[mode] = start_server(args, mode, args.port + offset, hash_password)
        time.sleep(5)              # let every worker finish loading before the clock starts
        bases = {mode: item[3] for mode, item in servers.items()}
        stop = time.monotonic() + args.seconds
        latencies: dict[str, list] = {m: [] for m in bases}
        errors: dict[str, list] = {m: [] for m in bases}
        exports: dict[str, list] = {m: [] for m in bases}
        export_errors: dict[str, list] = {m: [] for m in bases}
        threads = [threading.Thread(target=analyst, args=(
            bases, "city" if i % 2 == 0 else "east", payloads, stop, latencies, errors, i,
            tuple(args.think))) for i in range(args.users)]
        threads += [threading.Thread(target=exporter, args=(
            bases[mode], name, export_body, stop, exports[mode], export_errors[mode]))
            for mode in bases for name in ("city", "east")]
        wall = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=args.seconds + EXPORT_DEADLINE_S + 60)
        wall = time.perf_counter() - wall
        print(f"\n{args.users} analysts × {args.seconds:.0f} s (think time {args.think[0]:g}–"
              f"{args.think[1]:g} s), each request sent to every server in random order; "
              f"{args.workers} workers × {args.threads} threads per server; 2 exports running "
              "throughout on each server")
        for mode in bases:
            print(f"\n=== {modes[mode]} (DASHBOARD_PROTECTIONS={mode}) ===")
            figures[mode] = report(latencies[mode], errors[mode], exports[mode],
                                   export_errors[mode], wall)
            figures[mode]["reload_ok"] = check_reload(bases[mode], servers[mode][2], args)
    finally:
        for process, folder, _data, _base in servers.values():
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
            shutil.rmtree(folder, ignore_errors=True)
    if len(figures) == 2:
        on, off = figures["on"], figures["off"]
        print("\n=== side by side (ratio = with ÷ without: the protections' cost) ===")
        print(f"{'':<22}{'with':>10}{'without':>10}{'ratio':>8}")
        for key, label in (("p50", "callback p50 s"), ("p95", "callback p95 s"),
                           ("p99", "callback p99 s"), ("mean", "callback mean s"),
                           ("n", "callbacks"), ("errors", "errors"),
                           ("exports", "exports done"), ("export_errors", "export errors")):
            a, b = on.get(key, float("nan")), off.get(key, float("nan"))
            ratio = f"{a / b:8.2f}" if b else "       –"
            fmt = ".3f" if isinstance(a, float) else "d"
            print(f"{label:<22}{a:>10{fmt}}{b:>10{fmt}}{ratio}")
    if "on" in figures:
        on = figures["on"]
        verdict = on["p95"] < 1.0 and on["errors"] == 0 and on["export_errors"] == 0
        print(f"target (p95 < 1 s, 0 errors, with protections): {'met' if verdict else 'NOT met'}")


def start_server(args: argparse.Namespace, mode: str, port: int, hash_password: Any
                 ) -> tuple[subprocess.Popen, Path, Path, str]:
    """gunicorn over a fresh copy of the sample with DASHBOARD_PROTECTIONS=``mode``:
    ``(process, temporary folder, data folder, base url)`` once it answers."""
    folder = Path(tempfile.mkdtemp(prefix="load-test-"))
    data = folder / "sample"
    shutil.copytree(ROOT / "data" / "sample", data,
                    ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    users = folder / "users.yaml"
    users.write_text(yaml.safe_dump({"users": [
        {"username": name, "password_hash": hash_password(pw), "scope": scope,
         "role": "analyst"}
        for name, (pw, scope) in ACCOUNTS.items()]}, allow_unicode=True), encoding="utf-8")
    env = {**os.environ, "SECRET_KEY": "load-test-" + os.urandom(16).hex(),
           "DASHBOARD_DATASET": str(data / "dataset.yaml"), "DASHBOARD_USERS": str(users),
           "DASHBOARD_STATE_DIR": str(folder / "state"), "DASHBOARD_PROTECTIONS": mode,
           "PYTHONPATH": str(ROOT)}
    base = f"http://127.0.0.1:{port}"
    command = [str(Path(sys.executable).parent / "gunicorn"), "--workers", str(args.workers),
               "--threads", str(args.threads), "--timeout", "120", "--keep-alive", "75", "--bind",
               f"127.0.0.1:{port}", "--log-level", "warning", "server.wsgi:application"]
    print(f"server ({mode}):", " ".join(command[1:]))
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    started = time.monotonic()
    while True:
        try:
            if requests.get(base + "/login", timeout=2).status_code == 200:
                break
        except requests.RequestException:
            pass
        if time.monotonic() - started > 180 or process.poll() is not None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            raise SystemExit("server did not start")
        time.sleep(0.5)
    print(f"server ({mode}) ready in {time.monotonic() - started:.1f} s")
    return process, folder, data, base


def report(latencies: list, errors: list, exports: list, export_errors: list,
           wall: float) -> dict[str, Any]:
    """Print one server's figures; return them."""
    figures: dict[str, Any] = {"n": len(latencies), "errors": len(errors),
                               "exports": len(exports), "export_errors": len(export_errors)}
    print(f"callbacks: {len(latencies):,} in {wall:.1f} s ({len(latencies) / wall:.1f}/s); "
          f"errors: {len(errors)}")
    if latencies:
        times = [t for _, t in latencies]
        figures.update(p50=percentile(times, .5), p95=percentile(times, .95),
                       p99=percentile(times, .99), mean=statistics.fmean(times))
        print(f"latency s: p50 {figures['p50']:.3f} · p95 {figures['p95']:.3f} · p99 "
              f"{figures['p99']:.3f} · max {max(times):.3f} · mean {figures['mean']:.3f}")
        for name in sorted({n for n, _ in latencies}):
            own = [t for n, t in latencies if n == name]
            print(f"  {name:<16} n {len(own):>5} · p50 {percentile(own, .5):.3f} · "
                  f"p95 {percentile(own, .95):.3f}")
    print(f"exports completed: {len(exports)}; export errors: {len(export_errors)}")
    for name in sorted({n for n, _, _ in exports}):
        own = [(t, b) for n, t, b in exports if n == name]
        print(f"  {name}: {len(own)} workbooks, {min(t for t, _ in own):.1f}–"
              f"{max(t for t, _ in own):.1f} s each (median "
              f"{statistics.median(t for t, _ in own):.1f} s), "
              f"{min(b for _, b in own) / 1024:,.0f}–{max(b for _, b in own) / 1024:,.0f} KB")
    for line in sorted(set(errors + export_errors))[:10]:
        print("  error:", line)
    return figures


def check_reload(base: str, data: Path, args: argparse.Namespace) -> bool:
    """Touch a data file; True when every worker serves the same new version (≤ 90 s)."""
    session = sign_in(base, "city")
    close = {"Connection": "close"}       # a new connection each time: any worker answers
    before = {session.get(base + "/_version", headers=close, timeout=60).json()["version"]
              for _ in range(12)}
    target = data / "stations.xlsx"
    os.utime(target, ns=(time.time_ns(), time.time_ns()))
    seen: dict[int, str] = {}
    deadline = time.monotonic() + 90
    ok = False
    while time.monotonic() < deadline:
        info = session.get(base + "/_version", headers=close, timeout=60).json()
        seen[info["pid"]] = info["version"]
        ok = len(seen) >= args.workers and len(set(seen.values())) == 1 and \
            set(seen.values()) != before
        if ok:
            break
        time.sleep(0.3)
    print(f"after touching {target.name}, all {len(seen)} workers agree on the new version: {ok}")
    return ok


if __name__ == "__main__":
    main()
