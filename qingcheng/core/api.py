from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from django.db import connection
from django.http import HttpRequest
from ninja import Router, Schema

from qingcheng.core.inputs import SaneDatetime

router = Router(tags=["core"])


class HealthOut(Schema):
    status: str
    database: str


@router.get("/health", response=HealthOut, auth=None, summary="Liveness and database reachability")
def health(request: HttpRequest):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"status": "ok", "database": connection.vendor}


class DeadlineOut(Schema):
    kind: str
    start: datetime
    amount: Decimal
    area_code: str
    due_at: datetime
    provisional: bool
    provisional_years: list[int]


@router.get("/worktime/deadline", response=DeadlineOut, summary="Compute a deadline in Chinese working time")
def worktime_deadline(
    request: HttpRequest,
    kind: Literal["working_hours", "working_days", "calendar_days", "clock_hours"],
    start: SaneDatetime,
    amount: Decimal,
    area_code: str = "",
):
    from qingcheng.core.errors import ValidationFailed
    from qingcheng.core.worktime import deadline_compute

    if start.tzinfo is None:
        raise ValidationFailed(
            "开始时间须带时区", "start must carry a UTC offset", field="start", code="naive_datetime"
        )
    if amount < 0 or amount > 3650:
        raise ValidationFailed("期限数值超出范围", "amount must be between 0 and 3650", field="amount")
    try:
        result = deadline_compute(kind=kind, start=start, amount=amount, area_code=area_code)
    except ValueError as exc:  # e.g. a fraction of a working day: days are counted whole
        raise ValidationFailed(
            "期限数值无效（工作日和自然日须为整数）",
            f"invalid amount: {exc}",
            field="amount",
            code="invalid_amount",
        ) from None
    return {
        "kind": kind,
        "start": start,
        "amount": amount,
        "area_code": area_code,
        "due_at": result.due_at,
        "provisional": result.provisional,
        "provisional_years": list(result.provisional_years),
    }
