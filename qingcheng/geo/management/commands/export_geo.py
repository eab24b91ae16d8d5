import json

from django.core.management.base import BaseCommand

from qingcheng.geo.models import AdminArea, UnitGrid
from qingcheng.geo.selectors import areas_as_geojson, grids_as_geojson


class Command(BaseCommand):
    help = "Export administrative areas or current unit grids as GeoJSON."

    def add_arguments(self, parser):
        parser.add_argument("layer", choices=["areas", "grids"])
        parser.add_argument("--output", required=True)
        parser.add_argument("--area", default="", help="only codes starting with this prefix")

    def handle(self, *args, **options):
        if options["layer"] == "areas":
            rows = AdminArea.objects.filter(code__startswith=options["area"]).select_related("parent")
            data = areas_as_geojson(rows)
        else:
            rows = UnitGrid.objects.filter(valid_to__isnull=True, code__startswith=options["area"])
            data = grids_as_geojson(rows.iterator(chunk_size=2000))
        with open(options["output"], "w", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False, separators=(",", ":"))
        self.stdout.write(f"wrote {len(data['features'])} features to {options['output']}")
