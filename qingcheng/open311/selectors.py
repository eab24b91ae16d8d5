"""Reads of the Open311 server: services from the current catalogue, their definitions, the requests
(cases) a client may list and their public updates.

What is listed: categorised cases inside the jurisdiction, except those of hidden services, those from
sources kept off Open311 (OPEN311_HIDDEN_SOURCES, default 110 transfers) and, unless the caller is a
staff application or the application that posted it, those of private services. Nothing personal is
ever read out: reporters are not touched, free text goes through `mask_personal_text`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet

from qingcheng.accounts.models import Department
from qingcheng.cases.catalogue import current_version
from qingcheng.cases.models import Case, CaseCategory, CaseEvent, CasePhoto
from qingcheng.cases.selectors import is_overdue_now
from qingcheng.cases.workflow import ACTIONS
from qingcheng.core.masking import mask_personal_data, mask_personal_text
from qingcheng.core.scope import digit_prefix_q

from .access import Served
from .errors import Open311Error, bad_request, not_found
from .models import Client, InboundUpdate, ServiceAttribute, ServiceOption, ServiceRequest
from .params import DateRange, w3c
from .statuses import extended_status, is_reopening, simple_status, status_filter
from .validators import ATTRIBUTE_CODE

ACTION_LABELS_ZH = {"report": "上报", **{a: t.label_zh for a, t in ACTIONS.items()}}
LIST_DATATYPES = {"singlevaluelist", "multivaluelist"}
DEFAULT_HIDDEN_SOURCES = (Case.Source.POLICE_110,)
# A hotline case's description is the agent's transcript of a caller, who often names themselves or
# others: such cases are listed without their free text.
DEFAULT_TEXTLESS_SOURCES = (Case.Source.HOTLINE_12319, Case.Source.HOTLINE_12345, Case.Source.POLICE_110)

# ---------------------------------------------------------------------- services


@dataclass
class ServiceInfo:
    category: CaseCategory
    option: ServiceOption | None
    has_attributes: bool

    @property
    def code(self) -> str:
        return self.category.code

    @property
    def type(self) -> str:
        return self.option.service_type if self.option else ServiceOption.Type.REALTIME

    @property
    def private(self) -> bool:
        return bool(self.option and self.option.private)

    @property
    def staff_only(self) -> bool:
        return bool(self.option and self.option.staff_only)

    def groups(self) -> list[str]:
        groups = [self.category.parent.name] if self.category.parent_id else []
        extra = self.option.extra_groups if self.option else ""
        for name in extra.split(","):
            name = name.strip()
            if name and name not in groups:
                groups.append(name)
        return groups

    def keywords(self) -> str:
        words = [w.strip() for w in (self.option.keywords if self.option else "").split(",") if w.strip()]
        if self.private:
            words.append("private")
        if self.staff_only:
            words.append("staff")
        return ",".join(words)

    def row(self) -> dict[str, Any]:
        description = (self.option.description if self.option else "") or self.category.opening_criteria
        groups = self.groups()
        return {
            "service_code": self.code,
            "service_name": self.category.name,
            "description": description or self.category.name,
            "metadata": self.has_attributes,
            "type": self.type,
            "keywords": self.keywords(),
            "group": groups[0] if groups else "",
            "groups": groups,
        }


def _options() -> dict[str, ServiceOption]:
    return {o.category_code: o for o in ServiceOption.objects.all()}


def service_infos() -> list[ServiceInfo]:
    """Every subclass of the current catalogue offered over Open311, by code."""
    version = current_version()
    if version is None:
        return []
    options = _options()
    with_attributes = set(
        ServiceAttribute.objects.filter(active=True).values_list("category_code", flat=True)
    )
    categories = (
        CaseCategory.objects.filter(version=version, active=True).select_related("parent").order_by("code")
    )
    infos = []
    for category in categories:
        option = options.get(category.code)
        if not category.is_subclass or (option is not None and option.hidden):
            continue
        infos.append(ServiceInfo(category, option, category.code in with_attributes))
    return infos


def service_info(code: str | None) -> ServiceInfo:
    if not code:
        raise _service_code_missing()
    version = current_version()
    category = (
        CaseCategory.objects.filter(version=version, code=code[:12], active=True)
        .select_related("parent")
        .first()
        if version is not None
        else None
    )
    option = ServiceOption.objects.filter(category_code=code[:12]).first()
    if category is None or not category.is_subclass or (option is not None and option.hidden):
        raise not_found("unknown_service_code", "未知的服务代码", f"service_code {code[:40]!r} not found")
    has = ServiceAttribute.objects.filter(category_code=category.code, active=True).exists()
    return ServiceInfo(category, option, has)


def _service_code_missing() -> Open311Error:
    return bad_request("service_code_required", "请提供 service_code", "service_code is required")


def service_attributes(code: str) -> list[ServiceAttribute]:
    """The active questions of a subclass. A code that is not ASCII (written past the admin's check) is
    left out: clients cannot send it as a parameter name without garbling the whole request."""
    rows = (
        ServiceAttribute.objects.filter(category_code=code, active=True)
        .prefetch_related("values")
        .order_by("order", "code")
    )
    return [a for a in rows if ATTRIBUTE_CODE.match(a.code)]


def service_definition(code: str | None) -> dict[str, Any]:
    info = service_info(code)
    attributes = []
    for attribute in service_attributes(info.code):
        row: dict[str, Any] = {
            "variable": attribute.variable,
            "code": attribute.code,
            "datatype": attribute.datatype,
            "required": attribute.required,
            "datatype_description": attribute.datatype_description or None,
            "order": attribute.order,
            "description": attribute.description,
        }
        if attribute.datatype in LIST_DATATYPES:
            row["values"] = [{"key": v.key, "name": v.name} for v in attribute.values.all()]
        attributes.append(row)
    return {"service_code": info.code, "attributes": attributes}


# ---------------------------------------------------------------------- requests


def _hidden_sources() -> tuple[str, ...]:
    return tuple(getattr(settings, "OPEN311_HIDDEN_SOURCES", DEFAULT_HIDDEN_SOURCES))


def listed_cases(*, served: Served, client: Client | None) -> QuerySet[Case]:
    qs = Case.objects.filter(category__isnull=False)
    if served.area_code:
        qs = qs.filter(digit_prefix_q("grid_code", served.area_code))
    hidden_sources = _hidden_sources()
    if hidden_sources:
        qs = qs.exclude(source__in=hidden_sources)
    options = ServiceOption.objects.filter(Q(hidden=True) | Q(private=True)).values_list(
        "category_code", "hidden", "private"
    )
    hidden = [code for code, is_hidden, _ in options if is_hidden]
    private = [code for code, is_hidden, is_private in options if is_private and not is_hidden]
    if hidden:
        qs = qs.exclude(category__code__in=hidden)
    if private and not (client is not None and client.is_staff_client):
        if client is not None:
            qs = qs.filter(~Q(category__code__in=private) | Q(open311_request__client=client))
        else:
            qs = qs.exclude(category__code__in=private)
    return qs


@dataclass(frozen=True)
class RequestQuery:
    ids: list[str]
    service_codes: list[str]
    statuses: set[str]
    dates: DateRange | None
    page: int
    page_size: int


def request_search(*, served: Served, client: Client | None, query: RequestQuery) -> list[Case]:
    """GET requests: `service_request_id` overrides every other filter; otherwise service codes, status
    and the date range (on the time the request was made), newest first, one page."""
    qs = listed_cases(served=served, client=client).select_related("category", "owner_department")
    if query.ids:
        qs = qs.filter(number__in=[i[:20] for i in query.ids])
        return list(qs.order_by("-reported_at", "-pk")[: query.page_size])
    if query.service_codes:
        qs = qs.filter(category__code__in=query.service_codes)
    if query.statuses:
        qs = qs.filter(status__in=status_filter(query.statuses))
    if query.dates is not None:
        qs = qs.filter(reported_at__gte=query.dates.start, reported_at__lte=query.dates.end)
    offset = (query.page - 1) * query.page_size
    return list(qs.order_by("-reported_at", "-pk")[offset : offset + query.page_size])


def request_get(*, served: Served, client: Client | None, number: str) -> Case:
    case = (
        listed_cases(served=served, client=client)
        .select_related("category", "owner_department")
        .filter(number=number[:20])
        .first()
    )
    if case is None:
        raise not_found(
            "unknown_request", "未找到该服务请求", f"service_request_id {number[:40]!r} not found"
        )
    return case


def token_get(*, served: Served, client: Client | None, token: str) -> ServiceRequest:
    link = ServiceRequest.objects.select_related("case").filter(token=token[:40]).first()
    if link is None or not listed_cases(served=served, client=client).filter(pk=link.case_id).exists():
        raise not_found("unknown_token", "未找到该 token", f"token {token[:40]!r} not found")
    return link


def _reopened(event: CaseEvent) -> bool:
    return is_reopening(action=event.action, from_status=event.from_status, status=event.to_status)


def _event_text(event: CaseEvent, departments: dict[int, str]) -> str:
    label = ACTION_LABELS_ZH.get(event.action, event.action)
    data = event.data or {}
    if event.action == "dispatch" and data.get("department") in departments:
        label = f"{label}至{departments[data['department']]}"
    if _reopened(event):
        label = f"{label}不满意，案卷重新处置"
    note = event.note or str(data.get("reason", "") or "")
    return mask_personal_text(f"{label}：{note}" if note else label)


def _department_names(events: Iterable[CaseEvent]) -> dict[int, str]:
    ids = {e.data.get("department") for e in events if e.action == "dispatch" and isinstance(e.data, dict)}
    ids.discard(None)
    if not ids:
        return {}
    return dict(Department.objects.filter(pk__in=ids).values_list("pk", "name"))


def _public_events(case_ids: list[int]) -> dict[int, list[CaseEvent]]:
    events: dict[int, list[CaseEvent]] = {}
    rows = CaseEvent.objects.filter(case_id__in=case_ids, public=True).exclude(action="report")
    for event in rows.order_by("case_id", "seq"):
        events.setdefault(event.case_id, []).append(event)
    return events


def _photos(case_ids: list[int]) -> dict[int, list[CasePhoto]]:
    photos: dict[int, list[CasePhoto]] = {}
    rows = CasePhoto.objects.filter(case_id__in=case_ids).exclude(public_path="").order_by("case_id", "pk")
    for photo in rows:
        photos.setdefault(photo.case_id, []).append(photo)
    return photos


def _updated(case: Case) -> Any:
    if case.status == Case.Status.CLOSED and case.closed_at:
        return case.closed_at
    if case.status == Case.Status.CANCELLED and case.cancelled_at:
        return case.cancelled_at
    return case.updated_at


def _answers(link: ServiceRequest | None, attributes: dict[str, dict[str, ServiceAttribute]]) -> list:
    if link is None:
        return []
    known = attributes.get(link.service_code, {})
    rows = []
    for code, values in (link.attributes or {}).items():
        attribute = known.get(code)
        names = {v.key: v.name for v in attribute.values.all()} if attribute is not None else {}
        for value in values if isinstance(values, list) else [values]:
            # A free-text answer is the reporter's own words, like the description.
            rows.append(
                {
                    "label": attribute.description if attribute is not None else code,
                    "name": mask_personal_data(names.get(value, value)),
                    "value": mask_personal_data(value),
                    "code": code,
                }
            )
    return rows


def request_rows(
    cases: list[Case], *, extensions: bool, media_url: Callable[[CasePhoto], str]
) -> list[dict[str, Any]]:
    """The request objects of the specification for these cases (with `extensions`, also the answers,
    the update history and `extended_attributes`)."""
    ids = [c.pk for c in cases]
    events = _public_events(ids)
    photos = _photos(ids)
    links = {link.case_id: link for link in ServiceRequest.objects.filter(case_id__in=ids)}
    departments = _department_names(e for rows in events.values() for e in rows)
    attributes: dict[str, dict[str, ServiceAttribute]] = {}
    if extensions and links:
        codes = {link.service_code for link in links.values()}
        for attribute in ServiceAttribute.objects.filter(category_code__in=codes).prefetch_related("values"):
            attributes.setdefault(attribute.category_code, {})[attribute.code] = attribute
    textless = set(getattr(settings, "OPEN311_TEXTLESS_SOURCES", DEFAULT_TEXTLESS_SOURCES))
    rows = []
    for case in cases:
        link = links.get(case.pk)
        case_events = events.get(case.pk, [])
        last = case_events[-1] if case_events else None
        case_photos = photos.get(case.pk, [])
        before = [p for p in case_photos if p.kind == CasePhoto.Kind.BEFORE]
        if before:
            media = media_url(before[0])
        else:
            media = link.media_url if link is not None and link.media_url else None
        row: dict[str, Any] = {
            "service_request_id": case.number,
            "status": simple_status(case.status),
            "status_notes": _event_text(last, departments) if last is not None else None,
            "service_name": case.category.name,
            "service_code": case.category.code,
            "description": None if case.source in textless else mask_personal_text(case.description),
            "agency_responsible": case.owner_department.name if case.owner_department_id else None,
            "service_notice": None,
            "requested_datetime": w3c(case.reported_at),
            "updated_datetime": w3c(_updated(case)),
            "expected_datetime": w3c(case.handle_due_at),
            "address": mask_personal_text(case.address) or None,
            "address_id": (link.address_id or None) if link is not None else None,
            "zipcode": None,
            "lat": round(case.lat, 6),
            "long": round(case.lon, 6),
            "media_url": media,
        }
        if extensions:
            reason = str((last.data or {}).get("reason", "")) if last is not None else ""
            row["attributes"] = _answers(link, attributes)
            row["notes"] = [
                {
                    "datetime": w3c(e.at),
                    "description": _event_text(e, departments),
                    "type": extended_status(
                        e.to_status,
                        action=e.action,
                        from_status=e.from_status,
                        reason=str((e.data or {}).get("reason", "")),
                    ),
                }
                for e in case_events
            ]
            row["extended_attributes"] = {
                "channel": case.source,
                "x": round(case.lon, 6),
                "y": round(case.lat, 6),
                "detailed_status": extended_status(
                    case.status,
                    action=last.action if last is not None else "",
                    from_status=last.from_status if last is not None else "",
                    reason=reason,
                ),
                "status_label": str(Case.Status(case.status).label),
                "overdue": is_overdue_now(case),
                "photos": [
                    {
                        "media_url": media_url(p),
                        "title": str(CasePhoto.Kind(p.kind).label),
                        "width": p.width,
                        "height": p.height,
                        "created_at": w3c(p.created_at),
                    }
                    for p in case_photos
                ],
            }
        rows.append(row)
    return rows


def public_photo(*, sha256: str) -> CasePhoto:
    """A photo's public copy (no metadata), if its case is listed to the public somewhere."""
    everywhere = Served(jurisdiction_id="", name="", area_code="")
    photo = (
        CasePhoto.objects.filter(sha256=sha256[:64], case__in=listed_cases(served=everywhere, client=None))
        .exclude(public_path="")
        .first()
    )
    if photo is None:
        raise not_found("unknown_media", "未找到该图片", "media not found")
    return photo


# ---------------------------------------------------------------------- updates


@dataclass
class UpdatePage:
    rows: list[dict[str, Any]]
    # {case id: time of the closure entry listed}: what the caller was shown as closed (结案).
    closures: dict[int, Any]


def _inbound_status(update: InboundUpdate) -> str:
    """An update a client posted, as it is sent back: the state the case was left in, never the status
    the client wrote (a comment sent with OPEN on a closed case must not reopen anyone's copy)."""
    if update.reopened:
        return extended_status(
            update.case_status or update.case.status, action="callback", from_status="closed"
        )
    return extended_status(update.case_status or update.case.status)


def _public_photo_url(update: InboundUpdate, photos: dict[tuple[int, str], CasePhoto], media_url) -> Any:
    if update.media_urls:
        return update.media_urls[0]
    for sha256 in update.photos or []:
        photo = photos.get((update.case_id, sha256))
        if photo is not None:
            return media_url(photo)
    return None


def update_search(
    *,
    served: Served,
    client: Client | None,
    dates: DateRange,
    ids: list[str],
    page: int,
    page_size: int,
    media_url: Callable[[CasePhoto], str],
) -> UpdatePage:
    """FixMyStreet's GET servicerequestupdates: the public timeline entries of listed cases (their
    state changes) and the updates clients posted, oldest first, inside the date range. A reopening
    carries `extras.reopened` and says so in its description."""
    cases = listed_cases(served=served, client=client)
    if ids:
        cases = cases.filter(number__in=[i[:20] for i in ids])
    wanted = page * page_size
    events = list(
        CaseEvent.objects.filter(case__in=cases, public=True, at__gte=dates.start, at__lte=dates.end)
        .exclude(action="report")
        .select_related("case")
        .order_by("at", "pk")[:wanted]
    )
    inbound = list(
        InboundUpdate.objects.filter(case__in=cases, created_at__gte=dates.start, created_at__lte=dates.end)
        .select_related("case")
        .order_by("created_at", "pk")[:wanted]
    )
    departments = _department_names(events)
    hashes = {h for u in inbound for h in (u.photos or [])}
    photos = {
        (p.case_id, p.sha256): p
        for p in CasePhoto.objects.filter(
            case_id__in={u.case_id for u in inbound}, sha256__in=hashes
        ).exclude(public_path="")
    }
    rows: list[tuple[Any, int, dict[str, Any], CaseEvent | None]] = []
    for e in events:
        row = {
            "update_id": str(e.pk),
            "service_request_id": e.case.number,
            "status": extended_status(
                e.to_status,
                action=e.action,
                from_status=e.from_status,
                reason=str((e.data or {}).get("reason", "")),
            ),
            "updated_datetime": w3c(e.at),
            "description": _event_text(e, departments),
            "media_url": None,
            "external_status_code": e.to_status,
        }
        if _reopened(e):
            row["extras"] = {"reopened": "true"}
        rows.append((e.at, 0, row, e))
    for u in inbound:
        row = {
            "update_id": f"u{u.pk}",
            "service_request_id": u.case.number,
            "status": _inbound_status(u),
            "updated_datetime": w3c(u.created_at),
            "description": ("报告人要求重新处置：" if u.reopened else "") + mask_personal_text(u.description),
            "media_url": _public_photo_url(u, photos, media_url),
            "external_status_code": u.case_status or None,
        }
        if u.reopened:
            row["extras"] = {"reopened": "true"}
        rows.append((u.created_at, 1, row, None))
    rows.sort(key=lambda r: (r[0], r[1], r[2]["update_id"]))
    offset = (page - 1) * page_size
    shown = rows[offset : offset + page_size]
    closures = {
        e.case_id: e.at for _, _, _, e in shown if e is not None and e.to_status == Case.Status.CLOSED
    }
    return UpdatePage(rows=[r[2] for r in shown], closures=closures)
