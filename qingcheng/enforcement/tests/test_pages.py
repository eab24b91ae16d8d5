"""Staff pages of enforcement: they render for every role in zh-Hans and English; only the steps a user may
take now have forms; the leader and the procuratorate read only and their posts change nothing; an
auxiliary sees nothing and out-of-area users get 404; the whole general procedure can be walked through
the page forms, ending with the payment notice."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.urls import path

from qingcheng.core import clock
from qingcheng.enforcement import views
from qingcheng.enforcement.models import (
    CrimeTransfer,
    PaymentNotice,
    PenaltyCase,
    PenaltyEvent,
)
from qingcheng.urls import urlpatterns as site_urlpatterns

# The page URLs as qingcheng/enforcement/urls.py mounts them (they are listed first so the tests pass
# before and after the mount); this module is the tests' URL conf.
PAGE_URLS = [
    path("enforcement/", views.home, name="enforcement-home"),
    path("enforcement/cases/new/", views.case_new, name="enforcement-case-new"),
    path("enforcement/cases/on-the-spot/", views.case_simplified, name="enforcement-case-simplified"),
    path("enforcement/cases/<int:case_id>/", views.case_detail, name="enforcement-case"),
    path("enforcement/cases/<int:case_id>/act/", views.case_act, name="enforcement-case-act"),
    path("enforcement/cases/<int:case_id>/evidence/", views.case_evidence, name="enforcement-case-evidence"),
    path("enforcement/statistics/", views.statistics, name="enforcement-statistics"),
    path("enforcement/transfers/", views.transfer_list, name="enforcement-transfers"),
    path("enforcement/transfers/<int:transfer_id>/", views.transfer_detail, name="enforcement-transfer"),
    path("enforcement/transfers/<int:transfer_id>/act/", views.transfer_act, name="enforcement-transfer-act"),
    path("enforcement/catalogue/", views.catalogue, name="enforcement-catalogue"),
]
urlpatterns = [*PAGE_URLS, *site_urlpatterns]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

SH = ZoneInfo("Asia/Shanghai")
S = PenaltyCase.Status
ROLES = ("officer", "head", "reviewer", "leader", "procuratorate")


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SH)


def main(response) -> str:
    """The page's own content, without the shell's language and log-out forms."""
    body = response.content.decode()
    return body[body.index("<main") : body.index("</main>")]


def post_forms(html: str) -> list[str]:
    return re.findall(r"<form[^>]*method=\"post\"", html)


@pytest.fixture
def login(client):
    def as_(user, language: str = "zh-hans"):
        client.force_login(user)
        client.cookies["django_language"] = language
        return client

    return as_


@pytest.fixture
def transfer(enf, make_penalty_case):
    from qingcheng.enforcement.transfers.services import transfer_report

    case = make_penalty_case(S.INVESTIGATING)
    return transfer_report(
        actor=enf["officer"],
        suspected_offence="非法经营罪（测试）",
        summary="当事人张三无证经营，数额较大（测试数据）",
        officer_ids=[enf["officer2"].pk],
        penalty_case=case,
    )


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("role", ROLES)
def test_every_page_renders_for_every_role(login, enf, make_penalty_case, transfer, role, language):
    case = make_penalty_case(S.DECIDING, notified_at=clock.now())
    client = login(enf[role], language)
    urls = [
        "/enforcement/",
        "/enforcement/?status=&overdue=1",
        "/enforcement/?mine=1&due_soon=1&q=TEST",
        f"/enforcement/cases/{case.pk}/",
        "/enforcement/statistics/",
        "/enforcement/statistics/?from=2026-01-01&to=2026-12-31",
        "/enforcement/transfers/",
        f"/enforcement/transfers/{transfer.pk}/",
    ]
    if role in ("officer", "head"):
        urls += ["/enforcement/cases/new/", "/enforcement/cases/on-the-spot/"]
    if role != "reviewer":
        urls.append("/enforcement/catalogue/")
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    body = client.get(f"/enforcement/cases/{case.pk}/").content.decode()
    assert f'<html lang="{language}">' in body
    if language == "en":
        assert "Statutory periods" in body and "Timeline" in body


def test_only_the_steps_of_the_user_have_forms(login, enf, make_penalty_case):
    case = make_penalty_case(S.DECIDING, notified_at=clock.now())
    officer = main(login(enf["officer"]).get(f"/enforcement/cases/{case.pk}/"))
    actions = set(re.findall(r'data-action-form="([a-z_]+)"', officer))
    assert actions == {"request_legal_review"}
    head = main(login(enf["head"]).get(f"/enforcement/cases/{case.pk}/"))
    head_actions = set(re.findall(r'data-action-form="([a-z_]+)"', head))
    assert {"decide", "record_discussion", "decide_no_penalty", "terminate", "suspend"} <= head_actions
    assert "request_legal_review" in head_actions  # the head holds the officer's permissions too
    # The decide form asks for the bank and shows the intended fine in yuan.
    assert 'name="bank_id"' in head and 'value="200.00"' in head
    reviewer = main(login(enf["reviewer"]).get(f"/enforcement/cases/{case.pk}/"))
    assert not re.findall(r"data-action-form", reviewer)


@pytest.mark.parametrize("role", ["leader", "procuratorate"])
def test_leader_and_procuratorate_read_only(login, enf, make_penalty_case, transfer, role):
    case = make_penalty_case(S.DECIDING, notified_at=clock.now())
    client = login(enf[role])
    for url in (f"/enforcement/cases/{case.pk}/", f"/enforcement/transfers/{transfer.pk}/"):
        html = main(client.get(url))
        assert post_forms(html) == [], url
    listing = main(client.get("/enforcement/transfers/"))
    assert post_forms(listing) == []
    # Party data is masked for them.
    page = main(client.get(f"/enforcement/cases/{case.pk}/"))
    assert "张*" in page and "张三" not in page and "150105199001011234" not in page
    assert "138****1234" in page
    events = PenaltyEvent.objects.count()
    version = case.version
    refused = client.post(
        f"/enforcement/cases/{case.pk}/act/",
        {"action": "decide", "fine_yuan": "200", "bank_id": enf["bank"].pk, "version": version},
    )
    assert refused.status_code == 403
    assert client.post(
        f"/enforcement/cases/{case.pk}/act/", {"action": "disclosure_publish"}
    ).status_code in (403, 409)
    assert client.post(f"/enforcement/transfers/{transfer.pk}/act/", {"action": "approve"}).status_code == 403
    assert (
        client.post("/enforcement/transfers/", {"suspected_offence": "x", "summary": "y"}).status_code == 403
    )
    case.refresh_from_db()
    transfer.refresh_from_db()
    assert case.status == S.DECIDING and case.version == version
    assert transfer.status == CrimeTransfer.Status.REPORTED
    assert PenaltyEvent.objects.count() == events
    assert CrimeTransfer.objects.count() == 1


def test_officer_sees_the_party_unmasked(login, enf, make_penalty_case):
    case = make_penalty_case(S.INVESTIGATING)
    page = main(login(enf["officer"]).get(f"/enforcement/cases/{case.pk}/"))
    assert "张三" in page and "150105199001011234" in page and 'id="party-masked"' not in page


def test_auxiliary_sees_nothing_and_outsiders_get_404(login, enf, make_penalty_case, transfer):
    case = make_penalty_case(S.INVESTIGATING)
    auxiliary = login(enf["auxiliary"])
    for url in (
        "/enforcement/",
        f"/enforcement/cases/{case.pk}/",
        "/enforcement/statistics/",
        "/enforcement/transfers/",
        "/enforcement/cases/new/",
    ):
        assert auxiliary.get(url).status_code == 403, url
    assert auxiliary.post(f"/enforcement/cases/{case.pk}/act/", {"action": "end_testing"}).status_code == 403
    outsider = login(enf["outside_officer"])
    assert outsider.get(f"/enforcement/cases/{case.pk}/").status_code == 404
    assert outsider.get(f"/enforcement/transfers/{transfer.pk}/").status_code == 404
    response = outsider.post(
        f"/enforcement/cases/{case.pk}/act/", {"action": "record_investigation", "record": "x"}
    )
    assert response.status_code == 404
    assert outsider.get("/enforcement/").content.decode().count('data-case="') == 0
    assert login(enf["citizen"]).get("/enforcement/").status_code == 403


def test_catalogue_marks_unverified_bases(login, enf):
    from qingcheng.enforcement.models import LegalBasis

    verified = LegalBasis.objects.filter(verified=True).exclude(text="").first()
    unverified = LegalBasis.objects.filter(verified=False).first()
    html = main(login(enf["leader"]).get("/enforcement/catalogue/"))
    assert verified is not None and verified.text in html
    assert unverified is not None and "未核实" in html
    english = main(login(enf["leader"], "en").get("/enforcement/catalogue/?q=SR-01"))
    assert "Unverified" in english and "SR-01" in english


# ---------------------------------------------------------------------------------- the whole procedure


def test_general_procedure_walked_through_the_page_forms(login, enf):
    """open → approve → investigate → end → notify → (statements period over) → proceed → decide → serve:
    executing, with the payment notice naming the fine and the amount due today."""
    officer, head = enf["officer"], enf["head"]
    pair = [officer.pk, enf["officer2"].pk]
    client = login(officer)

    def act(user, case, action, when, **fields):
        client.force_login(user)
        case.refresh_from_db()
        with clock.at(when):
            response = client.post(
                f"/enforcement/cases/{case.pk}/act/",
                {"action": action, "version": case.version, **fields},
            )
        assert response.status_code == 302, (action, main(response)[:2000])
        case.refresh_from_db()
        return case

    with clock.at(at(2026, 11, 2, 9)):
        response = client.post(
            "/enforcement/cases/new/",
            {
                "source": "inspection",
                "violation_code": enf["violation"].code,
                "discretion_level_id": enf["level"].pk,
                "facts": "当事人在人行道上摆摊经营（测试数据）",
                "address": "呼和浩特市赛罕区大学东街",
                "occurred_at": "2026-11-02T08:00",
                "area_code": "150105",
                "party_kind": "individual",
                "party_name": "李四",
                "party_id_number": "150105199202021234",
                "party_address": "呼和浩特市赛罕区某小区",
                "party_phone": "13900001234",
                "officer_ids": pair,
            },
        )
    assert response.status_code == 302, main(response)[:2000]
    case = PenaltyCase.objects.get(party_name="李四")
    assert response["Location"] == f"/enforcement/cases/{case.pk}/"
    assert case.status == S.PROPOSED and case.occurred_at == at(2026, 11, 2, 8)

    case = act(head, case, "approve_filing", at(2026, 11, 2, 10))
    assert case.status == S.INVESTIGATING
    case = act(
        officer, case, "record_investigation", at(2026, 11, 2, 11), officer_ids=pair, record="现场检查笔录"
    )
    # A fine with a third decimal is refused, nothing written.
    client.force_login(officer)
    with clock.at(at(2026, 11, 2, 12)):
        refused = client.post(
            f"/enforcement/cases/{case.pk}/act/",
            {
                "action": "end_investigation",
                "version": case.version,
                "officer_ids": pair,
                "fine_yuan": "200.005",
                "report": "终结",
            },
        )
    assert refused.status_code == 400
    assert 'data-inline-error="invalid_amount"' in refused.content.decode()
    case = act(
        officer,
        case,
        "end_investigation",
        at(2026, 11, 2, 12),
        officer_ids=pair,
        fine_yuan="300.50",
        report="违法事实清楚",
    )
    assert case.status == S.REVIEWING and case.fine_fen == 30_050
    case = act(officer, case, "notify", at(2026, 11, 2, 14), officer_ids=pair)
    assert case.status == S.NOTIFIED
    # Inside the statements period "proceed" is refused with the reason in the user's language.
    client.force_login(officer)
    client.cookies["django_language"] = "en"
    with clock.at(at(2026, 11, 4, 9)):
        early = client.post(
            f"/enforcement/cases/{case.pk}/act/", {"action": "proceed", "version": case.version}
        )
    assert early.status_code == 409
    assert "statements or hearing-request period is still running" in early.content.decode()
    client.cookies["django_language"] = "zh-hans"
    # Five working days later (the 3rd to the 9th of November, 2026: Mon 2 → Mon 9) the period is over.
    case = act(officer, case, "proceed", at(2026, 11, 10, 9))
    assert case.status == S.DECIDING
    case = act(
        head, case, "decide", at(2026, 11, 10, 10), fine_yuan="300.50", bank_id=enf["bank"].pk, warning=""
    )
    assert case.status == S.DECIDED and case.decision_number
    case = act(officer, case, "serve", at(2026, 11, 11, 9), officer_ids=pair, service_method="direct")
    assert case.status == S.EXECUTING
    notice = PaymentNotice.objects.get(case=case)
    assert notice.amount_fen == 30_050 and notice.status == PaymentNotice.Status.UNPAID
    # The page shows the notice, and after the due date the surcharge in the amount due today.
    client.force_login(officer)
    with clock.at(at(2026, 11, 12, 9)):
        page = main(client.get(f"/enforcement/cases/{case.pk}/"))
    assert notice.number in page and 'data-due-today="30050"' in page
    due_day = notice.due_at.astimezone(SH).date()
    with clock.at(dt.datetime.combine(due_day + dt.timedelta(days=2), dt.time(9), tzinfo=SH)):
        late = main(client.get(f"/enforcement/cases/{case.pk}/"))
    # Two days late: 3% of 300.50 yuan a day = 9.015 → 9.01 yuan, twice = 18.03 yuan (integer fen, down).
    assert f'data-due-today="{30_050 + 30_050 * 3 * 2 // 100}"' in late
    timeline = [e.action for e in case.events.order_by("at", "pk")]
    assert timeline[:4] == ["open", "approve_filing", "record_investigation", "end_investigation"]
    assert "serve" in timeline and "payment_notice" in timeline


def test_stale_version_and_unknown_action_are_refused(login, enf, make_penalty_case):
    case = make_penalty_case(S.INVESTIGATING)
    client = login(enf["officer"])
    stale = client.post(
        f"/enforcement/cases/{case.pk}/act/",
        {
            "action": "record_investigation",
            "version": case.version + 5,
            "officer_ids": [enf["officer"].pk, enf["officer2"].pk],
            "record": "笔录",
        },
    )
    assert stale.status_code == 409 and "stale_version" in stale.content.decode()
    unknown = client.post(f"/enforcement/cases/{case.pk}/act/", {"action": "fly"})
    assert unknown.status_code == 409
    single = client.post(
        f"/enforcement/cases/{case.pk}/act/",
        {"action": "record_investigation", "version": case.version, "record": "笔录"},
    )
    assert single.status_code == 400 and "two_officers_required" in single.content.decode()
    assert case.events.count() == 0


def test_on_the_spot_decision_from_the_form(login, enf):
    client = login(enf["officer"])
    form = {
        "form_number": "简易-0001",
        "fine_yuan": "50",
        "bank_id": enf["bank"].pk,
        "violation_code": enf["violation"].code,
        "facts": "乱扔垃圾（测试数据）",
        "address": "赛罕区昭乌达路",
        "occurred_at": "2026-11-02T08:00",
        "party_kind": "individual",
        "party_name": "王五",
        "officer_ids": [enf["officer"].pk, enf["officer2"].pk],
    }
    too_much = client.post("/enforcement/cases/on-the-spot/", {**form, "fine_yuan": "250"})
    assert too_much.status_code == 400 and "simplified_limit" in too_much.content.decode()
    response = client.post("/enforcement/cases/on-the-spot/", form)
    assert response.status_code == 302
    case = PenaltyCase.objects.get(party_name="王五")
    assert case.procedure == "simplified" and case.status == S.EXECUTING and case.fine_fen == 5_000
    assert PaymentNotice.objects.get(case=case).amount_fen == 5_000


def test_evidence_upload_from_the_case_page(login, enf, make_penalty_case, evidence_media, sample_files):
    from django.core.files.uploadedfile import SimpleUploadedFile

    case = make_penalty_case(S.INVESTIGATING)
    client = login(enf["officer"])
    upload = SimpleUploadedFile("现场.png", sample_files["png"], content_type="image/png")
    response = client.post(
        f"/enforcement/cases/{case.pk}/evidence/",
        {
            "file": upload,
            "kind": "audiovisual",
            "title": "现场照片",
            "collected_at": "2026-01-01T09:00",
            "officer_ids": [enf["officer"].pk, enf["officer2"].pk],
        },
    )
    assert response.status_code == 302, main(response)[:1500]
    assert case.evidence.get().title == "现场照片"
    page = main(client.get(f"/enforcement/cases/{case.pk}/"))
    assert "现场照片" in page and 'data-action="collect_evidence"' in page
    leader = login(enf["leader"])
    refused = leader.post(
        f"/enforcement/cases/{case.pk}/evidence/",
        {"file": SimpleUploadedFile("x.png", sample_files["png"]), "kind": "audiovisual", "title": "x"},
    )
    assert refused.status_code == 403 and case.evidence.count() == 1


def test_oversized_evidence_is_refused_while_it_streams(
    login, enf, make_penalty_case, evidence_media, settings
):
    """The evidence limit (200 MB by default) holds while the file streams in: a file past it is cut off
    one chunk later, the case page says why (413) and nothing is stored; a second file is never read."""
    from qingcheng.testing.uploads import StreamedMultipart, post_streamed

    settings.ENFORCEMENT_EVIDENCE_MAX_BYTES = 2**20
    case = make_penalty_case(S.INVESTIGATING)
    client = login(enf["officer"])
    fields = {"kind": "audiovisual", "title": "现场录像", "collected_at": "2026-01-01T09:00"}
    body = StreamedMultipart(fields, [("file", "录像.mp4", 3 * 2**20)])
    response = post_streamed(f"/enforcement/cases/{case.pk}/evidence/", body, client=client)
    assert response.status_code == 413
    assert 'data-code="evidence_too_large"' in response.content.decode() or "evidence_too_large" in main(
        response
    )
    assert body.bytes_read <= body.length - 3 * 2**20 + 2**20 + 64 * 1024
    two = StreamedMultipart(fields, [("file", "a.png", 100), ("file", "b.png", 2**20 - 1)])
    response = post_streamed(f"/enforcement/cases/{case.pk}/evidence/", two, client=client)
    assert response.status_code == 400 and two.bytes_read < two.length - 2**19
    assert case.evidence.count() == 0
    assert not any(p.is_file() for p in Path(evidence_media).rglob("*"))


def test_transfer_steps_from_the_pages(login, enf, transfer):
    head = login(enf["head"])
    page = main(head.get(f"/enforcement/transfers/{transfer.pk}/"))
    assert 'data-action-form="approve"' in page and 'data-action-form="refuse"' in page
    response = head.post(f"/enforcement/transfers/{transfer.pk}/act/", {"action": "approve"})
    assert response.status_code == 302
    transfer.refresh_from_db()
    assert transfer.status == CrimeTransfer.Status.APPROVED
    assert transfer.penalty_case.status == S.TRANSFERRED
    officer = login(enf["officer"])
    missing = officer.post(
        f"/enforcement/transfers/{transfer.pk}/act/",
        {"action": "send", "police_unit": "赛罕区公安分局", "documents": ["transfer_letter"]},
    )
    assert missing.status_code == 400
    sent = officer.post(
        f"/enforcement/transfers/{transfer.pk}/act/",
        {
            "action": "send",
            "police_unit": "赛罕区公安分局",
            "documents": ["transfer_letter", "investigation_report", "goods_list"],
            "officer_ids": [enf["officer"].pk, enf["officer2"].pk],
            "goods_list": "电子秤，1台\n遮阳伞，2把，破损",
        },
    )
    assert sent.status_code == 302, main(sent)[:1500]
    transfer.refresh_from_db()
    assert transfer.status == CrimeTransfer.Status.TRANSFERRED
    assert transfer.goods_list[1] == {"name": "遮阳伞", "quantity": "2把", "note": "破损"}
    # The procuratorate sees the steps and their deadlines, and no form.
    observer = main(login(enf["procuratorate"]).get(f"/enforcement/transfers/{transfer.pk}/"))
    assert 'data-action="send"' in observer and post_forms(observer) == []
    assert "张*" in observer and "张三" not in observer


def test_statistics_page_shows_the_numbers(login, enf, make_penalty_case):
    now = clock.now()
    make_penalty_case(S.EXECUTING, decided_at=now, fine_fen=12_345)
    make_penalty_case(S.EXECUTING, decided_at=now, fine_fen=10_000)
    today = now.astimezone(SH).date()
    html = main(login(enf["leader"]).get(f"/enforcement/statistics/?from={today}&to={today}"))
    assert 'data-kpi="decided">2<' in html
    assert 'data-value="fines_decided_fen">223.45<' in html
    assert (
        "statistics-data" in html
        and "echarts.min.js" in login(enf["leader"]).get("/enforcement/statistics/").content.decode()
    )
    bad = login(enf["leader"]).get("/enforcement/statistics/?from=2026-12-31&to=2026-01-01")
    assert bad.status_code == 200 and "结束日期早于开始日期" in bad.content.decode()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_pages_render_with_the_demo_cases(client, language):
    """Every demo case at every stage renders for the officer, the head, the reviewer, the city leader and
    the procuratorate; the leader and the procuratorate get no form on any of them."""
    from qingcheng.accounts.models import User
    from qingcheng.demo.users import load_demo_users
    from qingcheng.enforcement.demo import load_demo_enforcement

    load_demo_users()
    load_demo_enforcement()
    ids = list(PenaltyCase.objects.values_list("pk", flat=True))
    assert len(ids) == 6
    client.cookies["django_language"] = language
    for username in ("officer", "enforcementhead", "legal", "leader", "procuratorate"):
        client.force_login(User.objects.get(username=username))
        for url in [
            "/enforcement/",
            "/enforcement/statistics/",
            *[f"/enforcement/cases/{pk}/" for pk in ids],
        ]:
            response = client.get(url)
            assert response.status_code == 200, (username, url)
            if username in ("leader", "procuratorate"):
                assert post_forms(main(response)) == [], (username, url)
    client.force_login(User.objects.get(username="leader"))
    queue = main(client.get("/enforcement/?status="))
    assert queue.count('data-case="') == 6  # the city leader sees 赛罕区's cases


def test_filing_period_from_the_form_shown_and_extended_on_the_case_page(login, enf):
    """The new-case form records when the lead came in; the case page shows the filing period with its
    basis, and the head extends it once through the page form, with a reason."""
    from qingcheng.enforcement.models import PenaltyDeadline

    client = login(enf["officer"])
    with clock.at(at(2026, 9, 29, 9)):
        response = client.post(
            "/enforcement/cases/new/",
            {
                "source": "complaint",
                "violation_code": enf["violation"].code,
                "facts": "群众投诉：占道经营（测试数据）",
                "address": "呼和浩特市赛罕区大学东街",
                "occurred_at": "2026-09-21T08:00",
                "discovered_at": "2026-09-22T10:00",
                "area_code": "150105",
                "party_kind": "individual",
                "party_name": "王五",
                "officer_ids": [enf["officer"].pk, enf["officer2"].pk],
            },
        )
    assert response.status_code == 302, main(response)[:2000]
    case = PenaltyCase.objects.get(party_name="王五")
    assert case.discovered_at == at(2026, 9, 22, 10)
    client = login(enf["head"])
    with clock.at(at(2026, 10, 19, 9)):
        page = main(client.get(f"/enforcement/cases/{case.pk}/"))
        assert 'data-purpose="filing" data-state="due_soon"' in page and "第十五条" in page
        assert 'value="extend_filing"' in page
        no_reason = client.post(
            f"/enforcement/cases/{case.pk}/act/", {"action": "extend_filing", "version": 1}
        )
        assert no_reason.status_code == 400
        done = client.post(
            f"/enforcement/cases/{case.pk}/act/",
            {"action": "extend_filing", "version": 1, "note": "需调取规划许可档案"},
        )
        assert done.status_code == 302
        page = main(client.get(f"/enforcement/cases/{case.pk}/"))
        assert "立案核查期限只能延长一次" in page  # once only: the form says why it cannot be used now
    running = PenaltyDeadline.objects.get(case=case, purpose="filing", cancelled=False)
    assert running.due_at.astimezone(SH).date() == dt.date(2026, 11, 3)


def test_people_on_the_case_page_are_never_named_by_login(login, enf, make_penalty_case):
    """The fixture's officers have no display name: the page names them neutrally, never `userNN`."""
    from qingcheng.enforcement.penalty import services

    case = make_penalty_case(S.INVESTIGATING)
    with clock.at(at(2026, 11, 2, 11)):
        services.penalty_case_act(
            actor=enf["officer"],
            case=case,
            action="record_investigation",
            officer_ids=[enf["officer"].pk, enf["officer2"].pk],
            record="现场检查笔录（测试）",
        )
    logins = {enf[who].username for who in ("officer", "officer2", "head")}
    for who in ("leader", "head"):
        page = main(login(enf[who]).get(f"/enforcement/cases/{case.pk}/"))
        assert not [name for name in logins if re.search(rf"\b{name}\b", page)], who
        assert str(enf["officer"]) in page
