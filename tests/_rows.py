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
        "enforcement",
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


def row_fingerprint(app_labels=OUR_APPS) -> dict[str, tuple]:
    """Per table: the row count and, where the table has one, the latest `updated_at`, as one query.

    Counts alone miss a refused request that changed a row in place; every model with `updated_at`
    (auto_now) moves it on save, so an update shows here too."""
    models = sorted(
        (model for model in apps.get_models() if model._meta.app_label in app_labels and model._meta.managed),
        key=lambda model: model._meta.db_table,
    )
    quote = connection.ops.quote_name
    columns, tables = [], []
    for model in models:
        table = quote(model._meta.db_table)
        columns.append(f"(SELECT COUNT(*) FROM {table})")
        stamped = any(f.name == "updated_at" and f.concrete for f in model._meta.get_fields())
        columns.append(f"(SELECT MAX({quote('updated_at')}) FROM {table})" if stamped else "NULL")
        tables.append(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(columns))
        row = cursor.fetchone()
    return {table: (row[2 * i], row[2 * i + 1]) for i, table in enumerate(tables)}
