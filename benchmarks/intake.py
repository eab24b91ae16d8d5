#!/usr/bin/env python
"""Benchmark of supervisor intake through the HTTP API under concurrent loopback clients.

Each request is a real supervisor report (城管通上报) with a ≈200 KB JPEG: API-key authentication,
locate, duplicates, deadlines in working time, timeline and audit, photo checked and stored. The server
is gunicorn with several workers. In the same run the baseline is a bare Django JSON endpoint of the
same settings and database doing one INSERT, driven by the same clients.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/qingcheng_bench .venv/bin/python benchmarks/intake.py
    .venv/bin/python benchmarks/intake.py             # creates the PostgreSQL database qingcheng_bench_intake
    .venv/bin/python benchmarks/intake.py --quick     # smoke run (the test suite runs it on its own database)
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from _common import ROOT, emit, percentile

PG_URL = "postgres://postgres@127.0.0.1:5432/qingcheng_bench_intake"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_photo(seed: int) -> bytes:
    """A ≈200 KB JPEG like a phone photo scaled for upload: smooth gradients plus sensor-like noise."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    h, w = 960, 1280
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([(x * 255 / w), (y * 255 / h), ((x + y) * 127 / (w + h) + 64)], axis=-1)
    noise = rng.normal(0, 9, size=(h, w, 3))
    image = Image.fromarray(np.clip(base + noise, 0, 255).astype("uint8"))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=82)
    return buffer.getvalue()


def with_comment(jpeg: bytes, text: str) -> bytes:
    """The same picture with a JPEG comment, so every upload is a distinct file (distinct SHA-256)."""
    comment = text.encode()
    segment = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
    return jpeg[:2] + segment + jpeg[2:]


