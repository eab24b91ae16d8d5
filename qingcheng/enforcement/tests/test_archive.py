"""The electronic case archive: one ZIP whose 卷宗 PDF and manifest list the materials in the order of
住建部令第55号 第四十条 (by category, then by time), with the evidence files and their SHA-256."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import zipfile

import pytest
from django.urls import path

from qingcheng.core import clock
from qingcheng.core.tests.pdf import pdf_text
from qingcheng.enforcement import views_party
from qingcheng.urls import urlpatterns as project_urls

urlpatterns = [
    path(
        "enforcement/cases/<str:number>/archive.zip",
        views_party.case_archive_file,
        name="enforcement-archive",
    ),
    *project_urls,
]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

T0 = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)  # 09:00 in Hohhot, a Monday
HEADINGS = [
    "（一）案源材料、立案审批表",
    "（二）案件调查终结报告、行政处罚意见告知文书、行政处罚决定书等行政处罚文书及送达回证",
    "（三）证据材料",
    "（四）当事人陈述、申辩材料",
    "（五）听证笔录",
    "（六）书面复核意见、法制审核意见、集体讨论记录",
    "（七）执行情况记录、财物处理单据",
    "（八）其他有关材料",
]


@pytest.fixture
def world(enf, make_penalty_case, evidence_media, sample_files):
    """A closed case with documents of several kinds created out of order, evidence, a legal review row
    without its document, a payment notice and timeline steps."""
    from qingcheng.enforcement.common import record_event
    from qingcheng.enforcement.evidence.services import evidence_add
    from qingcheng.enforcement.models import LegalReview, PaymentNotice, PenaltyDocument

    with clock.at(T0):
        case = make_penalty_case(filed_at=T0, occurred_at=T0 - dt.timedelta(days=1))
    officer, head = enf["officer"], enf["head"]

    def doc(kind, hours, number="", **fields):
        return PenaltyDocument.objects.create(
            case=case,
            kind=kind,
            number=number,
            issued_at=T0 + dt.timedelta(hours=hours),
            issued_by=officer,
            fields=fields or {"note": kind},
        )

    K = PenaltyDocument.Kind
    # Created in an order that is neither the category order nor the time order.
    doc(
        K.DECISION, 300, "150105罚决2026-00001", party={"name": "张三", "address": "呼和浩特市赛罕区（测试）"}
    )
    doc(K.STATEMENT, 200, statement="我认为罚款过重，联系电话13800001234（测试）")
    doc(K.CASE_SOURCE, 0, source="inspection")
    doc(K.OTHER, 30, record="询问笔录：张三承认在人行道摆摊（测试）")
    doc(K.NOTICE, 100, "150105罚告2026-00001")
    doc(K.FILING_APPROVAL, 1)
    doc(K.SERVICE_RECEIPT, 310, method="direct")
    doc(K.INVESTIGATION_REPORT, 90, report="事实清楚（测试）")
    doc(K.DISCUSSION, 250, participants="局长等（测试）", conclusion="同意")
    doc(K.EXECUTION, 400)
    doc(K.CLOSING_APPROVAL, 500)
    doc(K.HEARING_RECORD, 220, record="听证笔录（测试）")
    LegalReview.objects.create(
        case=case,
        requested_at=T0 + dt.timedelta(hours=230),
        answered_at=T0 + dt.timedelta(hours=240),
        reviewer=enf["reviewer"],
        opinion=LegalReview.Opinion.AGREE,
        text="同意（测试）",
    )
    PaymentNotice.objects.create(
        case=case,
        number="JK2026-0001",
        bank=enf["bank"],
        amount_fen=20_000,
        due_at=T0 + dt.timedelta(days=20),
    )
    # Issued with the service of the decision (created_at is the row's own clock).
    PaymentNotice.objects.filter(case=case).update(created_at=T0 + dt.timedelta(hours=310))
    evidence = []
    with clock.at(T0 + dt.timedelta(hours=50)):
        for hours, key, title in (
            (20, "png2", "第二张照片（较晚）"),
            (10, "png", "第一张照片"),
            (15, "pdf", "营业执照复印件"),
        ):
            evidence.append(
                evidence_add(
                    actor=officer,
                    case=case,
                    data=sample_files[key],
                    filename=f"{key}.bin",
                    kind="audiovisual" if key != "pdf" else "documentary",
                    title=title,
                    collected_at=T0 + dt.timedelta(hours=hours),
                    officer_ids=[enf["officer2"].pk],
                )
            )
    with clock.at(T0 + dt.timedelta(hours=1)):
        record_event(
            case=case, action="approve_filing", actor=head, from_status="proposed", to_status="investigating"
        )
    case.status = "closed"
    case.closed_at = T0 + dt.timedelta(hours=500)
    case.decision_number = "150105罚决2026-00001"
    case.save()
    return {"case": case, "evidence": evidence}


def _open(data: bytes) -> tuple[zipfile.ZipFile, dict]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    return archive, json.loads(archive.read("manifest.json"))


def test_the_archive_is_one_zip_in_the_order_of_article_40(enf, world):
    from qingcheng.enforcement.evidence.archive import case_archive

    case = world["case"]
    archive, manifest = _open(case_archive(actor=enf["officer"], case=case))
    names = archive.namelist()
    assert names[:2] == ["00-卷宗.pdf", "manifest.json"]
    assert archive.testzip() is None
    assert [c["code"] for c in manifest["categories"]] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert [c["title"] for c in manifest["categories"]] == HEADINGS
    kinds = {c["code"]: [i["kind"] for i in c["items"]] for c in manifest["categories"]}
    # Category 1 and 2 by time: the approval event is covered by its document and not listed twice.
    assert kinds[1] == ["case_source", "filing_approval"]
    assert kinds[2] == ["investigation_report", "notice", "decision", "service_receipt"]
    # Evidence by collection time (not by upload order), then the investigation record (a 笔录 is evidence).
    assert kinds[3] == ["audiovisual", "documentary", "audiovisual", "other"]
    assert [i["title"] for i in manifest["categories"][2]["items"][:3]] == [
        "第一张照片",
        "营业执照复印件",
        "第二张照片（较晚）",
    ]
    assert kinds[4] == ["statement"]
    assert kinds[5] == ["hearing_record"]
    assert kinds[6] == ["legal_review", "discussion"]  # the review row fills the missing document, by time
    assert kinds[7] == ["payment_notice", "execution"]
    assert kinds[8] == ["closing_approval", "timeline"]
    seqs = [i["seq"] for c in manifest["categories"] for i in c["items"]]
    assert seqs == list(range(1, len(seqs) + 1))
    for category in manifest["categories"]:
        times = [i["at"] for i in category["items"] if i["kind"] != "timeline"]
        assert times == sorted(times)


def test_every_file_is_listed_with_its_sha256(enf, world):
    from qingcheng.enforcement.evidence.archive import case_archive

    archive, manifest = _open(case_archive(actor=enf["officer"], case=world["case"]))
    files = {f["path"]: f for f in manifest["files"]}
    assert set(files) == set(archive.namelist()) - {"manifest.json"}
    for name, entry in files.items():
        data = archive.read(name)
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        assert len(data) == entry["size"]
    by_order = sorted(world["evidence"], key=lambda e: e.collected_at)
    evidence_names = [n for n in archive.namelist() if n.startswith("03-证据/")]
    assert evidence_names == [
        f"03-证据/{n:02d}-{e.kind}-{e.sha256[:12]}.{e.storage_path.rsplit('.', 1)[1]}"
        for n, e in enumerate(by_order, start=1)
    ]
    for name, evidence in zip(evidence_names, by_order, strict=True):
        assert hashlib.sha256(archive.read(name)).hexdigest() == evidence.sha256
    assert manifest["integrity"] == {"ok": True, "problems": []}


def test_the_pdf_has_the_cover_the_contents_and_the_categories_in_order(enf, world):
    from qingcheng.enforcement.evidence.archive import case_archive

    archive, _manifest = _open(case_archive(actor=enf["officer"], case=world["case"]))
    pdf = archive.read("00-卷宗.pdf")
    assert pdf.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type /Page[^s]", pdf)) >= 4  # cover, contents, materials, timeline
    text = pdf_text(pdf)
    assert text.index("行政处罚案卷") < text.index("卷内目录")
    assert world["case"].number in text
    assert "结案归档" in text
    contents = text.index("卷内目录")
    positions = [text.index(h, contents) for h in HEADINGS]
    assert positions == sorted(positions)
    # And again as the sections of the materials, after the contents table.
    materials = [text.index(h, positions[-1] + 1) for h in HEADINGS]
    assert materials == sorted(materials)
    assert text.index("办案全过程记录", materials[-1]) > materials[-1]
    assert world["evidence"][0].sha256 in text
    assert "张三" in text  # the officer may see the party's data


def test_the_party_is_masked_for_readers_without_the_permission(enf, world):
    from qingcheng.core.models import AuditEntry
    from qingcheng.enforcement.evidence.archive import case_archive

    data = case_archive(actor=enf["leader"], case=world["case"])
    archive, manifest = _open(data)
    text = pdf_text(archive.read("00-卷宗.pdf"))
    assert "张*" in text
    assert "张三" not in text
    assert "13800001234" not in text and "138****1234" in text
    assert "150105199001011234" not in text
    assert "张三" not in archive.read("manifest.json").decode()
    entry = AuditEntry.objects.filter(action="enforcement.case_archive").latest("id")
    after = json.loads(entry.changes)["after"]
    assert after["masked"] is True
    assert after["pdf_sha256"] == manifest["files"][0]["sha256"]
    assert entry.actor_id == enf["leader"].pk


def test_a_changed_evidence_file_shows_in_the_archive(enf, world, evidence_media):
    from qingcheng.enforcement.evidence.archive import case_archive

    evidence = world["evidence"][0]
    (evidence_media / evidence.storage_path).write_bytes(b"changed")
    archive, manifest = _open(case_archive(actor=enf["officer"], case=world["case"]))
    assert manifest["integrity"]["ok"] is False
    assert {"evidence_id": evidence.pk, "code": "file_changed"} in manifest["integrity"]["problems"]
    assert "发现 1 处不一致" in pdf_text(archive.read("00-卷宗.pdf"))


def test_who_may_export_the_archive(enf, world):
    from qingcheng.core.errors import NotFound, PermissionDeniedError
    from qingcheng.enforcement.evidence.archive import case_archive

    with pytest.raises(PermissionDeniedError):
        case_archive(actor=enf["citizen"], case=world["case"])
    with pytest.raises(PermissionDeniedError):
        case_archive(actor=enf["auxiliary"], case=world["case"])
    with pytest.raises(NotFound):
        case_archive(actor=enf["outside_officer"], case=world["case"])


def test_an_open_case_with_nothing_yet_is_a_working_copy(enf, make_penalty_case):
    from qingcheng.enforcement.evidence.archive import case_archive

    case = make_penalty_case()
    archive, manifest = _open(case_archive(actor=enf["officer"], case=case))
    assert archive.namelist() == ["00-卷宗.pdf", "manifest.json"]
    assert all(c["items"] == [] for c in manifest["categories"])
    text = pdf_text(archive.read("00-卷宗.pdf"))
    assert "未结案（工作副本）" in text
    assert text.count("（无）") >= 16  # each empty category, in the contents and in the materials


def test_the_archive_downloads_as_one_file(enf, world, client):
    url = f"/enforcement/cases/{world['case'].number}/archive.zip"
    client.force_login(enf["officer"])
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment;")
    data = b"".join(response.streaming_content)
    _archive, manifest = _open(data)
    assert manifest["case"] == world["case"].number
    client.force_login(enf["outside_officer"])
    assert client.get(url).status_code == 404
    client.force_login(enf["citizen"])
    assert client.get(url).status_code == 403
    client.force_login(enf["officer"])
    assert client.get("/enforcement/cases/NO-SUCH/archive.zip").status_code == 404


def test_markup_in_the_record_is_printed_literally(enf, make_penalty_case):
    """Every text goes to ReportLab through core.pdf.para: a party, address or fact written as markup is
    printed as written, embeds no file and does not break the build."""
    from qingcheng.enforcement.evidence.archive import case_archive

    markup = {
        "party_name": "<img src=x onerror=alert(1)>",
        "address": '<img src="/etc/passwd" width=10 height=10/>',
        "facts": '<a href="javascript:x">点击</a> & <font name=x>',
        "other_penalty": "<",
    }
    case = make_penalty_case(**markup)
    archive, _manifest = _open(case_archive(actor=enf["officer"], case=case))
    pdf = archive.read("00-卷宗.pdf")
    assert pdf.startswith(b"%PDF-") and not re.search(rb"/Subtype\s*/Image", pdf) and b"/URI" not in pdf
    text = re.sub(r"\s", "", pdf_text(pdf))
    for key in ("party_name", "address"):
        assert re.sub(r"\s", "", markup[key]) in text, key
