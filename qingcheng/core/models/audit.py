"""Hash-chained audit log (审计日志).

Every sealed entry stores the SHA-256 of the previous one, so editing or deleting any sealed row breaks
the chain from that row on; `manage.py verify_audit` finds the first broken link. Services append
entries without taking a lock; a sealer (the jobs loop, every few seconds, and `verify_audit` itself)
numbers and chains them in commit order. Holding one chain lock across every commit would make the whole
platform write one transaction at a time.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

GENESIS_HASH = "0" * 64


class AuditEntry(models.Model):
    seq = models.PositiveBigIntegerField(_("sequence"), unique=True, null=True, blank=True)
    at = models.DateTimeField(_("time"), db_index=True)
    # Plain id and label rather than a foreign key: the record must outlive the user it names.
    actor_id = models.BigIntegerField(_("actor id"), null=True, blank=True, db_index=True)
    actor_label = models.CharField(_("actor"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=80, db_index=True)
    object_type = models.CharField(_("object type"), max_length=80, db_index=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True, db_index=True)
    area_code = models.CharField(_("area code"), max_length=15, blank=True, db_index=True)
    # Canonical JSON text (sorted keys) of {"before": ..., "after": ..., "note": ...}: hashed as stored.
    changes = models.TextField(_("changes"), blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64, blank=True)
    entry_hash = models.CharField(_("entry hash"), max_length=64, blank=True, db_index=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        indexes = [
            models.Index(fields=["object_type", "object_id", "seq"]),
            models.Index(fields=["id"], condition=models.Q(seq__isnull=True), name="core_audit_unsealed"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"


class AuditChainHead(models.Model):
    """One row holding the tip of the chain; appending locks it so concurrent writers cannot fork."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        verbose_name = _("audit chain head")
        verbose_name_plural = _("audit chain head")

    def __str__(self) -> str:
        return f"#{self.last_seq} {self.last_hash[:12]}"
