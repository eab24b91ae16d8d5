from __future__ import annotations

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from qingcheng.core.masking import mask_name, mask_phone, may_see_login_names
from qingcheng.core.pagination import MappedRows, PageNumberPagination

from . import selectors, services
from .roles import role_label

router = Router(tags=["accounts"])


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    area_code: str
    department: str | None
    staff_category: str
    roles: list[str]
    role_labels: list[str]
    permissions: list[str]


class DepartmentOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    area_code: str
    parent_id: int | None
    phone: str
    is_active: bool


class DepartmentPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=100)
    phone: str | None = Field(None, max_length=32)
    is_active: bool | None = None
    kind: str | None = None


class UserOut(Schema):
    id: int
    username: str | None = Field(description="The login name, only for those who manage accounts")
    display_name: str
    phone: str
    area_code: str
    department_id: int | None
    roles: list[str]


@router.get("/me", response=MeOut, summary="The current user, roles and permissions")
def me(request: HttpRequest):
    user = request.user
    keys = services.user_role_keys(user)
    language = getattr(request, "LANGUAGE_CODE", "zh-hans")
    return {
        "id": user.pk,
        "username": user.username,
        "display_name": user.display_name,
        "area_code": user.area_code,
        "department": user.department.name if user.department else None,
        "staff_category": user.staff_category,
        "roles": keys,
        "role_labels": [role_label(k, language) for k in keys],
        "permissions": sorted(user.get_all_permissions()),
    }


@router.get("/departments", response=list[DepartmentOut], summary="Departments in my area")
@paginate(PageNumberPagination)
def list_departments(request: HttpRequest, kind: str | None = None, q: str | None = None):
    return selectors.department_list(actor=request.user, kind=kind, q=q)


@router.get("/departments/{department_id}", response=DepartmentOut)
def get_department(request: HttpRequest, department_id: int):
    return selectors.department_get(actor=request.user, department_id=department_id)


@router.patch("/departments/{department_id}", response=DepartmentOut)
def patch_department(request: HttpRequest, department_id: int, payload: DepartmentPatch):
    department = selectors.department_get(actor=request.user, department_id=department_id)
    return services.department_update(
        actor=request.user, department=department, changes=payload.model_dump(exclude_unset=True)
    )


@router.get("/users", response=list[UserOut], summary="Users in my area (names and phones masked)")
@paginate(PageNumberPagination)
def list_users(request: HttpRequest, q: str | None = None):
    see_personal = selectors.sees_personal_data(request.user)
    see_logins = may_see_login_names(request.user)

    def row(user):
        return {
            "id": user.pk,
            "username": user.username if see_logins else None,
            "display_name": user.display_name if see_personal else mask_name(user.display_name),
            "phone": user.phone if see_personal else mask_phone(user.phone),
            "area_code": user.area_code,
            "department_id": user.department_id,
            "roles": [g.name for g in user.groups.all()],
        }

    return MappedRows(selectors.user_list(actor=request.user, q=q).prefetch_related("groups"), row)
