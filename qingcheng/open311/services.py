"""Writes of the Open311 server: client keys, posted requests and posted updates.

A posted request goes through the intake pipeline of every channel (`cases.services.case_report`: locate,
duplicates, deadlines, timeline, audit) as source `open311`, like a public report; this module only adds
what Open311 has on top (service definitions, tokens, the link to the client). Everything is checked
before anything is written; each function is one transaction with its own audit entry.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction

from qingcheng.cases import photos as photo_store
from qingcheng.cases.catalogue import step_limit
from qingcheng.cases.models import Case, Notification
from qingcheng.cases.selectors import CALLBACK_SOURCES
from qingcheng.cases.services import PhotoUpload, case_act, case_comment, case_report
from qingcheng.core import clock
from qingcheng.core.access import Actor, require_city_wide
from qingcheng.core.audit import audit_record
from qingcheng.core.errors import DomainError, PermissionDeniedError
from qingcheng.core.masking import mask_personal_text
from qingcheng.core.scope import area_covers
from qingcheng.geo.selectors import locate, validate_lonlat

from . import selectors
from .access import Served, hash_key, new_key
from .errors import Open311Error, bad_request, forbidden, from_domain_error
from .models import Client, InboundUpdate, Jurisdiction, ServiceAttribute, ServiceRequest
from .params import parse_datetime, parse_float
from .statuses import EXTENDED_STATUSES

MAX_DESCRIPTION = 4000
MAX_STRING = 255
MAX_MEDIA_URL = 500
GEOCODE_MIN_SCORE = 0.5
UNIT_LABELS_ZH = {
    "working_hours": "个工作时",
    "working_days": "个工作日",
    "clock_hours": "小时",
    "calendar_days": "个自然日",
}
_url = URLValidator(schemes=["http", "https"])


def _require_admin(actor: Actor, permission: str) -> None:
    # Client applications and their keys serve the whole city's endpoint: city-wide staff only (or the
    # system: the seed command). Refused in Open311's own error model, which the admin shows, with the
    # plain "no permission" message either way.
    try:
        require_city_wide(actor, permission, allow_system=True)
    except PermissionDeniedError:
        raise forbidden(
            "permission_denied", "没有执行此操作的权限", "You do not have permission to do this"
        ) from None


# ---------------------------------------------------------------------- client applications


def _client_snapshot(client: Client) -> dict[str, Any]:
    return {
        "name": client.name,
        "key_prefix": client.key_prefix,
        "jurisdiction": client.jurisdiction_id,
        "requests_per_minute": client.requests_per_minute,
        "is_staff_client": client.is_staff_client,
        "active": client.active,
    }


@transaction.atomic
def client_create(
    *,
    actor: Actor,
    name: str,
    contact: str,
    jurisdiction: Jurisdiction | None = None,
    requests_per_minute: int = 60,
    is_staff_client: bool = False,
    note: str = "",
) -> tuple[Client, str]:
    """Register a client application and issue its key. The raw key is returned once, never stored."""
    _require_admin(actor, "open311.add_client")
    name, contact = (name or "").strip(), (contact or "").strip()
    if not name or not contact:
        raise bad_request("required", "请填写应用名称和联系人", "name and contact are required")
    prefix, raw = new_key()
    client = Client.objects.create(
        name=name[:100],
        contact=contact[:200],
        jurisdiction=jurisdiction,
        key_prefix=prefix,
        key_hash=hash_key(raw),
        requests_per_minute=max(0, int(requests_per_minute)),
        is_staff_client=is_staff_client,
        note=note,
    )
    audit_record(actor=actor, action="open311.client.create", obj=client, after=_client_snapshot(client))
    return client, raw


@transaction.atomic
def client_rotate_key(*, actor: Actor, client: Client) -> tuple[Client, str]:
    """A new key for the application; the old one stops working at once."""
    _require_admin(actor, "open311.change_client")
    client = Client.objects.select_for_update().get(pk=client.pk)
    before = _client_snapshot(client)
    client.key_prefix, raw = new_key()
    client.key_hash = hash_key(raw)
    client.save(update_fields=["key_prefix", "key_hash", "updated_at"])
    audit_record(
        actor=actor,
        action="open311.client.rotate_key",
        obj=client,
        before=before,
        after=_client_snapshot(client),
    )
    return client, raw


CLIENT_EDITABLE = {
    "name",
    "contact",
    "jurisdiction",
    "requests_per_minute",
    "is_staff_client",
    "active",
    "note",
}


@transaction.atomic
def client_update(*, actor: Actor, client: Client, fields: list[str]) -> Client:
    """Save the edited settings of an application (name, contact, limit, staff flag, active...)."""
    _require_admin(actor, "open311.change_client")
    fields = [f for f in fields if f in CLIENT_EDITABLE]
    if not fields:
        return client
    stored = Client.objects.select_for_update().get(pk=client.pk)
    before = _client_snapshot(stored)
    client.save(update_fields=[*fields, "updated_at"])
    audit_record(
        actor=actor, action="open311.client.update", obj=client, before=before, after=_client_snapshot(client)
    )
    return client


def _touch(client: Client) -> None:
    now = clock.now()
    if client.last_used_at is None or (now - client.last_used_at).total_seconds() > 60:
        Client.objects.filter(pk=client.pk).update(last_used_at=now)


# ---------------------------------------------------------------------- posted requests


@dataclass(frozen=True)
class LocationInput:
    lat: str | None = None
    long: str | None = None
    address_string: str | None = None
    address_id: str | None = None


@dataclass(frozen=True)
class ResolvedLocation:
    lon: float
    lat: float
    address: str
    address_id: str


@dataclass
class RequestResult:
    link: ServiceRequest
    created: bool
    service_notice: str
    duplicates: list[Case] = field(default_factory=list)


# FixMyStreet's address_id for a report whose reporter did not put a pin on the map: no address id.
NOT_PINPOINTED = "#NOTPINPOINTED#"


def _resolve_location(where: LocationInput) -> ResolvedLocation:
    """lat+long, else address_id (a door plate or place of the gazetteer), else address_string (geocoded).
    `#NOTPINPOINTED#` is no address id at all."""
    if (where.address_id or "").strip().upper() == NOT_PINPOINTED:
        where = LocationInput(lat=where.lat, long=where.long, address_string=where.address_string)
    address = (where.address_string or "").strip()
    if where.lat is not None or where.long is not None:
        if where.lat is None or where.long is None:
            raise bad_request(
                "invalid_coordinates", "lat 和 long 须同时提供", "lat and long must be given together"
            )
        lat, lon = parse_float(where.lat, "lat"), parse_float(where.long, "long")
        try:
            validate_lonlat(lon, lat)
        except DomainError as exc:
            raise from_domain_error(exc) from exc
        return ResolvedLocation(lon=lon, lat=lat, address=address, address_id=(where.address_id or "")[:40])
    if where.address_id is not None:
        from qingcheng.geo.models import Place

        wanted = where.address_id
        place = (
            Place.objects.filter(pk=int(wanted)).first() if wanted.isdigit() and len(wanted) <= 18 else None
        )
        if place is None:
            raise bad_request(
                "unknown_address_id", "未知的 address_id", f"address_id {where.address_id[:40]!r} not found"
            )
        return ResolvedLocation(
            lon=place.lon, lat=place.lat, address=address or place.address_text, address_id=str(place.pk)
        )
    if address:
        from qingcheng.geo.gazetteer import geocode

        try:
            found = geocode(address, limit=1)
        except DomainError as exc:
            raise from_domain_error(exc) from exc
        if not found or found[0].score < GEOCODE_MIN_SCORE:
            raise bad_request(
                "address_not_found",
                f"无法定位地址“{address[:60]}”，请提供经纬度",
                "address_string could not be located; send lat and long",
            )
        return ResolvedLocation(lon=found[0].lon, lat=found[0].lat, address=address, address_id="")
    raise bad_request(
        "location_required",
        "须提供位置：lat+long、address_string 或 address_id",
        "a location is required: lat and long, address_string or address_id",
    )


def _check_answers(
    attributes: list[ServiceAttribute], answers: dict[str, list[str]], *, zone: tzinfo
) -> tuple[dict[str, list[str]], list[Open311Error]]:
    """The answers to the service's questions, checked against their datatypes; unknown codes and
    answers to informational attributes are dropped. A date-time without an offset (what an HTML
    datetime-local field sends) is read in the jurisdiction's zone `zone`."""
    clean: dict[str, list[str]] = {}
    problems: list[Open311Error] = []
    for attribute in attributes:
        if not attribute.variable:
            continue
        name = f"attribute[{attribute.code}]"
        values = answers.get(attribute.code, [])
        if not values:
            if attribute.required:
                problems.append(bad_request("attribute_required", f"请回答 {name}", f"{name} is required"))
            continue
        kind = attribute.datatype
        if kind != ServiceAttribute.Datatype.MULTI and len(values) > 1:
            problems.append(
                bad_request("attribute_invalid", f"{name} 只能有一个值", f"{name} takes one value")
            )
            continue
        try:
            if kind == ServiceAttribute.Datatype.STRING:
                if len(values[0]) > MAX_STRING or "\n" in values[0]:
                    raise bad_request(
                        "attribute_invalid",
                        f"{name} 须为一行且不超过{MAX_STRING}字",
                        f"{name} must be one line of at most {MAX_STRING} characters",
                    )
            elif kind == ServiceAttribute.Datatype.TEXT:
                if len(values[0]) > MAX_DESCRIPTION:
                    raise bad_request(
                        "attribute_invalid",
                        f"{name} 不能超过{MAX_DESCRIPTION}字",
                        f"{name} is longer than {MAX_DESCRIPTION:,} characters",
                    )
            elif kind == ServiceAttribute.Datatype.NUMBER:
                values = [str(parse_float(values[0], name))]
            elif kind == ServiceAttribute.Datatype.DATETIME:
                when = parse_datetime(values[0], name, local_zone=zone)
                values = [when.astimezone(zone).isoformat(timespec="seconds")]
            else:
                keys = {v.key for v in attribute.values.all()}
                wrong = [v for v in values if v not in keys]
                if wrong:
                    raise bad_request(
                        "attribute_invalid",
                        f"{name} 的取值不在选项中",
                        f"{name}: {wrong[0][:40]!r} is not one of the listed values",
                    )
                values = list(dict.fromkeys(values))
        except Open311Error as exc:
            problems.append(exc)
            continue
        clean[attribute.code] = values
    return clean, problems


