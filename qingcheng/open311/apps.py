from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

P = "open311."
CONFIG_MODELS = ("jurisdiction", "client", "serviceoption", "serviceattribute", "serviceattributevalue")


class Open311Config(AppConfig):
    name = "qingcheng.open311"
    label = "open311"
    verbose_name = _("Open311 GeoReport v2")

    # Collected by qingcheng.accounts.roles.role_permissions and synced into the role groups after migrate.
    role_permissions = {
        "admin": (
            *(f"{P}{action}_{model}" for model in CONFIG_MODELS for action in ("view", "add", "change")),
            f"{P}view_servicerequest",
            f"{P}view_inboundupdate",
        ),
        "receiver": (f"{P}view_servicerequest", f"{P}view_inboundupdate"),
        "shift_leader": (f"{P}view_servicerequest", f"{P}view_inboundupdate"),
    }
