from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

P = "intake."


class IntakeConfig(AppConfig):
    name = "qingcheng.intake"
    label = "intake"
    verbose_name = _("Intake channels (信息采集渠道)")

    role_permissions = {
        "hotline_agent": (f"{P}take_hotline_order", f"{P}view_hotlineorder"),
        "receiver": (f"{P}take_hotline_order", f"{P}view_hotlineorder"),
        "shift_leader": (f"{P}view_hotlineorder",),
        "leader": (f"{P}view_hotlineorder",),
        "admin": (
            f"{P}view_machineeventmapping",
            f"{P}add_machineeventmapping",
            f"{P}change_machineeventmapping",
            f"{P}view_machineevent",
        ),
    }
