"""The form behind each workflow action button on the case page: which fields it asks for, and how the
posted form becomes the `data` and photos that cases.services.case_act takes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from qingcheng.cases.services import PhotoUpload
from qingcheng.core.errors import ValidationFailed


@dataclass(frozen=True)
class Field:
    name: str
    label: Any
    kind: str  # text, textarea, yesno, select, number, photos, score, category, department, supervisor, case
    required: bool = False
    choices: tuple[tuple[str, Any], ...] = ()
    photo_kind: str = ""


NOTE = Field("note", _("Note"), "textarea")
REASON = Field("reason", _("Reason"), "textarea", required=True)
ASSIGNEE = Field("assignee_id", _("Supervisor (empty: the beat's supervisor)"), "supervisor")


@dataclass(frozen=True)
class ActionForm:
    label: Any
    style: str  # Bootstrap button colour
    fields: tuple[Field, ...] = ()
    confirm: bool = False


ACTION_FORMS: dict[str, ActionForm] = {
    "send_verification": ActionForm(
        _("Send for verification (派发核实)"), "outline-primary", (ASSIGNEE, NOTE)
    ),
    "verify": ActionForm(
        _("Report verification (核实反馈)"),
        "primary",
        (
            Field("genuine", _("Is the problem real?"), "yesno", required=True),
            NOTE,
            Field("photos", _("Photos"), "photos", photo_kind="before"),
        ),
    ),
    "open": ActionForm(
        _("Open the case (立案)"),
        "primary",
        (
            Field("category_code", _("Subclass"), "category", required=True),
            Field(
                "urgency",
                _("Urgency"),
                "select",
                choices=(("normal", _("Normal")), ("urgent", _("Urgent (紧急)"))),
            ),
            NOTE,
        ),
    ),
    "cancel": ActionForm(_("Reject (不予立案)"), "outline-danger", (REASON,)),
    "merge": ActionForm(
        _("Merge into another case (合并)"),
        "outline-secondary",
        (Field("target_number", _("Case to merge into"), "case", required=True), NOTE),
    ),
    "dispatch": ActionForm(
        _("Dispatch (派遣)"),
        "primary",
        (Field("department_id", _("Handling unit"), "department", required=True), NOTE),
    ),
    "accept": ActionForm(_("Accept (签收)"), "primary", (NOTE,)),
    "request_return": ActionForm(_("Ask to return (申请回退)"), "outline-warning", (REASON,)),
    "approve_return": ActionForm(_("Approve the return"), "success", (NOTE,)),
    "reject_return": ActionForm(_("Refuse the return"), "outline-danger", (NOTE,)),
    "request_extension": ActionForm(
        _("Ask for an extension (申请延期)"),
        "outline-warning",
        (
            Field("amount", _("How long"), "number", required=True),
            Field(
                "unit",
                _("Unit"),
                "select",
                required=True,
                choices=(("working_days", _("working days")), ("working_hours", _("working hours"))),
            ),
            REASON,
        ),
    ),
    "approve_extension": ActionForm(_("Approve the extension"), "success", (NOTE,)),
    "reject_extension": ActionForm(_("Refuse the extension"), "outline-danger", (NOTE,)),
    "request_park": ActionForm(_("Ask to park (申请挂账)"), "outline-warning", (REASON,)),
    "approve_park": ActionForm(_("Approve parking"), "success", (NOTE,)),
    "reject_park": ActionForm(_("Refuse parking"), "outline-danger", (NOTE,)),
    "defer": ActionForm(_("Defer (缓办)"), "outline-secondary", (REASON,)),
    "resume": ActionForm(_("Resume handling (恢复处置)"), "primary", (NOTE,)),
    "feedback": ActionForm(
        _("Report the result (处理反馈)"),
        "primary",
        (Field("photos", _("After photos"), "photos", required=True, photo_kind="after"), NOTE),
    ),
    "send_check": ActionForm(_("Send for check (派发核查)"), "primary", (ASSIGNEE, NOTE)),
    "check": ActionForm(
        _("Report the check (核查反馈)"),
        "primary",
        (
            Field("passed", _("Is the problem fixed?"), "yesno", required=True),
            NOTE,
            Field("photos", _("Photos"), "photos", photo_kind="check"),
        ),
    ),
    "close": ActionForm(_("Close (结案)"), "success", (NOTE,)),
    "callback": ActionForm(
        _("Record the call-back (回访)"),
        "outline-primary",
        (
            Field("satisfied", _("Is the reporter satisfied?"), "yesno", required=True),
            Field("score", _("Satisfaction (1–5)"), "score"),
            NOTE,
        ),
    ),
    "supervise": ActionForm(_("Supervise (督办)"), "outline-danger", (NOTE,)),
}

MAX_PHOTOS = 6


def parse_action(action: str, post, files) -> tuple[dict[str, Any], list[PhotoUpload], str]:
    """The data, photos and note of a posted action form; bad fields raise ValidationFailed (400)."""
    form = ACTION_FORMS.get(action)
    if form is None:
        raise ValidationFailed("未知的操作", "unknown action", field="action", code="unknown_action")
    data: dict[str, Any] = {}
    photos: list[PhotoUpload] = []
    for field in form.fields:
        if field.kind == "photos":
            uploads = files.getlist(field.name)
            if len(uploads) > MAX_PHOTOS:
                raise ValidationFailed(
                    f"最多上传{MAX_PHOTOS}张照片",
                    f"at most {MAX_PHOTOS} photos",
                    field=field.name,
                    code="too_many_photos",
                )
            photos += [PhotoUpload(data=f.read(), kind=field.photo_kind, name=f.name) for f in uploads]
            continue
        raw = (post.get(field.name) or "").strip()
        if not raw:
            continue
        if field.kind == "yesno":
            if raw not in ("yes", "no"):
                raise ValidationFailed("请选择是或否", "choose yes or no", field=field.name, code="invalid")
            data[field.name] = raw == "yes"
        elif field.kind in ("score", "department", "supervisor"):
            try:
                data[field.name] = int(raw)
            except ValueError:
                raise ValidationFailed(
                    "请填写数字", "enter a number", field=field.name, code="invalid"
                ) from None
        elif field.kind == "case":
            data["target_number"] = raw
        else:
            data[field.name] = raw[:2000]
    return data, photos, str(data.get("note", ""))