def _answers_text(attributes: list[ServiceAttribute], answers: dict[str, list[str]]) -> str:
    lines = []
    for attribute in attributes:
        values = answers.get(attribute.code)
        if not values:
            continue
        names = {v.key: v.name for v in attribute.values.all()}
        lines.append(f"{attribute.description} {'、'.join(names.get(v, v) for v in values)}")
    return "\n".join(lines)


def _service_notice(case: Case, *, duplicates: int) -> str:
    unit, amount = step_limit(case.category, "handle", urgency=case.urgency)
    number = format(amount, "f")
    if "." in number:
        number = number.rstrip("0").rstrip(".")
    limit = f"{number}{UNIT_LABELS_ZH.get(unit, unit)}"
    text = f"已受理，案卷编号 {case.number}。{case.category.name}的处置时限为派遣后{limit}。"
    if duplicates:
        text += f"附近已有{duplicates}件同类问题正在办理。"
    return text


def _check_media_urls(values: list[str]) -> tuple[list[str], list[Open311Error]]:
    """The http(s) URLs given, blanks dropped; one problem per bad one."""
    urls: list[str] = []
    problems: list[Open311Error] = []
    for url in (v.strip() for v in values if v and v.strip()):
        try:
            if len(url) > MAX_MEDIA_URL:
                raise ValidationError("too long")
            _url(url)
            urls.append(url)
        except ValidationError:
            problems.append(
                bad_request(
                    "invalid_media_url", "media_url 不是有效的网址", "media_url is not a valid http(s) URL"
                )
            )
    return urls, problems


