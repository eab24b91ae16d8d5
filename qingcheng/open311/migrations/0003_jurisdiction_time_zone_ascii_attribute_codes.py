"""A time zone per jurisdiction (times sent without an offset are read in it) and ASCII-only attribute
codes: a question whose code is not ASCII is renamed to q<order>, and the answers already stored under
the old code move with it, so service definitions list only codes FixMyStreet's client can send."""

from django.db import migrations, models

import qingcheng.open311.validators
from qingcheng.open311.validators import ATTRIBUTE_CODE, ascii_attribute_code


def rename_non_ascii_codes(apps, schema_editor):
    ServiceAttribute = apps.get_model("open311", "ServiceAttribute")
    ServiceRequest = apps.get_model("open311", "ServiceRequest")
    renames: dict[str, dict[str, str]] = {}
    for attribute in ServiceAttribute.objects.order_by("category_code", "order", "pk"):
        if ATTRIBUTE_CODE.match(attribute.code):
            continue
        taken = set(
            ServiceAttribute.objects.filter(category_code=attribute.category_code).values_list("code", flat=True)
        )
        new = ascii_attribute_code(attribute.code, taken=taken, order=attribute.order)
        renames.setdefault(attribute.category_code, {})[attribute.code] = new
        attribute.code = new
        # updated_at moves too, so the discovery changeset tells clients to read the definition again.
        attribute.save(update_fields=["code", "updated_at"])
    for category_code, mapping in renames.items():
        for link in ServiceRequest.objects.filter(service_code=category_code):
            answers = link.attributes or {}
            if any(code in mapping for code in answers):
                link.attributes = {mapping.get(code, code): value for code, value in answers.items()}
                link.save(update_fields=["attributes"])


class Migration(migrations.Migration):
    dependencies = [
        ("open311", "0002_seed_service_attributes"),
    ]

    operations = [
        migrations.AddField(
            model_name="jurisdiction",
            name="time_zone",
            field=models.CharField(
                default="Asia/Shanghai",
                help_text="Times that clients send without an offset (an HTML datetime-local value) are read in it",
                max_length=64,
                validators=[qingcheng.open311.validators.validate_time_zone],
                verbose_name="time zone",
            ),
        ),
        migrations.RunPython(rename_non_ascii_codes, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="serviceattribute",
            name="code",
            field=models.CharField(
                help_text="ASCII letters, digits, _ and - only: clients send it as the parameter name attribute[code]",
                max_length=40,
                validators=[qingcheng.open311.validators.validate_attribute_code],
                verbose_name="code",
            ),
        ),
    ]
