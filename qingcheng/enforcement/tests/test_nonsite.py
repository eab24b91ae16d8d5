"""Non-site enforcement (行政处罚法 第四十一条): only reviewed and published points; records reviewed before
use; the party told, able to see the record and answer online; a case opened with the record's evidence."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.urls import path

from qingcheng.core import clock
from qingcheng.core.errors import Conflict, NotFound, PermissionDeniedError, ValidationFailed
from qingcheng.enforcement import views_party
from qingcheng.urls import urlpatterns as project_urls

urlpatterns = [
    path("enforcement/notice/<uuid:public_id>/", views_party.party_notice, name="enforcement-party-notice"),
    path(
        "enforcement/notice/<uuid:public_id>/evidence/<int:evidence_id>",
        views_party.party_evidence,
        name="enforcement-party-evidence",
    ),
    *project_urls,
]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


@pytest.fixture
def capture(enf, make_point, device_account, evidence_media, sample_files):
    from qingcheng.enforcement.nonsite import nonsite_capture

    def run(point=None, **extra):
        point = point or make_point()
        values = {
            "actor": device_account,
            "point_code": point.code,
            "captured_at": clock.now() - dt.timedelta(minutes=30),
            "subject": "蒙A·12345",
            "files": [(sample_files["jpeg"], "cam1.jpg"), (sample_files["mp4"], "cam1.mp4")],
            "party_name": "李四",
            "party_phone": "13900005678",
        }
        values.update(extra)
        return nonsite_capture(**values)

    return run


@pytest.fixture
def notified(enf, capture):
    """A record reviewed by the head and notified by an officer; returns (record, secret)."""
    from qingcheng.enforcement.nonsite import nonsite_notify, nonsite_review

    record = capture()
    nonsite_review(actor=enf["head"], record=record, accept=True, note="")
    secret = nonsite_notify(actor=enf["officer"], record=record)
    record.refresh_from_db()
    return record, secret


def test_a_record_from_a_published_point_becomes_evidence(enf, capture, device_account, sample_files):
    from qingcheng.core.models import AuditEntry
    from qingcheng.enforcement.evidence.services import evidence_verify
    from qingcheng.enforcement.models import Evidence, NonSiteRecord

    record = capture()
    assert record.status == NonSiteRecord.Status.CAPTURED
    assert record.area_code == "150105"
    rows = list(Evidence.objects.filter(nonsite_record=record).order_by("pk"))
    assert [r.content_type for r in rows] == ["image/jpeg", "video/mp4"]
    assert all(r.case_id is None and r.collected_by_id == device_account.pk for r in rows)
    assert all(r.place == record.point.name and r.lon == record.point.lon for r in rows)
    assert rows[0].collected_at == record.captured_at
    assert evidence_verify() == []
    assert (
        AuditEntry.objects.filter(action="enforcement.nonsite_capture", object_id=str(record.pk)).count() == 1
    )


@pytest.mark.parametrize(
    "fields, code",
    [
        ({"published_on": None}, "point_not_published"),
        ({"reviewed_on": None}, "point_not_reviewed"),
        ({"active": False}, "point_inactive"),
    ],
)
def test_points_not_reviewed_published_or_active_are_refused(capture, make_point, fields, code):
    from qingcheng.enforcement.models import Evidence, NonSiteRecord

    with pytest.raises(Conflict) as error:
        capture(point=make_point(**fields))
    assert (error.value.status, error.value.code) == (409, code)
    assert "第四十一条" in error.value.message_zh or code == "point_inactive"
    assert NonSiteRecord.objects.count() == 0 and Evidence.objects.count() == 0


def test_records_from_before_the_publication_are_refused(capture, make_point):
    today = clock.now().date()
    with pytest.raises(Conflict) as future_point:
        capture(point=make_point(published_on=today + dt.timedelta(days=3)))
    assert future_point.value.code == "point_not_yet_published"
    point = make_point(published_on=today - dt.timedelta(days=2))
    with pytest.raises(Conflict) as early:
        capture(point=point, captured_at=clock.now() - dt.timedelta(days=5))
    assert early.value.code == "captured_before_publication"


def test_who_may_capture_and_what(enf, capture, make_point, sample_files, device_account):
    with pytest.raises(PermissionDeniedError):
        capture(actor=enf["officer"])  # officers collect evidence themselves; records come from the platform
    with pytest.raises(NotFound):
        capture(point=make_point(area_code="150102"))  # a point outside the account's area
    with pytest.raises(NotFound):
        capture(point_code="NO-SUCH-POINT", point=make_point())
    with pytest.raises(ValidationFailed):
        capture(files=[])
    with pytest.raises(ValidationFailed) as bad:
        capture(files=[(b"MZ\x90\x00 a windows program", "photo.jpg")])
    assert bad.value.code == "evidence_type"


def test_review_comes_before_use(enf, capture):
    from qingcheng.enforcement.models import NonSiteRecord
    from qingcheng.enforcement.nonsite import nonsite_notify, nonsite_open_case, nonsite_review

    record = capture()
    with pytest.raises(Conflict) as early:
        nonsite_notify(actor=enf["officer"], record=record)
    assert early.value.code == "record_not_reviewed"
    with pytest.raises(Conflict) as unopened:
        nonsite_open_case(
            actor=enf["officer"],
            record=record,
            officer_ids=[enf["officer2"].pk],
            party_kind="individual",
        )
    assert unopened.value.code == "record_not_notified"
    with pytest.raises(PermissionDeniedError):
        nonsite_review(actor=enf["officer"], record=record, accept=True)  # the head reviews
    with pytest.raises(NotFound):
        nonsite_review(actor=_outside_head(enf), record=record, accept=True)
    with pytest.raises(ValidationFailed):
        nonsite_review(actor=enf["head"], record=record, accept=False, note="")  # a rejection says why
    reviewed = nonsite_review(actor=enf["head"], record=record, accept=True, note="车牌清晰，位置准确")
    assert reviewed.status == NonSiteRecord.Status.CAPTURED
    assert reviewed.reviewed_by == enf["head"] and reviewed.reviewed_at is not None
    with pytest.raises(Conflict):
        nonsite_review(actor=enf["head"], record=record, accept=True)  # once


def _outside_head(enf):
    from qingcheng.accounts.services import user_create

    return user_create(
        actor=None,
        username="head-150102",
        password="x-secret-123",
        area_code="150102",
        roles=["enforcement_head"],
    )


def test_a_rejected_record_is_never_used(enf, capture):
    from qingcheng.enforcement.models import NonSiteRecord
    from qingcheng.enforcement.nonsite import nonsite_notify, nonsite_review

    record = capture()
    rejected = nonsite_review(actor=enf["head"], record=record, accept=False, note="车牌被遮挡，无法辨认")
    assert rejected.status == NonSiteRecord.Status.REJECTED
    with pytest.raises(Conflict):
        nonsite_notify(actor=enf["officer"], record=record)


def test_review_refuses_a_record_whose_file_changed(enf, capture, evidence_media):
    from qingcheng.enforcement.models import Evidence
    from qingcheng.enforcement.nonsite import nonsite_review

    record = capture()
    row = Evidence.objects.filter(nonsite_record=record).first()
    (evidence_media / row.storage_path).write_bytes(b"edited")
    with pytest.raises(Conflict) as error:
        nonsite_review(actor=enf["head"], record=record, accept=True)
    assert error.value.code == "evidence_integrity"
    assert error.value.details["problems"] == ["file_changed"]


def test_notify_keeps_only_the_hash_of_the_secret(enf, notified):
    import hashlib

    from qingcheng.core.models import AuditEntry
    from qingcheng.enforcement.nonsite import nonsite_notify, nonsite_public

    record, secret = notified
    assert len(secret) >= 32
    assert record.status == "notified" and record.notified_at is not None
    assert record.access_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in json.dumps([e.changes for e in AuditEntry.objects.all()])
    assert nonsite_public(public_id=record.public_id, secret=secret).pk == record.pk
    # A new link replaces the old one.
    again = nonsite_notify(actor=enf["officer"], record=record)
    with pytest.raises(NotFound):
        nonsite_public(public_id=record.public_id, secret=secret)
    assert nonsite_public(public_id=record.public_id, secret=again).pk == record.pk


def test_the_party_sees_the_record_with_the_right_secret(enf, notified, client, sample_files):
    from qingcheng.enforcement.models import Evidence

    record, secret = notified
    url = f"/enforcement/notice/{record.public_id}/"
    response = client.post(url, {"k": secret})
    assert response.status_code == 200
    page = response.content.decode()
    assert "蒙A·12345" in page
    assert record.point.name in page
    assert record.point.violation.name in page
    assert 'id="answer-form"' in page
    # Nobody's personal data: not even the name and phone the platform sent, nor the officers' names.
    assert "李四" not in page and "13900005678" not in page
    assert f">{enf['head'].username}<" not in page and enf["head"].username not in re.findall(
        r"user\d+", page
    )
    assert response["Referrer-Policy"] == "same-origin"
    rows = list(Evidence.objects.filter(nonsite_record=record).order_by("pk"))
    assert f'src="evidence/{rows[0].pk}"' in page and secret not in "".join(
        re.findall(r'(?:src|href|action)="[^"]*"', page)
    )
    image = client.get(f"{url}evidence/{rows[0].pk}")  # the session's grant, not the secret
    assert image.status_code == 200
    assert b"".join(image.streaming_content) == sample_files["jpeg"]
    assert image["Content-Type"] == "image/jpeg"
    assert image["X-Content-Type-Options"] == "nosniff"


def test_a_wrong_secret_reveals_nothing(
    notified, client, enf, make_penalty_case, evidence_media, sample_files
):
    from qingcheng.enforcement.evidence.services import evidence_add
    from qingcheng.enforcement.models import Evidence

    record, secret = notified
    url = f"/enforcement/notice/{record.public_id}/"
    wrong = client.post(url, {"k": secret[:-1] + ("A" if secret[-1] != "A" else "B")})
    missing = client.post(url, {})
    unknown = client.post("/enforcement/notice/00000000-0000-4000-8000-000000000000/", {"k": secret})
    assert wrong.status_code == missing.status_code == unknown.status_code == 404
    main = re.compile(r"<main.*</main>", re.S)  # the shell around it carries a CSRF token and the path
    assert main.search(wrong.content.decode()).group(0) == main.search(unknown.content.decode()).group(0)
    assert "蒙A·12345" not in wrong.content.decode()
    row = Evidence.objects.filter(nonsite_record=record).first()
    assert client.get(f"{url}evidence/{row.pk}", {"k": "guess"}).status_code == 404
    assert client.get(f"{url}evidence/{row.pk}", {"k": secret}).status_code == 404  # not read from the URL
    # The right secret opens this record's files only, not another case's evidence.
    other = evidence_add(
        actor=enf["officer"],
        case=make_penalty_case(),
        data=sample_files["png"],
        filename="x.png",
        kind="audiovisual",
        title="另一案件的照片",
        collected_at=clock.now(),
        officer_ids=[enf["officer2"].pk],
    )
    assert client.post(url, {"k": secret}).status_code == 200  # the grant for this record
    assert client.get(f"{url}evidence/{row.pk}").status_code == 200
    assert client.get(f"{url}evidence/{other.pk}").status_code == 404
    posted = client.post(url, {"k": "guess", "answer": "我不同意"})
    assert posted.status_code == 404
    record.refresh_from_db()
    assert record.answer == ""


def test_the_party_answers_online_once(notified, client):
    from django.test import Client

    from qingcheng.core.models import AuditEntry

    record, secret = notified
    url = f"/enforcement/notice/{record.public_id}/"
    csrf_client = Client(enforce_csrf_checks=True)
    assert csrf_client.post(url, {"k": secret, "answer": "x"}).status_code == 403  # CSRF protected
    empty = client.post(url, {"k": secret, "answer": "   "})
    assert empty.status_code == 400
    response = client.post(url, {"k": secret, "answer": "当时在卸货，停车不超过五分钟。"})
    assert response.status_code == 200
    assert 'id="answer-saved"' in response.content.decode()
    record.refresh_from_db()
    assert record.status == "answered"
    assert record.answer == "当时在卸货，停车不超过五分钟。"
    assert record.answered_at is not None
    entry = AuditEntry.objects.get(action="enforcement.nonsite_answer", object_id=str(record.pk))
    assert entry.actor_id is None and entry.actor_label == "当事人（在线）"
    assert json.loads(entry.changes)["after"]["status"] == "answered"
    again = client.post(url, {"k": secret, "answer": "补充"})
    assert again.status_code == 409
    page = client.post(url, {"k": secret}).content.decode()
    assert "当时在卸货" in page and 'id="answer-form"' not in page


def test_opening_a_case_attaches_the_evidence(enf, notified, client):
    from qingcheng.core.models import AuditEntry
    from qingcheng.enforcement.evidence.services import evidence_verify, record_digest
    from qingcheng.enforcement.models import Evidence, PenaltyCase, PenaltyDocument, PenaltyEvent
    from qingcheng.enforcement.nonsite import nonsite_answer, nonsite_open_case

    record, secret = notified
    nonsite_answer(public_id=record.public_id, secret=secret, answer="我不同意")
    before = {e.pk: e.audit_entry_id for e in Evidence.objects.filter(nonsite_record=record)}
    with pytest.raises(ValidationFailed):  # two officers, as for every investigative step
        nonsite_open_case(actor=enf["officer"], record=record, officer_ids=[], party_kind="individual")
    case = nonsite_open_case(
        actor=enf["officer"], record=record, officer_ids=[enf["officer2"].pk], party_kind="individual"
    )
    assert case.source == PenaltyCase.Source.NON_SITE
    assert case.status == PenaltyCase.Status.PROPOSED
    assert case.violation == record.point.violation
    assert case.occurred_at == record.captured_at
    assert case.party_name == "李四" and case.party_phone == "13900005678"
    assert "蒙A·12345" in case.facts
    record.refresh_from_db()
    assert record.status == "case_opened" and record.penalty_case == case
    rows = list(Evidence.objects.filter(nonsite_record=record))
    assert len(rows) == 2 and all(r.case_id == case.pk for r in rows)
    for row in rows:
        assert row.record_digest == record_digest(row)
        assert row.audit_entry_id != before[row.pk]
        assert AuditEntry.objects.get(pk=row.audit_entry_id).action == "enforcement.evidence_attach"
    assert evidence_verify() == []
    event = PenaltyEvent.objects.get(case=case, action="attach_evidence")
    assert sorted(event.data["evidence_ids"]) == sorted(r.pk for r in rows)
    assert event.data["answered_at"] is not None
    statement = PenaltyDocument.objects.get(case=case, kind=PenaltyDocument.Kind.STATEMENT)
    assert statement.fields["statement"] == "我不同意"
    with pytest.raises(Conflict):
        nonsite_open_case(
            actor=enf["officer"], record=record, officer_ids=[enf["officer2"].pk], party_kind="individual"
        )
    # The party's page says a case was opened and takes no more statements.
    page = client.post(f"/enforcement/notice/{record.public_id}/", {"k": secret}).content.decode()
    assert 'data-status="case_opened"' in page and 'id="answer-form"' not in page


def test_the_attached_evidence_is_in_the_archive(enf, notified):
    import io
    import zipfile

    from qingcheng.enforcement.evidence.archive import case_archive
    from qingcheng.enforcement.nonsite import nonsite_open_case

    record, _secret = notified
    case = nonsite_open_case(
        actor=enf["officer"], record=record, officer_ids=[enf["officer2"].pk], party_kind="individual"
    )
    archive = zipfile.ZipFile(io.BytesIO(case_archive(actor=enf["officer"], case=case)))
    manifest = json.loads(archive.read("manifest.json"))
    evidence = manifest["categories"][2]["items"]
    assert [i["kind"] for i in evidence] == ["audiovisual", "audiovisual"]
    assert len([n for n in archive.namelist() if n.startswith("03-证据/")]) == 2


def test_a_record_can_be_dropped_after_the_answer(enf, notified):
    from qingcheng.enforcement.nonsite import nonsite_drop, nonsite_open_case

    record, _secret = notified
    with pytest.raises(PermissionDeniedError):
        nonsite_drop(actor=enf["officer"], record=record, note="理由成立")
    dropped = nonsite_drop(actor=enf["head"], record=record, note="当事人陈述理由成立（测试）")
    assert dropped.status == "dropped"
    with pytest.raises(Conflict):
        nonsite_open_case(
            actor=enf["officer"], record=record, officer_ids=[enf["officer2"].pk], party_kind="individual"
        )


def test_the_party_link_carries_its_secret_in_the_fragment(notified, client):
    """The link sent by SMS or letter: the secret after '#', which the browser never sends. The page at
    the link's address is the same for everyone; its static script posts the code."""
    from django.contrib.staticfiles import finders

    from qingcheng.enforcement.nonsite import party_link_path

    record, secret = notified
    link = party_link_path(record.public_id, secret)
    path, fragment = link.split("#", 1)
    assert fragment == f"k={secret}" and secret not in path and "?" not in path
    opened = client.get(path)  # what the server receives when the party opens the link
    assert opened.status_code == 200 and opened["Referrer-Policy"] == "same-origin"
    page = opened.content.decode()
    assert "蒙A·12345" not in page and 'id="party-open-form"' in page and 'name="k"' in page
    assert re.search(r'<form method="post" action=""', page) and "csrfmiddlewaretoken" in page
    script = re.search(r'<script src="([^"]*party-link\.js)"', page)
    assert script
    from pathlib import Path

    source = Path(finders.find("js/party-link.js")).read_text(encoding="utf-8")
    assert "location.hash" in source and "replaceState" in source and "form.submit()" in source
    # An old link with ?k= gets the same page: the server does not read the secret from the URL.
    old = client.get(path, {"k": secret})
    assert old.status_code == 200 and "蒙A·12345" not in old.content.decode()
    assert client.get(f"{path}evidence/1").status_code == 404  # and no grant came of it
    # What the script then sends: the code in the body.
    shown = client.post(path, {"k": secret})
    assert shown.status_code == 200 and "蒙A·12345" in shown.content.decode()
    assert shown.wsgi_request.get_full_path() == path


