#!/usr/bin/env python
"""Benchmark of administrative enforcement at a bureau's scale.

Set-up: synthetic penalty cases of 赛罕区 (labelled 合成数据), written in bulk with their statutory periods
and payment notices, spread over a year; then, through the real services, a number of whole general
procedures (open → approve → investigate → end → notify → proceed → decide → serve, with the payment notice).

Measured:
- `statistics_s`: the leaders' statistics (`selectors.enforcement_statistics`, a year, the whole district);
- `sweep_s`: the deadline sweep (`services.penalty_deadline_sweep`) over every open period;
- `procedure_steps_per_s`: steps of the general procedure per second through the services;
- baseline: one grouped `SELECT status, count(*), sum(fine)` over the cases and one over the periods,
  the least any statistics must read. Headline: statistics_s against it.

    .venv/bin/python benchmarks/enforcement.py            # 100,000 cases on var/bench-enforcement.sqlite3
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/qingcheng_bench_enf .venv/bin/python benchmarks/enforcement.py
    .venv/bin/python benchmarks/enforcement.py --quick    # smoke run (2,000 cases; the test suite runs it)
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time
import uuid
from zoneinfo import ZoneInfo

from _common import django_setup, emit

SH = ZoneInfo("Asia/Shanghai")
MARK = "（合成数据）"


def load(first: int, n: int, violation, bank) -> None:
    from django.db import connection, transaction

    from qingcheng.core.models import Deadline
    from qingcheng.enforcement.models import PaymentNotice, PenaltyCase, PenaltyDeadline

    rng = random.Random(7)
    start = dt.datetime(2025, 11, 1, 9, tzinfo=SH)
    statuses = ["investigating", "notified", "deciding", "executing", "executed", "closed"]
    purposes = ["decision", "statement", "payment", "closing", "disclosure"]
    now = dt.datetime.now(tz=SH)
    with transaction.atomic():
        for chunk in range(first, n, 5_000):
            cases = []
            for i in range(chunk, min(n, chunk + 5_000)):
                filed = start + dt.timedelta(minutes=rng.randrange(365 * 24 * 60))
                status = rng.choice(statuses)
                decided = filed + dt.timedelta(days=rng.randrange(10, 80)) if status in statuses[3:] else None
                cases.append(
                    PenaltyCase(
                        public_id=uuid.uuid4(),
                        number=f"BENCH-{i:07d}",
                        procedure="general",
                        source="inspection",
                        status=status,
                        violation=violation,
                        facts="占道经营" + MARK,
                        address="赛罕区",
                        occurred_at=filed,
                        area_code="150105",
                        party_kind="individual",
                        party_name="某某",
                        filed_at=filed,
                        decided_at=decided,
                        served_at=decided,
                        fine_fen=rng.choice([0, 5_000, 20_000, 100_000]),
                        bank=bank,
                    )
                )
            PenaltyCase.objects.bulk_create(cases, batch_size=1_000)
            created = list(PenaltyCase.objects.filter(number__in=[c.number for c in cases]))
            deadlines, periods, notices = [], [], []
            for case in created:
                purpose = rng.choice(purposes)
                due = case.filed_at + dt.timedelta(days=rng.randrange(3, 120))
                deadlines.append(
                    Deadline(
                        kind="calendar_days",
                        start=case.filed_at,
                        amount=90,
                        due_at=due,
                        computed_at=now,
                        purpose=purpose,
                    )
                )
            Deadline.objects.bulk_create(deadlines, batch_size=1_000)
            for case, deadline in zip(created, deadlines, strict=True):
                met = deadline.due_at - dt.timedelta(days=1) if rng.random() < 0.7 else None
                periods.append(
                    PenaltyDeadline(
                        case=case,
                        purpose=deadline.purpose,
                        deadline=deadline,
                        due_at=deadline.due_at,
                        met_at=met,
                    )
                )
                if case.decided_at and case.fine_fen:
                    paid = rng.random() < 0.6
                    notices.append(
                        PaymentNotice(
                            case=case,
                            number=f"BJK-{case.number}",
                            bank=bank,
                            amount_fen=case.fine_fen,
                            due_at=case.decided_at + dt.timedelta(days=15),
                            status="paid" if paid else "unpaid",
                            paid_at=case.decided_at + dt.timedelta(days=5) if paid else None,
                            paid_fen=case.fine_fen if paid else 0,
                        )
                    )
            PenaltyDeadline.objects.bulk_create(periods, batch_size=1_000)
            PaymentNotice.objects.bulk_create(notices, batch_size=1_000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def walks(count: int, people: dict, violation, bank) -> tuple[int, float]:
    from qingcheng.core import clock
    from qingcheng.enforcement.penalty import services

    pair = [people["officer"].pk, people["officer2"].pk]
    steps = 0
    began = time.perf_counter()
    base = dt.datetime(2026, 3, 2, 9, tzinfo=SH)
    for i in range(count):
        t = base + dt.timedelta(days=i % 60)

        def act(who, case, action, hours, t=t, **params):
            nonlocal steps
            params.setdefault("officer_ids", pair)
            with clock.at(t + dt.timedelta(hours=hours)):
                steps += 1
                return services.penalty_case_act(actor=people[who], case=case, action=action, **params)

        with clock.at(t):
            case = services.penalty_case_open(
                actor=people["officer"],
                source="inspection",
                violation_code=violation.code,
                facts="占道经营" + MARK,
                address="赛罕区",
                occurred_at=t,
                officer_ids=pair,
                party_kind="individual",
                party_name="某某",
                party_address="赛罕区",
                area_code="150105",
            )
            steps += 1
        case = act("head", case, "approve_filing", 1)
        case = act("officer", case, "record_investigation", 2, record="笔录" + MARK)
        case = act("officer", case, "end_investigation", 3, fine_fen=20_000, report="终结" + MARK)
        case = act("officer", case, "notify", 4)
        case = act("officer", case, "proceed", 24 * 20)
        case = act("head", case, "decide", 24 * 20 + 1, bank_id=bank.pk)
        act("officer", case, "serve", 24 * 20 + 2)
    return steps, time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--cases", type=int, default=None)
    args = parser.parse_args()
    n = args.cases or (2_000 if args.quick else 100_000)
    walk_count = 10 if args.quick else 100
    django_setup("enforcement")

    from django.db import connection

    from qingcheng.accounts.services import department_create, user_create
    from qingcheng.enforcement import selectors
    from qingcheng.enforcement.models import CollectingBank, PenaltyCase, PenaltyDeadline, Violation
    from qingcheng.enforcement.penalty import services

    tag = uuid.uuid4().hex[:6]
    unit = department_create(
        actor=None, code=f"BENCH-{tag}", name="基准测试执法局" + MARK, kind="enforcement", area_code="150105"
    )
    people = {
        who: user_create(
            actor=None,
            username=f"bench-{who}-{tag}",
            password=uuid.uuid4().hex,
            area_code="150105",
            roles=[role],
            department=unit,
        )
        for who, role in (
            ("officer", "enforcement_officer"),
            ("officer2", "enforcement_officer"),
            ("head", "enforcement_head"),
        )
    }
    violation = Violation.objects.get(code="SR-01")
    bank, _ = CollectingBank.objects.get_or_create(
        code="BENCH-BANK",
        defaults={
            "name": "基准银行" + MARK,
            "address": "赛罕区",
            "agreement_number": "B-1",
            "area_code": "150105",
        },
    )
    began = time.perf_counter()
    existing = PenaltyCase.objects.filter(number__startswith="BENCH-").count()
    if existing < n:  # a database from an earlier run is topped up, not reloaded
        load(existing, n, violation, bank)
    load_s = time.perf_counter() - began

    steps, walk_s = walks(walk_count, people, violation, bank)

    def timed(fn, repeat=3) -> float:
        best = float("inf")
        for _ in range(repeat):
            t0 = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - t0)
        return best

    year = (dt.date(2025, 11, 1), dt.date(2026, 10, 31))
    statistics_s = timed(
        lambda: selectors.enforcement_statistics(actor=people["head"], date_from=year[0], date_to=year[1])
    )

    def count_scan() -> None:
        with connection.cursor() as cursor:
            # The least any statistics must read: one grouped pass over the cases and one over the periods.
            cursor.execute(
                "SELECT status, count(*), sum(fine_fen) FROM enforcement_penaltycase GROUP BY status"
            )
            cursor.fetchall()
            cursor.execute("SELECT purpose, count(*) FROM enforcement_penaltydeadline GROUP BY purpose")
            cursor.fetchall()

    baseline_s = timed(count_scan)
    open_periods = PenaltyDeadline.objects.filter(met_at__isnull=True, cancelled=False).count()
    sweep_at = dt.datetime(2026, 11, 20, 9, tzinfo=SH)
    t0 = time.perf_counter()
    swept = services.penalty_deadline_sweep(now=sweep_at)
    sweep_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    services.penalty_deadline_sweep(now=sweep_at)
    resweep_s = time.perf_counter() - t0
    emit(
        "enforcement",
        {
            "metric": "statistics_s",
            "value": round(statistics_s, 4),
            "unit": "s",
            "baseline_metric": "grouped_scan_s",
            "baseline_value": round(baseline_s, 4),
            "ratio": round(statistics_s / baseline_s, 2) if baseline_s else None,
            "higher_is_better": False,
        },
        {
            "database": connection.vendor,
            "cases": PenaltyCase.objects.count(),
            "open_periods": open_periods,
            "load_s": round(load_s, 1),
            "procedure_walks": walk_count,
            "procedure_steps": steps,
            "procedure_steps_per_s": round(steps / walk_s, 1),
            "sweep_s": round(sweep_s, 3),
            "sweep_warned": swept["warned"],
            "case_overdue_sweep": swept["overdue"],
            "resweep_s": round(resweep_s, 3),
        },
    )


if __name__ == "__main__":
    main()