def multipart(fields: dict[str, str], photo: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; filename="p.jpg"\r\n'
        f"Content-Type: image/jpeg\r\n\r\n".encode()
        + photo
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def drive(port: int, requests: list[tuple[str, bytes, dict[str, str]]], clients: int, expect: int) -> dict:
    """Send the requests from `clients` threads with keep-alive connections; return timings."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    chunks = [requests[i::clients] for i in range(clients)]

    def worker(chunk):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        local, failures = [], []
        for path, body, headers in chunk:
            t0 = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                if response.status != expect:
                    failures.append(f"{response.status} {data[:200]!r}")
            except (OSError, http.client.HTTPException) as exc:
                failures.append(repr(exc))
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            local.append(time.perf_counter() - t0)
        conn.close()
        with lock:
            latencies.extend(local)
            errors.extend(failures)

    threads = [threading.Thread(target=worker, args=(c,)) for c in chunks]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    latencies.sort()
    return {
        "elapsed_s": elapsed,
        "per_s": len(requests) / elapsed,
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "errors": errors,
    }


def serve(app: str, port: int, workers: int, env: dict[str, str], chdir: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            app,
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--chdir",
            str(chdir),
            "--log-level",
            "warning",
            "--timeout",
            "120",
            "--keep-alive",
            "30",
        ],
        env=env,
        cwd=ROOT,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"gunicorn {app} did not start")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--requests", type=int, default=None)
    parser.add_argument("--clients", type=int, default=None)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    n = args.requests or (120 if args.quick else 3000)
    clients = args.clients or (4 if args.quick else 16)

    if not os.environ.get("DATABASE_URL"):
        subprocess.run(
            [
                "psql",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-qc",
                "SELECT 1 FROM pg_database WHERE datname='qingcheng_bench_intake'",
            ],
            check=True,
            capture_output=True,
        )
        exists = subprocess.run(
            [
                "psql",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-tAc",
                "SELECT 1 FROM pg_database WHERE datname='qingcheng_bench_intake'",
            ],
            capture_output=True,
            text=True,
        )
        if exists.stdout.strip() != "1":
            subprocess.run(
                ["createdb", "-h", "127.0.0.1", "-U", "postgres", "qingcheng_bench_intake"], check=True
            )
        os.environ["DATABASE_URL"] = PG_URL
    os.environ.setdefault(
        "MEDIA_ROOT", str(Path(os.environ.get("QINGCHENG_VAR_DIR", ROOT / "var")) / "bench-media")
    )
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qingcheng.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from qingcheng.accounts.models import User
    from qingcheng.accounts.services import api_key_create
    from qingcheng.cases.catalogue import load_demo_catalogue
    from qingcheng.cases.models import Case
    from qingcheng.geo import spatial

    started = time.perf_counter()
    if args.quick:
        from qingcheng.demo.users import load_demo_users
        from qingcheng.geo.models import UnitGrid
        from qingcheng.geo.testing import build_test_city

        load_demo_users()
        if not UnitGrid.objects.exists():
            build_test_city()
        load_demo_catalogue()
    else:
        from qingcheng.demo.city import load_demo_city

        load_demo_city()
    setup_s = time.perf_counter() - started
    supervisor = User.objects.get(username="supervisor")
    _, api_key = api_key_create(actor=None, user=supervisor, name=f"bench-{uuid.uuid4().hex[:6]}")
    with connection.cursor() as cursor:
        serial = "BIGSERIAL" if connection.vendor == "postgresql" else "INTEGER"
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS bench_bare_insert (id {serial} PRIMARY KEY, payload TEXT)"
        )
    index = spatial.get_index()
    in_scope = [i for i, code in enumerate(index.code_list) if code.startswith(supervisor.area_code)]
    rng = random.Random(11)
    categories = ["E0102", "E0104", "E0201", "E0504", "E0505", "E0507", "C0305", "C0118", "E0103", "E0506"]
    base_photo = make_photo(5)
    run_id = uuid.uuid4().hex[:8]
    reports = []
    for i in range(n + 20):
        chosen = rng.choice(in_scope)
        minx, miny, maxx, maxy = index.geoms[chosen].bounds
        while True:
            lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
            if index.lookup(lon, lat) == chosen:
                break
        body, content_type = multipart(
            {
                "lon": f"{lon:.7f}",
                "lat": f"{lat:.7f}",
                "category_code": rng.choice(categories),
                "description": f"基准测试上报 {run_id}-{i}：现场发现问题，请处置。",
                "address": "基准测试地址",
            },
            with_comment(base_photo, f"{run_id}-{i}"),
        )
        headers = {"Content-Type": content_type, "X-API-Key": api_key, "Idempotency-Key": f"{run_id}-{i}"}
        reports.append(("/api/intake/supervisor/reports", body, headers))
    bare = [
        ("/bare/", json.dumps({"n": i, "text": "基准"}).encode(), {"Content-Type": "application/json"})
        for i in range(n + 20)
    ]
    connection.close()

    env = {**os.environ}
    figures: dict = {}
    cases_before = Case.objects.count()
    port = free_port()
    server = serve("qingcheng.wsgi:application", port, args.workers, env, ROOT)
    try:
        drive(port, reports[:20], min(clients, 4), 201)  # warm-up: index build, imports, connections
        real = drive(port, reports[20:], clients, 201)
    finally:
        server.terminate()
        server.wait(timeout=30)
    created = Case.objects.count() - cases_before
    port = free_port()
    server = serve("_bare_wsgi:application", port, args.workers, env, ROOT / "benchmarks")
    try:
        drive(port, bare[:20], min(clients, 4), 201)
        baseline = drive(port, bare[20:], clients, 201)
    finally:
        server.terminate()
        server.wait(timeout=30)

    if real["errors"] or baseline["errors"]:
        print("errors:", real["errors"][:3], baseline["errors"][:3], file=sys.stderr)
    figures.update(
        {
            "database": connection.vendor,
            "requests": n,
            "clients": clients,
            "gunicorn_workers": args.workers,
            "photo_bytes": len(base_photo),
            "cases_created": created,
            "errors": len(real["errors"]),
            "cases_p50_ms": round(real["p50_ms"], 1),
            "cases_p99_ms": round(real["p99_ms"], 1),
            "bare_p50_ms": round(baseline["p50_ms"], 1),
            "bare_p99_ms": round(baseline["p99_ms"], 1),
            "bare_errors": len(baseline["errors"]),
            "setup_s": round(setup_s, 1),
        }
    )
    emit(
        "intake",
        {
            "metric": "cases_per_s",
            "value": round(real["per_s"], 1),
            "unit": "1/s",
            "baseline_metric": "bare_insert_per_s",
            "baseline_value": round(baseline["per_s"], 1),
            "ratio": round(real["per_s"] / baseline["per_s"], 3),
            "higher_is_better": True,
        },
        figures,
    )
    if real["errors"] or created != n + 20:
        sys.exit(1)


if __name__ == "__main__":
    main()
