"""Measure what a hostile upload does to a web worker's memory.

Starts gunicorn (one sync worker, DEBUG on as in the demo) on a fresh SQLite database, fetches the public
report page for a CSRF token, then posts PARTS photos of PART_MB megabytes each to /public/report/,
produced as they are sent so this script never holds them. Reports the worker's resident memory (VmRSS)
before and after and its peak (VmHWM), what the server answered and how much was sent before it did.

    .venv/bin/python tools/upload_memory.py                  # 4 × 300 MB, as in the security finding
    .venv/bin/python tools/upload_memory.py --base /path/to/other/checkout --parts 2 --part-mb 100

The last line is one JSON object with every number.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BOUNDARY = "qingcheng-memory-probe-3f9a"
CHUNK = 1 << 20


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _memory(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in kB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values


def _worker_pid(master: int, timeout: float = 30) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.2)
    raise RuntimeError("gunicorn started no worker")


def _wait_for(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not start")


def _csrf(port: int) -> tuple[str, str]:
    """(cookie header, form token) from a GET of the report page, as a browser would have them."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", "/public/report/")
    response = conn.getresponse()
    body = response.read().decode("utf-8", "replace")
    cookies = [h.split(";", 1)[0] for k, h in response.getheaders() if k.lower() == "set-cookie"]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    conn.close()
    return "; ".join(cookies), token.group(1) if token else ""


def _body(token: str, parts: int, part_bytes: int):
    """(length, generator) of a multipart body: the CSRF token, a position, then the photos."""
    head = ""
    for name, value in (
        ("csrfmiddlewaretoken", token),
        ("lon", "111.70"),
        ("lat", "40.80"),
        ("description", "x"),
    ):
        head += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
    part_heads = [
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="photos"; filename="p{n}.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        for n in range(parts)
    ]
    tail = f"--{BOUNDARY}--\r\n".encode()
    length = len(head.encode()) + sum(len(h) + part_bytes + 2 for h in part_heads) + len(tail)

    def produce():
        yield head.encode()
        block = bytes(CHUNK)
        for part_head in part_heads:
            yield part_head + b"\xff\xd8\xff"
            left = part_bytes - 3
            while left > 0:
                yield block[: min(left, CHUNK)]
                left -= CHUNK
            yield b"\r\n"
        yield tail

    return length, produce()


def _post(port: int, cookie: str, token: str, parts: int, part_bytes: int) -> dict:
    length, chunks = _body(token, parts, part_bytes)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    conn.putrequest("POST", "/public/report/")
    conn.putheader("Content-Type", f"multipart/form-data; boundary={BOUNDARY}")
    conn.putheader("Content-Length", str(length))
    conn.putheader("Cookie", cookie)
    conn.putheader("Referer", f"http://127.0.0.1:{port}/public/report/")
    conn.endheaders()
    sent, cut_off = 0, False
    started = time.monotonic()
    for chunk in chunks:
        try:
            conn.send(chunk)
        except (BrokenPipeError, ConnectionResetError):
            cut_off = True
            break
        sent += len(chunk)
    status, code = None, ""
    try:
        response = conn.getresponse()
        status = response.status
        found = re.search(rb'data-code="([a-z_]+)"', response.read())
        code = found.group(1).decode() if found else ""
    except (ConnectionError, http.client.HTTPException) as exc:
        code = f"no answer ({type(exc).__name__})"
    conn.close()
    return {
        "declared_bytes": length,
        "sent_bytes": sent,
        "cut_off_by_server": cut_off,
        "status": status,
        "code": code,
        "seconds": round(time.monotonic() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--base", default=str(Path(__file__).resolve().parent.parent), help="checkout to serve"
    )
    parser.add_argument("--parts", type=int, default=4)
    parser.add_argument("--part-mb", type=int, default=300)
    args = parser.parse_args()
    base = Path(args.base).resolve()
    work = Path(tempfile.mkdtemp(prefix="qc-upload-memory-"))
    env = {
        **os.environ,
        "QINGCHENG_VAR_DIR": str(work),
        "DEBUG": "1",
        "TMPDIR": str(work),
        "PYTHONPATH": str(base),
    }
    env.pop("DATABASE_URL", None)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=base, env=env, check=True
    )
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "qingcheng.wsgi",
            "-w",
            "1",
            "-b",
            f"127.0.0.1:{port}",
            "--timeout",
            "900",
        ],
        cwd=base,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(port)
        worker = _worker_pid(server.pid)
        cookie, token = _csrf(port)
        for _ in range(3):  # warm the worker: templates, catalogue, middleware
            _csrf(port)
        before = _memory(worker)
        result = _post(port, cookie, token, args.parts, args.part_mb * 2**20)
        time.sleep(1)
        after = _memory(worker) if Path(f"/proc/{worker}").exists() else {}
    finally:
        server.terminate()
        server.wait(timeout=30)
    figures = {
        "base": str(base),
        "parts": args.parts,
        "part_mb": args.part_mb,
        "rss_before_mb": round(before["VmRSS"] / 1024, 1),
        "rss_after_mb": round(after.get("VmRSS", 0) / 1024, 1),
        "rss_peak_mb": round(after.get("VmHWM", 0) / 1024, 1),
        **result,
    }
    print(
        f"worker RSS {figures['rss_before_mb']} MB before, {figures['rss_after_mb']} MB after, peak "
        f"{figures['rss_peak_mb']} MB; answered {figures['status']} {figures['code']} after "
        f"{figures['sent_bytes'] / 2**20:.1f} of {figures['declared_bytes'] / 2**20:.1f} MB sent"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
