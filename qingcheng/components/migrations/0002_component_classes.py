"""Load the standard component classes (GB/T 30428.2 部件大类/小类) from data/component_classes.csv.

The CSV is read here rather than through the app's loader so the migration keeps working if the loader
module changes; re-running `manage.py load_component_classes` applies later edits of the CSV.
"""

import csv
from pathlib import Path

from django.db import migrations

CSV_PATH = Path(__file__).resolve().parent.parent / "data" / "component_classes.csv"


def load(apps, schema_editor):
    ComponentClass = apps.get_model("components", "ComponentClass")
    db = schema_editor.connection.alias
    with CSV_PATH.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    by_code = {}
    # Majors first so minors can point at them.
    for row in sorted(rows, key=lambda r: (len(r["code"]), r["code"])):
        parent = by_code.get(row["parent"]) if row["parent"] else None
        obj, _ = ComponentClass.objects.using(db).update_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "parent": parent,
                "verified": row["verified"].strip().lower() == "true",
                "default_accuracy": row["default_accuracy"],
                "note": row["note"],
            },
        )
        by_code[obj.code] = obj


class Migration(migrations.Migration):
    dependencies = [("components", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
