from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

P = "enforcement."
VIEW = tuple(
    f"{P}view_{model}"
    for model in (
        "penaltycase",
        "evidence",
        "violation",
        "discretionlevel",
        "legalbasis",
        "collectingbank",
        "monitoringpoint",
        "paymentnotice",
        "disclosure",
        "creditrecord",
        "crimetransfer",
        "nonsiterecord",
    )
)
CATALOGUE = tuple(
    f"{P}{verb}_{model}"
    for model in ("violation", "discretionlevel", "legalbasis", "collectingbank", "monitoringpoint")
    for verb in ("view", "add", "change")
)
# Every act of the officers and the agency head; an auxiliary (协管员) may never hold any of these.
OFFICER_ACTS = (
    f"{P}add_penaltycase",
    f"{P}investigate_penaltycase",
    f"{P}add_evidence",
    f"{P}collect_on_the_spot",
    f"{P}add_crimetransfer",
)
HEAD_ACTS = (
    f"{P}approve_penaltycase",
    f"{P}decide_crimetransfer",
    f"{P}manage_disclosure",
    f"{P}review_nonsite",
    f"{P}preside_hearing",
)


class EnforcementConfig(AppConfig):
    name = "qingcheng.enforcement"
    label = "enforcement"
    verbose_name = _("Administrative enforcement (行政执法)")

    enforcement_permissions = (*OFFICER_ACTS, *HEAD_ACTS, f"{P}review_penaltycase")

    role_permissions = {
        "enforcement_officer": (*VIEW, *OFFICER_ACTS, f"{P}view_party_data"),
        "enforcement_head": (*VIEW, *OFFICER_ACTS, *HEAD_ACTS, f"{P}view_party_data"),
        "legal_reviewer": (*VIEW, f"{P}review_penaltycase", f"{P}preside_hearing", f"{P}view_party_data"),
        # Leaders and the procuratorate read; they never write.
        "leader": VIEW,
        "procuratorate": (*VIEW, f"{P}observe_crimetransfer"),
        "admin": CATALOGUE,
    }

    def ready(self) -> None:
        # The penalty procedure may not import the sub-domains built on it; they join its steps here:
        # serving a decision with a fine issues the payment notice, a pending transfer blocks a decision.
        from .payments.services import payment_notice_issue
        from .penalty import hooks
        from .transfers.services import transfer_pending

        hooks.register(hooks.on_fine_due, payment_notice_issue)
        hooks.register(hooks.decision_blockers, transfer_pending)
