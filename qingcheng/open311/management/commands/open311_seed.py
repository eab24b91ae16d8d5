"""Seed the Open311 defaults: service options and extra questions of a few standard subclasses, and one
jurisdiction per city-level area when none is configured. Safe to run again."""

from django.core.management.base import BaseCommand

from qingcheng.open311.services import seed


class Command(BaseCommand):
    help = "Create the default Open311 service options, questions and jurisdictions (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--overwrite", action="store_true", help="reset the default questions to their shipped text"
        )

    def handle(self, *args, overwrite: bool = False, **options):
        counts = seed(overwrite=overwrite)
        self.stdout.write(
            "open311: {options} service options, {attributes} questions, {values} values, "
            "{jurisdictions} jurisdictions created".format(**counts)
        )
