"""`python manage.py evaluation_report --period 2026-10 --level district --format json|xlsx|pdf [--as-of T] [--output FILE]`."""

from __future__ import annotations

import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation


class Command(BaseCommand):
    help = (
        "Evaluation report (GB/T 30428.4) of one level for one period: every indicator, score, colour grade and "
        "rank of each region, unit or post, as known at --as-of (default now). Definitions: docs/evaluation.md."
    )

    def add_arguments(self, parser):
        from qingcheng.evaluation.indicators import LEVELS

        parser.add_argument(
            "--period",
            required=True,
            help="2026-10 (month), 2026-Q4, 2026 or 2026-10-01..2026-10-15 (local days)",
        )
        parser.add_argument("--level", choices=LEVELS, default="district")
        parser.add_argument("--format", choices=["json", "xlsx", "pdf"], default="json")
        parser.add_argument(
            "--as-of",
            dest="as_of",
            help="judge every case as it stood at this date (its end) or ISO 8601 datetime, as export_cases does",
        )
        parser.add_argument("--output", "-o", default="-", help="file to write ('-' = standard output)")
        parser.add_argument(
            "--language", default=settings.LANGUAGE_CODE, help="language of labels (default zh-hans)"
        )

    def handle(self, *args, **options):
        from qingcheng.cases.export import parse_instant
        from qingcheng.evaluation.exports import render
        from qingcheng.evaluation.periods import parse_period
        from qingcheng.evaluation.selectors import evaluation_report

        try:
            period = parse_period(options["period"])
            as_of = parse_instant(options["as_of"], end_of_day=True) if options["as_of"] else None
        except ValueError as exc:
            raise CommandError(f"bad period or date: {exc}") from exc
        with translation.override(options["language"]):
            report = evaluation_report(actor=None, period=period, level=options["level"], as_of=as_of)
            data = render(report, options["format"])
        if options["output"] == "-":
            sys.stdout.buffer.write(data)
            if options["format"] == "json":
                sys.stdout.buffer.write(b"\n")
            sys.stdout.flush()
            return
        with open(options["output"], "wb") as out:
            out.write(data)
        if options["verbosity"] >= 1:
            self.stderr.write(
                f"evaluation_report: {len(report.objects)} objects, {options['period']} {options['level']} "
                f"→ {options['output']}"
            )
