"""Shared set-up for benchmark scripts: a Django environment on a benchmark database of its own."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def django_setup(db_name: str) -> None:
    """Use DATABASE_URL if set, else a SQLite file var/bench-<db_name>.sqlite3 kept between runs."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qingcheng.settings")
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = f"sqlite:///{ROOT / 'var' / f'bench-{db_name}.sqlite3'}"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[k]


def emit(benchmark: str, headline: dict, figures: dict) -> None:
    print(
        json.dumps(
            {
                "benchmark": benchmark,
                "machine": {"cores": os.cpu_count()},
                "headline": headline,
                "figures": figures,
            },
            ensure_ascii=False,
        )
    )
