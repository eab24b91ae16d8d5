"""Area coverage: one rule for people and units. A scope covers an area when the area's code starts with
the scope's prefix, and a city's six-digit code (150100) stands for the prefix 1501."""

from __future__ import annotations

import pytest

from qingcheng.core.errors import ValidationFailed
from qingcheng.core.scope import (
    area_covers,
    covering_codes,
    in_scope,
    require_unit_covers,
    scope_prefix,
)


@pytest.mark.parametrize(
    ("scope", "area", "covers"),
    [
        ("150100", "150105", True),  # the city covers its district
        ("150100", "150105001001001", True),  # and every grid in it
        ("1501", "150105", True),  # a prefix means the same
        ("150000", "150105001", True),  # the region covers everything in it
        ("150105", "150105", True),
        ("150105", "150105001", True),
        ("150105", "150102", False),  # a district does not cover its neighbour
        ("150105", "150100", False),  # nor the city as a whole
        ("150105001", "150105", False),  # a street does not cover its district
        ("150100", "150200", False),  # 呼和浩特 does not cover 包头
        ("", "150105", False),  # a blank scope covers nothing, as for a user
        ("150105", "", False),
    ],
)
def test_area_covers_both_directions(scope, area, covers):
    assert area_covers(scope, area) is covers


@pytest.mark.parametrize("area", ["150105", "150105001", "150105001002003", "150100", "1501", "15"])
def test_covering_codes_are_exactly_the_scopes_that_cover(area):
    codes = covering_codes(area)
    assert all(area_covers(code, area) for code in codes)
    # Every six-digit region or city code and every prefix that covers the area is among them.
    candidates = {area[:n] for n in range(1, len(area) + 1)} | {"150000", "150100", "150102", "150200"}
    assert {c for c in candidates if area_covers(c, area)} <= codes


def test_people_and_units_follow_the_same_rule(make_user, make_department):
    city_user = make_user([], area_code="150100")
    district_user = make_user([], area_code="150105")
    assert scope_prefix("150100") == "1501"
    for area in ("150105", "150102001", "150100"):
        assert in_scope(city_user, area) is area_covers("150100", area)
        assert in_scope(district_user, area) is area_covers("150105", area)
    city_unit = make_department("150100")
    require_unit_covers(city_unit, "150105001", field="department_id")
    with pytest.raises(ValidationFailed) as refused:
        require_unit_covers(make_department("150105"), "150102001", field="department_id")
    assert refused.value.code == "outside_area" and refused.value.details == {"field": "department_id"}
