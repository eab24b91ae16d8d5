"""The electronic case archive (电子案卷): one ZIP file per case (一案一卷) holding the 卷宗 PDF, a manifest
with every file's SHA-256 and the evidence files themselves.

The 卷内目录 follows 《住房和城乡建设行政处罚程序规定》(住建部令第55号) 第四十条: the materials are filed by
category, and within each category in the time order in which they came into being:
(一) 案源材料、立案审批表; (二) 案件调查终结报告、行政处罚意见告知文书、行政处罚决定书等行政处罚文书及送达回证;
(三) 证据材料; (四) 当事人陈述、申辩材料; (五) 听证笔录; (六) 书面复核意见、法制审核意见、集体讨论记录;
(七) 执行情况记录、财物处理单据; (八) 其他有关材料.
Which document kind goes into which category is our reading of that list (`DOCUMENT_CATEGORIES`); the
article names categories, not our document kinds.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone, translation

from qingcheng.core import clock
from qingcheng.core.access import (
    Actor,
    get_visible_or_404,
    has_permission,
    require_permission,
)
from qingcheng.core.audit import audit_record, canonical_json
from qingcheng.core.money import format_yuan
from qingcheng.core.pdf import para

from ..common import party_redactor
from ..models import Evidence, Hearing, LegalReview, PaymentNotice, PenaltyCase, PenaltyDocument, PenaltyEvent
from . import services as evidence_module

K = PenaltyDocument.Kind

# 住建部令第55号 第四十条, in its order.
CATEGORIES: tuple[tuple[int, str], ...] = (
    (1, "（一）案源材料、立案审批表"),
    (2, "（二）案件调查终结报告、行政处罚意见告知文书、行政处罚决定书等行政处罚文书及送达回证"),
    (3, "（三）证据材料"),
    (4, "（四）当事人陈述、申辩材料"),
    (5, "（五）听证笔录"),
    (6, "（六）书面复核意见、法制审核意见、集体讨论记录"),
    (7, "（七）执行情况记录、财物处理单据"),
    (8, "（八）其他有关材料"),
)
CATEGORY_TITLES = dict(CATEGORIES)

DOCUMENT_CATEGORIES: dict[str, int] = {
    K.CASE_SOURCE: 1,
    K.FILING_APPROVAL: 1,
    K.INVESTIGATION_REPORT: 2,
    K.NOTICE: 2,
    K.HEARING_NOTICE: 2,  # a 行政处罚文书 served on the party, with its proof of service
    K.DECISION: 2,
    K.SIMPLIFIED_DECISION: 2,
    K.SERVICE_RECEIPT: 2,
    K.STATEMENT: 4,
    K.HEARING_RECORD: 5,
    K.LEGAL_REVIEW: 6,
    K.DISCUSSION: 6,
    K.PAYMENT_NOTICE: 7,
    K.EXECUTION: 7,
    K.COURT_APPLICATION: 7,
    K.CLOSING_APPROVAL: 8,  # 第四十条 does not name the 结案审批表
    K.OTHER: 8,
}
# An investigation record (调查/询问/现场笔录, filed as kind OTHER with a "record" field) is evidence under
# 行政处罚法 第四十六条 (当事人陈述, 证人证言, 勘验笔录/现场笔录), so it is filed with the evidence.
RECORD_FIELD_CATEGORY = 3

# What a structured row or a timeline step is the record of. A row or step is listed in the 卷内目录 only
# when no document of the same key exists (the services write a document for each of these, so the
# rows and steps fill gaps rather than repeat documents); every step is still in the timeline.
DOCUMENT_KEYS: dict[str, str] = {
    K.CASE_SOURCE: "case_source",
    K.FILING_APPROVAL: "filing_approval",
    K.INVESTIGATION_REPORT: "investigation_report",
    K.NOTICE: "notice",
    K.DECISION: "decision",
    K.SIMPLIFIED_DECISION: "decision",
    K.SERVICE_RECEIPT: "service_receipt",
    K.STATEMENT: "statement",
    K.HEARING_RECORD: "hearing",
    K.LEGAL_REVIEW: "legal_review",
    K.DISCUSSION: "discussion",
    K.PAYMENT_NOTICE: "payment_notice",
    K.EXECUTION: "execution",
    K.CLOSING_APPROVAL: "closing_approval",
}
EVENT_CATEGORIES: dict[str, tuple[int, str]] = {
    "open": (1, "case_source"),
    "approve_filing": (1, "filing_approval"),
    "reject_filing": (1, "filing_approval"),
    "end_investigation": (2, "investigation_report"),
    "notify": (2, "notice"),
    "decide": (2, "decision"),
    "simplified": (2, "decision"),
    "serve": (2, "service_receipt"),
    "record_statement": (4, "statement"),
    "waive_rights": (4, "statement"),
    "hold_hearing": (5, "hearing"),
    "hearing_absent": (5, "hearing"),
    "withdraw_hearing": (5, "hearing"),
    "review_agree": (6, "legal_review"),
    "review_correct": (6, "legal_review"),
    "review_supplement": (6, "legal_review"),
    "review_transfer": (6, "legal_review"),
    "record_discussion": (6, "discussion"),
    "confirm_execution": (7, "execution"),
    "payment_received": (7, "execution"),
    "close": (8, "closing_approval"),
}
ROW_CATEGORIES: dict[str, tuple[int, str]] = {
    "hearing": (5, "hearing"),
    "legal_review": (6, "legal_review"),
    "payment_notice": (7, "payment_notice"),
}

# Labels of the document fields the services write; a field without one is shown by its key.
FIELD_LABELS = {
    "source": "案件来源",
    "source_case": "数字城管案件",
    "violation": "案由",
    "approved_by": "批准人",
    "report": "调查终结报告",
    "record": "笔录",
    "statement": "陈述申辩内容",
    "waiver": "书面放弃陈述申辩和听证",
    "channel": "提交渠道",
    "nonsite_record": "非现场执法记录",
    "note": "备注",
    "facts": "违法事实",
    "bases": "法律依据",
    "rights": "告知的权利",
    "hearing_right": "听证权",
    "party": "当事人",
    "penalty": "处罚内容",
    "evidence": "证据",
    "performance": "履行方式和期限",
    "remedies": "救济途径和期限",
    "agency": "执法机关",
    "date": "日期",
    "seal": "加盖印章",
    "scheduled_for": "听证时间",
    "place": "地点",
    "public": "公开举行",
    "presiding_officer": "主持人",
    "opinion": "意见",
    "text": "内容",
    "participants": "参加人员",
    "conclusion": "结论",
    "method": "送达方式",
    "served_at": "送达时间",
    "executed_at": "执行完毕时间",
    "warning": "警告",
    "fine_fen": "罚款（分）",
    "confiscation_fen": "没收违法所得（分）",
    "other_penalty": "其他处罚",
}
PAYMENT_STATUS_ZH = {"unpaid": "未缴纳", "paid": "已缴纳", "cancelled": "已撤销"}
PDF_NAME = "00-卷宗.pdf"
MANIFEST_NAME = "manifest.json"
EVIDENCE_DIR = "03-证据"
PDF_FONT = "STSong-Light"  # Adobe's CID font known to every PDF reader: no font file to ship
# Media files are already compressed; deflating them again only costs time.
STORED_TYPES = ("image/", "video/", "audio/")


@dataclass
class Item:
    """One entry of the 卷内目录."""

    category: int
    at: dt.datetime
    source: str  # document, evidence, hearing, legal_review, payment_notice, event, timeline
    ref: int | None
    kind: str
    title: str
    number: str = ""
    fields: dict[str, Any] = field(default_factory=dict)
    file: str = ""
    sha256: str = ""
    size: int = 0
    content_type: str = ""
    seq: int = 0


# ------------------------------------------------------------------------------------------ masking


# ------------------------------------------------------------------------------------------- items


_BILINGUAL = re.compile(r"^[A-Za-z].*\(([^()]*[\u4e00-\u9fff][^()]*)\)\s*$")


def zh(label: Any) -> str:
    """A choice label in Chinese: the catalogue's translation, or the Chinese term our English labels
    carry in brackets ("Filing approval form (立案审批表)" → "立案审批表"). The 卷宗 is a Chinese document."""
    text = str(label)
    match = _BILINGUAL.match(text)
    return match.group(1) if match else text


def _local(value: dt.datetime | None) -> str:
    if value is None:
        return "—"
    return timezone.localtime(value).strftime("%Y年%m月%d日 %H:%M")


def _status_zh(code: str) -> str:
    labels = dict(PenaltyCase.Status.choices)
    return zh(labels[code]) if code in labels else code


def _document_category(document: PenaltyDocument) -> int:
    if document.kind == K.OTHER and isinstance(document.fields, dict) and "record" in document.fields:
        return RECORD_FIELD_CATEGORY
    return DOCUMENT_CATEGORIES.get(document.kind, 8)


def officer_label(user: Any) -> str:
    """An officer as the case file names them: name and enforcement certificate (执法证号), never the login."""
    certificate = getattr(user, "enforcement_certificate", "")
    return f"{user}（执法证 {certificate}）" if certificate else str(user)


def user_labels(ids: set[int]) -> dict[int, str]:
    """Officers by name and certificate, for the record of who acted (staff, not the party: not masked)."""
    return {u.pk: officer_label(u) for u in get_user_model().objects.filter(pk__in=ids)}


def collect_items(case: PenaltyCase) -> list[Item]:
    """Every item of the case file, sorted into the eight categories and by time within each."""
    items: list[Item] = []
    evidence_rows = list(Evidence.objects.filter(case=case).order_by("collected_at", "pk"))
    reviews = list(LegalReview.objects.filter(case=case, answered_at__isnull=False).order_by("answered_at"))
    ids = {e.collected_by_id for e in evidence_rows} | {int(i) for e in evidence_rows for i in e.officer_ids}
    ids |= {r.reviewer_id for r in reviews if r.reviewer_id}
    names = user_labels(ids)
    keys: set[str] = set()
    for document in PenaltyDocument.objects.filter(case=case).order_by("issued_at", "pk"):
        keys.add(DOCUMENT_KEYS.get(document.kind, ""))
        items.append(
            Item(
                category=_document_category(document),
                at=document.issued_at,
                source="document",
                ref=document.pk,
                kind=document.kind,
                title=zh(document.get_kind_display()),
                number=document.number,
                fields=document.fields if isinstance(document.fields, dict) else {"value": document.fields},
            )
        )
    for number, ev in enumerate(evidence_rows, start=1):
        extension = ev.storage_path.rsplit(".", 1)[-1] if "." in ev.storage_path else "bin"
        items.append(
            Item(
                category=3,
                at=ev.collected_at,
                source="evidence",
                ref=ev.pk,
                kind=ev.kind,
                title=ev.title,
                fields={
                    "种类": zh(ev.get_kind_display()),
                    "说明": ev.description,
                    "取证时间": _local(ev.collected_at),
                    "取证人": names.get(ev.collected_by_id, ev.collected_by_id),
                    "在场执法人员": "、".join(names.get(int(i), str(i)) for i in ev.officer_ids),
                    "取证地点": ev.place,
                    "经纬度": f"{ev.lon}, {ev.lat}" if ev.lon is not None else "",
                    "文件类型": ev.content_type,
                    "大小（字节）": ev.size,
                    "SHA-256": ev.sha256,
                    "记录摘要": ev.record_digest,
                },
                file=f"{EVIDENCE_DIR}/{number:02d}-{ev.kind}-{ev.sha256[:12]}.{extension}",
                sha256=ev.sha256,
                size=ev.size,
                content_type=ev.content_type,
            )
        )
    hearing = Hearing.objects.filter(case=case).first()
    if hearing is not None and hearing.outcome != Hearing.Outcome.PENDING and "hearing" not in keys:
        items.append(
            Item(
                category=5,
                at=hearing.held_at or hearing.scheduled_for or hearing.requested_at,
                source="hearing",
                ref=hearing.pk,
                kind="hearing",
                title=f"听证（{zh(hearing.get_outcome_display())}）",
                fields={"地点": hearing.place, "代理人": hearing.agents, "笔录": hearing.record},
            )
        )
    if "legal_review" not in keys:
        for review in reviews:
            items.append(
                Item(
                    category=6,
                    at=review.answered_at,
                    source="legal_review",
                    ref=review.pk,
                    kind="legal_review",
                    title=f"法制审核意见（{zh(review.get_opinion_display())}）",
                    fields={"意见": review.text, "审核人": names.get(review.reviewer_id, "")},
                )
            )
    if "payment_notice" not in keys:
        for notice in PaymentNotice.objects.filter(case=case).order_by("created_at", "pk"):
            items.append(
                Item(
                    category=7,
                    at=notice.created_at,
                    source="payment_notice",
                    ref=notice.pk,
                    kind="payment_notice",
                    title="缴款通知书",
                    number=notice.number,
                    fields={
                        "金额": f"{format_yuan(notice.amount_fen)} 元",
                        "缴款期限": _local(notice.due_at),
                        "状态": PAYMENT_STATUS_ZH.get(notice.status, notice.status),
                        "缴款时间": _local(notice.paid_at) if notice.paid_at else "",
                        "已缴罚款": f"{format_yuan(notice.paid_fen)} 元" if notice.paid_fen else "",
                        "加处罚款": f"{format_yuan(notice.surcharge_paid_fen)} 元"
                        if notice.surcharge_paid_fen
                        else "",
                        "银行回单号": notice.bank_receipt_number,
                    },
                )
            )
    events = list(PenaltyEvent.objects.filter(case=case).order_by("at", "pk"))
    for event in events:
        mapped = EVENT_CATEGORIES.get(event.action)
        if mapped is None or mapped[1] in keys:
            continue
        items.append(
            Item(
                category=mapped[0],
                at=event.at,
                source="event",
                ref=event.pk,
                kind=event.action,
                title=_event_label(event.action),
                fields={"说明": event.note, **(event.data or {})},
            )
        )
    if events:
        items.append(
            Item(
                category=8,
                at=events[-1].at,
                source="timeline",
                ref=None,
                kind="timeline",
                title=f"办案全过程记录（{len(events)} 条）",
            )
        )
    order = {"document": 0, "evidence": 1, "hearing": 2, "legal_review": 3, "payment_notice": 4, "event": 5}
    items.sort(key=lambda i: (i.category, i.source == "timeline", i.at, order.get(i.source, 9), i.ref or 0))
    for seq, item in enumerate(items, start=1):
        item.seq = seq
    return items


def _event_label(action: str) -> str:
    from ..penalty.workflow import TRANSITIONS

    labels = {t.action: t.label_zh for t in TRANSITIONS}
    labels.update(
        {
            "open": "提出立案",
            "simplified": "当场作出处罚决定",
            "collect_evidence": "收集证据",
            "attach_evidence": "非现场执法记录归入案件",
        }
    )
    return labels.get(action, action)


# --------------------------------------------------------------------------------------------- PDF


def _register_font() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))


def _value_text(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dict | list):
        return canonical_json(value)
    return str(value)


def render_pdf(
    *,
    case: PenaltyCase,
    items: list[Item],
    redact: Callable[[str], str],
    actor: Actor,
    generated_at: dt.datetime,
    problems: list[evidence_module.EvidenceProblem],
) -> bytes:
    """The 卷宗: cover, 卷内目录 by category, each item with its fields, then the whole timeline."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import PageBreak, SimpleDocTemplate, Spacer, Table, TableStyle

    _register_font()
    base = {"fontName": PDF_FONT, "wordWrap": "CJK"}
    title_style = ParagraphStyle("title", fontSize=22, leading=30, alignment=1, spaceAfter=12, **base)
    h1 = ParagraphStyle("h1", fontSize=14, leading=20, spaceBefore=6, spaceAfter=6, **base)
    h2 = ParagraphStyle("h2", fontSize=11, leading=16, spaceBefore=6, spaceAfter=3, **base)
    body = ParagraphStyle("body", fontSize=9, leading=13, **base)
    cell = ParagraphStyle("cell", fontSize=8, leading=11, **base)

    def p(text: Any, style: ParagraphStyle = body) -> Any:
        return para(redact(_value_text(text)), style)

    width = A4[0] - 36 * mm
    grid = [
        ("FONTNAME", (0, 0), (-1, -1), PDF_FONT),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]

    class Doc(SimpleDocTemplate):
        def afterFlowable(self, flowable: Any) -> None:
            # Bookmarks for the cover, the contents, each category and the timeline.
            mark = getattr(flowable, "_bookmark", None)
            if mark:
                key, text = mark
                self.canv.bookmarkPage(key)
                self.canv.addOutlineEntry(text, key, level=0)

    def heading(text: str, key: str, style: ParagraphStyle = h1) -> Any:
        paragraph = para(text, style)
        paragraph._bookmark = (key, text)  # type: ignore[attr-defined]
        return paragraph

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(PDF_FONT, 8)
        canvas.drawString(18 * mm, 10 * mm, f"{case.number}  第 {doc.page} 页")
        canvas.restoreState()

    buffer = io.BytesIO()
    doc = Doc(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=f"行政处罚案卷 {case.number}",
        author="Qingcheng",
    )
    story: list[Any] = []

    # Cover (封面).
    closed = case.status == PenaltyCase.Status.CLOSED
    story.append(Spacer(1, 30 * mm))
    story.append(heading("行政处罚案卷", "cover", title_style))
    story.append(
        para("结案归档" if closed else "未结案（工作副本）", ParagraphStyle("sub", alignment=1, **base))
    )
    story.append(Spacer(1, 12 * mm))
    fine = []
    if case.warning:
        fine.append("警告")
    if case.fine_fen:
        fine.append(f"罚款 {format_yuan(case.fine_fen)} 元")
    if case.confiscation_fen:
        fine.append(f"没收违法所得 {format_yuan(case.confiscation_fen)} 元")
    if case.other_penalty:
        fine.append(case.other_penalty)
    officers = "、".join(officer_label(u) for u in case.officers.order_by("pk"))
    evidence_count = sum(1 for i in items if i.source == "evidence")
    cover_rows = [
        ("案号", case.number),
        ("案由", f"{case.violation.name}（{case.violation.code}）"),
        ("当事人", f"{case.party_name}（{zh(case.get_party_kind_display())}）"),
        ("违法地点", case.address),
        ("违法时间", _local(case.occurred_at)),
        ("立案时间", _local(case.filed_at)),
        ("决定书文号", case.decision_number or "—"),
        ("决定时间", _local(case.decided_at)),
        ("处罚内容", "；".join(fine) or "—"),
        ("结案时间", _local(case.closed_at)),
        ("案件状态", zh(case.get_status_display())),
        ("办案人员", officers or "—"),
        ("卷内材料", f"{len(items)} 件，其中证据文件 {evidence_count} 个"),
        (
            "完整性校验",
            "证据文件、证据记录与审计日志一致"
            if not problems
            else f"发现 {len(problems)} 处不一致："
            + "；".join(f"{x.evidence_id}:{x.code}" for x in problems),
        ),
        ("生成时间", _local(generated_at)),
        ("生成人", str(actor) if actor is not None else ""),
        ("排列依据", "《住房和城乡建设行政处罚程序规定》第四十条：按类别、每类按形成时间先后排列"),
    ]
    table = Table([[p(k, cell), p(v, cell)] for k, v in cover_rows], colWidths=[32 * mm, width - 32 * mm])
    table.setStyle(TableStyle(grid))
    story += [table, PageBreak()]

    # 卷内目录.
    story.append(heading("卷内目录", "contents"))
    rows: list[list[Any]] = [[p(h, cell) for h in ("序号", "材料名称", "文号", "形成时间", "文件")]]
    spans: list[tuple[Any, ...]] = []
    by_category = {c: [i for i in items if i.category == c] for c, _t in CATEGORIES}
    for code, title in CATEGORIES:
        spans.append(("SPAN", (0, len(rows)), (-1, len(rows))))
        spans.append(("BACKGROUND", (0, len(rows)), (-1, len(rows)), colors.HexColor("#e9ecef")))
        rows.append([p(title, cell), "", "", "", ""])
        if not by_category[code]:
            rows.append(["", p("（无）", cell), "", "", ""])
        for item in by_category[code]:
            rows.append(
                [
                    p(item.seq, cell),
                    p(item.title, cell),
                    p(item.number, cell),
                    p(_local(item.at), cell),
                    p(item.file, cell),
                ]
            )
    widths = [12 * mm, 62 * mm, 32 * mm, 30 * mm]
    table = Table(rows, colWidths=[*widths, width - sum(widths)], repeatRows=1)
    table.setStyle(TableStyle(grid + spans))
    story += [table, PageBreak()]

    # The materials, category by category.
    for code, title in CATEGORIES:
        story.append(heading(title, f"category-{code}"))
        if not by_category[code]:
            story.append(p("（无）"))
        for item in by_category[code]:
            if item.source == "timeline":
                story.append(p(f"{item.seq}. {item.title}：见卷末"))
                continue
            label = f"{item.seq}. {item.title}" + (f"  {item.number}" if item.number else "")
            story.append(para(redact(label), h2))
            meta = [("形成时间", _local(item.at))]
            if item.file:
                meta += [("文件", item.file), ("SHA-256", item.sha256)]
            rows = [[p(k, cell), p(v, cell)] for k, v in meta]
            rows += [[p(FIELD_LABELS.get(k, k), cell), p(v, cell)] for k, v in item.fields.items()]
            table = Table(rows, colWidths=[32 * mm, width - 32 * mm])
            table.setStyle(TableStyle(grid))
            story += [table, Spacer(1, 3 * mm)]
    story.append(PageBreak())

    # The whole-process record (全过程记录).
    story.append(heading("办案全过程记录", "timeline"))
    rows = [[p(h, cell) for h in ("时间", "环节", "状态", "执法人员", "说明")]]
    events = list(PenaltyEvent.objects.filter(case=case).order_by("at", "pk"))
    names = user_labels({int(i) for e in events for i in e.officer_ids or []})
    for event in events:
        status = _status_zh(event.to_status or event.from_status)
        if event.from_status and event.from_status != event.to_status:
            status = f"{_status_zh(event.from_status)}→{status}"
        rows.append(
            [
                p(_local(event.at), cell),
                p(_event_label(event.action), cell),
                p(status, cell),
                p("、".join(names.get(int(i), str(i)) for i in event.officer_ids or []), cell),
                p(event.note, cell),
            ]
        )
    widths = [30 * mm, 36 * mm, 30 * mm, 20 * mm]
    table = Table(rows, colWidths=[*widths, width - sum(widths)], repeatRows=1)
    table.setStyle(TableStyle(grid))
    story.append(table)

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------- ZIP


