from django.core.management.base import BaseCommand, CommandError

from qingcheng.components.io import FORMATS, export_components, guess_format
from qingcheng.components.selectors import component_filter
from qingcheng.core.errors import DomainError


class Command(BaseCommand):
    help = "Export components (部件) as CSV, XLSX or GeoJSON in the import column set."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=FORMATS, help="default: from the output file name")
        parser.add_argument("--output", required=True, help="file to write")
        parser.add_argument("--area", help="area or grid code prefix, e.g. 150105")
        parser.add_argument("--class", dest="class_code", help="class code prefix, e.g. 01 or 0101")
        parser.add_argument("--state", help="完好/破损/丢失/废弃 or intact/damaged/lost/abandoned")

    def handle(self, *args, **options):
        try:
            fmt = options["format"] or guess_format(options["output"])
            # Run by an operator on the server, so the whole inventory is visible (no user scope).
            queryset = component_filter(
                area_code=options["area"], class_code=options["class_code"], state=options["state"]
            )
            count = export_components(queryset, fmt, options["output"])
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message_zh} / {exc.message_en}") from None
        self.stdout.write(f"已导出 {count} 个部件 exported {count} components → {options['output']}")
