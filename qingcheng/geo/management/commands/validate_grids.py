from django.core.management.base import BaseCommand, CommandError

from qingcheng.geo.selectors import validate_grid_layer

from ._report import print_findings


class Command(BaseCommand):
    help = "Check the current unit grids for overlaps and gaps; exit non-zero when any is found."

    def add_arguments(self, parser):
        parser.add_argument("--area", default="", help="only grids under this area code")

    def handle(self, *args, **options):
        findings = validate_grid_layer(area_code=options["area"])
        print_findings(self.stdout, findings, "FINDING")
        if findings:
            raise CommandError(f"{len(findings)} findings")
        self.stdout.write("grid layer valid: no overlaps, no gaps")
