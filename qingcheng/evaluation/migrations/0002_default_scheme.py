"""The default scoring scheme: the 金华 scheme (see docs/evaluation.md); a bureau edits it in the admin."""

from django.db import migrations

DEFAULT_NAME = "金华方案（默认）"


def seed(apps, schema_editor):
    Scheme = apps.get_model("evaluation", "ScoringScheme")
    if not Scheme.objects.exists():
        Scheme.objects.create(
            name=DEFAULT_NAME,
            is_active=True,
            note=(
                "按期结案率≥70%得50分，每低1个百分点扣1分；结案率≥90%得20分，每低1个百分点扣1分；"
                "每返工1次扣0.2分，同一案卷返工3次及以上另扣0.5分。"
            ),
        )


def unseed(apps, schema_editor):
    apps.get_model("evaluation", "ScoringScheme").objects.filter(name=DEFAULT_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
