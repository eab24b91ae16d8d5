from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

P = "sensing."
VIEW = (f"{P}view_device", f"{P}view_reading", f"{P}view_alarm", f"{P}view_alarmrule")
OPERATE = (*VIEW, f"{P}acknowledge_alarm", f"{P}close_alarm")


class SensingConfig(AppConfig):
    name = "qingcheng.sensing"
    label = "sensing"
    verbose_name = _("Sensing (物联感知)")

    role_permissions = {
        "receiver": OPERATE,
        "dispatcher": OPERATE,
        "shift_leader": OPERATE,
        "leader": VIEW,
        "unit_manager": VIEW,
        "api_client": VIEW,
        "admin": (
            *OPERATE,
            f"{P}add_device",
            f"{P}change_device",
            f"{P}view_devicekey",
            f"{P}add_devicekey",
            f"{P}change_devicekey",
            f"{P}add_alarmrule",
            f"{P}change_alarmrule",
            f"{P}view_ingestcounter",
        ),
    }

    def ready(self) -> None:
        from . import jobs  # noqa: F401  (registers the stale-data sweep with the jobs loop)
