import time

from django.core.management.base import BaseCommand

from qingcheng.demo.city import load_demo_city


class Command(BaseCommand):
    help = (
        "Load the Hohhot demo city: real division tree and district boundaries, synthetic grids (idempotent)."
    )

    def handle(self, *args, **options):
        started = time.perf_counter()
        counts = load_demo_city(progress=options["verbosity"] >= 1)
        summary = ", ".join(f"{key} {value}" for key, value in counts.items())
        self.stdout.write(f"demo city: {summary} ({time.perf_counter() - started:.1f} s)")
