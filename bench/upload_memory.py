"""A worker's memory over ten uploads (issue 14 item 11).

    /work/venv/bin/python bench/upload_memory.py [--uploads 10]

Builds the production app (server.wsgi.create_server_app, accounts on) over a copy of the
embedded sample in a temporary folder, signs in a data manager through the real form, and sends
``--uploads`` accepted uploads of a district's complaints workbook (≈ 1 MB; ticket ids renumbered
each time, the previous upload removed so the data keep their size; each a callback POST with
the file as a base64 data URL, exactly as dcc.Upload sends it; each rebuilds and swaps the data).
Prints the process's resident memory (VmRSS from /proc) after start-up and after each upload,
beside the same figure after the same number of plain rebuilds of the data (``reload_now`` on
a touched file: the peer doing the same work without an upload), so growth due to the upload
path itself shows as the difference. Requests go to the in-process Flask test client only.
"""
from __future__ import annotations

import argparse
import base64
import gc
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def renumbered(path: Path, prefix: str) -> bytes:
    """The complaints workbook with every ticket id prefixed: new tickets, same rows."""
    import io

    import openpyxl

    book = openpyxl.load_workbook(path)
    sheet = book["工单"]
    col = [c.value for c in sheet[1]].index("工单编号") + 1
    for row in range(2, sheet.max_row + 1):
        cell = sheet.cell(row=row, column=col)
        if cell.value not in (None, ""):
            cell.value = f"{prefix}{cell.value}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=10)
    args = parser.parse_args()

    from server import reload as reload_mod
    from server.accounts import hash_password
    from server.uploads import targets
    from server.wsgi import create_server_app
    from tests.security_helpers import signed_in

    folder = Path(tempfile.mkdtemp(prefix="upload-memory-"))
    try:
        data = folder / "sample"
        shutil.copytree(ROOT / "data" / "sample", data,
                        ignore=shutil.ignore_patterns("__pycache__", "*.py"))
        users = folder / "users.yaml"
        users.write_text(yaml.safe_dump({"users": [{
            "username": "dm", "password_hash": hash_password("dm-password-1"), "scope": "all",
            "role": "data_manager"}]}), encoding="utf-8")
        app = create_server_app(data / "dataset.yaml", users, "bench-" + os.urandom(16).hex(),
                                max_upload_mb=20, reload_interval_s=3600,
                                state_dir=folder / "state")
        app.server.config["LOGIN_RATE"] = "1000 per minute"
        client = signed_in(app, "dm", "dm-password-1")
        target = next(t.key for t in targets(data / "dataset.yaml")
                      if t.path == "complaints/*_511602_*.xlsx")
        source = sorted((data / "complaints").glob("*_511602_*.xlsx"))[-1]
        body = {"output": "..up-result.children...up-status.children..",
                "outputs": [{"id": "up-result", "property": "children"},
                            {"id": "up-status", "property": "children"}],
                "inputs": [{"id": "up-file", "property": "contents", "value": ""}],
                "changedPropIds": ["up-file.contents"],
                "state": [{"id": "up-file", "property": "filename", "value": "阵地.xlsx"},
                          {"id": "up-target", "property": "value", "value": target},
                          {"id": "up-lang", "property": "data", "value": "zh"}]}
        gc.collect()
        start = rss_mb()
        print(f"file {source.stat().st_size / 1024:,.0f} KB ({source.name}, ticket ids renumbered "
              f"each time; the previous upload removed so the data stay the same size); "
              f"resident memory after start-up {start:,.0f} MB")
        print(" n   after upload MB   after plain rebuild MB")
        uploads, rebuilds = [], []
        watcher = reload_mod.watcher()
        for n in range(1, args.uploads + 1):
            content = renumbered(source, f"U{n}-")
            body["inputs"][0]["value"] = ("data:application/octet-stream;base64," +
                                          base64.b64encode(content).decode())
            for old in (data / "complaints").glob("upload-*"):
                old.unlink()                      # the previous upload: same data size
            del content
            started = time.perf_counter()
            answer = client.post("/_dash-update-component", json=body)
            assert answer.status_code == 200, answer.status_code
            if "未接收" in answer.get_data(as_text=True):
                raise SystemExit("the upload was refused: " + answer.get_data(as_text=True)[:300])
            gc.collect()
            uploads.append(rss_mb())
            upload_s = time.perf_counter() - started
            target_file = data / "dataset.yaml"
            os.utime(target_file, ns=(time.time_ns(), time.time_ns()))
            watcher.reload_now()
            gc.collect()
            rebuilds.append(rss_mb())
            print(f"{n:>2}   {uploads[-1]:>15,.0f}   {rebuilds[-1]:>22,.0f}   "
                  f"(upload {upload_s:.1f} s)")
        print(f"growth over {args.uploads} uploads: {uploads[-1] - uploads[0]:+,.0f} MB "
              f"(first upload {uploads[0] - start:+,.0f} MB over start-up); "
              f"upload minus rebuild at the end: {uploads[-1] - rebuilds[-1]:+,.0f} MB")
        print("last five uploads' spread:", f"{max(uploads[-5:]) - min(uploads[-5:]):,.0f} MB")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
