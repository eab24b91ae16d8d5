"""Seed the default alarm rules and the sensing vendor's machine-intake event codes."""

from django.db import migrations


def seed(apps, schema_editor):
    from qingcheng.sensing.defaults import seed_defaults

    seed_defaults(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("sensing", "0001_initial"), ("intake", "0002_seed_machine_event_mappings")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