def _check_photos(photos: list[PhotoUpload]) -> list[Open311Error]:
    """The same checks as every other intake (type by content, size and pixel limits, how many)."""
    problems: list[Open311Error] = []
    if len(photos) > getattr(settings, "INTAKE_MAX_PHOTOS", 9):
        problems.append(bad_request("too_many_photos", "照片过多", "too many media files"))
        return problems
    for photo in photos:
        try:
            photo_store.check_photo(photo.data, name=photo.name)
        except DomainError as exc:
            problems.append(from_domain_error(exc))
    return problems


@transaction.atomic
def request_create(
    *,
    client: Client,
    served: Served,
    service_code: str | None,
    location: LocationInput,
    description: str | None = None,
    answers: dict[str, list[str]] | None = None,
    media_url: str | list[str] | None = None,
    photos: list[PhotoUpload] | None = None,
    reporter_name: str = "",
    reporter_phone: str = "",
    idempotency_key: str | None = None,
) -> RequestResult:
    """POST requests: check the service, the answers, the location (inside the jurisdiction) and the
    media, then hand the report to the intake pipeline. Every problem found is reported at once."""
    info = selectors.service_info(service_code)
    if info.staff_only and not client.is_staff_client:
        raise forbidden(
            "staff_only_service",
            "该服务仅限工作人员应用使用",
            f"service {info.code} is for staff applications only",
        )
    problems: list[Open311Error] = []
    text = (description or "").strip()
    if len(text) > MAX_DESCRIPTION:
        problems.append(
            bad_request(
                "too_long",
                f"description 不能超过{MAX_DESCRIPTION}字",
                f"description is longer than {MAX_DESCRIPTION:,} characters",
            )
        )
    attributes = selectors.service_attributes(info.code)
    clean, attribute_problems = _check_answers(attributes, answers or {}, zone=served.zone)
    problems += attribute_problems
    # FixMyStreet's multi_photos sends media_url once per photo: each is checked, the first is kept.
    urls, url_problems = _check_media_urls([media_url] if isinstance(media_url, str) else media_url or [])
    problems += url_problems
    media_url = urls[0] if urls else ""
    photos = list(photos or [])
    if len(photos) > getattr(settings, "INTAKE_MAX_PHOTOS", 9):
        problems.append(bad_request("too_many_photos", "照片过多", "too many media files"))
    where: ResolvedLocation | None = None
    try:
        where = _resolve_location(location)
        found = locate(where.lon, where.lat)
        # A jurisdiction names its area as a code (150100) or a prefix (1501); blank means everywhere.
        if served.area_code and not area_covers(served.area_code, found.grid_code):
            raise bad_request(
                "outside_jurisdiction",
                "该位置不在此城市的管辖范围内",
                "the location is outside this jurisdiction",
            )
    except Open311Error as exc:
        problems.append(exc)
    except DomainError as exc:
        problems.append(from_domain_error(exc))
    if problems:
        raise Open311Error.combine(problems)
    assert where is not None

    summary = _answers_text(attributes, clean)
    case_text = text or info.category.name
    if summary and len(case_text) + len(summary) + 8 <= MAX_DESCRIPTION:
        case_text = f"{case_text}\n\n【附加信息】\n{summary}"
    try:
        result = case_report(
            actor=None,
            source=Case.Source.OPEN311,
            lon=where.lon,
            lat=where.lat,
            crs="wgs84",
            description=case_text,
            category_code=info.code,
            address=where.address,
            reporter_name=reporter_name[:60],
            reporter_phone=reporter_phone[:32],
            photos=photos,
            idempotency_key=idempotency_key or None,
            idempotency_scope=f"open311:{client.pk}",
        )
    except DomainError as exc:
        raise from_domain_error(exc) from exc
    case = result.case
    if not result.created:
        link = ServiceRequest.objects.filter(case=case).first()
        if link is not None:
            return RequestResult(link=link, created=False, service_notice=_service_notice(case, duplicates=0))
    link = ServiceRequest.objects.create(
        client=client,
        jurisdiction=served.row,
        case=case,
        service_code=info.code,
        token=secrets.token_urlsafe(18) if info.type == "batch" else None,
        attributes=clean,
        media_url=media_url,
        address_id=where.address_id,
        area_code=case.grid_code,
    )
    audit_record(
        actor=None,
        action="open311.request.create",
        obj=link,
        area_code=case.grid_code,
        after={
            "client": client.pk,
            "case": case.number,
            "service_code": info.code,
            "type": info.type,
            "attributes": sorted(clean),
            "photos": len(photos),
        },
        note=f"Open311 client {client.key_prefix}",
    )
    _touch(client)
    return RequestResult(
        link=link,
        created=True,
        service_notice=_service_notice(case, duplicates=len(result.duplicates)),
        duplicates=result.duplicates,
    )


