import json
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from qingcheng.core.errors import DomainError
from qingcheng.geo.services import areas_import_geojson, grids_import_geojson

from ._report import print_findings


class Command(BaseCommand):
    help = "Import administrative areas or unit grids from a GeoJSON FeatureCollection (all or nothing)."

    def add_arguments(self, parser):
        parser.add_argument("layer", choices=["areas", "grids"])
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="validate and report, write nothing")
        parser.add_argument(
            "--valid-from", help="ISO date-time the new grid version takes effect (default now)"
        )
        parser.add_argument("--strict-gaps", action="store_true", help="treat gaps as errors")

    def handle(self, *args, **options):
        try:
            with open(options["file"], encoding="utf-8") as fh:
                data = json.load(fh)
        except (OSError, json.JSONDecodeError) as exc:
            raise CommandError(f"cannot read {options['file']}: {exc}") from exc
        valid_from = None
        if options["valid_from"]:
            valid_from = datetime.fromisoformat(options["valid_from"])
            if timezone.is_naive(valid_from):
                valid_from = timezone.make_aware(valid_from)
        try:
            if options["layer"] == "areas":
                report = areas_import_geojson(
                    data=data, actor=None, dry_run=options["dry_run"], progress=True
                )
            else:
                report = grids_import_geojson(
                    data=data,
                    actor=None,
                    valid_from=valid_from,
                    dry_run=options["dry_run"],
                    progress=True,
                    allow_gaps=not options["strict_gaps"],
                )
        except DomainError as exc:
            raise CommandError(exc.message_en) from exc
        print_findings(self.stdout, report.warnings, "WARNING")
        print_findings(self.stdout, report.errors, "ERROR")
        summary = (
            f"rows {report.rows}: created {report.created}, updated {report.updated}, retired {report.retired}, "
            f"unchanged {report.unchanged}, errors {len(report.errors)}, warnings {len(report.warnings)}"
        )
        if not report.ok:
            raise CommandError(f"import rejected, nothing written. {summary}")
        self.stdout.write(("dry run, nothing written. " if options["dry_run"] else "imported. ") + summary)
