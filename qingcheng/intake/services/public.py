"""The public's channel (公众上报): reports with a tracking secret, and the reporter's rating."""

from __future__ import annotations

import base64
import hashlib
import hmac

from django.conf import settings
from django.db import transaction

from qingcheng.cases.models import Case
from qingcheng.cases.services import PhotoUpload, ReportResult, case_act, case_report
from qingcheng.core import idempotency, inputs
from qingcheng.core.access import Actor
from qingcheng.core.audit import audit_record
from qingcheng.core.errors import Conflict, ValidationFailed

from .. import selectors
from ..models import PublicRating


def _tracking_secret(scope: str, key: str, reporter: str) -> str:
    """The tracking secret of an idempotent public report, derived from its key and its reporter so a
    retry whose first answer was lost gets the same secret again (only its hash is stored), and nobody
    else can have it derived for them."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(),
        f"qingcheng.intake.tracking|{scope}|{key}|{reporter}".encode(),
        hashlib.sha256,
    ).digest()
    return base64.urlsafe_b64encode(digest[:9]).decode()


def _reporter_identity(actor: Actor, reporter_token: str | None) -> str:
    """Who may replay a public report's key: the citizen's account, else the browser's or app's token
    (intake.reporter); '' when neither is known."""
    if actor is not None:
        return idempotency.client_hash("user", actor.pk)
    if reporter_token:
        return idempotency.client_hash("token", reporter_token)
    return ""


def _is_citizen(actor: Actor) -> bool:
    return (
        actor is not None
        and getattr(actor, "is_authenticated", False)
        and actor.groups.filter(name="citizen").exists()
    )


@transaction.atomic
def public_report(
    *,
    actor: Actor,
    lon: float,
    lat: float,
    description: str,
    category_code: str | None = None,
    crs: str = "wgs84",
    address: str = "",
    reporter_name: str = "",
    reporter_phone: str = "",
    anonymous: bool = False,
    photos: list[PhotoUpload] | None = None,
    idempotency_key: str | None = None,
    reporter_token: str | None = None,
) -> ReportResult:
    """A report from the public, anonymous (actor None) or a registered citizen. The result carries the
    tracking secret; it is shown to the reporter and never stored in clear.

    With an Idempotency-Key, a retry from the same reporter (the citizen, or the browser or app whose
    `reporter_token` sent the first request) gets the first number and secret again; the key from
    another reporter is a 409. A reporter known by neither gets the number again but no secret: it
    cannot be told apart from someone replaying the key."""
    if actor is not None and not _is_citizen(actor):
        actor = None  # staff on the public site report as members of the public
    if actor is not None and not anonymous:
        reporter_name = reporter_name or actor.get_full_name()
        reporter_phone = reporter_phone or getattr(actor, "phone", "")
    key = idempotency.check_key(idempotency_key)
    scope = f"public:user:{actor.pk}" if actor is not None else "public:anon"
    reporter = _reporter_identity(actor, reporter_token)
    derived = _tracking_secret(scope, key, reporter) if key and reporter else None
    result = case_report(
        actor=actor,
        source=Case.Source.PUBLIC,
        lon=lon,
        lat=lat,
        crs=crs,
        description=description,
        category_code=category_code or None,
        address=address,
        reporter_name=reporter_name,
        reporter_phone=reporter_phone,
        anonymous=anonymous,
        photos=list(photos or []),
        idempotency_key=key,
        idempotency_scope=scope,
        idempotency_client=reporter,
        tracking_secret=derived,
    )
    if derived is not None:
        result.tracking_secret = derived
    return result


@transaction.atomic
def public_rate(*, number: str, secret: str, score: int, comment: str = "") -> PublicRating:
    """The reporter's satisfaction rating (1–5), once, after closure. 3 or more keeps the case closed;
    less reopens it like an unsatisfied call-back."""
    case = selectors.public_case(number=number, secret=secret, for_update=True)
    if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
        raise ValidationFailed("评分须为1到5", "score must be 1 to 5", field="score", code="invalid_score")
    comment = inputs.text(comment, "comment", "评价", "comment", required=False, max_length=1000)
    if PublicRating.objects.filter(case=case).exists():
        raise Conflict("already_rated", "该案卷已评价过", "this case has already been rated")
    if case.status != Case.Status.CLOSED:
        raise Conflict("not_closed", "案卷结案后才能评价", "a case can be rated only after it is closed")
    rating = PublicRating.objects.create(case=case, score=score, comment=comment)
    case_act(
        case_id=case.pk,
        actor=None,
        action="callback",
        data={"satisfied": score >= 3, "score": score},
        note=f"公众评价 {score} 分" + (f"：{comment}" if comment else ""),
    )
    audit_record(
        actor=None,
        action="intake.public_rate",
        obj=rating,
        area_code=case.grid_code,
        before={},
        after={"case": case.number, "score": score},
    )
    return rating
