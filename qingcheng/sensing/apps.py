from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SensingConfig(AppConfig):
    name = "qingcheng.sensing"
    label = "sensing"
    verbose_name = _("Sensing (物联感知)")
