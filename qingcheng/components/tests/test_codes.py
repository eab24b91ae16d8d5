"""Component codes: 16 digits = 6 county + 2 major + 2 minor + 6 serial."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qingcheng.components.codes import (
    PROVINCE_PREFIXES,
    component_code,
    next_serial,
    parse_accuracy,
    parse_component_code,
    parse_state,
)
from qingcheng.core.errors import ValidationFailed

counties = st.builds(
    lambda p, rest: p + rest,
    st.sampled_from(sorted(PROVINCE_PREFIXES)),
    st.from_regex(r"\A[0-9]{4}\Z").filter(lambda s: s != "0000"),
)
class_codes = st.from_regex(r"\A[0-9]{4}\Z")
serials = st.integers(min_value=1, max_value=999_999)


@given(counties, class_codes, serials)
def test_code_round_trip(county, class_code, serial):
    code = component_code(county, class_code, serial)
    assert len(code) == 16 and code.isdigit()
    parsed = parse_component_code(code, check_class=False)
    assert (parsed.county, parsed.class_code, parsed.serial) == (county, class_code, serial)
    assert parsed.code == code


@given(st.text(max_size=20).filter(lambda s: not (len(s) == 16 and s.isascii() and s.isdigit())))
def test_anything_but_16_digits_is_refused(text):
    with pytest.raises(ValidationFailed) as info:
        parse_component_code(text, check_class=False)
    assert info.value.code == "invalid_component_code"


def test_real_examples_parse(db):
    parsed = parse_component_code("3205080101000001")
    assert (parsed.county, parsed.major, parsed.minor, parsed.serial) == ("320508", "01", "01", 1)
    assert parse_component_code("3205820102048188").serial == 48188


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("1501050101000000", "invalid_serial"),
        ("9901050101000001", "invalid_county_code"),
        ("1500000101000001", "invalid_county_code"),
        ("1501059999000001", "unknown_class"),
        ("1501050100000001", "unknown_class"),  # "0100" is not a minor class
        ("150105010100000１", "invalid_component_code"),  # full-width digit
    ],
)
def test_invalid_codes_have_clear_errors(db, code, error):
    with pytest.raises(ValidationFailed) as info:
        parse_component_code(code)
    assert info.value.code == error
    assert info.value.message_zh and info.value.message_en
    assert info.value.details["field"] == "code"


def test_component_code_checks_parts():
    with pytest.raises(ValidationFailed):
        component_code("15010", "0101", 1)
    with pytest.raises(ValidationFailed):
        component_code("150105", "0101", 1_000_000)
    with pytest.raises(ValidationFailed):
        component_code("150105", "101", 1)


def test_next_serial_continues_after_highest(db):
    from qingcheng.components.models import Component, ComponentClass

    klass = ComponentClass.objects.get(code="0101")
    assert next_serial("150105", "0101") == 1
    for serial in (1, 7):
        Component.objects.create(
            code=f"1501050101{serial:06d}", component_class=klass, grid_code="1", lon=0, lat=0
        )
    assert next_serial("150105", "0101") == 8
    assert next_serial("150105", "0102") == 1
    assert next_serial("150102", "0101") == 1


def test_vocabularies():
    assert parse_state("破损") == "damaged"
    assert parse_state("LOST") == "lost"
    assert parse_accuracy("a") == "A"
    with pytest.raises(ValidationFailed) as info:
        parse_state("坏了")
    assert info.value.code == "invalid_state"
    with pytest.raises(ValidationFailed):
        parse_accuracy("D")
