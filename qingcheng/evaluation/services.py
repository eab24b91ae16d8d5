"""Writes of the evaluation app: saving a scoring scheme (only one is active at a time)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from qingcheng.core.access import require_city_wide
from qingcheng.core.audit import audit_record, model_snapshot
from qingcheng.core.errors import ValidationFailed

from .models import ScoringScheme


def scoring_scheme_check(scheme: ScoringScheme) -> None:
    """The rules a scheme must keep beyond its fields' own limits (the admin form shows them too)."""
    if (
        scheme.pk is not None
        and not scheme.is_active
        and ScoringScheme.objects.filter(pk=scheme.pk, is_active=True).exists()
    ):
        raise ValidationFailed(
            "不能停用当前启用的评分方案，请启用另一个方案",
            "the active scheme cannot be deactivated; activate another one instead",
            field="is_active",
            code="scheme_active",
        )
    if scheme.yellow_min_percent > scheme.green_min_percent:
        raise ValidationFailed(
            "黄色等级的下限不能高于绿色等级的下限",
            "the yellow grade cannot start above the green grade",
            field="yellow_min_percent",
            code="invalid",
        )


@transaction.atomic
def scoring_scheme_save(*, actor: Any | None, scheme: ScoringScheme) -> ScoringScheme:
    """Create or change a scoring scheme. Activating one deactivates the others in the same transaction;
    the last active scheme cannot be deactivated (reports would fall back to the built-in defaults)."""
    creating = scheme.pk is None
    # The scheme scores every district, so only city-wide staff set it.
    require_city_wide(
        actor, "evaluation.add_scoringscheme" if creating else "evaluation.change_scoringscheme"
    )
    before: dict[str, Any] = {}
    if not creating:
        before = model_snapshot(ScoringScheme.objects.select_for_update().get(pk=scheme.pk))
    scoring_scheme_check(scheme)
    # The one-active constraint is kept by deactivating the others below (and by the database).
    scheme.full_clean(validate_constraints=False)
    if scheme.is_active:
        others = ScoringScheme.objects.select_for_update().filter(is_active=True)
        if scheme.pk:
            others = others.exclude(pk=scheme.pk)
        others.update(is_active=False)
    scheme.save()
    audit_record(
        actor=actor,
        action="evaluation.scoring_scheme.create" if creating else "evaluation.scoring_scheme.change",
        obj=scheme,
        before=before,
        after=model_snapshot(scheme),
    )
    return scheme
