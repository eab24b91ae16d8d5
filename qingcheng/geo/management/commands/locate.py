import json

from django.core.management.base import BaseCommand, CommandError

from qingcheng.core.errors import DomainError
from qingcheng.geo.selectors import locate


class Command(BaseCommand):
    help = (
        "Print the grid, community, street, district, beat and responsible units of a WGS-84 point as JSON."
    )

    def add_arguments(self, parser):
        parser.add_argument("lon", type=float)
        parser.add_argument("lat", type=float)
        parser.add_argument("--matter", default="", help="matter type (catalogue code) for responsibility")
        parser.add_argument("--snap", type=float, default=None, help="snap tolerance in metres")

    def handle(self, *args, **options):
        try:
            location = locate(
                options["lon"], options["lat"], snap_m=options["snap"], with_responsible=options["matter"]
            )
        except DomainError as exc:
            raise CommandError(json.dumps(exc.as_dict()["error"], ensure_ascii=False)) from exc
        self.stdout.write(json.dumps(location.as_dict(), ensure_ascii=False))
