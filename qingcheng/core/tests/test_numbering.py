"""Record numbers: the next running number under a stem, retried when a concurrent writer took it."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone

from qingcheng.accounts.models import Department
from qingcheng.core import clock, numbering
from qingcheng.core.errors import Conflict
from qingcheng.core.numbering import create_numbered, daily_stem, yearly_stem

pytestmark = pytest.mark.django_db


def _unit(stem: str, **extra) -> Department:
    return create_numbered(Department, stem=stem, width=4, field="code", name="unit", kind="street", **extra)


def test_numbers_run_on_under_their_stem():
    assert _unit("T1-").code == "T1-0001"
    assert _unit("T1-").code == "T1-0002"
    assert _unit("T2-").code == "T2-0001"


def test_a_number_taken_between_count_and_insert_is_retried():
    Department.objects.create(code="T3-0001", name="taken", kind="street")
    real_filter = Department.objects.filter
    counts = iter([0, 1])  # the first count misses the row another writer just inserted

    class StaleCount:
        def __init__(self, **lookup):
            self.lookup = lookup

        def count(self):
            return next(counts)

    with mock.patch.object(Department.objects, "filter", side_effect=lambda **kw: StaleCount(**kw)):
        unit = _unit("T3-")
    assert unit.code == "T3-0002"
    assert real_filter(code__startswith="T3-").count() == 2


def test_gives_up_with_409_after_the_attempts():
    Department.objects.create(code="T4-0001", name="taken", kind="street")
    with mock.patch.object(Department.objects, "filter") as stale:
        stale.return_value.count.return_value = 0
        with pytest.raises(Conflict) as refused:
            create_numbered(
                Department, stem="T4-", width=4, field="code", attempts=3, name="u", kind="street"
            )
    assert refused.value.code == "number_taken"
    assert stale.call_count == 3


def test_stems_follow_the_local_date_of_the_business_clock():
    # 2025-12-31 20:00 UTC is already 1 January 2026 in Asia/Shanghai.
    with clock.at(dt.datetime(2025, 12, 31, 20, 0, tzinfo=dt.UTC)):
        assert timezone.get_current_timezone_name() == "Asia/Shanghai"
        assert daily_stem("YH") == "YH20260101"
        assert yearly_stem("150102罚立") == "150102罚立2026-"
    assert numbering.daily_stem("SJ").startswith("SJ")