def test_a_new_link_revokes_the_grant_of_the_old_one(enf, notified, client):
    from qingcheng.enforcement.models import Evidence
    from qingcheng.enforcement.nonsite import nonsite_notify

    record, secret = notified
    url = f"/enforcement/notice/{record.public_id}/"
    row = Evidence.objects.filter(nonsite_record=record).first()
    assert client.post(url, {"k": secret}).status_code == 200
    assert client.get(f"{url}evidence/{row.pk}").status_code == 200
    again = nonsite_notify(actor=enf["officer"], record=record)
    assert client.get(f"{url}evidence/{row.pk}").status_code == 404
    assert client.post(url, {"k": secret}).status_code == 404
    assert client.post(url, {"k": again}).status_code == 200
    assert client.get(f"{url}evidence/{row.pk}").status_code == 200


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_party_link_opens_in_a_browser_without_sending_its_secret(notified, browser_context_for):
    """The real link in a real browser: its script posts the code from the fragment, the record and its
    photo show, and no request the browser makes carries the secret in its path or query."""
    from qingcheng.enforcement.nonsite import party_link_path

    record, secret = notified
    page = browser_context_for()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(party_link_path(record.public_id, secret))
    page.wait_for_selector("#party-notice")
    assert "蒙A·12345" in page.inner_text("#notice-subject")
    page.wait_for_function("document.querySelector('#notice-evidence img').naturalWidth > 0")
    assert secret not in page.url and "#" not in page.url
    page.fill("#answer", "当时在卸货。")
    with page.expect_navigation():
        page.click("#answer-form button[type=submit]")
    assert page.locator("#answer-saved").count() == 1
    assert any("/evidence/" in url for url in requested)
    assert [url for url in requested if secret in url] == []
