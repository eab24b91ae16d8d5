from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EmergencyConfig(AppConfig):
    name = "qingcheng.emergency"
    label = "emergency"
    verbose_name = _("Emergency management (应急管理)")
