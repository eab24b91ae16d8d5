"""The component class table (部件分类, GB/T 30428.2): loading the standard classes from the CSV."""

from __future__ import annotations

import csv
from pathlib import Path

from django.db import transaction

from .models import ComponentClass

CLASSES_CSV = Path(__file__).resolve().parent / "data" / "component_classes.csv"


def read_class_rows(path: Path = CLASSES_CSV) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@transaction.atomic
def load_component_classes(path: Path = CLASSES_CSV) -> dict[str, int]:
    """Create or update the classes in the CSV (majors before minors). Idempotent; classes added locally
    and not in the CSV are left alone."""
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    by_code = {c.code: c for c in ComponentClass.objects.all()}
    for row in sorted(read_class_rows(path), key=lambda r: (len(r["code"]), r["code"])):
        values = {
            "name": row["name"],
            "parent": by_code.get(row["parent"]) if row["parent"] else None,
            "verified": row["verified"].strip().lower() == "true",
            "default_accuracy": row["default_accuracy"],
            "note": row["note"],
        }
        existing = by_code.get(row["code"])
        if existing is None:
            by_code[row["code"]] = ComponentClass.objects.create(code=row["code"], **values)
            counts["created"] += 1
            continue
        if all(getattr(existing, key) == value for key, value in values.items()):
            counts["unchanged"] += 1
            continue
        for key, value in values.items():
            setattr(existing, key, value)
        existing.save()
        counts["updated"] += 1
    return counts
