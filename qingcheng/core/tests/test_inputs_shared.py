"""Input checks folded into core.inputs from the apps: area codes, whole numbers with a minimum, required
text with a length limit."""

from __future__ import annotations

import pytest

from qingcheng.core.errors import ValidationFailed
from qingcheng.core.inputs import area_code, text, whole_number


@pytest.mark.parametrize("value", ["15", "150102", "150102001001", "1" * 15, 150102])
def test_area_codes_of_one_to_fifteen_digits(value):
    assert area_code(value) == str(value)


@pytest.mark.parametrize("value", [None, "", "1" * 16, "15010a", "-150102", "150 102"])
def test_other_area_codes_are_refused_on_the_field(value):
    with pytest.raises(ValidationFailed) as refused:
        area_code(value, field="district")
    assert refused.value.details == {"field": "district"}
    assert refused.value.message_en == "area code must be 1–15 digits"


@pytest.mark.parametrize("value", [True, 2.5, float("inf"), "2.5", None, 0])
def test_whole_numbers_refuse_booleans_fractions_infinity_and_below_minimum(value):
    with pytest.raises(ValidationFailed):
        whole_number(value, "days", "天数", "days", minimum=1)


def test_whole_numbers_take_integers_and_integral_text():
    assert whole_number("3", "days", "天数", "days", minimum=1) == 3
    assert whole_number(3.0, "days", "天数", "days", minimum=1) == 3


@pytest.mark.parametrize("value", [None, "", "   "])
def test_required_text_refuses_nothing_with_the_code_required(value):
    with pytest.raises(ValidationFailed) as refused:
        text(value, "reason", "移交理由", "a reason", max_length=10)
    assert refused.value.code == "required" and refused.value.details == {"field": "reason"}


def test_text_past_its_length_is_too_long_and_is_stripped_otherwise():
    with pytest.raises(ValidationFailed) as refused:
        text("x" * 11, "vendor", "厂商", "vendor", max_length=10)
    assert refused.value.code == "too_long" and refused.value.details == {"field": "vendor"}
    assert text("  hik  ", "vendor", "厂商", "vendor", max_length=10) == "hik"
    assert text(None, "comment", "评价", "comment", required=False, max_length=10) == ""
