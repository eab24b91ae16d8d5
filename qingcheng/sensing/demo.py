"""Synthetic demo sensors for the demo city and a simulator of their readings (with faults)."""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Iterator
from typing import Any

from .ingest import topic_for
from .models import Device

# type, share of the demo devices
MIX = [
    ("manhole", 30),
    ("waste", 30),
    ("streetlight", 25),
    ("parking_spot", 20),
    ("water_quality", 10),
    ("pipe", 15),
    ("noise", 12),
    ("dust", 12),
    ("flood", 12),
    ("tunnel_gas", 10),
    ("building", 8),
    ("parking_lot", 6),
    ("camera", 10),
]
PREFIX = {t: t.upper().replace("_", "")[:6] for t, _ in MIX}


def load_demo_sensors(*, count: int = 200) -> tuple[int, int]:
    """Devices at real grid centroids (geo.UnitGrid), spread evenly over the grids; marked synthetic."""
    from qingcheng.geo.models import UnitGrid

    from .services import device_create

    grids = list(
        UnitGrid.objects.filter(valid_to__isnull=True, centroid_lon__isnull=False)
        .order_by("code")
        .values_list("code", "centroid_lon", "centroid_lat")
    )
    if not grids:
        raise RuntimeError("no grids: load the demo city first (manage.py load_demo_city)")
    weights = sum(w for _, w in MIX)
    plan: list[str] = []
    for device_type, w in MIX:
        plan += [device_type] * max(1, round(count * w / weights))
    while len(plan) < count:
        plan.append(MIX[len(plan) % len(MIX)][0])
    plan = plan[:count]
    step = max(1, len(grids) // max(1, len(plan)))
    created = 0
    for i, device_type in enumerate(plan):
        _, lon, lat = grids[(i * step) % len(grids)]
        device_id = f"DEMO-{PREFIX[device_type]}-{i + 1:04d}"
        if Device.objects.filter(device_id=device_id).exists():
            continue
        device_create(
            actor=None,
            device_id=device_id,
            device_type=device_type,
            name=f"演示{device_id[5:]}（合成）",
            lon=lon,
            lat=lat,
            synthetic=True,
        )
        created += 1
    return created, Device.objects.filter(synthetic=True).count()


def normal_values(device_type: str, rnd: random.Random, hour: float, state: dict[str, Any]) -> dict[str, Any]:
    day = math.sin((hour - 6) / 24 * 2 * math.pi)  # peaks mid-afternoon
    if device_type == "water_quality":
        return {
            "pH": round(7.2 + rnd.gauss(0, 0.08), 2),
            "turbidity": round(abs(0.3 + rnd.gauss(0, 0.05)), 3),
            "freeChlorine": round(0.4 + rnd.gauss(0, 0.03), 3),
        }
    if device_type == "pipe":
        return {
            "pressure": round(0.32 - 0.04 * day + rnd.gauss(0, 0.005), 3),
            "flow": round(max(0, 120 + 60 * day + rnd.gauss(0, 5)), 1),
        }
    if device_type == "manhole":
        return {
            "tilt": round(abs(rnd.gauss(1.0, 0.4)), 2),
            "waterLevel": round(abs(rnd.gauss(0.3, 0.05)), 2),
            "status": "ok",
        }
    if device_type == "tunnel_gas":
        return {
            "CH4": round(abs(rnd.gauss(1.0, 0.3)), 2),
            "H2S": round(abs(rnd.gauss(0.5, 0.2)), 2),
            "O2": round(20.9 + rnd.gauss(0, 0.1), 2),
        }
    if device_type == "building":
        state.setdefault("settle", 0.0)
        state["settle"] -= abs(rnd.gauss(0, 0.002))
        return {"tilt": round(abs(rnd.gauss(0.8, 0.05)), 3), "settlement": round(state["settle"], 3)}
    if device_type == "flood":
        return {"currentLevel": round(max(0.0, rnd.gauss(0.02, 0.01)), 3)}
    if device_type == "parking_spot":
        return {"status": "occupied" if rnd.random() < 0.5 + 0.3 * day else "free"}
    if device_type == "parking_lot":
        return {"availableSpotNumber": max(0, int(200 - 150 * max(day, 0) + rnd.gauss(0, 10)))}
    if device_type == "noise":
        return {"LAeq": round(55 + 8 * day + rnd.gauss(0, 2), 1)}
    if device_type == "dust":
        pm10 = max(5.0, 70 + 25 * day + rnd.gauss(0, 8))
        return {"pm10": round(pm10, 1), "pm25": round(pm10 * 0.55, 1)}
    if device_type == "waste":
        state["fill"] = min(1.0, state.get("fill", rnd.random() * 0.5) + abs(rnd.gauss(0.01, 0.005)))
        if state["fill"] > 0.97 and rnd.random() < 0.2:
            state["fill"] = 0.05  # emptied
        return {
            "fillingLevel": round(state["fill"], 3),
            "temperature": round(15 + 5 * day + rnd.gauss(0, 1), 1),
            "status": "ok",
        }
    if device_type == "streetlight":
        return {"status": "ok", "powerState": "on" if (hour < 6 or hour > 19) else "off"}
    if device_type == "camera":
        return {"status": "ok", "detections": max(0, int(rnd.gauss(3 + 3 * day, 2)))}
    return {}


ANOMALIES = {
    "water_quality": {"pH": 9.2, "turbidity": 2.5},
    "pipe": {"pressure": 0.08},
    "manhole": {"tilt": 35.0, "status": "open"},
    "tunnel_gas": {"CH4": 28.0},
    "building": {"tilt": 5.5},
    "flood": {"currentLevel": 0.45},
    "parking_lot": {"availableSpotNumber": 0},
    "noise": {"LAeq": 82.0},
    "dust": {"pm10": 260.0, "pm25": 150.0},
    "waste": {"status": "burning", "temperature": 95.0},
    "streetlight": {"status": "defectiveLamp"},
    "camera": {"status": "obstructed"},
}


class Simulator:
    """One round publishes one reading per device. A few devices misbehave: an anomaly lasting several
    rounds (raises alarms), silence (stale alarm), garbage payloads, impossible values, old timestamps."""

    def __init__(
        self, *, seed: int = 1, fault_rate: float = 0.01, devices: list[tuple[str, str, str]] | None = None
    ) -> None:
        self.rnd = random.Random(seed)
        self.fault_rate = fault_rate
        self.devices = (
            devices
            if devices is not None
            else list(
                Device.objects.filter(synthetic=True, status="active").values_list(
                    "device_id", "device_type", "area_code"
                )
            )
        )
        self.state: dict[str, dict[str, Any]] = {d[0]: {} for d in self.devices}
        self.faults: dict[str, tuple[str, int]] = {}
        self.seq = 0

    def faults_summary(self) -> str:
        kinds: dict[str, int] = {}
        for kind, _ in self.faults.values():
            kinds[kind] = kinds.get(kind, 0) + 1
        return ", ".join(f"{k}={v}" for k, v in sorted(kinds.items())) or "no faults"

    def round(self, *, root: str = "city", now_ms: int | None = None) -> Iterator[tuple[str, bytes]]:
        now_ms = now_ms or int(time.time() * 1000)
        hour = (now_ms / 3_600_000 + 8) % 24  # Asia/Shanghai
        for device_id, device_type, area in self.devices:
            rnd = self.rnd
            if device_id not in self.faults and rnd.random() < self.fault_rate:
                kind = rnd.choice(["anomaly", "anomaly", "silent", "garbage", "impossible", "old"])
                self.faults[device_id] = (kind, rnd.randint(3, 12) if kind in ("anomaly", "silent") else 1)
            fault = self.faults.get(device_id)
            values = normal_values(device_type, rnd, hour, self.state[device_id])
            self.seq += 1
            ts = now_ms
            body: Any
            if fault is not None:
                kind, left = fault
                left -= 1
                if left <= 0:
                    del self.faults[device_id]
                else:
                    self.faults[device_id] = (kind, left)
                if kind == "silent":
                    continue
                if kind == "anomaly":
                    values.update(ANOMALIES.get(device_type, {}))
                elif kind == "impossible":
                    key = next((k for k, v in values.items() if isinstance(v, int | float)), None)
                    if key:
                        values[key] = -99999
                elif kind == "old":
                    ts = now_ms - 30 * 86_400_000
                elif kind == "garbage":
                    yield topic_for(device_type, area, device_id, root=root), b'{"ts": 17, "values": [broken'
                    continue
            body = {
                "ts": ts,
                "seq": self.seq,
                "values": values,
                "battery": round(0.5 + 0.5 * rnd.random(), 2),
            }
            yield (
                topic_for(device_type, area, device_id, root=root),
                json.dumps(body, separators=(",", ":")).encode(),
            )
