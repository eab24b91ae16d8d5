from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

P = "evaluation."


class EvaluationConfig(AppConfig):
    name = "qingcheng.evaluation"
    label = "evaluation"
    verbose_name = _("Evaluation (综合评价)")

    role_permissions = {
        "leader": (f"{P}view_evaluation", f"{P}view_command_centre", f"{P}view_scoringscheme"),
        "shift_leader": (f"{P}view_evaluation", f"{P}view_command_centre"),
        "admin": (
            f"{P}view_evaluation",
            f"{P}view_command_centre",
            f"{P}view_scoringscheme",
            f"{P}add_scoringscheme",
            f"{P}change_scoringscheme",
        ),
    }
