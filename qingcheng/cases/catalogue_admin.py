"""Catalogue versions: copy a published version into a draft, publish a draft and make it current."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from qingcheng.core.access import require_city_wide
from qingcheng.core.audit import audit_record

from .catalogue import forget_cached_catalogue
from .models import CaseCategory, CatalogueVersion, StepLimit


@transaction.atomic
def copy_version(version: CatalogueVersion, *, actor=None) -> CatalogueVersion:
    require_city_wide(actor, "cases.add_catalogueversion")
    draft = CatalogueVersion.objects.create(
        name=f"{version.name}（草稿）", standard_ref=version.standard_ref, note=version.note
    )
    mapping: dict[int, CaseCategory] = {}
    for category in version.categories.order_by("code"):
        parent = mapping.get(category.parent_id) if category.parent_id else None
        copy = CaseCategory.objects.create(
            version=draft,
            code=category.code,
            kind=category.kind,
            name=category.name,
            parent=parent,
            opening_criteria=category.opening_criteria,
            closing_criteria=category.closing_criteria,
            default_urgency=category.default_urgency,
            verified=category.verified,
            active=category.active,
        )
        mapping[category.pk] = copy
        StepLimit.objects.bulk_create(
            [
                StepLimit(
                    category=copy,
                    step=row.step,
                    handling_type=row.handling_type,
                    urgency=row.urgency,
                    unit=row.unit,
                    amount=row.amount,
                )
                for row in category.limits.all()
            ]
        )
    audit_record(actor=actor, action="catalogue.copy", obj=draft, after={"from": version.pk})
    return draft


@transaction.atomic
def publish_version(version: CatalogueVersion, *, actor=None) -> CatalogueVersion:
    # The catalogue sets every district's limits: city-wide staff only.
    require_city_wide(actor, "cases.change_catalogueversion")
    CatalogueVersion.objects.filter(is_current=True).exclude(pk=version.pk).update(is_current=False)
    version.published_at = version.published_at or timezone.now()
    version.is_current = True
    version.save()
    forget_cached_catalogue()
    audit_record(actor=actor, action="catalogue.publish", obj=version)
    return version
