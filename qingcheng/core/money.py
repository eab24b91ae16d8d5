"""Money (金额) is kept as an integer number of fen (分, 1/100 yuan) everywhere: columns, API fields and
arithmetic. Yuan appear only at the edges: text typed into a form is parsed here and amounts are shown
as yuan with two decimals here. Nothing is ever rounded silently."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from .errors import ValidationFailed

# Ten billion yuan: far above any fine or fee, far below what a bigint column or a float in a chart holds.
MAX_FEN = 10**12

_YUAN = re.compile(r"(\d{1,10})(?:\.(\d{1,2}))?")


def fen(value: Any, field: str, zh: str, en: str) -> int:
    """An amount already in integer fen (an API field): floats, booleans and negative amounts are refused."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValidationFailed(
            f"{zh}必须是以分为单位的整数", f"{en} must be an integer number of fen", field=field
        )
    try:
        amount = int(value)
    except ValueError:
        raise ValidationFailed(
            f"{zh}必须是以分为单位的整数", f"{en} must be an integer number of fen", field=field
        ) from None
    if amount < 0 or amount > MAX_FEN:
        raise ValidationFailed(f"{zh}超出范围", f"{en} is out of range", field=field)
    return amount


def parse_yuan(raw: str | Decimal, field: str) -> int:
    """ "150.5" yuan → 15050 fen. A third decimal, a sign or anything but digits is refused: an amount of
    money is never rounded silently. Thousands separators (, and ，) are allowed in text."""
    if isinstance(raw, Decimal):
        value = format(raw, "f") if raw.is_finite() else "-"
    else:
        value = raw.strip().replace(",", "").replace("，", "")
    match = _YUAN.fullmatch(value)
    if match is None:
        raise ValidationFailed(
            "金额须为不超过两位小数的非负数（单位：元）",
            "the amount must be a non-negative number of yuan with at most two decimals",
            field=field,
            code="invalid_amount",
        )
    whole, cents = match.group(1), (match.group(2) or "").ljust(2, "0")
    amount = int(whole) * 100 + int(cents)
    if amount > MAX_FEN:
        raise ValidationFailed("金额超出范围", "the amount is out of range", field=field)
    return amount


def format_yuan(amount_fen: int | None, *, grouping: bool = True) -> str:
    """Integer fen as yuan with two decimals: 123456 → "1,234.56" (or "1234.56" without `grouping`, for
    form fields and legal documents); None is 0.00."""
    amount = int(amount_fen or 0)
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    whole = f"{amount // 100:,}" if grouping else str(amount // 100)
    return f"{sign}{whole}.{amount % 100:02d}"
