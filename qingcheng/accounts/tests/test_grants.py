"""Who may grant what: the findings of the second security round, each as it was reproduced, and the
services behind the back office (the admin matrix in tests/test_admin_matrix.py covers every form)."""

from __future__ import annotations

import pytest
from django.test import Client

from qingcheng.accounts import grants, services
from qingcheng.accounts.models import User
from qingcheng.core.errors import DomainError


@pytest.fixture
def units(make_department):
    return {
        "saihan": make_department(area_code="150105", name="赛罕处置单位"),
        "saihan2": make_department(area_code="150105", name="赛罕另一单位"),
        "xincheng": make_department(area_code="150102", name="新城处置单位"),
        "city": make_department(area_code="150100", name="市级单位"),
    }


@pytest.fixture
def root(db):
    return User.objects.create_superuser("root-grants", password="a-long-root-password-1", area_code="150100")


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_unit_manager_cannot_make_themselves_superuser(make_user, units):
    manager = make_user(["unit_manager"], department=units["saihan"])
    before = len(manager.get_all_permissions())
    response = _client(manager).post(
        f"/admin/accounts/user/{manager.pk}/change/",
        {
            "username": manager.username,
            "area_code": "150105",
            "staff_category": "official",
            "is_active": "on",
            "is_superuser": "on",
            "is_staff": "on",
            "groups": [],
        },
    )
    assert response.status_code in (200, 302)
    manager = User.objects.get(pk=manager.pk)
    assert not manager.is_superuser
    assert len(manager.get_all_permissions()) == before == 29
    assert set(manager.groups.values_list("name", flat=True)) == {"unit_manager"}


def test_nobody_resets_the_superusers_password(make_user, units, root):
    for roles, unit in ((["unit_manager"], units["city"]), (["admin"], None)):
        editor = make_user(roles, area_code="150100", department=unit)
        before = User.objects.get(pk=root.pk).password
        response = _client(editor).post(
            f"/admin/accounts/user/{root.pk}/password/",
            {"password1": "Taken-over-2026-xx", "password2": "Taken-over-2026-xx", "usable_password": "true"},
        )
        assert response.status_code in (403, 404)  # 404: not even in a unit manager's list
        assert User.objects.get(pk=root.pk).password == before
        with pytest.raises(DomainError) as refused:
            services.user_set_password(actor=editor, user=root, password="Taken-over-2026-xx")
        assert refused.value.code == "user_above_you"


def test_a_district_admin_cannot_move_a_handler_into_another_districts_unit(make_user, units):
    admin_user = make_user(["admin"], area_code="150105")
    handler = make_user(["handler"], area_code="150105", department=units["saihan"])
    # The admin holds no case-handling permission, so the handler is above them: read only.
    assert grants.is_above(admin_user, handler)
    response = _client(admin_user).post(
        f"/admin/accounts/user/{handler.pk}/change/",
        {"username": handler.username, "area_code": "150105", "department": units["xincheng"].pk},
    )
    assert response.status_code == 403
    assert User.objects.get(pk=handler.pk).department_id == units["saihan"].pk
    # Even the superuser puts nobody in a unit whose area does not hold theirs.
    with pytest.raises(DomainError) as refused:
        services.user_update(
            actor=User.objects.create_superuser("r2", password="x-long-password-22"),
            user=handler,
            changes={"department": units["xincheng"]},
        )
    assert refused.value.code == "unit_area_mismatch"


def test_unit_managers_manage_their_unit_and_its_roles_only(make_user, units):
    manager = make_user(["unit_manager"], department=units["saihan"])
    member = make_user(["handler"], department=units["saihan"])
    stranger = make_user(["handler"], department=units["saihan2"])
    assert grants.grantable_roles(manager) == {"handler", "unit_manager"}
    services.user_set_roles(actor=manager, user=member, roles=["handler", "unit_manager"])
    assert set(member.groups.values_list("name", flat=True)) == {"handler", "unit_manager"}
    for target, roles, code in (
        (stranger, ["handler", "unit_manager"], "user_above_you"),
        (member, ["handler", "dispatcher"], "grant_not_held"),
        (member, ["admin"], "grant_not_held"),
    ):
        with pytest.raises(DomainError) as refused:
            services.user_set_roles(actor=manager, user=target, roles=roles)
        assert refused.value.code == code
    with pytest.raises(DomainError) as refused:
        services.user_update(actor=manager, user=member, changes={"department": units["saihan2"]})
    assert refused.value.code == "outside_own_unit"
    # The unit manager's list of users is the unit's.
    listed = _client(manager).get("/admin/accounts/user/").content.decode()
    assert member.username in listed and stranger.username not in listed


def test_nobody_grants_a_role_they_do_not_hold(make_user, root):
    admin_user = make_user(["admin"], area_code="150105")
    assert grants.grantable_roles(admin_user) == {"admin", "auxiliary"}
    with pytest.raises(DomainError) as refused:
        services.user_create(
            actor=admin_user, username="new-leader", password=None, area_code="150105", roles=["leader"]
        )
    assert refused.value.code == "grant_not_held"
    assert not User.objects.filter(username="new-leader").exists()
    created = services.user_create(
        actor=admin_user,
        username="new-aux",
        password=None,
        area_code="150105",
        roles=["auxiliary"],
        staff_category="auxiliary",
    )
    assert created.groups.get().name == "auxiliary"
    # A superuser holds everything and so may grant anything.
    services.user_set_roles(actor=root, user=created, roles=["auxiliary", "citizen"])
    # An API key is a login as its user: only issued by someone who may edit that user.
    leader = make_user(["leader"], area_code="150105")
    with pytest.raises(DomainError):
        services.api_key_create(actor=admin_user, user=leader, name="take-over")


def test_nobody_changes_their_own_privileges(make_user, root):
    admin_user = make_user(["admin"], area_code="150105")
    for changes in ({"roles": []}, {"area_code": "150100"}, {"is_active": False}, {"username": "other"}):
        with pytest.raises(DomainError) as refused:
            services.user_update(actor=admin_user, user=admin_user, changes=changes)
        assert refused.value.code == "own_privileges"
    services.user_update(actor=admin_user, user=admin_user, changes={"display_name": "新名字"})
    assert User.objects.get(pk=admin_user.pk).display_name == "新名字"
    with pytest.raises(DomainError):
        services.user_update(actor=root, user=root, changes={"roles": ["leader"]})


def test_roles_cannot_be_widened_in_the_back_office(root):
    from django.contrib.auth.models import Group, Permission

    group = Group.objects.get(name="handler")
    extra = Permission.objects.get(codename="view_personal_data")
    response = _client(root).post(
        f"/admin/auth/group/{group.pk}/change/",
        {"name": "handler", "permissions": [*group.permissions.values_list("pk", flat=True), extra.pk]},
    )
    assert response.status_code == 403
    assert not group.permissions.filter(pk=extra.pk).exists()
