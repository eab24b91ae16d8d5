from qingcheng.demo.users import load_demo_users
from qingcheng.enforcement.demo import load_demo_enforcement
from qingcheng.enforcement.models import PaymentNotice, PenaltyCase

S = PenaltyCase.Status


def test_demo_walks_cases_to_every_stage_through_the_services(db):
    load_demo_users()
    assert load_demo_enforcement() == {"cases": 6}
    statuses = set(PenaltyCase.objects.values_list("status", flat=True))
    assert {S.PROPOSED, S.INVESTIGATING, S.NOTIFIED, S.EXECUTING, S.HEARING, S.CLOSED} <= statuses
    assert PaymentNotice.objects.filter(status="unpaid").count() == 1
    assert all("演示数据" in facts for facts in PenaltyCase.objects.values_list("facts", flat=True))
    # Idempotent.
    assert load_demo_enforcement() == {"cases": 0}
