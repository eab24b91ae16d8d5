"""Base model mixins shared by every app."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class PublicIdModel(models.Model):
    """A random public identifier, so URLs and API payloads never expose sequential row ids."""

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        abstract = True


class AreaScopedModel(models.Model):
    """A record that belongs to an administrative area (GB/T 2260 code and its street/community/grid
    extensions). Area scope is a code prefix, so scoping is `area_code LIKE '150105%'` on this index."""

    area_code = models.CharField(_("area code"), max_length=15, db_index=True)

    class Meta:
        abstract = True
