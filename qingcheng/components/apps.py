from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

VIEW = ("components.view_component", "components.view_componentclass")
CHANGE = (*VIEW, "components.change_component")


class ComponentsConfig(AppConfig):
    name = "qingcheng.components"
    label = "components"
    verbose_name = _("City components")

    # Collected by qingcheng.accounts.roles.role_permissions and synced into the role groups after migrate.
    # Components are never deleted through roles: a removed one is set to 废弃 (abandoned) so its code and
    # the cases that name it keep their meaning.
    role_permissions = {
        "admin": (
            *CHANGE,
            "components.add_component",
            "components.add_componentclass",
            "components.change_componentclass",
        ),
        "unit_manager": CHANGE,
        "shift_leader": VIEW,
        "dispatcher": VIEW,
        "receiver": VIEW,
        "supervisor": VIEW,
        "handler": VIEW,
        "leader": VIEW,
        "hotline_agent": VIEW,
        "enforcement_officer": VIEW,
        "auxiliary": VIEW,
        "api_client": VIEW,
    }
