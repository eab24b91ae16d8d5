"""Default alarm rules and the machine-intake event codes they use (configuration rows, editable in the
admin). `seed_defaults()` is idempotent; the data migration, the demo loader and tests call it."""

from __future__ import annotations

from typing import Any

VENDOR = "qingcheng-sensing"

# event code, name, case subclass, urgency
EVENT_CODES = [
    ("water_quality", "供水水质异常", "E0402", "urgent"),
    ("pipe_pressure", "供水管网压力异常", "E0402", "urgent"),
    ("manhole_tilt", "井盖倾斜位移", "C0102", "urgent"),
    ("manhole_overflow", "井内水位过高", "E0404", "normal"),
    ("tunnel_gas", "综合管廊气体超限", "E0403", "urgent"),
    ("building_tilt", "建筑倾斜沉降超限", "E0401", "urgent"),
    ("flood_level", "积水水位超警戒", "E0404", "urgent"),
    ("site_noise", "施工噪声超标", "E0301", "normal"),
    ("site_dust", "工地扬尘超标", "E0302", "normal"),
    ("bin_full", "垃圾箱满溢", "C0305", "normal"),
    ("bin_burning", "垃圾箱起火", "C0305", "urgent"),
    ("lamp_defect", "路灯故障", "C0118", "normal"),
]

# name, device type, kind, fields
RULES: list[tuple[str, str, str, dict[str, Any]]] = [
    (
        "水质 pH 越限",
        "water_quality",
        "threshold",
        {
            "prop": "pH",
            "low": 6.5,
            "high": 8.5,
            "hysteresis": 0.2,
            "raise_after": 3,
            "clear_after": 3,
            "severity": "orange",
            "event_code": "water_quality",
        },
    ),
    (
        "浑浊度超标",
        "water_quality",
        "threshold",
        {
            "prop": "turbidity",
            "high": 1.0,
            "hysteresis": 0.2,
            "raise_after": 3,
            "clear_after": 3,
            "severity": "yellow",
            "event_code": "water_quality",
        },
    ),
    (
        "余氯不足",
        "water_quality",
        "threshold",
        {
            "prop": "freeChlorine",
            "low": 0.05,
            "hysteresis": 0.05,
            "raise_after": 3,
            "clear_after": 3,
            "severity": "yellow",
        },
    ),
    (
        "管网压力过低",
        "pipe",
        "threshold",
        {
            "prop": "pressure",
            "low": 0.14,
            "high": 0.8,
            "hysteresis": 0.03,
            "raise_after": 2,
            "clear_after": 3,
            "severity": "orange",
            "event_code": "pipe_pressure",
        },
    ),
    (
        "管网压力骤降",
        "pipe",
        "rate",
        {
            "prop": "pressure",
            "max_rate_per_min": 0.1,
            "raise_after": 1,
            "clear_after": 3,
            "severity": "red",
            "event_code": "pipe_pressure",
        },
    ),
    (
        "井盖倾斜",
        "manhole",
        "threshold",
        {
            "prop": "tilt",
            "high": 15,
            "hysteresis": 5,
            "raise_after": 2,
            "clear_after": 3,
            "severity": "orange",
            "event_code": "manhole_tilt",
        },
    ),
    (
        "井盖开启",
        "manhole",
        "status",
        {
            "prop": "status",
            "status_values": ["open", "moved"],
            "severity": "red",
            "event_code": "manhole_tilt",
        },
    ),
    (
        "井内水位高",
        "manhole",
        "threshold",
        {
            "prop": "waterLevel",
            "high": 1.5,
            "hysteresis": 0.2,
            "raise_after": 3,
            "clear_after": 3,
            "severity": "yellow",
            "event_code": "manhole_overflow",
        },
    ),
    (
        "管廊甲烷超限",
        "tunnel_gas",
        "threshold",
        {
            "prop": "CH4",
            "high": 20,
            "hysteresis": 5,
            "raise_after": 1,
            "clear_after": 3,
            "severity": "red",
            "event_code": "tunnel_gas",
        },
    ),
    (
        "管廊硫化氢超限",
        "tunnel_gas",
        "threshold",
        {
            "prop": "H2S",
            "high": 10,
            "hysteresis": 2,
            "raise_after": 2,
            "clear_after": 3,
            "severity": "orange",
            "event_code": "tunnel_gas",
        },
    ),
    (
        "管廊缺氧",
        "tunnel_gas",
        "threshold",
        {
            "prop": "O2",
            "low": 19.5,
            "hysteresis": 0.5,
            "raise_after": 2,
            "clear_after": 3,
            "severity": "orange",
            "event_code": "tunnel_gas",
        },
    ),
    (
        "建筑倾斜超限",
        "building",
        "threshold",
        {
            "prop": "tilt",
            "high": 4,
            "hysteresis": 0.5,
            "raise_after": 3,
            "clear_after": 5,
            "severity": "orange",
            "event_code": "building_tilt",
        },
    ),
    (
        "建筑沉降超限",
        "building",
        "threshold",
        {
            "prop": "settlement",
            "low": -30,
            "hysteresis": 2,
            "raise_after": 3,
            "clear_after": 5,
            "severity": "yellow",
        },
    ),
    (
        "积水超警戒",
        "flood",
        "threshold",
        {
            "prop": "currentLevel",
            "high": 0.3,
            "hysteresis": 0.05,
            "raise_after": 2,
            "clear_after": 3,
            "severity": "orange",
            "event_code": "flood_level",
        },
    ),
    (
        "积水快速上涨",
        "flood",
        "rate",
        {
            "prop": "currentLevel",
            "max_rate_per_min": 0.05,
            "raise_after": 2,
            "clear_after": 3,
            "severity": "yellow",
        },
    ),
    (
        "停车场满位",
        "parking_lot",
        "threshold",
        {
            "prop": "availableSpotNumber",
            "low": 1,
            "hysteresis": 2,
            "raise_after": 1,
            "clear_after": 1,
            "severity": "blue",
        },
    ),
    (
        "施工噪声超标",
        "noise",
        "threshold",
        {
            "prop": "LAeq",
            "high": 70,
            "hysteresis": 3,
            "raise_after": 3,
            "clear_after": 3,
            "severity": "yellow",
            "event_code": "site_noise",
        },
    ),
    (
        "PM10 超标",
        "dust",
        "threshold",
        {
            "prop": "pm10",
            "high": 150,
            "hysteresis": 20,
            "raise_after": 3,
            "clear_after": 3,
            "severity": "yellow",
            "event_code": "site_dust",
        },
    ),
    (
        "垃圾箱满溢",
        "waste",
        "threshold",
        {
            "prop": "fillingLevel",
            "high": 0.9,
            "hysteresis": 0.2,
            "raise_after": 2,
            "clear_after": 1,
            "severity": "blue",
            "event_code": "bin_full",
        },
    ),
    (
        "垃圾箱起火",
        "waste",
        "status",
        {"prop": "status", "status_values": ["burning"], "severity": "red", "event_code": "bin_burning"},
    ),
    (
        "路灯故障",
        "streetlight",
        "status",
        {
            "prop": "status",
            "status_values": ["defectiveLamp", "columnIssue", "brokenLantern"],
            "severity": "blue",
            "event_code": "lamp_defect",
        },
    ),
    (
        "摄像机异常",
        "camera",
        "status",
        {"prop": "status", "status_values": ["offline", "obstructed"], "severity": "blue"},
    ),
]

