"""城管通 in the browser: the supervisor's field app, installable as a PWA scoped to /m/.

The page is a shell; tasks and reports go through the JSON API (/api/intake/supervisor/...), and reports
made offline wait in the phone's IndexedDB with their Idempotency-Key until the network returns.
"""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from qingcheng.core.access import page_permission

from . import selectors


# The supervisors' channel: reporting alone (citizens, receivers) is not enough (intake.services).
@page_permission("cases.field_task_case")
def field_app(request: HttpRequest) -> HttpResponse:
    user = request.user
    context = selectors.field_app_context(user)
    # Rendered with json_script: names are admin data and must not end the <script> element.
    context["subclasses"] = [
        {"code": c.code, "name": c.name, "parent": c.parent.name if c.parent else ""}
        for c in context["subclasses"]
    ]
    context["messages_for_js"] = {
        "sent": _("Sent: case"),
        "queued": _("Saved on this phone; it will be sent when the network returns."),
        "outbox_empty": _("Nothing waiting."),
        "photos": _("photos"),
        "delete": _("Delete"),
        "confirm_delete": _("Delete this report from the phone? It has not been sent."),
        "gps_failed": _("No GPS fix: tap the map to place the problem."),
        "tapped": _("Placed on the map"),
        "choose_subclass": _("Choose a subclass…"),
        "need_photo": _("Take at least one photo."),
        "need_position": _("Set the position."),
        "need_subclass": _("Choose a subclass."),
        "need_description": _("Describe the problem."),
        "need_after_photo": _("A problem fixed on the spot needs an after photo."),
        "tasks_offline": _("No network: tasks will load when it returns."),
        "task_offline": _("No network: try again when it returns."),
        "no_tasks": _("No open tasks. Well done."),
        "note": _("Note (optional)"),
        "genuine": _("Genuine (属实)"),
        "not_genuine": _("Not genuine"),
        "fixed": _("Fixed (已处理)"),
        "not_fixed": _("Not fixed"),
        "due": _("due"),
    }
    return render(request, "web/field/app.html", context)


def manifest(request: HttpRequest) -> JsonResponse:
    data = {
        "name": _("Qingcheng field app (城管通)"),
        "short_name": "城管通",
        "start_url": reverse("field-app"),
        "scope": reverse("field-app"),
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": "#0d6efd",
        "lang": "zh-CN",
        "icons": [
            {"src": static("icons/field-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("icons/field-512.png"), "sizes": "512x512", "type": "image/png"},
            {"src": static("favicon.svg"), "sizes": "any", "type": "image/svg+xml"},
        ],
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    return response


# The app shell the service worker keeps for offline start-up.
SHELL = (
    "vendor/bootstrap/css/bootstrap.min.css",
    "vendor/bootstrap-icons/font/bootstrap-icons.min.css",
    "vendor/leaflet/leaflet.css",
    "vendor/leaflet/leaflet.js",
    "js/qingcheng.js",
    "js/field-app.js",
    "css/qingcheng.css",
    "css/field-app.css",
    "favicon.svg",
)


@never_cache
def service_worker(request: HttpRequest) -> HttpResponse:
    from django.template.loader import render_to_string

    body = render_to_string(
        "web/field/sw.js",
        {
            "shell": json.dumps([reverse("field-app"), *[static(p) for p in SHELL]]),
            "version": _shell_version(),
        },
    )
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = reverse("field-app")
    return response


def _shell_version() -> str:
    """Changes whenever a shell file changes, so phones drop a stale cache."""
    import hashlib

    from django.contrib.staticfiles import finders

    digest = hashlib.sha256()
    for path in SHELL:
        found = finders.find(path)
        if found:
            with open(found, "rb") as handle:
                digest.update(handle.read())
    return digest.hexdigest()[:12]
