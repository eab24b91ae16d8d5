"""Load the catalogue of violations (违法行为/案由) with legal bases and discretion benchmarks from
data/violations.json through the historical models. Idempotent (natural keys); the reverse keeps the rows,
since penalty cases may already point at them."""

from django.db import migrations

from qingcheng.enforcement.catalogue import load_catalogue


def load(apps, schema_editor):
    load_catalogue(
        apps.get_model("enforcement", "LegalBasis"),
        apps.get_model("enforcement", "Violation"),
        apps.get_model("enforcement", "DiscretionLevel"),
        using=schema_editor.connection.alias,
    )


class Migration(migrations.Migration):
    dependencies = [("enforcement", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
