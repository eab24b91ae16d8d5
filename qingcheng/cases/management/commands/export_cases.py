"""`python manage.py export_cases --format csv --output FILE [--period 2026-10 | --since D --until D] [--as-of T]`."""

from __future__ import annotations

import sys
import time

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Export one row per case (no personal data) as CSV, UTF-8 with BOM; columns in docs/data-dictionary.md. "
        "Filters select cases by report time; --as-of rebuilds each case as it stood at that instant."
    )

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["csv"], default="csv")
        parser.add_argument(
            "--output", "-o", default="-", help="file to write ('-' = standard output, no BOM)"
        )
        parser.add_argument("--period", help="calendar month of the report time, YYYY-MM (local time)")
        parser.add_argument(
            "--since", help="reported at or after: YYYY-MM-DD (local midnight) or ISO 8601 datetime"
        )
        parser.add_argument(
            "--until", help="reported before: YYYY-MM-DD (that whole day included) or ISO 8601 datetime"
        )
        parser.add_argument(
            "--as-of", dest="as_of", help="export the cases as they stood at this date/datetime"
        )

    def handle(self, *args, **options):
        from qingcheng.cases.export import parse_instant, period_bounds, write_cases_csv

        try:
            since = parse_instant(options["since"]) if options["since"] else None
            until = parse_instant(options["until"], end_of_day=True) if options["until"] else None
            as_of = parse_instant(options["as_of"], end_of_day=True) if options["as_of"] else None
            if options["period"]:
                if since or until:
                    raise CommandError("--period cannot be combined with --since/--until")
                since, until = period_bounds(options["period"])
        except ValueError as exc:
            raise CommandError(f"bad date or period: {exc}") from exc
        started = time.perf_counter()
        if options["output"] == "-":
            count = write_cases_csv(sys.stdout, bom=False, since=since, until=until, as_of=as_of)
            return
        with open(options["output"], "w", encoding="utf-8", newline="") as out:
            count = write_cases_csv(out, since=since, until=until, as_of=as_of)
        if options["verbosity"] >= 1:
            self.stderr.write(
                f"export_cases: {count} cases → {options['output']} ({time.perf_counter() - started:.1f} s)"
            )
