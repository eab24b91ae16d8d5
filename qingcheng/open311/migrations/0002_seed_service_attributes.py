"""Seed the default Open311 service options and extra questions (a bureau edits them in the admin)."""

from django.db import migrations

from qingcheng.open311.seed_data import ATTRIBUTES, OPTIONS, seed_defaults


def seed(apps, schema_editor):
    seed_defaults(
        option_model=apps.get_model("open311", "ServiceOption"),
        attribute_model=apps.get_model("open311", "ServiceAttribute"),
        value_model=apps.get_model("open311", "ServiceAttributeValue"),
    )


def unseed(apps, schema_editor):
    ServiceOption = apps.get_model("open311", "ServiceOption")
    ServiceAttribute = apps.get_model("open311", "ServiceAttribute")
    ServiceOption.objects.filter(category_code__in=list(OPTIONS)).delete()
    for category_code, rows in ATTRIBUTES.items():
        ServiceAttribute.objects.filter(category_code=category_code, code__in=[r[0] for r in rows]).delete()


class Migration(migrations.Migration):
    dependencies = [("open311", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
