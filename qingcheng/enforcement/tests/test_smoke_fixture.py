from qingcheng.enforcement.models import PenaltyCase


def test_fixture_case_and_roles(enf, make_penalty_case):
    case = make_penalty_case()
    assert case.officers.count() == 2
    assert enf["officer"].has_perm("enforcement.investigate_penaltycase")
    assert enf["head"].has_perm("enforcement.approve_penaltycase")
    assert not enf["auxiliary"].has_perm("enforcement.investigate_penaltycase")
    assert not enf["leader"].has_perm("enforcement.add_penaltycase")
    assert PenaltyCase.objects.count() == 1