def _manifest(
    *,
    case: PenaltyCase,
    items: list[Item],
    redact: Callable[[str], str],
    actor: Actor,
    generated_at: dt.datetime,
    pdf: bytes,
    problems: list[evidence_module.EvidenceProblem],
) -> dict[str, Any]:
    files = [{"path": PDF_NAME, "sha256": hashlib.sha256(pdf).hexdigest(), "size": len(pdf)}]
    files += [{"path": i.file, "sha256": i.sha256, "size": i.size} for i in items if i.file]
    return {
        "format": "qingcheng-case-archive/1",
        "case": case.number,
        "status": case.status,
        "generated_at": generated_at.astimezone(dt.UTC).isoformat(),
        "generated_by": str(actor) if actor is not None else "",
        "order": "住建部令第55号 第四十条",
        "categories": [
            {
                "code": code,
                "title": title,
                "items": [
                    {
                        "seq": i.seq,
                        "source": i.source,
                        "ref": i.ref,
                        "kind": i.kind,
                        "title": redact(i.title),
                        "number": i.number,
                        "at": i.at.astimezone(dt.UTC).isoformat(),
                        **({"file": i.file, "sha256": i.sha256} if i.file else {}),
                    }
                    for i in items
                    if i.category == code
                ],
            }
            for code, title in CATEGORIES
        ],
        "files": files,
        "integrity": {
            "ok": not problems,
            "problems": [{"evidence_id": x.evidence_id, "code": x.code} for x in problems],
        },
    }


