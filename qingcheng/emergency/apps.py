from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

P = "emergency."
VIEW = tuple(
    f"{P}view_{model}"
    for model in (
        "incident",
        "emergencywarning",
        "hazardsource",
        "hiddendanger",
        "shelter",
        "warehouse",
        "supplyitem",
        "stocklot",
        "emergencyplan",
        "drill",
        "lifelinestatus",
    )
)
COMMAND = (
    f"{P}add_incident",
    f"{P}command_incident",
    f"{P}issue_warning",
    f"{P}dispatch_supplies",
    f"{P}change_shelter",
    f"{P}change_lifelinestatus",
)
CATALOGUE = tuple(
    f"{P}{verb}_{model}"
    for model in (
        "hazardsource",
        "hazardsubstance",
        "shelter",
        "warehouse",
        "supplyitem",
        "stocklot",
        "stockminimum",
        "emergencyplan",
        "drill",
        "planrevision",
    )
    for verb in ("view", "add", "change")
)


class EmergencyConfig(AppConfig):
    name = "qingcheng.emergency"
    label = "emergency"
    verbose_name = _("Emergency management (应急管理)")

    # Emergency duty is carried by the existing roles: leaders and shift leaders command incidents and
    # accept rectifications; dispatchers move supplies and give tasks; units rectify; supervisors report;
    # administrators keep the registers (hazard sources, shelters, warehouses, plans).
    role_permissions = {
        "leader": (
            *VIEW,
            *COMMAND,
            f"{P}accept_hiddendanger",
            f"{P}supervise_hiddendanger",
            f"{P}report_hiddendanger",
            f"{P}add_drill",
            f"{P}change_emergencyplan",
        ),
        "shift_leader": (*VIEW, *COMMAND, f"{P}accept_hiddendanger", f"{P}report_hiddendanger"),
        "dispatcher": (*VIEW, f"{P}dispatch_supplies", f"{P}add_stocklot", f"{P}change_stockminimum"),
        "unit_manager": (
            f"{P}view_incident",
            f"{P}view_hiddendanger",
            f"{P}rectify_hiddendanger",
            f"{P}report_hiddendanger",
            f"{P}add_hazardinspection",
        ),
        "handler": (f"{P}view_hiddendanger", f"{P}rectify_hiddendanger"),
        "supervisor": (f"{P}view_hiddendanger", f"{P}report_hiddendanger", f"{P}add_hazardinspection"),
        "admin": (
            *VIEW,
            *CATALOGUE,
            f"{P}view_hiddendanger",
            f"{P}view_incident",
            f"{P}add_hazardinspection",
        ),
    }
