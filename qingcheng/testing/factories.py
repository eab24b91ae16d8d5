"""factory-boy factories for the records tests build again and again, made through the real services so
that groups, scopes and the case workflow are what production would write.

    DepartmentFactory(area_code="150105", kind="street")
    UserFactory(roles=["dispatcher"], area_code="150105", department=unit)
    ReportedCaseFactory(actor=users["supervisor"], point=cell_centre(0, 0))
"""

from __future__ import annotations

import itertools

import factory

# One counter for every factory, so codes and usernames never repeat within a test run.
_serial = itertools.count(1)


def _next_serial() -> int:
    return next(_serial)


class DepartmentFactory(factory.Factory):
    """A department (部门) made by `accounts.services.department_create`."""

    class Meta:
        model = dict  # built by _create through the service, never by the model's constructor

    class Params:
        serial = factory.LazyFunction(_next_serial)

    area_code = "150105"
    kind = "professional"
    code = factory.LazyAttribute(lambda o: f"T-{o.area_code}-{o.serial}")
    name = factory.LazyAttribute(lambda o: f"测试单位{o.serial}")

    @classmethod
    def _create(cls, model_class, **fields):
        from qingcheng.accounts.services import department_create

        return department_create(actor=None, **fields)

    _build = _create


class UserFactory(factory.Factory):
    """A user (用户) with roles and an area, made by `accounts.services.user_create` so the role groups
    are real."""

    class Meta:
        model = dict

    class Params:
        serial = factory.LazyFunction(_next_serial)

    username = factory.LazyAttribute(lambda o: f"user{o.serial}")
    password = "correct-horse-battery"
    area_code = "150105"
    roles = ()

    @classmethod
    def _create(cls, model_class, roles, **fields):
        from qingcheng.accounts.services import user_create

        return user_create(actor=None, roles=list(roles), **fields)

    _build = _create


class ReportedCaseFactory(factory.Factory):
    """A case (案件) reported by `actor` through `cases.services.case_report`, in the state the report
    leaves it (the Case, not the ReportResult); drive it further with `case_act`. Needs the demo
    catalogue and the test city (the `loop` fixture gives both)."""

    class Meta:
        model = dict

    actor = None
    source = "supervisor"
    category_code = "E0102"
    description = "测试问题"
    point = None

    @classmethod
    def _create(cls, model_class, point, **fields):
        from qingcheng.cases.services import case_report
        from qingcheng.geo.testing import cell_centre

        lon, lat = point or cell_centre(0, 0)
        return case_report(lon=lon, lat=lat, **fields).case

    _build = _create
