#!/usr/bin/env python
"""Benchmark of the evaluation report (GB/T 30428.4) on 1,000,000 cases.

Loads a year of synthetic cases over the demo city's grids with PostgreSQL's COPY (psycopg), then times
the monthly district-level and street-level reports exactly as `evaluation_report` computes them (every
indicator, scores, ranks and the previous month's scores) and, in the same run, the baseline: a plain
`SELECT count(*)` over the case table. Headline: district_report_s against count_scan_s (lower is better).

    .venv/bin/python benchmarks/evaluation.py            # creates the PostgreSQL database qingcheng_bench_evaluation
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/other .venv/bin/python benchmarks/evaluation.py
    .venv/bin/python benchmarks/evaluation.py --quick    # smoke run (the test suite runs it on SQLite)

A database that already holds exactly the requested number of benchmark cases is reused (--reload forces a
new load).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import time
import uuid
from datetime import UTC, datetime

from _common import django_setup, emit

PG_URL = "postgres://postgres@127.0.0.1:5432/qingcheng_bench_evaluation"
MONTH = "2026-10"
START = datetime(2025, 11, 1, tzinfo=UTC).timestamp() - 8 * 3600  # 2025-11-01 00:00 Asia/Shanghai
END = datetime(2026, 11, 1, tzinfo=UTC).timestamp() - 8 * 3600  # 2026-11-01 00:00 Asia/Shanghai
CHUNK = 100_000


def ensure_postgres_database() -> None:
    """No DATABASE_URL: a throwaway database on the local PostgreSQL (trust authentication, user postgres)."""
    if os.environ.get("DATABASE_URL"):
        return
    name = PG_URL.rsplit("/", 1)[1]
    psql = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-tAc"]
    exists = subprocess.run(
        [*psql, f"SELECT 1 FROM pg_database WHERE datname='{name}'"], capture_output=True, text=True
    )
    if exists.returncode != 0:
        raise SystemExit(f"PostgreSQL on 127.0.0.1:5432 is not reachable: {exists.stderr.strip()}")
    if exists.stdout.strip() != "1":
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
    os.environ["DATABASE_URL"] = PG_URL


def city(quick: bool) -> tuple[list[tuple[int, str, float, float]], list[int], list[int]]:
    """Grids (id, code, lon, lat), subclass ids and handling-unit ids to draw cases from."""
    from qingcheng.accounts.models import Department
    from qingcheng.cases.catalogue import load_demo_catalogue
    from qingcheng.cases.models import CaseCategory
    from qingcheng.geo.models import UnitGrid

    if not UnitGrid.objects.exists():
        if quick:
            from qingcheng.demo.users import load_demo_users
            from qingcheng.geo.testing import build_test_city

            build_test_city()
            load_demo_users()
        else:
            from qingcheng.demo.city import load_demo_city

            load_demo_city()
    version = load_demo_catalogue()
    grids = list(
        UnitGrid.objects.filter(valid_to__isnull=True).values_list(
            "id", "code", "centroid_lon", "centroid_lat"
        )
    )
    categories = [c.pk for c in CaseCategory.objects.filter(version=version) if c.is_subclass]
    units = list(Department.objects.filter(is_active=True).values_list("pk", flat=True))
    return grids, categories, units


def columns() -> list[str]:
    from qingcheng.cases.models import Case

    return [f.column for f in Case._meta.concrete_fields if f.column != "id"]


def generate(n: int, offset: int, total: int, grids, categories, units, rng) -> dict[str, list[str]]:
    """One chunk of cases as text columns for COPY (\\N is NULL), in report order."""
    import numpy as np

    def stamp(seconds, mask=None):
        values = np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s")
        text = np.char.add(values, "+00")
        if mask is not None:
            text = np.where(mask, text, "\\N")
        return text.tolist()

    span = (END - START) / total
    reported = np.sort(rng.uniform(START + offset * span, START + (offset + n) * span, n))
    fate = rng.random(n)
    cancelled = fate < 0.04
    merged = (fate >= 0.04) & (fate < 0.06)
    self_handled = (fate >= 0.06) & (fate < 0.09)
    opened_mask = fate >= 0.09
    opened = reported + rng.exponential(20 * 60, n)
    dispatched = opened + rng.exponential(15 * 60, n)
    limit = rng.choice([4 * 3600.0, 8 * 3600.0, 48 * 3600.0], n, p=[0.6, 0.3, 0.1])
    due = dispatched + limit
    outcome = rng.random(n)
    closed = opened_mask & (outcome < 0.88)
    waiting_check = opened_mask & (outcome >= 0.88) & (outcome < 0.92)
    # 0.92 ≤ outcome < 0.97: still with the unit (the default status below)
    deferred = opened_mask & (outcome >= 0.97) & (outcome < 0.99)
    parked = opened_mask & (outcome >= 0.99)
    feedback = dispatched + limit * rng.gamma(2.0, 0.4, n)
    closed_at = feedback + rng.exponential(40 * 60, n)
    reworks = rng.choice([0, 1, 2, 3], n, p=[0.88, 0.09, 0.02, 0.01])
    rated = closed & (rng.random(n) < 0.1)
    status = np.full(n, "handling", dtype=object)
    status[closed] = "closed"
    status[waiting_check] = "checking"
    status[deferred] = "deferred"
    status[parked] = "parked"
    status[cancelled] = "cancelled"
    status[merged] = "merged"
    status[self_handled] = "closed"
    grid_index = rng.integers(0, len(grids), n)
    unit_index = rng.integers(0, len(units), n)
    category_index = rng.integers(0, len(categories), n)
    dispatched_mask = opened_mask
    fed_back = closed | waiting_check
    ids = np.arange(offset, offset + n)
    zero_one = np.array(["f", "t"])
    grid_ids = [str(grids[i][0]) for i in grid_index]
    grid_codes = [grids[i][1] for i in grid_index]
    lons = [repr(grids[i][2]) for i in grid_index]
    lats = [repr(grids[i][3]) for i in grid_index]
    owner = np.array([str(units[i]) for i in unit_index], dtype=object)
    owner[~dispatched_mask] = "\\N"
    return {
        "created_at": stamp(reported),
        "updated_at": stamp(reported),
        "public_id": [uuid.UUID(int=int(i) + 1).hex for i in ids],
        "number": [f"B{i:011d}" for i in ids],
        "source": ["supervisor"] * n,
        "external_number": [""] * n,
        "category_id": [str(categories[i]) for i in category_index],
        "handling_type": [""] * n,
        "urgency": np.where(rng.random(n) < 0.05, "urgent", "normal").tolist(),
        "status": status.tolist(),
        "lon": lons,
        "lat": lats,
        "grid_id": grid_ids,
        "grid_code": grid_codes,
        "address": [""] * n,
        "description": ["基准测试案卷"] * n,
        "reported_by_id": ["\\N"] * n,
        "owner_department_id": owner.tolist(),
        "suggested_department_id": ["\\N"] * n,
        "reported_at": stamp(reported),
        "verified_at": ["\\N"] * n,
        "opened_at": stamp(opened, opened_mask),
        "dispatched_at": stamp(dispatched, dispatched_mask),
        "accepted_at": stamp(dispatched + 600, dispatched_mask),
        "feedback_at": stamp(feedback, fed_back),
        "checked_at": stamp(closed_at - 600, closed),
        "closed_at": stamp(closed_at, closed | self_handled),
        "cancelled_at": stamp(opened, cancelled),
        "verify_deadline_id": ["\\N"] * n,
        "open_deadline_id": ["\\N"] * n,
        "dispatch_deadline_id": ["\\N"] * n,
        "accept_deadline_id": ["\\N"] * n,
        "handle_deadline_id": ["\\N"] * n,
        "check_deadline_id": ["\\N"] * n,
        "handle_due_at": stamp(due, dispatched_mask),
        "rework_count": np.where(opened_mask, reworks, 0).astype(str).tolist(),
        "return_count": np.where(opened_mask & (rng.random(n) < 0.02), 1, 0).astype(str).tolist(),
        "extension_count": np.where(opened_mask & (rng.random(n) < 0.03), 1, 0).astype(str).tolist(),
        "overdue": zero_one[(dispatched_mask & (feedback > due)).astype(int)].tolist(),
        "supervised": ["f"] * n,
        "was_deferred": zero_one[deferred.astype(int)].tolist(),
        "was_parked": zero_one[parked.astype(int)].tolist(),
        "merged_into_id": ["\\N"] * n,
        "satisfaction": np.where(rated, rng.integers(1, 6, n).astype(str), "\\N").tolist(),
        "public_tracking_hash": [""] * n,
        "version": ["1"] * n,
        "pending_request": ["{}"] * n,
    }


def load(n: int, grids, categories, units, seed: int) -> dict[str, float]:
    """Replace the cases with `n` synthetic ones. On PostgreSQL: COPY with the secondary indexes dropped
    and foreign-key triggers off (the generated rows are consistent), then the indexes rebuilt. Returns
    the seconds of each stage."""
    import numpy as np
    from django.db import connection

    rng = np.random.default_rng(seed)
    names = columns()
    postgres = connection.vendor == "postgresql"
    timings = {"generate_s": 0.0, "copy_s": 0.0, "index_s": 0.0}
    started = time.perf_counter()
    indexes: list[str] = []
    with connection.cursor() as cursor:
        if postgres:
            cursor.execute("TRUNCATE cases_case RESTART IDENTITY CASCADE")
            cursor.execute(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = 'cases_case' AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint c WHERE c.conindid = (quote_ident(i.indexname))::regclass)"
            )
            for name, definition in cursor.fetchall():
                indexes.append(definition)
                cursor.execute(f'DROP INDEX "{name}"')
        else:
            cursor.execute("DELETE FROM cases_case")
    connection.ensure_connection()
    raw = connection.connection
    if postgres:
        with raw.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")  # no FK triggers while loading
    try:
        for offset in range(0, n, CHUNK):
            t0 = time.perf_counter()
            size = min(CHUNK, n - offset)
            chunk = generate(size, offset, n, grids, categories, units, rng)
            rows = list(zip(*(chunk[name] for name in names), strict=True))
            if postgres:
                data = "\n".join("\t".join(row) for row in rows) + "\n"
                t1 = time.perf_counter()
                with (
                    raw.cursor() as cursor,
                    cursor.copy(f"COPY cases_case ({', '.join(names)}) FROM STDIN") as copy,
                ):
                    copy.write(data)
                if not raw.autocommit:
                    raw.commit()
            else:
                values = [tuple(None if v == "\\N" else _sqlite_value(v) for v in row) for row in rows]
                t1 = time.perf_counter()
                placeholders = ", ".join(["?"] * len(names))
                with raw:  # one transaction per chunk on the raw sqlite3 connection
                    raw.executemany(
                        f"INSERT INTO cases_case ({', '.join(names)}) VALUES ({placeholders})", values
                    )
            timings["generate_s"] += t1 - t0
            timings["copy_s"] += time.perf_counter() - t1
    finally:
        if postgres:
            with raw.cursor() as cursor:
                cursor.execute("SET session_replication_role = DEFAULT")
    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        for definition in indexes:
            cursor.execute(definition)
        if postgres:
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("ANALYZE")
    timings["index_s"] = time.perf_counter() - t0
    timings["load_s"] = time.perf_counter() - started
    return timings


def _sqlite_value(value: str):
    if value in ("t", "f"):
        return value == "t"
    if len(value) == 22 and value.endswith("+00") and value[10] == "T":
        return value[:10] + " " + value[11:19]
    return value


def timed(fn, repeat: int) -> tuple[float, float]:
    """Median and best of `repeat` runs after one warm-up run."""
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--cases", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=None)
    parser.add_argument(
        "--reload", action="store_true", help="load the cases even if the database holds them"
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    n = args.cases or (20_000 if args.quick else 1_000_000)
    repeat = args.repeat or (2 if args.quick else 5)

    ensure_postgres_database()
    django_setup("evaluation")
    from django.db import connection

    from qingcheng.cases.models import Case
    from qingcheng.evaluation.periods import parse_period
    from qingcheng.evaluation.selectors import evaluation_report

    t0 = time.perf_counter()
    grids, categories, units = city(args.quick)
    setup_s = time.perf_counter() - t0
    existing = Case.objects.count()
    reused = existing == n and not args.reload and Case.objects.filter(number__startswith="B").count() == n
    loading = {} if reused else load(n, grids, categories, units, args.seed)
    load_s = loading.get("load_s")

    period = parse_period(MONTH)
    as_of = datetime.fromtimestamp(END + 10 * 86400, UTC)

    def scan():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM cases_case")
            return cursor.fetchone()[0]

    def handwritten():
        """The bare aggregate for comparison: one month, a few FILTER counts per district."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT substr(grid_code, 1, 6), count(*), "
                "count(*) FILTER (WHERE status = 'closed'), "
                "count(*) FILTER (WHERE status = 'closed' AND closed_at <= handle_due_at) "
                "FROM cases_case WHERE opened_at >= %s AND opened_at < %s GROUP BY 1",
                [period.start, period.end],
            )
            return cursor.fetchall()

    reports = {}

    def report(level):
        def run():
            reports[level] = evaluation_report(actor=None, period=period, level=level, as_of=as_of)

        return run

    count_s, count_best = timed(scan, repeat)
    district_s, district_best = timed(report("district"), repeat)
    street_s, street_best = timed(report("street"), repeat)
    handwritten_s, _ = timed(handwritten, repeat)
    cohort = reports["district"].total.indicators["due"]
    emit(
        "evaluation",
        {
            "metric": "district_report_s",
            "value": round(district_s, 6),
            "unit": "s",
            "baseline_metric": "count_scan_s",
            "baseline_value": max(round(count_s, 6), 1e-6),
            "ratio": round(district_s / count_s, 2),
            "higher_is_better": False,
        },
        {
            "database": connection.vendor,
            "cases": scan(),
            "month": MONTH,
            "cohort_cases": cohort,
            "district_report_s": round(district_s, 6),
            "district_report_best_s": round(district_best, 6),
            "districts": len(reports["district"].objects),
            "street_report_s": round(street_s, 6),
            "street_report_best_s": round(street_best, 6),
            "street_ratio": round(street_s / count_s, 2),
            "streets": len(reports["street"].objects),
            "count_scan_s": round(count_s, 6),
            "count_scan_best_s": round(count_best, 6),
            "handwritten_sql_s": round(handwritten_s, 6),
            "load_s": None if load_s is None else round(load_s, 1),
            "load_rows_per_s": None if load_s is None else round(n / load_s),
            "load_stages_s": {k: round(v, 1) for k, v in loading.items() if k != "load_s"},
            "reused_loaded_data": reused,
            "city_setup_s": round(setup_s, 1),
            "repeat": repeat,
        },
    )


if __name__ == "__main__":
    main()
