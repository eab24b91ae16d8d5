"""Record numbers (编号) of the form `<stem><running number>`, allocated by counting the rows that share
the stem. Two writers may count the same rows; the unique constraint on the number column makes one of
them fail and that one counts again, so nobody ever gets a duplicate or a gap-filling number."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from . import clock
from .errors import Conflict


def daily_stem(prefix: str) -> str:
    """`YH20260314`: the prefix and today's local date; the running number restarts every day."""
    return f"{prefix}{timezone.localdate(clock.now()):%Y%m%d}"


def yearly_stem(prefix: str) -> str:
    """`150102罚立2026-`: the prefix and this local year; the running number restarts every year."""
    return f"{prefix}{timezone.localdate(clock.now()).year}-"


def create_numbered(
    model: type[models.Model],
    *,
    stem: str,
    width: int,
    field: str = "number",
    attempts: int = 8,
    **fields: Any,
) -> Any:
    """Create a `model` row whose `field` is the next number under `stem`, zero-padded to `width`
    digits. After `attempts` collisions in a row the caller gets 409 `number_taken`."""
    for _attempt in range(attempts):
        count = model.objects.filter(**{f"{field}__startswith": stem}).count()
        try:
            with transaction.atomic():
                return model.objects.create(**{field: f"{stem}{count + 1:0{width}d}"}, **fields)
        except IntegrityError:
            continue
    raise Conflict("number_taken", "编号冲突，请重试", "could not allocate a number, try again")
