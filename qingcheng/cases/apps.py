from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

P = "cases."
VIEW = (f"{P}view_case", f"{P}view_casecategory", f"{P}view_caseevent", f"{P}view_casetask")


class CasesConfig(AppConfig):
    name = "qingcheng.cases"
    label = "cases"
    verbose_name = _("Case loop")

    role_permissions = {
        "supervisor": (*VIEW, f"{P}report_case", f"{P}field_task_case"),
        "receiver": (*VIEW, f"{P}report_case", f"{P}accept_report_case", f"{P}view_personal_case"),
        "hotline_agent": (*VIEW, f"{P}report_case", f"{P}callback_case", f"{P}view_personal_case"),
        "dispatcher": (*VIEW, f"{P}dispatch_case"),
        "shift_leader": (
            *VIEW,
            f"{P}accept_report_case",
            f"{P}approve_case",
            f"{P}close_case",
            f"{P}dispatch_case",
            f"{P}view_personal_case",
        ),
        "handler": (*VIEW, f"{P}handle_case"),
        "unit_manager": (*VIEW, f"{P}handle_case", f"{P}apply_case"),
        "leader": (
            *VIEW,
            f"{P}supervise_case",
            f"{P}approve_second_extension_case",
            f"{P}view_personal_case",
        ),
        "procuratorate": VIEW,
        "citizen": (f"{P}report_case",),
        "api_client": (*VIEW, f"{P}report_case"),
        "admin": (
            *VIEW,
            f"{P}add_casecategory",
            f"{P}change_casecategory",
            f"{P}view_catalogueversion",
            f"{P}add_catalogueversion",
            f"{P}change_catalogueversion",
            f"{P}view_steplimit",
            f"{P}add_steplimit",
            f"{P}change_steplimit",
        ),
    }

    def ready(self) -> None:
        from . import jobs  # noqa: F401  (registers the sweeps with the jobs loop)
