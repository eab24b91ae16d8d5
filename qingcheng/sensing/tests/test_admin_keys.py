"""Device ingestion keys are issued from the admin, shown once, stored hashed, and accepted by the HTTP
ingestion endpoint."""

import json
import re
import time

import pytest

from qingcheng.sensing.models import DeviceKey, Reading

pytestmark = pytest.mark.django_db


def test_admin_issues_a_working_device_key_once(client, make_user, make_device):
    device = make_device("noise")
    admin = make_user(["admin"], area_code="150105")
    admin.is_staff = True
    admin.save(update_fields=["is_staff"])
    client.force_login(admin)
    response = client.post(
        "/admin/sensing/device/", {"action": "issue_key", "_selected_action": [device.pk]}, follow=True
    )
    texts = [str(m) for m in response.context["messages"]]
    raw = next(match.group() for text in texts if (match := re.search(r"qcd_[A-Za-z0-9_-]+", text)))
    key = DeviceKey.objects.get(device=device)
    assert raw.split("_")[1] == key.prefix and raw not in key.secret_hash

    client.logout()
    posted = client.post(
        "/sensing/http/v1/telemetry",
        json.dumps({"ts": int(time.time() * 1000), "values": {"LAeq": 61.5}}),
        content_type="application/json",
        HTTP_X_DEVICE_KEY=raw,
    )
    assert posted.status_code == 202, posted.content
    assert Reading.objects.filter(device=device).count() == 1
