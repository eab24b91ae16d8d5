"""Scoring schemes (one active, audited, editable in the back office) and evaluation periods."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from qingcheng.core.errors import PermissionDeniedError, ValidationFailed
from qingcheng.evaluation.models import ScoringScheme
from qingcheng.evaluation.periods import parse_period
from qingcheng.evaluation.scoring import case_score, grade_for, ranks
from qingcheng.evaluation.services import scoring_scheme_save


def test_periods():
    october = parse_period("2026-10")
    assert (october.first_day, october.last_day, october.label) == (
        date(2026, 10, 1),
        date(2026, 10, 31),
        "2026-10",
    )
    assert october.start.isoformat() == "2026-10-01T00:00:00+08:00"
    assert october.end.isoformat() == "2026-11-01T00:00:00+08:00"
    assert october.previous().label == "2026-09"
    assert parse_period("2026-01").previous().label == "2025-12"
    q4 = parse_period("2026-q4")
    assert (q4.label, q4.first_day, q4.last_day) == ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31))
    assert q4.previous().label == "2026-Q3" and parse_period("2026-Q1").previous().label == "2025-Q4"
    assert parse_period("2026").previous().label == "2025"
    days = parse_period("2026-10-01..2026-10-15")
    assert days.days == 15 and days.previous().label == "2026-09-16..2026-09-30"
    for bad in ("2026-13", "2026-Q5", "October", "2026-10-15..2026-10-01", ""):
        with pytest.raises(ValueError):
            parse_period(bad)


def test_default_scheme_is_the_jinhua_scheme(db):
    scheme = ScoringScheme.objects.get(is_active=True)
    assert scheme.max_points == Decimal("70")
    # 按期结案率 ≥ 70 % → 50; 结案率 ≥ 90 % → 20; −1 per point below; −0.2 per rework
    assert case_score(scheme, on_time=Fraction(7, 10), close=Fraction(9, 10), urgent=None, reworks=0,
                      repeat_reworked=0) == Decimal("70.00")  # fmt: skip
    assert case_score(scheme, on_time=Fraction(65, 100), close=Fraction(88, 100), urgent=None, reworks=3,
                      repeat_reworked=0) == Decimal("62.40")  # fmt: skip
    assert case_score(scheme, on_time=Fraction(0), close=Fraction(0), urgent=None, reworks=9,
                      repeat_reworked=2) == Decimal("0.00")  # fmt: skip
    assert case_score(scheme, on_time=None, close=None, urgent=None, reworks=0, repeat_reworked=0) is None
    assert [grade_for(Decimal(s), scheme.max_points, scheme) for s in ("63", "62.99", "52.5", "52.49")] == [
        "green", "yellow", "yellow", "red",
    ]  # fmt: skip
    assert ranks({"a": Decimal(5), "b": Decimal(7), "c": Decimal(5), "d": None, "e": Decimal(1)}) == {
        "b": 1, "a": 2, "c": 2, "e": 4, "d": None,
    }  # fmt: skip


def test_one_active_scheme_and_audit(db, make_user):
    from qingcheng.core.models import AuditEntry

    first = ScoringScheme.objects.get(is_active=True)
    second = scoring_scheme_save(
        actor=None, scheme=ScoringScheme(name="扬州方案", is_active=True, on_time_points=70)
    )
    first.refresh_from_db()
    assert second.is_active and not first.is_active
    assert AuditEntry.objects.filter(action="evaluation.scoring_scheme.create").count() == 1
    second.is_active = False
    with pytest.raises(ValidationFailed):
        scoring_scheme_save(actor=None, scheme=second)
    second.refresh_from_db()
    second.yellow_min_percent = Decimal("95")
    with pytest.raises(ValidationFailed):
        scoring_scheme_save(actor=None, scheme=second)
    supervisor = make_user(["supervisor"])
    with pytest.raises(PermissionDeniedError):
        scoring_scheme_save(actor=supervisor, scheme=ScoringScheme(name="x"))
    admin_user = make_user(["admin"], area_code="150100")
    scoring_scheme_save(actor=admin_user, scheme=ScoringScheme(name="备用方案"))


def test_scheme_in_the_back_office(db, client):
    from qingcheng.accounts.models import User

    root = User.objects.create_superuser("root", password="x-very-secret-1", area_code="15")
    client.force_login(root)
    scheme = ScoringScheme.objects.get(is_active=True)
    url = f"/admin/evaluation/scoringscheme/{scheme.pk}/change/"
    form = client.get(url)
    assert form.status_code == 200
    fields = {f: getattr(scheme, f) for f in ("name", "note")}
    from qingcheng.evaluation.models import SCHEME_FIELDS

    fields.update({f: getattr(scheme, f) for f in SCHEME_FIELDS})
    response = client.post(url, {**fields, "is_active": "", "on_time_target": "75"})
    assert response.status_code == 200 and "errorlist" in response.content.decode()  # cannot deactivate
    response = client.post(url, {**fields, "is_active": "on", "on_time_target": "75"})
    assert response.status_code == 302
    scheme.refresh_from_db()
    assert scheme.on_time_target == Decimal("75")
    assert client.get(f"/admin/evaluation/scoringscheme/{scheme.pk}/delete/").status_code == 403
    response = client.post(
        "/admin/evaluation/scoringscheme/add/", {**fields, "name": "新方案", "is_active": "on"}
    )
    assert response.status_code == 302
    scheme.refresh_from_db()
    assert not scheme.is_active and ScoringScheme.objects.get(is_active=True).name == "新方案"


def test_roles_hold_the_evaluation_permissions(db, make_user):
    for role in ("leader", "shift_leader", "admin"):
        user = make_user([role], area_code="150100")
        assert user.has_perm("evaluation.view_evaluation") and user.has_perm("evaluation.view_command_centre")
    for role in ("supervisor", "receiver", "handler"):
        user = make_user([role])
        assert not user.has_perm("evaluation.view_command_centre")