STALE_SECONDS = {
    "water_quality": 900,
    "pipe": 900,
    "manhole": 3600,
    "tunnel_gas": 300,
    "building": 3600,
    "flood": 600,
    "parking_spot": 3600,
    "parking_lot": 900,
    "noise": 900,
    "dust": 900,
    "waste": 7200,
    "streetlight": 3600,
    "camera": 600,
}


def seed_defaults(apps: Any = None, schema_editor: Any = None) -> None:
    if apps is None:
        from django.apps import apps as django_apps

        apps = django_apps
    Mapping = apps.get_model("intake", "MachineEventMapping")
    Rule = apps.get_model("sensing", "AlarmRule")
    for code, name, category, urgency in EVENT_CODES:
        Mapping.objects.get_or_create(
            vendor=VENDOR,
            event_code=code,
            defaults={"source": "sensor", "name": name, "category_code": category, "urgency": urgency},
        )
    for name, device_type, kind, fields in RULES:
        Rule.objects.get_or_create(
            name=name, device_type=device_type, device=None, defaults={"kind": kind, **fields}
        )
    for device_type, seconds in STALE_SECONDS.items():
        Rule.objects.get_or_create(
            name="设备离线（数据中断）",
            device_type=device_type,
            device=None,
            defaults={"kind": "stale", "stale_seconds": seconds, "severity": "blue"},
        )