def _zip_time(moment: dt.datetime) -> tuple[int, int, int, int, int, int]:
    local = timezone.localtime(moment)
    return (max(local.year, 1980), local.month, local.day, local.hour, local.minute, local.second)


def case_archive_write(*, actor: Actor, case: PenaltyCase, out: BinaryIO) -> dict[str, Any]:
    """Write the archive ZIP to `out` (a seekable binary file) and return its manifest. Large evidence
    files are copied in chunks, so the archive of a case with video need not fit in memory."""
    require_permission(actor, "enforcement.view_penaltycase")
    require_permission(actor, evidence_module.VIEW_PERMISSION)
    case = get_visible_or_404(
        PenaltyCase.objects.select_related("violation"),
        actor,
        what_zh="案件",
        what_en="case",
        pk=getattr(case, "pk", None),
    )
    unmasked = has_permission(actor, "enforcement.view_party_data")
    redact = party_redactor(case, unmasked=unmasked, whole_organisation_name=False)
    generated_at = clock.now()
    problems = evidence_module.evidence_verify(case=case, chain=False)
    with translation.override("zh-hans"):
        items = collect_items(case)
        pdf = render_pdf(
            case=case, items=items, redact=redact, actor=actor, generated_at=generated_at, problems=problems
        )
    manifest = _manifest(
        case=case,
        items=items,
        redact=redact,
        actor=actor,
        generated_at=generated_at,
        pdf=pdf,
        problems=problems,
    )
    manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")
    stamp = _zip_time(generated_at)
    evidence_rows = {e.pk: e for e in Evidence.objects.filter(case=case)}
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo(PDF_NAME, stamp), pdf, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr(
            zipfile.ZipInfo(MANIFEST_NAME, stamp), manifest_bytes, compress_type=zipfile.ZIP_DEFLATED
        )
        for item in items:
            if not item.file:
                continue
            row = evidence_rows[item.ref]
            info = zipfile.ZipInfo(item.file, stamp)
            info.compress_type = (
                zipfile.ZIP_STORED if row.content_type.startswith(STORED_TYPES) else zipfile.ZIP_DEFLATED
            )
            path = evidence_module.file_path(row)
            if not path.is_file():
                continue  # reported in the manifest's integrity section and on the cover
            with path.open("rb") as source, archive.open(info, "w", force_zip64=True) as target:
                while chunk := source.read(2**20):
                    target.write(chunk)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="enforcement.case_archive",
            obj=case,
            after={
                "pdf_sha256": manifest["files"][0]["sha256"],
                "manifest_sha256": hashlib.sha256(manifest_bytes).hexdigest(),
                "items": len(items),
                "evidence_files": len(manifest["files"]) - 1,
                "integrity_ok": not problems,
                "masked": not unmasked,
            },
        )
    return manifest


def case_archive(*, actor: Actor, case: PenaltyCase) -> bytes:
    """The case's electronic archive as one ZIP file (bytes): `00-卷宗.pdf`, `manifest.json` and the
    evidence files under `03-证据/`."""
    buffer = io.BytesIO()
    case_archive_write(actor=actor, case=case, out=buffer)
    return buffer.getvalue()
