"""Writing and verifying the hash-chained audit log.

Services call `audit_record` inside their own transaction, so a rolled-back action leaves no entry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from .masking import mask_personal_text
from .models import AuditChainHead, AuditEntry
from .models.audit import GENESIS_HASH


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def _entry_digest(
    *,
    seq: int,
    at: dt.datetime,
    actor_id: int | None,
    actor_label: str,
    action: str,
    object_type: str,
    object_id: str,
    area_code: str,
    changes: str,
    prev_hash: str,
) -> str:
    at_utc = at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    material = "\x1f".join(
        [
            str(seq),
            at_utc,
            "" if actor_id is None else str(actor_id),
            actor_label,
            action,
            object_type,
            object_id,
            area_code,
            changes,
            prev_hash,
        ]
    )
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def entry_digest(entry: AuditEntry) -> str:
    return _entry_digest(
        seq=entry.seq,
        at=entry.at,
        actor_id=entry.actor_id,
        actor_label=entry.actor_label,
        action=entry.action,
        object_type=entry.object_type,
        object_id=entry.object_id,
        area_code=entry.area_code,
        changes=entry.changes,
        prev_hash=entry.prev_hash,
    )


def model_snapshot(instance: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """The concrete field values of a model instance, for `before`/`after` in the audit log."""
    data: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if fields is not None and field.name not in fields:
            continue
        data[field.attname] = field.value_from_object(instance)
    return json.loads(canonical_json(data))


def audit_record(
    *,
    actor: Any | None,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    area_code: str = "",
    before: Any = None,
    after: Any = None,
    note: str = "",
) -> AuditEntry:
    """Append one entry (who, what, when, before/after) in the caller's transaction. It is numbered and
    chained by `audit_seal` once committed, so appending never waits for other writers."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        area_code = area_code or getattr(obj, "area_code", "") or ""
    actor_id = getattr(actor, "pk", None) if actor is not None else None
    actor_label = ""
    if actor is not None:
        actor_label = str(getattr(actor, "username", "") or actor)[:150]
    return AuditEntry.objects.create(
        at=timezone.now(),
        actor_id=actor_id,
        actor_label=actor_label,
        action=action,
        object_type=object_type,
        object_id=object_id,
        area_code=area_code,
        # A note is free text (a reason, a remark) where people write phone and ID numbers; the audit log
        # is a log, and ID numbers are never logged. Snapshots are written masked by their services.
        changes=canonical_json({"before": before, "after": after, "note": mask_personal_text(note)}),
    )


def audit_seal(*, limit: int = 20_000) -> int:
    """Number and chain the committed entries not yet sealed, in the order they were written. Several
    sealers may run at once: the chain head row serialises them. Returns how many were sealed."""
    with transaction.atomic():
        head = AuditChainHead.objects.select_for_update().get(pk=1)
        pending = list(AuditEntry.objects.filter(seq__isnull=True).order_by("id")[:limit])
        if not pending:
            return 0
        seq, last_hash = head.last_seq, head.last_hash
        for entry in pending:
            seq += 1
            entry.seq = seq
            entry.prev_hash = last_hash
            entry.entry_hash = entry_digest(entry)
            last_hash = entry.entry_hash
        AuditEntry.objects.bulk_update(pending, ["seq", "prev_hash", "entry_hash"], batch_size=1000)
        AuditChainHead.objects.filter(pk=1).update(last_seq=seq, last_hash=last_hash)
        return len(pending)


@dataclass(frozen=True)
class BrokenLink:
    seq: int
    reason: str


@dataclass(frozen=True)
class AuditVerification:
    checked: int
    broken: BrokenLink | None

    @property
    def ok(self) -> bool:
        return self.broken is None


def audit_verify(batch_size: int = 5000, *, seal: bool = True) -> AuditVerification:
    """Seal what is pending, then walk the chain in order and report the first entry whose link or content
    does not hold."""
    if seal:
        audit_seal()
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    for entry in AuditEntry.objects.filter(seq__isnull=False).order_by("seq").iterator(chunk_size=batch_size):
        if entry.seq != expected_seq:
            return AuditVerification(checked, BrokenLink(expected_seq, "missing entry"))
        if entry.prev_hash != expected_prev:
            return AuditVerification(checked, BrokenLink(entry.seq, "previous-hash link broken"))
        if entry_digest(entry) != entry.entry_hash:
            return AuditVerification(checked, BrokenLink(entry.seq, "content does not match its hash"))
        expected_prev = entry.entry_hash
        expected_seq += 1
        checked += 1
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and (head.last_seq != checked or head.last_hash != expected_prev):
        return AuditVerification(checked, BrokenLink(checked + 1, "entries after this point were removed"))
    return AuditVerification(checked, None)
