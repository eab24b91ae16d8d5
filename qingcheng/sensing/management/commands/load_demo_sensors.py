"""Place about 200 synthetic demo devices of every type at real grid centroids of the demo city."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from qingcheng.sensing.demo import load_demo_sensors


class Command(BaseCommand):
    help = "Create the synthetic demo sensors (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=200)

    def handle(self, *args, **options):
        created, total = load_demo_sensors(count=options["count"])
        self.stdout.write(f"demo sensors: {created} created, {total} in total (synthetic)")
