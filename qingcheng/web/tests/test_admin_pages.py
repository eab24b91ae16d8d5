"""Every model has an admin page that renders in both languages."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

OUR_APPS = {
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


def our_models():
    return [m for m in apps.get_models() if m._meta.app_label in OUR_APPS and m._meta.managed]


def test_every_model_is_in_the_admin():
    missing = [m._meta.label for m in our_models() if m not in admin.site._registry]
    assert missing == []


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_changelist_renders(client, language):
    from qingcheng.accounts.models import User

    root = User.objects.create_superuser("root", password="x-very-secret-1", area_code="15")
    client.force_login(root)
    client.cookies["django_language"] = language
    for model in our_models():
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response = client.get(url)
        assert response.status_code == 200, url
        assert f'lang="{language}"' in response.content.decode()
