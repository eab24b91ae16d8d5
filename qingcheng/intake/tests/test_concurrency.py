"""Ten field phones retrying the same upload at once make exactly one case (PostgreSQL only: SQLite
serialises every writer, so the race cannot happen there)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from django.test import Client

from qingcheng.cases.models import Case, IdempotencyRecord
from qingcheng.intake.models import HotlineOrder

from .conftest import jpeg_file

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent requests need PostgreSQL (SQLite serialises writers); run with DATABASE_URL=postgres://...",
)

THREADS = 10


def _race(user, url, make_data, headers, content_type=None):
    barrier = threading.Barrier(THREADS)
    results: list[tuple[int, dict]] = []
    errors: list[BaseException] = []

    def worker():
        try:
            client = Client()
            client.force_login(user)
            barrier.wait(timeout=30)
            kwargs = {"headers": headers}
            if content_type:
                kwargs["content_type"] = content_type
            response = client.post(url, make_data(), **kwargs)
            results.append((response.status_code, response.json()))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_retries_make_one_case(loop):
    """One test for both channels: every transactional test pays a full flush of the database."""
    lon, lat = loop["point"]

    def report():
        return {
            "lon": lon,
            "lat": lat,
            "category_code": "E0102",
            "description": "暴露垃圾（弱网重传）",
            "photos": [jpeg_file()],
        }

    results = _race(
        loop["users"]["supervisor"], "/api/intake/supervisor/reports", report, {"Idempotency-Key": "race-1"}
    )
    assert sorted(status for status, _ in results) == [200] * (THREADS - 1) + [201], results
    assert len({body["number"] for _, body in results}) == 1
    assert Case.objects.count() == 1 and IdempotencyRecord.objects.count() == 1

    order = {"channel": "12319", "kind": "complaint", "content": "垃圾未清运", "lon": lon, "lat": lat}
    results = _race(
        loop["users"]["hotline_agent"],
        "/api/intake/hotline/orders",
        lambda: order,
        {"Idempotency-Key": "race-2"},
        content_type="application/json",
    )
    assert sorted(status for status, _ in results) == [200] * (THREADS - 1) + [201], results
    assert len({body["number"] for _, body in results}) == 1
    assert HotlineOrder.objects.count() == 1 and Case.objects.count() == 2
