import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from qingcheng.core.jobs_registry import discover, run_due


class Command(BaseCommand):
    help = "Run the periodic jobs (deadline sweeps, warnings) in a loop, or once with --once."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run every job once and exit")
        parser.add_argument("--interval", type=int, default=None, help="seconds between checks for due jobs")

    def handle(self, *args, **options):
        jobs = discover()
        self.stdout.write(f"jobs: {', '.join(sorted(jobs)) or '(none)'}")
        if options["once"]:
            for job in jobs.values():
                job.next_run = 0
            ran = run_due()
            self.stdout.write(f"ran {len(ran)} jobs")
            return
        # Wake often enough for the most frequent job (the audit sealer runs every few seconds).
        interval = options["interval"] or min(
            settings.JOBS_INTERVAL_SECONDS, *(j.every_seconds for j in jobs.values())
        )
        while True:
            close_old_connections()
            run_due()
            time.sleep(interval)
