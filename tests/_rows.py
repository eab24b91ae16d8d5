"""Row counts of our tables, as one query: the witness that a refused request wrote nothing."""

from __future__ import annotations

from django.apps import apps
from django.db import connection

OUR_APPS = frozenset(
    {
        "core",
        "accounts",
        "geo",
        "components",
        "cases",
        "intake",
        "open311",
        "evaluation",
        "sensing",
        "emergency",
    }
)


def row_counts(app_labels=OUR_APPS) -> dict[str, int]:
    tables = sorted(
        model._meta.db_table
        for model in apps.get_models()
        if model._meta.app_label in app_labels and model._meta.managed
    )
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {quote(t)})" for t in tables))
        return dict(zip(tables, cursor.fetchone(), strict=True))