# ---------------------------------------------------------------------- posted updates


def normalise_status(value: str | None) -> str:
    """FixMyStreet sends upper-case statuses with underscores; spaces and case are forgiven."""
    status = (value or "").strip().upper().replace(" ", "_").replace("-", "_")
    if status not in EXTENDED_STATUSES:
        raise bad_request(
            "invalid_status",
            "status 无效",
            f"status must be one of {', '.join(EXTENDED_STATUSES)}",
        )
    return status


def reopen_requested(
    *, client: Client, link: ServiceRequest | None, case: Case, status: str, written_at: datetime
) -> bool:
    """Whether a posted update asks to reopen a closed case (结案), rather than comment on it.

    FixMyStreet's own rule, read from its code: only the reporter can reopen, only a report that it
    shows as fixed or closed, and the update then carries `OPEN` (or `REOPEN` when the body has
    `mark_reopen`). But `OPEN` is also the status of every plain comment while its copy is still open,
    for instance when it has not yet fetched our closure. So: `REOPEN` always asks; `OPEN` asks only
    when the application that posted the request had fetched the case's latest closure with its key
    (`closure_seen_at`) before the update was written; every other status is a comment."""
    if case.status != Case.Status.CLOSED or case.source not in CALLBACK_SOURCES:
        return False
    if status == "REOPEN":
        return True
    if status != "OPEN" or link is None or link.client_id != client.pk:
        return False
    seen, closed = link.closure_seen_at, case.closed_at
    return seen is not None and closed is not None and seen >= closed and written_at >= seen


