from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

GEO_MODELS = ("adminarea", "unitgrid", "supervisionbeat", "responsibility", "road", "place")
VIEW = tuple(f"geo.view_{m}" for m in GEO_MODELS)


class GeoConfig(AppConfig):
    name = "qingcheng.geo"
    label = "geo"
    verbose_name = _("Geography and grids")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from qingcheng.accounts.models import Department

        from .models import Responsibility
        from .selectors import forget_responsibilities

        for model in (Responsibility, Department):
            post_save.connect(
                forget_responsibilities, sender=model, dispatch_uid=f"geo-resp-{model.__name__}"
            )
            post_delete.connect(
                forget_responsibilities, sender=model, dispatch_uid=f"geo-resp-del-{model.__name__}"
            )

    # Grid layers are imported (a new version), never edited row by row, so only administrators write.
    role_permissions = {
        "admin": (*VIEW, *(f"geo.{verb}_{m}" for verb in ("add", "change") for m in GEO_MODELS)),
        **{
            role: VIEW
            for role in (
                "supervisor",
                "receiver",
                "shift_leader",
                "dispatcher",
                "handler",
                "unit_manager",
                "leader",
                "hotline_agent",
                "enforcement_officer",
                "api_client",
            )
        },
    }
