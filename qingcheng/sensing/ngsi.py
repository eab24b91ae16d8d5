"""NGSI-LD-shaped rendering of devices (entities) and readings (temporal), and the `q` filter."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from qingcheng.core.masking import mask_personal_data, mask_personal_text

from .models import Device
from .types import TYPES_BY_CODE

CONTEXT = [
    "https://raw.githubusercontent.com/smart-data-models/dataModel.Environment/master/context.jsonld",
    "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld",
]


def entity_id(device: Device) -> str:
    spec = TYPES_BY_CODE.get(device.device_type)
    return f"urn:ngsi-ld:{spec.sdm_type if spec else 'Device'}:{device.device_id}"


def device_id_of(entity: str) -> str:
    return entity.rsplit(":", 1)[-1] if entity.startswith("urn:ngsi-ld:") else entity


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def entity(device: Device, *, attrs: list[str] | None = None, context: bool = True) -> dict[str, Any]:
    spec = TYPES_BY_CODE[device.device_type]
    observed = _iso(device.last_observed_at)
    body: dict[str, Any] = {
        "id": entity_id(device),
        "type": spec.sdm_type,
        # Entities are read by other systems as open data: a name or a text reading that carries a
        # contact's phone number (a caretaker's, typed in by whoever installed the device) goes out masked.
        "name": {"type": "Property", "value": mask_personal_text(device.name)},
        "location": {
            "type": "GeoProperty",
            "value": {"type": "Point", "coordinates": [device.lon, device.lat]},
        },
        "areaServed": {"type": "Property", "value": device.area_code},
        "controlledProperty": {"type": "Property", "value": device.controlled_properties},
        "deviceState": {"type": "Property", "value": device.status},
        "dataProvider": {
            "type": "Property",
            "value": "qingcheng" + (" (synthetic)" if device.synthetic else ""),
        },
    }
    if observed:
        body["dateLastValueReported"] = {"type": "Property", "value": observed}
    if device.battery is not None:
        body["batteryLevel"] = {"type": "Property", "value": device.battery}
    for name, value in (device.last_values or {}).items():
        prop = spec.prop(name)
        attr: dict[str, Any] = {"type": "Property", "value": mask_personal_data(value)}
        if observed:
            attr["observedAt"] = observed
        if prop is not None and prop.unit_code:
            attr["unitCode"] = prop.unit_code
        body[name] = attr
    if attrs:
        keep = {"id", "type", *attrs}
        body = {k: v for k, v in body.items() if k in keep}
    if context:
        body["@context"] = CONTEXT
    return body


def temporal(device: Device, rows: list[dict[str, Any]]) -> dict[str, Any]:
    spec = TYPES_BY_CODE[device.device_type]
    body: dict[str, Any] = {"id": entity_id(device), "type": spec.sdm_type}
    for row in rows:
        for name, value in row["values"].items():
            body.setdefault(name, []).append(
                {
                    "type": "Property",
                    "value": mask_personal_data(value),
                    "observedAt": _iso(row["observed_at"]),
                }
            )
    body["@context"] = CONTEXT
    return body


_TERM = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(==|!=|>=|<=|>|<)\s*(.+?)\s*$")


class QueryError(ValueError):
    pass


def parse_q(q: str) -> list[tuple[str, str, Any]]:
    """`attr op value` terms joined by `;` (AND); values are numbers or (quoted) strings."""
    terms = []
    for part in q.split(";"):
        if not part.strip():
            continue
        match = _TERM.match(part)
        if match is None:
            raise QueryError(part)
        name, op, raw = match.groups()
        raw = raw.strip()
        if raw[:1] in "\"'" and raw[-1:] == raw[:1] and len(raw) >= 2:
            value: Any = raw[1:-1]
        else:
            try:
                value = float(raw)
            except ValueError:
                value = raw
        terms.append((name, op, value))
    return terms


def matches(values: dict[str, Any], terms: list[tuple[str, str, Any]]) -> bool:
    for name, op, want in terms:
        have = values.get(name)
        if have is None:
            return False
        try:
            if op == "==" and have != want:
                return False
            if op == "!=" and have == want:
                return False
            if op == ">" and not have > want:
                return False
            if op == "<" and not have < want:
                return False
            if op == ">=" and not have >= want:
                return False
            if op == "<=" and not have <= want:
                return False
        except TypeError:
            return False
    return True
