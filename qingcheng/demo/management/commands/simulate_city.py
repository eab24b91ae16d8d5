"""`python manage.py simulate_city --days 30 --per-day 40 --seed 1`: a month of demo traffic."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from qingcheng.core.errors import DomainError
from qingcheng.demo.simulation import already_simulated, simulate_city


class Command(BaseCommand):
    help = (
        "Drive simulated traffic (supervisors by beat, hotline, public, video and sensors) through the real "
        "case services for the days ending yesterday; deterministic per seed. Skips when a simulation is "
        "already recorded in the database, unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=30, help="number of days to simulate (default 30)")
        parser.add_argument(
            "--per-day",
            type=int,
            default=40,
            help="reports per working day (default 40; weekends three quarters)",
        )
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument(
            "--until",
            type=dt.date.fromisoformat,
            default=None,
            help="last simulated day, YYYY-MM-DD (default: yesterday)",
        )
        parser.add_argument("--force", action="store_true", help="simulate even if a simulation was recorded")

    def handle(self, *args, **options):
        if options["days"] < 1 or options["per_day"] < 1:
            raise CommandError("--days and --per-day must be at least 1")
        if not options["force"] and already_simulated():
            self.stdout.write(
                "simulate_city: a simulation is already recorded; reusing it (--force to add another)."
            )
            return
        verbose = options["verbosity"] >= 1
        reported = [0]

        def progress(line: str) -> None:
            # Every simulated day with -v 2, every fifth day (and the last) otherwise.
            reported[0] += 1
            if options["verbosity"] >= 2 or reported[0] % 5 == 0 or reported[0] > options["days"]:
                self.stdout.write(f"simulate_city: {line}")

        try:
            result = simulate_city(
                days=options["days"],
                per_day=options["per_day"],
                seed=options["seed"],
                until=options["until"],
                progress=progress if verbose else None,
            )
        except DomainError as exc:
            raise CommandError(exc.message_en) from exc
        if verbose:
            statuses = ", ".join(
                f"{k} {v}" for k, v in sorted(result.by_status.items(), key=lambda kv: -kv[1])
            )
            sources = ", ".join(
                f"{k} {v}" for k, v in sorted(result.by_source.items(), key=lambda kv: -kv[1])
            )
            self.stdout.write(
                f"simulate_city: {result.first_day} .. {result.last_day}: {result.cases} cases, {result.actions} actions "
                f"in {result.seconds:.1f} s ({result.cases_per_second:.0f} cases/s); overdue at the end {result.overdue}; "
                f"failures {result.failures}; synthetic supervisors {result.synthetic_users}\n"
                f"  by status: {statuses}\n  by source: {sources}"
            )
            if result.missing_states:
                self.stdout.write(f"  states not present: {', '.join(result.missing_states)}")
