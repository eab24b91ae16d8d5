"""Money in integer fen: yuan text parsed without rounding, fen shown as yuan with two decimals."""

from __future__ import annotations

from decimal import Decimal

import pytest

from qingcheng.core.errors import ValidationFailed
from qingcheng.core.money import MAX_FEN, fen, format_yuan, parse_yuan


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("150.5", 15050),
        ("150.50", 15050),
        ("0", 0),
        ("0.01", 1),
        (" 1,234.56 ", 123456),
        ("1，000", 100000),
        (Decimal("300.50"), 30050),
        (Decimal("1E+2"), 10000),
        ("9999999999.99", MAX_FEN - 1),
    ],
)
def test_yuan_text_becomes_fen(raw, expected):
    assert parse_yuan(raw, "fine_yuan") == expected


@pytest.mark.parametrize(
    "raw", ["9.015", Decimal("9.015"), "-1", "+1", "1e2", "", ".5", "1.", "abc", "NaN", Decimal("NaN")]
)
def test_a_third_decimal_a_sign_or_no_number_is_refused_never_rounded(raw):
    with pytest.raises(ValidationFailed) as refused:
        parse_yuan(raw, "fine_yuan")
    assert refused.value.code == "invalid_amount"
    assert refused.value.details["field"] == "fine_yuan"


def test_yuan_with_more_than_ten_digits_is_refused():
    # Ten digits of yuan stay below MAX_FEN, so no parsed amount can pass the ceiling.
    with pytest.raises(ValidationFailed) as refused:
        parse_yuan("10000000000", "fine_yuan")
    assert refused.value.code == "invalid_amount"


@pytest.mark.parametrize(("value", "expected"), [(0, 0), ("15050", 15050), (MAX_FEN, MAX_FEN)])
def test_fen_fields_take_whole_numbers(value, expected):
    assert fen(value, "fine_fen", "罚款金额", "fine") == expected


@pytest.mark.parametrize("value", [1.5, 100.0, True, None, "1.5", -1, MAX_FEN + 1])
def test_fen_fields_refuse_floats_booleans_and_out_of_range(value):
    with pytest.raises(ValidationFailed) as refused:
        fen(value, "fine_fen", "罚款金额", "fine")
    assert refused.value.details["field"] == "fine_fen"


@pytest.mark.parametrize(
    ("amount", "grouped", "plain"),
    [
        (0, "0.00", "0.00"),
        (None, "0.00", "0.00"),
        (5, "0.05", "0.05"),
        (123456, "1,234.56", "1234.56"),
        (-123456, "-1,234.56", "-1234.56"),
        (MAX_FEN, "10,000,000,000.00", "10000000000.00"),
    ],
)
def test_fen_shown_as_yuan(amount, grouped, plain):
    assert format_yuan(amount) == grouped
    assert format_yuan(amount, grouping=False) == plain


def test_parse_and_format_round_trip():
    for amount in (0, 1, 99, 100, 15050, 123456789):
        assert parse_yuan(format_yuan(amount), "x") == amount