@transaction.atomic
def closures_seen(*, client: Client, closures: dict[int, datetime]) -> int:
    """Record that `client`, with its key, was just shown these cases as closed ({case id: the time of
    the closure shown}); only the latest closure of a case still closed counts. Returns how many
    requests were marked."""
    if not closures:
        return 0
    now = clock.now()
    marked = 0
    links = ServiceRequest.objects.select_related("case").filter(
        client=client, case_id__in=list(closures), case__status=Case.Status.CLOSED
    )
    for link in links:
        closed = link.case.closed_at
        if closed is None or closed > closures[link.case_id]:
            continue  # an earlier closure was shown; the case was reopened and closed again since
        if link.closure_seen_at is not None and link.closure_seen_at >= closed:
            continue
        link.closure_seen_at = now
        link.save(update_fields=["closure_seen_at", "updated_at"])
        marked += 1
    return marked


@transaction.atomic
def update_create(
    *,
    client: Client,
    served: Served,
    service_request_id: str | None,
    update_id: str | None,
    updated_datetime: datetime,
    status: str,
    description: str = "",
    media_urls: list[str] | None = None,
    photos: list[PhotoUpload] | None = None,
) -> tuple[InboundUpdate, bool]:
    """FixMyStreet's POST servicerequestupdates: an update on a request this application posted (a staff
    application may update any listed request). A reopening request (see `reopen_requested`) reopens a
    closed case like an unsatisfied call-back, counted as rework; any other update is a comment on the
    case's timeline that changes nothing else. The same update_id again returns the first update."""
    if not service_request_id:
        raise bad_request(
            "service_request_id_required", "请提供 service_request_id", "service_request_id is required"
        )
    if not update_id:
        raise bad_request("update_id_required", "请提供 update_id", "update_id is required")
    if len(update_id) > 64:
        raise bad_request("invalid_update_id", "update_id 过长", "update_id is longer than 64 characters")
    case = selectors.request_get(served=served, client=client, number=service_request_id)
    link = ServiceRequest.objects.filter(case=case).first()
    if not client.is_staff_client and (link is None or link.client_id != client.pk):
        raise forbidden(
            "not_your_request",
            "只能更新本应用提交的服务请求",
            "this application may only update requests it submitted",
        )
    existing = InboundUpdate.objects.filter(client=client, external_id=update_id).first()
    if existing is not None:
        if existing.case_id != case.pk:
            raise bad_request(
                "update_id_reused",
                "该 update_id 已用于另一个请求",
                "update_id was already used for another request",
            )
        return existing, False
    text = (description or "").strip()
    problems = []
    if len(text) > MAX_DESCRIPTION:
        problems.append(
            bad_request(
                "too_long",
                f"description 不能超过{MAX_DESCRIPTION}字",
                f"description is longer than {MAX_DESCRIPTION:,} characters",
            )
        )
    urls, url_problems = _check_media_urls(media_urls or [])
    problems += url_problems
    photos = list(photos or [])
    problems += _check_photos(photos)
    if problems:
        raise Open311Error.combine(problems)
    written_at = min(updated_datetime, clock.now())
    reopened = reopen_requested(client=client, link=link, case=case, status=status, written_at=written_at)
    try:
        if reopened:
            note = "Open311 报告人反馈问题仍未解决" + (f"：{mask_personal_text(text)[:1900]}" if text else "")
            case = case_act(
                case_id=case.pk,
                actor=None,
                action="callback",
                data={"satisfied": False},
                note=note,
                photos=photos,
            )
        elif text or photos or urls:
            note = "Open311 报告人补充" + (f"：{mask_personal_text(text)[:1900]}" if text else "")
            if urls:
                note += "\n" + "\n".join(urls)
            case_comment(case_id=case.pk, actor=None, note=note[:2000], channel="open311", photos=photos)
            case.refresh_from_db()
    except DomainError as exc:
        raise from_domain_error(exc) from exc
    try:
        with transaction.atomic():
            update = InboundUpdate.objects.create(
                client=client,
                case=case,
                external_id=update_id,
                status=status,
                description=text,
                media_urls=urls,
                photos=[hashlib.sha256(p.data).hexdigest() for p in photos],
                updated_at_client=written_at,
                reopened=reopened,
                case_status=case.status,
                area_code=case.grid_code,
            )
    except IntegrityError:
        # The same update sent twice at once: answer with the first.
        existing = InboundUpdate.objects.filter(client=client, external_id=update_id).first()
        if existing is None:
            raise
        return existing, False
    if case.owner_department_id:
        Notification.objects.create(
            case=case,
            department=case.owner_department,
            kind="open311_update",
            message=f"{case.number} 收到 Open311 {'重新处置请求' if reopened else '补充意见'}（{status}）"[
                :300
            ],
        )
    audit_record(
        actor=None,
        action="open311.update.create",
        obj=update,
        area_code=case.grid_code,
        after={
            "client": client.pk,
            "case": case.number,
            "status": status,
            "reopened": reopened,
            "photos": len(photos),
        },
        note=f"Open311 client {client.key_prefix}",
    )
    _touch(client)
    return update, True


def seed(*, overwrite: bool = False) -> dict[str, int]:
    """Default service options and questions (see seed_data), and one jurisdiction per city-level area
    when none is configured."""
    from qingcheng.geo.models import AdminArea

    from .models import ServiceAttributeValue, ServiceOption
    from .seed_data import seed_defaults

    with transaction.atomic():
        counts = seed_defaults(
            option_model=ServiceOption,
            attribute_model=ServiceAttribute,
            value_model=ServiceAttributeValue,
            overwrite=overwrite,
        )
        counts["jurisdictions"] = 0
        if not Jurisdiction.objects.exists():
            for area in AdminArea.objects.filter(level=AdminArea.Level.CITY).order_by("code"):
                Jurisdiction.objects.create(jurisdiction_id=area.code, name=area.name, area_code=area.code)
                counts["jurisdictions"] += 1
        if any(counts.values()):
            audit_record(actor=None, action="open311.seed", object_type="open311.seed", after=counts)
    return counts
