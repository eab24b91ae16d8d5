"""An auxiliary (协管员) can never be given an enforcement permission, by any path."""

from contextlib import contextmanager

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from qingcheng.accounts.guards import AuxiliaryEnforcementError
from qingcheng.accounts.models import User
from qingcheng.accounts.services import user_set_roles

ENFORCE = "perform_enforcement_act"


@contextmanager
def refused():
    # The guard aborts the surrounding transaction, as it would abort a real request's.
    with pytest.raises(AuxiliaryEnforcementError), transaction.atomic():
        yield


@pytest.fixture
def enforcement_perm(db):
    return Permission.objects.get(codename=ENFORCE, content_type__app_label="accounts")


@pytest.fixture
def auxiliary(make_user):
    return make_user(["auxiliary"], staff_category=User.StaffCategory.AUXILIARY)


def test_roles_are_groups_with_real_permissions(db):
    officer = Group.objects.get(name="enforcement_officer")
    assert officer.permissions.filter(codename=ENFORCE).exists()
    assert not Group.objects.get(name="auxiliary").permissions.filter(codename=ENFORCE).exists()
    assert Group.objects.get(name="procuratorate").permissions.filter(codename="observe_only").exists()
    assert Group.objects.count() >= 15


def test_officer_may_act_auxiliary_may_not(make_user, auxiliary):
    officer = make_user(["enforcement_officer"])
    assert officer.has_perm(f"accounts.{ENFORCE}")
    assert not auxiliary.has_perm(f"accounts.{ENFORCE}")


def test_direct_permission_is_refused(auxiliary, enforcement_perm):
    with refused():
        auxiliary.user_permissions.add(enforcement_perm)
    assert not auxiliary.user_permissions.exists()


def test_reverse_permission_add_is_refused(auxiliary, enforcement_perm):
    with refused():
        enforcement_perm.user_set.add(auxiliary)


def test_enforcement_group_is_refused(auxiliary):
    with refused():
        auxiliary.groups.add(Group.objects.get(name="enforcement_officer"))
    with refused():
        Group.objects.get(name="enforcement_officer").user_set.add(auxiliary)
    with refused():
        user_set_roles(actor=None, user=auxiliary, roles=["auxiliary", "enforcement_officer"])
    assert list(auxiliary.groups.values_list("name", flat=True)) == ["auxiliary"]


def test_adding_enforcement_to_the_auxiliary_group_is_refused(auxiliary, enforcement_perm):
    with refused():
        Group.objects.get(name="auxiliary").permissions.add(enforcement_perm)
    with refused():
        enforcement_perm.group_set.add(Group.objects.get(name="auxiliary"))


def test_adding_enforcement_to_a_group_with_an_auxiliary_member_is_refused(auxiliary, enforcement_perm):
    patrol = Group.objects.create(name="patrol")
    patrol.user_set.add(auxiliary)
    with refused():
        patrol.permissions.add(enforcement_perm)


def test_user_in_auxiliary_group_counts_as_auxiliary_even_if_category_is_official(
    make_user, enforcement_perm
):
    user = make_user(["auxiliary"])
    assert user.staff_category == User.StaffCategory.OFFICIAL
    with refused():
        user.user_permissions.add(enforcement_perm)


def test_an_officer_cannot_be_recategorised_as_auxiliary(make_user):
    officer = make_user(["enforcement_officer"])
    officer.staff_category = User.StaffCategory.AUXILIARY
    with refused():
        officer.save()


def test_creating_an_auxiliary_with_the_officer_role_is_refused(make_user):
    with refused():
        make_user(["enforcement_officer"], staff_category=User.StaffCategory.AUXILIARY)
    assert not User.objects.filter(staff_category=User.StaffCategory.AUXILIARY).exists()


def test_backend_denies_even_if_a_row_was_written_behind_the_guards(auxiliary, enforcement_perm):
    # bulk_create on the through table bypasses m2m signals: the permission check still says no.
    User.user_permissions.through.objects.bulk_create(
        [User.user_permissions.through(user_id=auxiliary.pk, permission_id=enforcement_perm.pk)]
    )
    fresh = User.objects.get(pk=auxiliary.pk)
    assert not fresh.has_perm(f"accounts.{ENFORCE}")


def test_admin_forms_refuse_with_a_message(auxiliary, enforcement_perm, make_user, client):
    root = User.objects.create_superuser("root-aux", password="x-very-long-password-1")
    # Roles are read only in the back office, so nobody adds enforcement to the auxiliaries' group there.
    client.force_login(root)
    group = Group.objects.get(name="auxiliary")
    client.post(
        f"/admin/auth/group/{group.pk}/change/", {"name": "auxiliary", "permissions": [enforcement_perm.pk]}
    )
    assert not group.permissions.filter(pk=enforcement_perm.pk).exists()
    officer_group = Group.objects.get(name="enforcement_officer")
    response = client.post(
        f"/admin/accounts/user/{auxiliary.pk}/change/",
        {
            "username": auxiliary.username,
            "area_code": "150105",
            "staff_category": "auxiliary",
            "groups": [officer_group.pk],
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "协管员" in text or "Auxiliary" in text
    assert not auxiliary.groups.filter(pk=officer_group.pk).exists()


def test_cached_permissions_follow_role_changes_at_once(make_user):
    from qingcheng.accounts.services import user_set_roles

    user = make_user(["enforcement_officer"])
    assert user.has_perm(f"accounts.{ENFORCE}")
    user_set_roles(actor=None, user=user, roles=["leader"])
    fresh = User.objects.get(pk=user.pk)  # a new request: a new user object, same process
    assert not fresh.has_perm(f"accounts.{ENFORCE}")
