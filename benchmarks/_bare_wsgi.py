"""The baseline server for benchmarks/intake.py: the same Django settings and database, one JSON
endpoint that does a single INSERT. Lives with the benchmarks, never in the product's URLs."""

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qingcheng.settings")

import django
from django.conf import settings

django.setup()
settings.ROOT_URLCONF = __name__
settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "Csrf" not in m]

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402


def insert(request):
    payload = json.loads(request.body or b"{}")
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_bare_insert (payload) VALUES (%s)", [json.dumps(payload)])
    return JsonResponse({"ok": True}, status=201)


urlpatterns = [path("bare/", insert)]
application = get_wsgi_application()
