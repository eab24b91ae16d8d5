"""Component codes (部件标识码, GB/T 30428.2): 16 digits = 6 county (GB/T 2260) + 2 major class (大类)
+ 2 minor class (小类) + 6 serial (流水号), e.g. 3205080101000001 = 姑苏区, 01 公用设施, 01 上水井盖, No. 1.

Also the small vocabularies of a component record (state, positioning accuracy) with their Chinese
spellings, so imports, the API and services accept the same words.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from django.db.models import Max

from qingcheng.core.errors import ValidationFailed
from qingcheng.core.scope import digit_prefix_q

from .models import Component, ComponentClass

CODE_LENGTH = 16
MAX_SERIAL = 999_999
# First two digits of the GB/T 2260 province-level codes; a county code must start with one of them.
PROVINCE_PREFIXES = frozenset(
    ["11", "12", "13", "14", "15", "21", "22", "23"]
    + [str(n) for n in range(31, 38)]
    + [str(n) for n in range(41, 47)]
    + [str(n) for n in range(50, 55)]
    + [str(n) for n in range(61, 66)]
    + ["71", "81", "82"]
)


@dataclass(frozen=True)
class ParsedCode:
    county: str
    major: str
    minor: str
    serial: int

    @property
    def class_code(self) -> str:
        return self.major + self.minor

    @property
    def code(self) -> str:
        return f"{self.county}{self.major}{self.minor}{self.serial:06d}"


def validate_county(county: str, *, field: str = "code") -> str:
    if not (isinstance(county, str) and len(county) == 6 and county.isascii() and county.isdigit()):
        raise ValidationFailed(
            "区县代码须为6位数字（GB/T 2260）",
            "the county code must be 6 digits (GB/T 2260)",
            field=field,
            code="invalid_county_code",
        )
    if county[:2] not in PROVINCE_PREFIXES or county[2:] == "0000":
        raise ValidationFailed(
            f"{county} 不是有效的县级行政区划代码（GB/T 2260）",
            f"{county} is not a county-level division code (GB/T 2260)",
            field=field,
            code="invalid_county_code",
        )
    return county


def validate_serial(serial: int, *, field: str = "code") -> int:
    if isinstance(serial, bool) or not isinstance(serial, int) or not 1 <= serial <= MAX_SERIAL:
        raise ValidationFailed(
            "流水号须在 000001–999999 之间",
            "the serial must be between 000001 and 999999",
            field=field,
            code="invalid_serial",
        )
    return serial


def validate_class_code(
    class_code: str, *, known_classes: Collection[str] | None = None, field: str = "class_code"
) -> str:
    """A minor class (小类, 4 digits) that exists; components are never of a bare major class."""
    if not (
        isinstance(class_code, str) and len(class_code) == 4 and class_code.isascii() and class_code.isdigit()
    ):
        raise ValidationFailed(
            "部件小类代码须为4位数字（2位大类 + 2位小类）",
            "the component class must be a 4-digit minor class code (2 major + 2 minor)",
            field=field,
            code="invalid_class_code",
        )
    if known_classes is None:
        exists = ComponentClass.objects.filter(code=class_code, parent__isnull=False).exists()
    else:
        exists = class_code in known_classes
    if not exists:
        raise ValidationFailed(
            f"部件小类 {class_code} 不存在",
            f"component class {class_code} does not exist",
            field=field,
            code="unknown_class",
        )
    return class_code


def component_code(county: str, class_code: str, serial: int) -> str:
    """Compose a 16-digit code. Checks the format only; `parse_component_code` checks the class too."""
    validate_county(county)
    if not (
        isinstance(class_code, str) and len(class_code) == 4 and class_code.isascii() and class_code.isdigit()
    ):
        raise ValidationFailed(
            "部件小类代码须为4位数字",
            "the class code must be 4 digits",
            field="class_code",
            code="invalid_class_code",
        )
    validate_serial(serial)
    return f"{county}{class_code}{serial:06d}"


def parse_component_code(
    code: str, *, check_class: bool = True, known_classes: Collection[str] | None = None, field: str = "code"
) -> ParsedCode:
    """Split and validate a 16-digit component code. `known_classes` (a set of minor class codes) avoids
    one query per code in bulk imports."""
    if not (isinstance(code, str) and len(code) == CODE_LENGTH and code.isascii() and code.isdigit()):
        raise ValidationFailed(
            "部件编码须为16位数字（6位区县 + 2位大类 + 2位小类 + 6位流水号）",
            "a component code must be 16 digits (6 county + 2 major + 2 minor + 6 serial)",
            field=field,
            code="invalid_component_code",
        )
    validate_county(code[:6], field=field)
    if check_class:
        validate_class_code(code[6:10], known_classes=known_classes, field=field)
    validate_serial(int(code[10:]), field=field)
    return ParsedCode(county=code[:6], major=code[6:8], minor=code[8:10], serial=int(code[10:]))


def max_serial(county: str, class_code: str) -> int:
    """The highest serial used for (county, class), 0 if none."""
    top = Component.objects.filter(digit_prefix_q("code", f"{county}{class_code}")).aggregate(
        top=Max("code")
    )["top"]
    return int(top[10:]) if top else 0


def next_serial(county: str, class_code: str) -> int:
    """The serial after the highest one in use. Gaps left by removed components are not reused, so a code
    never names two different components over time."""
    serial = max_serial(county, class_code) + 1
    if serial > MAX_SERIAL:
        raise ValidationFailed(
            f"区县 {county} 的部件小类 {class_code} 流水号已用尽",
            f"no serials left for class {class_code} in county {county}",
            field="code",
            code="serials_exhausted",
        )
    return serial


# ---------------------------------------------------------------------- vocabularies

STATE_ZH = {
    Component.State.INTACT: "完好",
    Component.State.DAMAGED: "破损",
    Component.State.LOST: "丢失",
    Component.State.ABANDONED: "废弃",
}
_STATE_WORDS = {**{zh: value for value, zh in STATE_ZH.items()}, **{str(v): str(v) for v in STATE_ZH}}


def parse_state(value: str, *, field: str = "state") -> str:
    """Accept 完好/破损/丢失/废弃 or intact/damaged/lost/abandoned."""
    word = (value or "").strip()
    state = _STATE_WORDS.get(word) or _STATE_WORDS.get(word.lower())
    if state is None:
        raise ValidationFailed(
            f"部件状态“{word}”无效，应为 完好/破损/丢失/废弃",
            f"invalid state '{word}': use 完好/破损/丢失/废弃 (intact/damaged/lost/abandoned)",
            field=field,
            code="invalid_state",
        )
    return state


def parse_accuracy(value: str, *, field: str = "accuracy") -> str:
    """Positioning accuracy class: A ±0.5 m, B ±1 m, C ±10 m (GB/T 30428.1)."""
    word = (value or "").strip().upper()
    if word not in Component.Accuracy.values:
        raise ValidationFailed(
            f"定位精度等级“{value}”无效，应为 A/B/C",
            f"invalid accuracy class '{value}': use A (±0.5 m), B (±1 m) or C (±10 m)",
            field=field,
            code="invalid_accuracy",
        )
    return word
