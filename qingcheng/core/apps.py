from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "qingcheng.core"
    label = "core"
    verbose_name = _("Platform core")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import checks  # noqa: F401

        post_migrate.connect(ensure_audit_chain_head, sender=self)


def ensure_audit_chain_head(sender, using="default", **kwargs) -> None:
    """The chain's head row must exist before the first entry; `flush` removes it with the data."""
    from .models import AuditChainHead

    AuditChainHead.objects.using(using).get_or_create(pk=1)
