"""The device types the platform knows: entity shape (FIWARE Smart Data Model), domain for the MQTT
topic, measured properties with units and physically possible ranges, and status vocabularies.

Ranges here are *plausibility* limits for validation (a pH of 19 is garbage, not an alarm); alarm
thresholds live in `AlarmRule` rows (configuration, not code)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Prop:
    name: str  # NGSI-LD attribute name
    unit: str  # display unit
    unit_code: str  # UN/CEFACT common code used in NGSI-LD `unitCode`
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()  # for text properties: the allowed values

    @property
    def is_text(self) -> bool:
        return bool(self.choices)


@dataclass(frozen=True)
class DeviceType:
    code: str
    label: object
    sdm_type: str  # NGSI-LD entity type
    data_model: str  # the Smart Data Model subject, or "custom (Device-based)"
    domain: (
        str  # topic segment: water, pipe, tunnel, parking, light, waste, air, noise, video, building, flood
    )
    props: tuple[Prop, ...] = field(default_factory=tuple)

    def prop(self, name: str) -> Prop | None:
        for p in self.props:
            if p.name == name:
                return p
        return None


TYPES: tuple[DeviceType, ...] = (
    DeviceType(
        "water_quality",
        _("Water quality station"),
        "WaterQualityObserved",
        "dataModel.WaterQuality",
        "water",
        (
            Prop("pH", "", "C62", 0, 14),
            Prop("turbidity", "NTU", "NTU", 0, 4000),
            Prop("freeChlorine", "mg/L", "M1", 0, 20),
        ),
    ),
    DeviceType(
        "pipe",
        _("Pipe pressure and flow meter"),
        "Pipe",
        "dataModel.WaterDistributionManagementEPANET",
        "pipe",
        (Prop("pressure", "MPa", "MPA", 0, 4), Prop("flow", "m³/h", "MQH", 0, 20000)),
    ),
    DeviceType(
        "manhole",
        _("Manhole cover sensor"),
        "ManholeCover",
        "custom (Device-based)",
        "pipe",
        (
            Prop("tilt", "°", "DD", 0, 180),
            Prop("waterLevel", "m", "MTR", 0, 20),
            Prop("status", "", "", choices=("ok", "open", "moved", "unknown")),
        ),
    ),
    DeviceType(
        "tunnel_gas",
        _("Utility-tunnel gas detector"),
        "TunnelGasObserved",
        "custom (Device-based)",
        "tunnel",
        (
            Prop("CH4", "%LEL", "P1", 0, 100),
            Prop("H2S", "ppm", "59", 0, 500),
            Prop("O2", "%vol", "P1", 0, 100),
        ),
    ),
    DeviceType(
        "building",
        _("Building tilt and settlement monitor"),
        "BuildingStructureObserved",
        "custom (Device-based)",
        "building",
        (Prop("tilt", "‰", "PTM", 0, 200), Prop("settlement", "mm", "MMT", -1000, 1000)),
    ),
    DeviceType(
        "flood",
        _("Flood / water level gauge"),
        "FloodMonitoring",
        "dataModel.Environment",
        "flood",
        (Prop("currentLevel", "m", "MTR", -5, 30),),
    ),
    DeviceType(
        "parking_spot",
        _("Parking spot sensor"),
        "ParkingSpot",
        "dataModel.Parking",
        "parking",
        (Prop("status", "", "", choices=("free", "occupied", "closed", "unknown")),),
    ),
    DeviceType(
        "parking_lot",
        _("Off-street car park counter"),
        "OffStreetParking",
        "dataModel.Parking",
        "parking",
        (Prop("availableSpotNumber", "", "C62", 0, 20000),),
    ),
    DeviceType(
        "noise",
        _("Noise monitor"),
        "NoiseLevelObserved",
        "dataModel.Environment",
        "noise",
        (Prop("LAeq", "dB(A)", "2N", 0, 150),),
    ),
    DeviceType(
        "dust",
        _("Construction-site dust monitor"),
        "AirQualityObserved",
        "dataModel.Environment",
        "air",
        (Prop("pm10", "µg/m³", "GQ", 0, 5000), Prop("pm25", "µg/m³", "GQ", 0, 5000)),
    ),
    DeviceType(
        "waste",
        _("Waste container sensor"),
        "WasteContainer",
        "dataModel.WasteManagement",
        "waste",
        (
            Prop("fillingLevel", "", "C62", 0, 1),
            Prop("temperature", "°C", "CEL", -50, 150),
            Prop(
                "status",
                "",
                "",
                choices=("ok", "lidOpen", "dropped", "moved", "vandalized", "burning", "unknown"),
            ),
        ),
    ),
    DeviceType(
        "streetlight",
        _("Street light controller"),
        "Streetlight",
        "dataModel.Streetlighting",
        "light",
        (
            Prop("status", "", "", choices=("ok", "defectiveLamp", "columnIssue", "brokenLantern")),
            Prop("powerState", "", "", choices=("on", "off", "low", "bootingUp")),
        ),
    ),
    DeviceType(
        "camera",
        _("Video-analytics camera"),
        "Camera",
        "dataModel.Device",
        "video",
        (
            Prop("status", "", "", choices=("ok", "offline", "obstructed", "unknown")),
            Prop("detections", "", "C62", 0, 10000),
        ),
    ),
)

TYPES_BY_CODE = {t.code: t for t in TYPES}
TYPE_CHOICES = [(t.code, t.label) for t in TYPES]
SDM_TO_CODES: dict[str, list[str]] = {}
for _t in TYPES:
    SDM_TO_CODES.setdefault(_t.sdm_type, []).append(_t.code)
