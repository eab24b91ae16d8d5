"""Every write of the sensing app: devices and keys, batches of readings with rule evaluation, the
alarm lifecycle, stale-device sweeps and alarm → case through the machine intake channel."""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q

from qingcheng.core import clock
from qingcheng.core.access import (
    Actor,
    get_visible_or_404,
    outside_area,
    require_in_scope,
    require_permission,
)
from qingcheng.core.audit import audit_record
from qingcheng.core.errors import Conflict, ValidationFailed
from qingcheng.core.masking import mask_personal_text

from . import ingest as ing
from .models import Alarm, AlarmRule, Device, DeviceKey, IngestCounter, Reading, RuleState
from .rules import RAISE, RECOVER, State, step
from .types import TYPES_BY_CODE

logger = logging.getLogger("qingcheng.sensing")

SENSING_VENDOR = "qingcheng-sensing"
KEY_PREFIX = "qcd"


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


# ---------------------------------------------------------------- caches (per process)


@dataclass(frozen=True)
class DeviceInfo:
    pk: int
    device_id: str
    device_type: str
    area_code: str
    status: str
    lon: float
    lat: float


_devices: dict[str, tuple[float, DeviceInfo | None]] = {}
_rules: list[Any] = [0.0, {}, {}]  # loaded_at, by type, by device pk


def forget_caches() -> None:
    _devices.clear()
    _rules[0] = 0.0


def _device_infos(ids: set[str]) -> dict[str, DeviceInfo]:
    now = time.monotonic()
    ttl = _setting("SENSING_DEVICE_CACHE_SECONDS", 60)
    result: dict[str, DeviceInfo] = {}
    missing = []
    for device_id in ids:
        hit = _devices.get(device_id)
        if hit is not None and now - hit[0] < (ttl if hit[1] is not None else min(ttl, 10)):
            if hit[1] is not None:
                result[device_id] = hit[1]
        else:
            missing.append(device_id)
    for start in range(0, len(missing), 500):
        chunk = missing[start : start + 500]
        found = {
            row[1]: DeviceInfo(*row)
            for row in Device.objects.filter(device_id__in=chunk).values_list(
                "pk", "device_id", "device_type", "area_code", "status", "lon", "lat"
            )
        }
        for device_id in chunk:
            info = found.get(device_id)
            _devices[device_id] = (now, info)
            if info is not None:
                result[device_id] = info
    return result


def _rules_for(info: DeviceInfo) -> list[AlarmRule]:
    now = time.monotonic()
    if now - _rules[0] > _setting("SENSING_RULE_CACHE_SECONDS", 10):
        by_type: dict[str, list[AlarmRule]] = {}
        by_device: dict[int, list[AlarmRule]] = {}
        for rule in AlarmRule.objects.filter(active=True).order_by("pk"):
            if rule.device_id is None:
                by_type.setdefault(rule.device_type, []).append(rule)
            else:
                by_device.setdefault(rule.device_id, []).append(rule)
        _rules[:] = [now, by_type, by_device]
    return _rules[1].get(info.device_type, []) + _rules[2].get(info.pk, [])


# ---------------------------------------------------------------- devices and keys


@transaction.atomic
def device_create(
    *,
    actor: Actor,
    device_id: str,
    device_type: str,
    name: str,
    lon: float,
    lat: float,
    owner: Any = None,
    synthetic: bool = False,
) -> Device:
    """Register a device; its grid comes from the spatial index. `actor=None` is the system (loaders)."""
    from qingcheng.geo.selectors import locate

    require_permission(actor, "sensing.add_device", allow_system=True)
    spec = TYPES_BY_CODE.get(device_type)
    if spec is None:
        raise ValidationFailed("未知的设备类型", f"unknown device type {device_type!r}", field="device_type")
    device_id = (device_id or "").strip()
    if not device_id or len(device_id) > 64 or "/" in device_id or "+" in device_id or "#" in device_id:
        raise ValidationFailed("设备编号无效", "invalid device id", field="device_id")
    if Device.objects.filter(device_id=device_id).exists():
        raise Conflict("device_exists", "设备编号已存在", "a device with this id exists")
    location = locate(lon, lat)
    require_in_scope(actor, location.grid_code, refusal=outside_area(location=True), allow_system=True)
    device = Device.objects.create(
        device_id=device_id,
        device_type=device_type,
        name=name[:100] or device_id,
        lon=lon,
        lat=lat,
        area_code=location.grid_code,
        owner=owner,
        controlled_properties=[p.name for p in spec.props],
        synthetic=synthetic,
    )
    _devices.pop(device_id, None)
    audit_record(
        actor=actor,
        action="sensing.device_create",
        obj=device,
        after={"device_id": device_id, "type": device_type, "grid": device.area_code},
    )
    return device


