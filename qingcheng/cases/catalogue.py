"""Reading the catalogue: current version, categories, step limits (with defaults)."""

from __future__ import annotations

import time
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from qingcheng.core.errors import ValidationFailed

from .catalogue_data import DEFAULT_LIMITS, MAJORS, SUBCLASSES
from .models import CaseCategory, CatalogueVersion, StepLimit

# Used when a category names no limit for a step (a catalogue still being drafted).
FALLBACK_LIMITS = {
    "verify": ("working_hours", Decimal("0.5")),
    "open": ("working_hours", Decimal("1")),
    "dispatch": ("working_hours", Decimal("1")),
    "accept": ("working_hours", Decimal("1")),
    "handle": ("working_days", Decimal("1")),
    "check": ("working_hours", Decimal("0.5")),
}


def current_version() -> CatalogueVersion | None:
    return CatalogueVersion.objects.filter(is_current=True).first()


# Intake looks up a category and its limits for every report. A published version never changes, so its
# categories are cached per process; which version is current is re-read every CURRENT_TTL seconds.
CURRENT_TTL = 30.0
_current: list = [None, 0.0]
_published_categories: dict[tuple[int, str], CaseCategory | None] = {}


def _current_version_cached() -> CatalogueVersion | None:
    if _current[0] is None or time.monotonic() - _current[1] > CURRENT_TTL:
        _current[0], _current[1] = current_version(), time.monotonic()
    return _current[0]


def forget_cached_catalogue() -> None:
    _current[0] = None
    _published_categories.clear()


def category_by_code(code: str, version: CatalogueVersion | None = None) -> CaseCategory | None:
    version = version or _current_version_cached()
    if version is None:
        return None
    key = (version.pk, code)
    if version.published_at is not None and key in _published_categories:
        return _published_categories[key]
    category = (
        CaseCategory.objects.filter(version=version, code=code, active=True)
        .select_related("version", "parent")
        .prefetch_related("limits", "parent__limits")
        .first()
    )
    if version.published_at is not None:
        _published_categories[key] = category
    return category


def category_subclass(code: str | None) -> CaseCategory | None:
    """The subclass (问题小类) a report or a channel names, `None` when it names none; a code that is not a
    subclass of the current catalogue is refused (400 `unknown_category`). Reporting and every intake
    channel ask it the same way."""
    if not code:
        return None
    category = category_by_code(code)
    if category is None or not category.is_subclass:
        raise ValidationFailed(
            f"未知的问题小类 {code}",
            f"unknown subclass {code!r}",
            field="category_code",
            code="unknown_category",
        )
    return category


def step_limit(
    category: CaseCategory | None, step: str, *, handling_type: str = "", urgency: str = ""
) -> tuple[str, Decimal]:
    """The (unit, amount) for a step: the most specific row of the category (handling type, then urgency),
    then the category's major class, then the fallback."""
    candidates = []
    for owner in (category, category.parent if category else None):
        if owner is None:
            continue
        rows = [r for r in owner.limits.all() if r.step == step]
        for row in rows:
            if row.handling_type not in ("", handling_type) or row.urgency not in ("", urgency):
                continue
            candidates.append(
                (
                    row.handling_type == handling_type and bool(handling_type),
                    row.urgency == urgency and bool(urgency),
                    row,
                )
            )
        if candidates:
            break
    if candidates:
        best = max(candidates, key=lambda c: (c[0], c[1]))[2]
        return best.unit, best.amount
    return FALLBACK_LIMITS[step]


@transaction.atomic
def load_demo_catalogue() -> CatalogueVersion:
    """Create the demo catalogue as the current published version (idempotent)."""
    existing = CatalogueVersion.objects.filter(name="呼和浩特演示目录 2026").first()
    if existing is not None:
        return existing
    forget_cached_catalogue()
    version = CatalogueVersion.objects.create(
        name="呼和浩特演示目录 2026",
        standard_ref="GB/T 30428.2-2013",
        published_at=timezone.now(),
        is_current=not CatalogueVersion.objects.filter(is_current=True).exists(),
        note="Demo catalogue: classes from GB/T 30428.2 as used by city systems; limits adapted from cited city tables.",
    )
    majors = {}
    for code, kind, name in MAJORS:
        majors[code] = CaseCategory.objects.create(version=version, code=code, kind=kind, name=name)
        StepLimit.objects.bulk_create(
            [
                StepLimit(category=majors[code], step=step, unit=unit, amount=Decimal(amount))
                for step, unit, amount in DEFAULT_LIMITS
            ]
        )
    for code, name, limits, opening, closing in SUBCLASSES:
        major = majors[code[:3]]
        category = CaseCategory.objects.create(
            version=version,
            code=code,
            kind=major.kind,
            name=name,
            parent=major,
            opening_criteria=opening,
            closing_criteria=closing,
        )
        StepLimit.objects.bulk_create(
            [
                StepLimit(
                    category=category,
                    step="handle",
                    handling_type=handling_type,
                    urgency=urgency,
                    unit=unit,
                    amount=Decimal(amount),
                )
                for handling_type, urgency, unit, amount in limits
            ]
        )
    return version
