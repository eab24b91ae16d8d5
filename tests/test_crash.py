"""Crash safety on PostgreSQL: the web server is killed with SIGKILL in the middle of a burst of supervisor
reports. After a restart, every report that was answered 2xx is there, complete (timeline entry,
reporter, photo row and file, idempotency record), nothing is half-written, and re-sending the
unanswered ones with their Idempotency-Key makes no duplicate."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(port: int, media: Path) -> subprocess.Popen:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "MEDIA_ROOT": str(media),
        "DEBUG": "1",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "qingcheng.wsgi",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "error",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,  # its own process group, so one killpg takes master and workers
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/api/core/health", timeout=2).status_code < 500:
                return process
        except requests.RequestException:
            time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    raise RuntimeError("gunicorn did not start")


def test_sigkill_mid_burst_loses_no_answered_report(loop, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the crash test runs on PostgreSQL (CI runs the suite there too)")
    from qingcheng.accounts.services import api_key_create
    from qingcheng.cases.models import Case, CaseEvent, CasePhoto, CaseReporter, IdempotencyRecord
    from qingcheng.testing import jpeg_bytes

    key = api_key_create(actor=None, user=loop["users"]["supervisor"], name="crash-test")[1]
    media = tmp_path / "media"
    port = _free_port()
    server = _serve(port, media)
    lon, lat = loop["point"]
    photo = jpeg_bytes(size=(320, 240))
    keys = [uuid.uuid4().hex for _ in range(120)]
    answered: dict[str, str] = {}
    lock = threading.Lock()

    def send(idempotency_key: str) -> requests.Response:
        return requests.post(
            f"http://127.0.0.1:{port}/api/intake/supervisor/reports",
            headers={"X-API-Key": key, "Idempotency-Key": idempotency_key},
            data={
                "lon": lon,
                "lat": lat,
                "category_code": "E0102",
                "description": f"崩溃测试 {idempotency_key[:8]}",
            },
            files=[("photos", ("p.jpg", photo, "image/jpeg"))],
            timeout=30,
        )

    def worker(chunk: list[str]) -> None:
        for k in chunk:
            try:
                response = send(k)
            except requests.RequestException:
                continue  # the server died under this request: its answer never came
            if response.status_code in (200, 201):
                with lock:
                    answered[k] = response.json()["number"]

    threads = [threading.Thread(target=worker, args=(keys[i::4],)) for i in range(4)]
    for t in threads:
        t.start()
    while len(answered) < 15:
        time.sleep(0.02)
    os.killpg(server.pid, signal.SIGKILL)
    server.wait()
    for t in threads:
        t.join()
    killed_at = len(answered)
    assert 15 <= killed_at < len(keys), "the kill has to land in the middle of the burst"

    # Every answered report is there and complete; no case lacks any of its parts.
    numbers = set(answered.values())
    assert set(Case.objects.filter(number__in=numbers).values_list("number", flat=True)) == numbers
    for case in Case.objects.all():
        assert CaseEvent.objects.filter(case=case, action="report").count() == 1, case.number
        assert CaseReporter.objects.filter(case=case).count() == 1, case.number
        photos = list(CasePhoto.objects.filter(case=case))
        assert len(photos) == 1 and (media / photos[0].storage_path).is_file(), case.number
        assert IdempotencyRecord.objects.filter(case=case).count() == 1, case.number

    # After a restart the phones re-send what got no answer: no duplicates, nothing lost.
    server = _serve(port, media)
    try:
        for k in keys:
            if k not in answered:
                response = send(k)
                assert response.status_code in (200, 201), response.text
                answered[k] = response.json()["number"]
        for k in list(answered)[:10]:
            again = send(k)
            assert again.status_code == 200 and again.json()["number"] == answered[k]
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
    assert Case.objects.count() == len(keys) == len(set(answered.values()))
    print(f"crash: {killed_at} answered before SIGKILL, {len(keys)} cases after re-sending, 0 duplicates")
    assert str(media) != settings.MEDIA_ROOT  # the test's files stayed in its own folder
