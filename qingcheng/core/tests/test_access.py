"""The access kernel: every check answers a missing actor, an inactive or anonymous user, a user without the
permission and a record outside the area the same way wherever it is used."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import RequestFactory

from qingcheng.accounts.models import Department
from qingcheng.core.access import (
    get_visible_or_404,
    has_permission,
    is_in_scope,
    outside_area,
    page_permission,
    require_city_wide,
    require_in_scope,
    require_permission,
)
from qingcheng.core.errors import NotFound, PermissionDeniedError

PERM = "accounts.view_department"


@pytest.fixture
def saihan_dispatcher(make_user):
    return make_user(["dispatcher"], area_code="150105")


@pytest.fixture
def no_roles(make_user):
    return make_user([], area_code="150105")


@pytest.fixture
def inactive(make_user):
    user = make_user(["dispatcher"], area_code="150105")
    user.is_active = False
    user.save(update_fields=["is_active"])
    return user


@pytest.fixture
def city_admin(make_user):
    return make_user(["admin"], area_code="150100")


# ---------------------------------------------------------------- require_permission


def test_require_permission_refuses_a_missing_actor_unless_the_system_may_act(db):
    with pytest.raises(PermissionDeniedError):
        require_permission(None, PERM)
    require_permission(None, PERM, allow_system=True)  # loaders and jobs


def test_require_permission_refuses_anonymous_and_inactive_users(inactive):
    assert inactive.has_perm(PERM) is False  # Django agrees for inactive users
    for actor in (AnonymousUser(), inactive):
        with pytest.raises(PermissionDeniedError):
            require_permission(actor, PERM)
        with pytest.raises(PermissionDeniedError):
            require_permission(actor, PERM, allow_system=True)  # the system is None, never a user


def test_require_permission_refuses_a_user_without_it(no_roles):
    with pytest.raises(PermissionDeniedError) as caught:
        require_permission(no_roles, PERM)
    assert caught.value.status == 403
    assert caught.value.code == "permission_denied"


def test_require_permission_lets_the_holder_through(saihan_dispatcher):
    require_permission(saihan_dispatcher, PERM)
    assert has_permission(saihan_dispatcher, PERM)


# ---------------------------------------------------------------- require_city_wide


def test_require_city_wide_wants_the_permission_and_a_city_area(make_user, city_admin):
    district_admin = make_user(["admin"], area_code="150105")
    require_city_wide(city_admin, "cases.add_catalogueversion")
    require_city_wide(None, "cases.add_catalogueversion")  # loaders set up the catalogue
    with pytest.raises(PermissionDeniedError):
        require_city_wide(district_admin, "cases.add_catalogueversion")
    with pytest.raises(PermissionDeniedError):
        require_city_wide(None, "cases.add_catalogueversion", allow_system=False)


# ---------------------------------------------------------------- require_in_scope


def test_require_in_scope_answers_outside_like_missing(saihan_dispatcher):
    require_in_scope(saihan_dispatcher, "150105001")
    with pytest.raises(NotFound) as caught:
        require_in_scope(saihan_dispatcher, "150102", what_zh="单位", what_en="department")
    assert caught.value.status == 404
    assert caught.value.message_en == "department not found"


def test_require_in_scope_can_answer_a_documented_403(saihan_dispatcher):
    with pytest.raises(PermissionDeniedError) as caught:
        require_in_scope(saihan_dispatcher, "150102", refusal=outside_area())
    assert caught.value.status == 403
    with pytest.raises(PermissionDeniedError) as caught:
        require_in_scope(saihan_dispatcher, "150102001", refusal=outside_area(location=True))
    assert caught.value.message_en == "the location is outside your area"


def test_require_in_scope_refuses_missing_anonymous_and_inactive_actors(inactive):
    for actor in (None, AnonymousUser(), inactive):
        with pytest.raises(NotFound):
            require_in_scope(actor, "150105")
    require_in_scope(None, "150105", allow_system=True)
    with pytest.raises(NotFound):
        require_in_scope(inactive, "150105", allow_system=True)


def test_is_in_scope_asks_what_require_in_scope_asks(saihan_dispatcher, inactive):
    assert is_in_scope(saihan_dispatcher, "150105001")
    assert not is_in_scope(saihan_dispatcher, "150102")
    assert not is_in_scope(saihan_dispatcher, "")  # a blank area is the whole city, not a district's
    for actor in (None, AnonymousUser(), inactive):
        assert not is_in_scope(actor, "150105")
    assert is_in_scope(None, "150102", allow_system=True)
    assert not is_in_scope(inactive, "150105", allow_system=True)


# ---------------------------------------------------------------- get_visible_or_404


@pytest.fixture
def departments(make_department):
    return make_department(area_code="150105"), make_department(area_code="150102")


def test_get_visible_or_404_finds_the_row_in_scope(saihan_dispatcher, departments):
    saihan, _ = departments
    assert get_visible_or_404(Department, saihan_dispatcher, pk=saihan.pk) == saihan
    queryset = Department.objects.select_related("parent")
    assert get_visible_or_404(queryset, saihan_dispatcher, field="area_code", pk=saihan.pk) == saihan


def test_get_visible_or_404_answers_outside_and_missing_the_same(saihan_dispatcher, departments):
    _, xincheng = departments
    answers = []
    for pk in (xincheng.pk, 10**9):
        with pytest.raises(NotFound) as caught:
            get_visible_or_404(Department, saihan_dispatcher, what_zh="单位", what_en="department", pk=pk)
        answers.append(caught.value.as_dict())
    assert answers[0] == answers[1]


def test_get_visible_or_404_shows_nothing_to_missing_anonymous_or_inactive(inactive, departments):
    saihan, _ = departments
    for actor in (None, AnonymousUser(), inactive):
        with pytest.raises(NotFound):
            get_visible_or_404(Department, actor, pk=saihan.pk)


# ---------------------------------------------------------------- page_permission


@page_permission(PERM)
def _page(request):
    return HttpResponse("the page")


def _get(user):
    request = RequestFactory().get("/somewhere/")
    request.user = user
    return _page(request)


def test_page_sends_anonymous_visitors_to_the_login_page(db):
    response = _get(AnonymousUser())
    assert response.status_code == 302
    assert "/login" in response["Location"] and "next=/somewhere/" in response["Location"]


def test_page_answers_403_without_the_permission(no_roles, inactive):
    for user in (no_roles, inactive):
        response = _get(user)
        assert response.status_code == 403
        assert b"the page" not in response.content


def test_page_shows_itself_to_the_holder(saihan_dispatcher):
    response = _get(saihan_dispatcher)
    assert response.status_code == 200
    assert response.content == b"the page"