def _hash_secret(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@transaction.atomic
def device_key_create(*, actor: Actor, device: Device) -> tuple[DeviceKey, str]:
    """A key for HTTP ingestion by this one device; the raw secret is returned once and never stored."""
    require_permission(actor, "sensing.add_devicekey", allow_system=True)
    require_in_scope(actor, device.area_code, what_zh="设备", what_en="device", allow_system=True)
    prefix = secrets.token_hex(4)
    raw = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    key = DeviceKey.objects.create(device=device, prefix=prefix, secret_hash=_hash_secret(raw))
    audit_record(
        actor=actor,
        action="sensing.device_key_create",
        obj=key,
        area_code=device.area_code,
        after={"prefix": prefix},
    )
    return key, raw


@transaction.atomic
def device_key_revoke(*, actor: Actor, key: DeviceKey) -> DeviceKey:
    require_permission(actor, "sensing.change_devicekey", allow_system=True)
    require_in_scope(actor, key.device.area_code, what_zh="设备密钥", what_en="device key", allow_system=True)
    key.revoked_at = clock.now()
    key.save(update_fields=["revoked_at", "updated_at"])
    audit_record(actor=actor, action="sensing.device_key_revoke", obj=key, area_code=key.device.area_code)
    return key


def device_key_authenticate(raw: str | None) -> Device | None:
    """The active device behind a raw key, or None; unknown and revoked keys look the same."""
    parts = (raw or "").split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        return None
    key = DeviceKey.objects.select_related("device").filter(prefix=parts[1]).first()
    if key is None or key.revoked_at is not None:
        return None
    if not secrets.compare_digest(key.secret_hash, _hash_secret(raw or "")):
        return None
    return key.device


# ---------------------------------------------------------------- ingestion

_log_budget: dict[str, list[float]] = {}


def _log_rejection(reason: str, device_id: str, detail: str) -> None:
    """Log each rejection with its reason, at most 20 lines per reason per minute (counters keep the rest)."""
    now = time.monotonic()
    window = _log_budget.setdefault(reason, [now, 0])
    if now - window[0] > 60:
        window[:] = [now, 0]
    window[1] += 1
    if window[1] <= 20:
        logger.warning("sensing: rejected message (%s) from %r: %s", reason, device_id[:64], detail)


def _reject(out: ing.Outcome, reason: str, device_id: str, detail: str) -> None:
    out.add(reason, f"{device_id[:64]}: {detail}")
    _log_rejection(reason, device_id, detail)


def readings_ingest(
    *, messages: list[ing.Message], source: str = "http", now: datetime | None = None
) -> ing.Outcome:
    """Validate, store and evaluate a batch of device messages in one transaction.

    Bad messages are counted by reason and never stored; the batch itself never fails because of one
    message. Alarms raised here open cases after the commit (`alarm_open_case`)."""
    now = now or clock.now()
    out = ing.Outcome()
    parsed: list[ing.Parsed] = []
    for message in messages:
        try:
            result = ing.parse(message)
        except Exception:  # a poison message must never stop the ingester (it would be redelivered forever)
            logger.exception("sensing: unreadable message from %r", str(message.device_id)[:64])
            result = ing.Rejected(ing.MALFORMED, "unreadable payload", str(message.device_id), message.token)
        if isinstance(result, ing.Rejected):
            _reject(out, result.reason, result.device_id, result.detail)
        else:
            parsed.append(result)
    infos = _device_infos({p.device_id for p in parsed}) if parsed else {}
    skew = timedelta(seconds=_setting("SENSING_FUTURE_SKEW_SECONDS", 300))
    max_age = timedelta(seconds=_setting("SENSING_MAX_AGE_SECONDS", 7 * 86400))
    accepted: list[tuple[DeviceInfo, ing.Parsed]] = []
    for p in parsed:
        info = infos.get(p.device_id)
        if info is None:
            _reject(out, ing.UNKNOWN_DEVICE, p.device_id, "no such device")
        elif info.status != Device.Status.ACTIVE:
            _reject(out, ing.INACTIVE, p.device_id, f"device is {info.status}")
        elif p.observed_at > now + skew:
            _reject(out, ing.FUTURE, p.device_id, f"ts {p.observed_at.isoformat()} is in the future")
        elif p.observed_at < now - max_age:
            _reject(out, ing.TOO_OLD, p.device_id, f"ts {p.observed_at.isoformat()} is too old")
        else:
            bad = ing.check_values(info.device_type, p.values)
            if bad is not None:
                _reject(out, bad[0], p.device_id, bad[1])
            else:
                accepted.append((info, p))
    with transaction.atomic():
        if accepted:
            _store_and_evaluate(accepted, out, now)
        _count(source, out, now)
    for alarm_id in out.raised:
        try:
            alarm_open_case(alarm_id=alarm_id)
        except Exception:  # a case problem must never stop ingestion; it is recorded on the alarm
            logger.exception("sensing: opening a case for alarm %s failed", alarm_id)
    return out


def _store_and_evaluate(
    accepted: list[tuple[DeviceInfo, ing.Parsed]], out: ing.Outcome, now: datetime
) -> None:
    pks = sorted({info.pk for info, _ in accepted})
    latest: dict[int, list[Any]] = {}
    for start in range(0, len(pks), 500):
        chunk = pks[start : start + 500]
        # Row locks (PostgreSQL) serialise concurrent ingesters per device; SQLite runs IMMEDIATE transactions.
        for pk, last_at, last_values, battery in (
            Device.objects.select_for_update()
            .filter(pk__in=chunk)
            .order_by("pk")
            .values_list("pk", "last_observed_at", "last_values", "battery")
        ):
            latest[pk] = [last_at, dict(last_values or {}), battery, False]
    states: dict[tuple[int, int], tuple[State, int | None, bool]] = {}
    for start in range(0, len(pks), 500):
        chunk = pks[start : start + 500]
        for row in RuleState.objects.filter(device_id__in=chunk).values_list(
            "pk", "device_id", "rule_id", "breaches", "oks", "alarm_id"
        ):
            states[(row[1], row[2])] = (State(row[3], row[4], row[5]), row[0], False)
    reorder = timedelta(seconds=_setting("SENSING_REORDER_WINDOW_SECONDS", 60))
    readings: list[Reading] = []
    seen: set[tuple[int, datetime]] = set()
    late: list[tuple[DeviceInfo, ing.Parsed]] = []
    accepted.sort(key=lambda pair: pair[1].observed_at)
    for info, p in accepted:
        key = (info.pk, p.observed_at)
        if key in seen:
            _reject(out, ing.DUPLICATE, p.device_id, "same timestamp twice")
            continue
        cur = latest.get(info.pk)
        if cur is None:
            _reject(out, ing.UNKNOWN_DEVICE, p.device_id, "device was removed")
            continue
        last_at = cur[0]
        if last_at is not None and p.observed_at <= last_at:
            if p.observed_at == last_at:
                _reject(out, ing.DUPLICATE, p.device_id, "same timestamp as the latest reading")
            elif p.observed_at < last_at - reorder:
                _reject(
                    out,
                    ing.OUT_OF_ORDER,
                    p.device_id,
                    f"ts {p.observed_at.isoformat()} before {last_at.isoformat()}",
                )
            else:
                late.append((info, p))
            continue
        seen.add(key)
        readings.append(
            Reading(device_id=info.pk, observed_at=p.observed_at, received_at=now, seq=p.seq, values=p.values)
        )
        for rule in _rules_for(info):
            if rule.kind != AlarmRule.Kind.STALE and rule.prop not in p.values:
                continue
            skey = (info.pk, rule.pk)
            state, row_pk, _changed = states.get(skey, (State(), None, False))
            before = (state.breaches, state.oks, state.alarm_id)
            value = p.values.get(rule.prop) if rule.prop else None
            action = step(rule, state, value, cur[1].get(rule.prop), last_at, p.observed_at)
            if action == RAISE:
                state.alarm_id = _alarm_raise(info, rule, value, p.observed_at, now).pk
                out.raised.append(state.alarm_id)
            elif action == RECOVER:
                _alarm_recover(state.alarm_id, now)
                out.recovered.append(state.alarm_id)
                state.alarm_id = None
            if (state.breaches, state.oks, state.alarm_id) != before:
                states[skey] = (state, row_pk, True)
        cur[0] = p.observed_at
        cur[1].update(p.values)
        if p.battery is not None:
            cur[2] = p.battery
        cur[3] = True
    for info, p in late:  # within the reorder window: history, unless it is a redelivered duplicate
        if (
            Reading.objects.filter(device_id=info.pk, observed_at=p.observed_at).exists()
            or (info.pk, p.observed_at) in seen
        ):
            _reject(out, ing.DUPLICATE, p.device_id, "reading stored before")
            continue
        seen.add((info.pk, p.observed_at))
        readings.append(
            Reading(device_id=info.pk, observed_at=p.observed_at, received_at=now, seq=p.seq, values=p.values)
        )
        out.add(ing.LATE)
    Reading.objects.bulk_create(readings, batch_size=500)
    if readings:
        out.add(ing.STORED, n=len(readings))
    _update_devices(latest, now)
    _save_states(states)


def _update_devices(latest: dict[int, list[Any]], now: datetime) -> None:
    ops = connection.ops
    json_param = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    sql = (
        f"UPDATE {Device._meta.db_table} SET last_seen_at = %s, last_observed_at = %s, "
        f"last_values = {json_param}, battery = %s WHERE id = %s"
    )
    seen_at = ops.adapt_datetimefield_value(now)
    params = [
        (seen_at, ops.adapt_datetimefield_value(cur[0]), json.dumps(cur[1], ensure_ascii=False), cur[2], pk)
        for pk, cur in latest.items()
        if cur[3]
    ]
    if params:
        with connection.cursor() as cursor:
            cursor.executemany(sql, params)


def _save_states(states: dict[tuple[int, int], tuple[State, int | None, bool]]) -> None:
    create, update, delete = [], [], []
    for (device_pk, rule_pk), (state, row_pk, changed) in states.items():
        if not changed:
            continue
        if row_pk is None:
            if not state.quiet:
                create.append(
                    RuleState(
                        device_id=device_pk,
                        rule_id=rule_pk,
                        breaches=state.breaches,
                        oks=state.oks,
                        alarm_id=state.alarm_id,
                    )
                )
        elif state.quiet:
            delete.append(row_pk)
        else:
            update.append(
                RuleState(pk=row_pk, breaches=state.breaches, oks=state.oks, alarm_id=state.alarm_id)
            )
    if create:
        RuleState.objects.bulk_create(create)
    if update:
        RuleState.objects.bulk_update(update, ["breaches", "oks", "alarm"], batch_size=200)
    if delete:
        RuleState.objects.filter(pk__in=delete).delete()


def _count(source: str, out: ing.Outcome, now: datetime) -> None:
    for reason, n in out.counts.items():
        detail = out.details.get(reason, "")
        updates: dict[str, Any] = {"count": F("count") + n, "last_at": now}
        if detail:
            updates["last_detail"] = detail
        if not IngestCounter.objects.filter(source=source[:60], reason=reason).update(**updates):
            IngestCounter.objects.create(
                source=source[:60], reason=reason, count=n, last_at=now, last_detail=detail
            )


# ---------------------------------------------------------------- alarms

# The alarm lifecycle as a table: (status, action) → next status.
ALARM_TRANSITIONS: dict[tuple[str, str], str] = {
    ("raised", "acknowledge"): "acknowledged",
    ("raised", "recover"): "recovered",
    ("acknowledged", "recover"): "recovered",
    ("raised", "close"): "closed",
    ("acknowledged", "close"): "closed",
    ("recovered", "close"): "closed",
    ("recovered", "acknowledge"): "recovered",
}


def _alarm_message(rule: AlarmRule, value: Any) -> str:
    if rule.kind == AlarmRule.Kind.STALE:
        return f"no reading for {rule.stale_seconds}s"
    if rule.kind == AlarmRule.Kind.RATE:
        return f"{rule.prop} changing faster than {rule.max_rate_per_min}/min (now {value})"
    if rule.kind == AlarmRule.Kind.STATUS:
        return f"{rule.prop} = {value}"
    limits = " / ".join(
        x
        for x in (
            f"> {rule.high}" if rule.high is not None else "",
            f"< {rule.low}" if rule.low is not None else "",
        )
        if x
    )
    return f"{rule.prop} = {value} ({limits})"


def _alarm_raise(
    info: DeviceInfo, rule: AlarmRule, value: Any, observed_at: datetime, now: datetime
) -> Alarm:
    alarm = Alarm.objects.create(
        device_id=info.pk,
        rule=rule,
        area_code=info.area_code,
        severity=rule.severity,
        status=Alarm.Status.RAISED,
        value="" if value is None else str(value)[:60],
        message=_alarm_message(rule, value)[:200],
        observed_at=observed_at,
        raised_at=now,
    )
    audit_record(
        actor=None,
        action="sensing.alarm_raise",
        obj=alarm,
        after={"device": info.device_id, "rule": rule.pk, "severity": rule.severity, "value": alarm.value},
    )
    return alarm


def _alarm_recover(alarm_id: int | None, now: datetime) -> None:
    if alarm_id is None:
        return
    alarm = Alarm.objects.filter(pk=alarm_id).first()
    if alarm is None or (alarm.status, "recover") not in ALARM_TRANSITIONS:
        return
    before = alarm.status
    alarm.status = Alarm.Status.RECOVERED
    alarm.recovered_at = now
    _alarm_stepped(alarm, actor=None, step="recover", before=before, fields=["recovered_at"])


def _alarm_stepped(
    alarm: Alarm, *, actor: Actor, step: str, before: str, fields: list[str], note: str = ""
) -> Alarm:
    """Save an alarm that took a step of its lifecycle (its status and `fields`) and audit the step."""
    alarm.save(update_fields=["status", *fields, "updated_at"])
    audit_record(
        actor=actor,
        action=f"sensing.alarm_{step}",
        obj=alarm,
        before={"status": before},
        after={"status": alarm.status},
        note=mask_personal_text(note)[:500],
    )
    return alarm


def _transition(alarm: Alarm, action: str) -> str:
    nxt = ALARM_TRANSITIONS.get((alarm.status, action))
    if nxt is None:
        raise Conflict(
            "alarm_bad_transition",
            f"告警当前状态（{alarm.get_status_display()}）不允许此操作",
            f"an alarm that is {alarm.status} cannot be {action}d",
        )
    return nxt


def _alarm_for_actor(actor: Actor, alarm_id: int, perm: str) -> Alarm:
    require_permission(actor, perm)
    return get_visible_or_404(
        Alarm.objects.select_for_update(), actor, what_zh="告警", what_en="alarm", pk=alarm_id
    )


@transaction.atomic
def alarm_acknowledge(*, actor: Actor, alarm_id: int, note: str = "") -> Alarm:
    alarm = _alarm_for_actor(actor, alarm_id, "sensing.acknowledge_alarm")
    before = alarm.status
    alarm.status = _transition(alarm, "acknowledge")
    if alarm.acknowledged_at is None:
        alarm.acknowledged_at = clock.now()
        alarm.acknowledged_by = actor
    return _alarm_stepped(
        alarm,
        actor=actor,
        step="acknowledge",
        before=before,
        fields=["acknowledged_at", "acknowledged_by"],
        note=note,
    )


@transaction.atomic
def alarm_close(*, actor: Actor, alarm_id: int, note: str = "") -> Alarm:
    """Close an alarm (also a false one that has not recovered: the next breach raises a new alarm)."""
    alarm = _alarm_for_actor(actor, alarm_id, "sensing.close_alarm")
    before = alarm.status
    alarm.status = _transition(alarm, "close")
    alarm.closed_at = clock.now()
    RuleState.objects.filter(alarm=alarm).update(alarm=None, breaches=0, oks=0)
    return _alarm_stepped(alarm, actor=actor, step="close", before=before, fields=["closed_at"], note=note)


def system_actor(district_code: str) -> Actor:
    """The machine user that reports alarms of one district as cases (role api_client, created once)."""
    from qingcheng.accounts.models import User
    from qingcheng.accounts.services import user_create

    district = (district_code or "")[:6]
    username = f"sensing-{district}"
    user = User.objects.filter(username=username).first()
    if user is None:
        user = user_create(
            actor=None,
            username=username,
            password=None,
            area_code=district,
            roles=["api_client"],
            display_name="物联感知告警",
        )
    return user


@transaction.atomic
def alarm_open_case(*, alarm_id: int) -> Alarm | None:
    """Report the alarm as a case through machine intake, unless its rule opens no cases or an earlier
    alarm of the same device and rule still has an open case (then the alarm joins that case)."""
    from qingcheng.cases.workflow import TERMINAL_STATES
    from qingcheng.intake.services.machines import machine_event_ingest

    alarm = Alarm.objects.select_related("rule", "device").filter(pk=alarm_id).first()
    if alarm is None or alarm.case_id is not None or not alarm.rule.event_code:
        return alarm
    # One case-opening at a time per device: the device row is the lock.
    Device.objects.select_for_update().filter(pk=alarm.device_id).first()
    prior = (
        Alarm.objects.filter(device_id=alarm.device_id, rule_id=alarm.rule_id, case__isnull=False)
        .exclude(pk=alarm.pk)
        .exclude(case__status__in=list(TERMINAL_STATES))
        .select_related("case")
        .order_by("-raised_at")
        .first()
    )
    if prior is not None:
        alarm.case = prior.case
        alarm.save(update_fields=["case", "updated_at"])
        audit_record(
            actor=None, action="sensing.alarm_join_case", obj=alarm, after={"case": prior.case.number}
        )
        return alarm
    device = alarm.device
    try:
        with transaction.atomic():
            result = machine_event_ingest(
                actor=system_actor(alarm.area_code),
                vendor=SENSING_VENDOR,
                event_id=f"alarm-{alarm.pk}",
                event_code=alarm.rule.event_code,
                lon=device.lon,
                lat=device.lat,
                occurred_at=alarm.observed_at,
                device_id=device.device_id,
                description=f"{alarm.rule.name}：{alarm.message}",
                payload={"alarm": alarm.pk, "severity": alarm.severity, "value": alarm.value},
            )
    except Exception as exc:
        message = getattr(exc, "message_en", None) or str(exc)
        alarm.case_error = message[:200]
        alarm.save(update_fields=["case_error", "updated_at"])
        logger.warning("sensing: alarm %s did not open a case: %s", alarm.pk, message)
        return alarm
    alarm.case = result.event.case
    alarm.case_error = ""
    alarm.save(update_fields=["case", "case_error", "updated_at"])
    return alarm


def device_stale_sweep(*, now: datetime | None = None) -> int:
    """Raise a stale-data alarm for every active device with no reading for its rule's time."""
    now = now or clock.now()
    raised: list[int] = []
    with transaction.atomic():
        for rule in AlarmRule.objects.filter(
            active=True, kind=AlarmRule.Kind.STALE, stale_seconds__isnull=False
        ):
            cutoff = now - timedelta(seconds=rule.stale_seconds)
            devices = Device.objects.filter(status=Device.Status.ACTIVE).filter(
                Q(last_observed_at__lt=cutoff) | Q(last_observed_at__isnull=True, created_at__lt=cutoff)
            )
            devices = (
                devices.filter(pk=rule.device_id)
                if rule.device_id
                else devices.filter(device_type=rule.device_type)
            )
            open_states = set(
                RuleState.objects.filter(rule=rule, alarm__isnull=False).values_list("device_id", flat=True)
            )
            for device in devices.exclude(pk__in=open_states).select_for_update():
                info = DeviceInfo(
                    device.pk,
                    device.device_id,
                    device.device_type,
                    device.area_code,
                    device.status,
                    device.lon,
                    device.lat,
                )
                alarm = _alarm_raise(info, rule, None, device.last_observed_at or device.created_at, now)
                RuleState.objects.update_or_create(
                    device=device, rule=rule, defaults={"alarm": alarm, "breaches": 0, "oks": 0}
                )
                raised.append(alarm.pk)
    for alarm_id in raised:
        try:
            alarm_open_case(alarm_id=alarm_id)
        except Exception:
            logger.exception("sensing: opening a case for alarm %s failed", alarm_id)
    return len(raised)
