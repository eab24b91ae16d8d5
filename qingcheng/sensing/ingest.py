"""Parsing and validating device messages (MQTT or HTTP) before they reach the database.

Topic convention: `<root>/<district_adcode>/<domain>/<device_type>/<device_id>/telemetry` (root `city`
by default). Payload: `{"ts": <epoch ms or ISO 8601>, "seq": n, "values": {...}, "battery": 0.93}`.
Every rejection has a reason; nothing here raises on bad input."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .types import TYPES_BY_CODE

# Reasons a message is not stored (the counters use these names).
MALFORMED = "malformed"
UNKNOWN_DEVICE = "unknown_device"
OUT_OF_RANGE = "out_of_range"
BAD_VALUE = "bad_value"
FUTURE = "future_timestamp"
TOO_OLD = "too_old"
OUT_OF_ORDER = "out_of_order"
DUPLICATE = "duplicate"
INACTIVE = "inactive_device"
STORED = "stored"
LATE = "late"  # stored, but older than the device's latest reading: history only, not evaluated

REJECT_REASONS = (
    MALFORMED,
    UNKNOWN_DEVICE,
    OUT_OF_RANGE,
    BAD_VALUE,
    FUTURE,
    TOO_OLD,
    OUT_OF_ORDER,
    DUPLICATE,
    INACTIVE,
)
MAX_PAYLOAD_BYTES = 16_384
# A payload is {"values": {name: scalar}}: three levels. A list of payloads (HTTP) adds one. Anything
# deeper is not telemetry, and Python's json raises RecursionError (not ValueError) about 1000 deep.
MAX_DEPTH = 4
# An integer literal longer than this is no reading (int64 has 19 digits); converting a 10^400 literal
# costs time and overflows float arithmetic later.
MAX_INT_DIGITS = 19


class PayloadError(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    raise PayloadError(f"{name} is not a number")


def _small_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise PayloadError(f"integer of {len(text)} digits")
    return int(text)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400 parses to inf
        raise PayloadError(f"number {text[:20]} is out of range")
    return value


def decode(body: bytes | str, *, max_bytes: int = MAX_PAYLOAD_BYTES, max_depth: int = MAX_DEPTH) -> Any:
    """Strict JSON for device payloads: bounded size and nesting, no NaN/Infinity, no huge numbers.
    Raises PayloadError (a ValueError) with a short reason; never RecursionError or OverflowError."""
    if len(body) > max_bytes:
        raise PayloadError("payload too large")
    try:
        data = json.loads(
            body, parse_constant=_refuse_constant, parse_int=_small_int, parse_float=_finite_float
        )
    except PayloadError:
        raise
    except RecursionError:
        raise PayloadError("nested too deeply") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise PayloadError(f"not JSON: {exc}"[:120]) from None
    stack = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth > max_depth:
                raise PayloadError("nested too deeply")
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children)
    return data


@dataclass
class Message:
    """One raw message: the device id (from the topic or the HTTP key) and the body bytes."""

    device_id: str
    body: bytes | str | dict
    token: Any = None  # the MQTT message id to acknowledge after commit


@dataclass
class Parsed:
    device_id: str
    observed_at: datetime
    seq: int | None
    values: dict[str, Any]
    battery: float | None = None
    token: Any = None


@dataclass
class Rejected:
    reason: str
    detail: str
    device_id: str = ""
    token: Any = None


@dataclass
class Outcome:
    counts: dict[str, int] = field(default_factory=dict)
    details: dict[str, str] = field(default_factory=dict)
    raised: list[int] = field(default_factory=list)
    recovered: list[int] = field(default_factory=list)

    def add(self, reason: str, detail: str = "", n: int = 1) -> None:
        self.counts[reason] = self.counts.get(reason, 0) + n
        if detail:
            self.details[reason] = detail[:300]


def topic_device_id(topic: str) -> tuple[str, str] | None:
    """(device_id, kind) of `.../<device_id>/<telemetry|status>`, or None."""
    parts = topic.split("/")
    if len(parts) < 3 or parts[-1] not in ("telemetry", "status") or not parts[-2]:
        return None
    return parts[-2], parts[-1]


def topic_for(
    device_type: str, area_code: str, device_id: str, root: str = "city", kind: str = "telemetry"
) -> str:
    domain = TYPES_BY_CODE[device_type].domain if device_type in TYPES_BY_CODE else "other"
    return f"{root}/{(area_code or '000000')[:6]}/{domain}/{device_type}/{device_id}/{kind}"


def _timestamp(raw: Any) -> datetime | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        if not math.isfinite(raw) or raw <= 0:
            return None
        seconds = raw / 1000.0 if raw > 1e11 else float(raw)  # epoch ms (or seconds)
        try:
            return datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(raw, str) and 10 <= len(raw) <= 40:
        try:
            parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
            if parsed.tzinfo is None:
                return None
            return parsed.astimezone(UTC)
        except (ValueError, OverflowError):  # year 1 at +14:00 has no UTC instant
            return None
    return None


def parse(message: Message) -> Parsed | Rejected:
    """Syntax only: JSON object, a timestamp, a non-empty `values` object of scalars."""
    body = message.body
    dev = message.device_id
    if isinstance(body, dict):
        data = body
    else:
        try:
            data = decode(body)
        except PayloadError as exc:
            return Rejected(MALFORMED, str(exc), dev, message.token)
    if not isinstance(data, dict):
        return Rejected(MALFORMED, "payload is not a JSON object", dev, message.token)
    values = data.get("values")
    if not isinstance(values, dict) or not values:
        return Rejected(MALFORMED, "no 'values' object", dev, message.token)
    at = _timestamp(data.get("ts"))
    if at is None:
        return Rejected(MALFORMED, f"bad or missing 'ts': {str(data.get('ts'))[:40]}", dev, message.token)
    seq = data.get("seq")
    if seq is not None and (isinstance(seq, bool) or not isinstance(seq, int) or abs(seq) > 2**62):
        return Rejected(MALFORMED, "'seq' is not an integer", dev, message.token)
    battery = data.get("battery")
    if battery is not None:
        if isinstance(battery, bool) or not isinstance(battery, int | float) or not 0 <= battery <= 1:
            return Rejected(OUT_OF_RANGE, "battery outside 0..1", dev, message.token)
        battery = float(battery)
    return Parsed(dev, at, seq, values, battery, message.token)


def check_values(device_type: str, values: dict[str, Any]) -> tuple[str, str] | None:
    """(reason, detail) when a value is unknown for the type, of the wrong kind or physically impossible."""
    spec = TYPES_BY_CODE.get(device_type)
    if spec is None:
        return BAD_VALUE, f"unknown device type {device_type}"
    for name, value in values.items():
        prop = spec.prop(name)
        if prop is None:
            return BAD_VALUE, f"{name!s:.40} is not a property of {device_type}"
        if prop.is_text:
            if not isinstance(value, str) or value not in prop.choices:
                return BAD_VALUE, f"{name}={str(value)[:40]} is not one of {', '.join(prop.choices)}"
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            return BAD_VALUE, f"{name} is not a number"
        if (prop.low is not None and value < prop.low) or (prop.high is not None and value > prop.high):
            return OUT_OF_RANGE, f"{name}={value} outside {prop.low}..{prop.high}"
    return None
