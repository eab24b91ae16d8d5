from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "qingcheng.core"
    label = "core"
    verbose_name = _("Platform core")

    def ready(self) -> None:
        from . import checks  # noqa: F401
