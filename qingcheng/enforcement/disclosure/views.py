"""The public disclosure pages (行政处罚信息公示, 双公示): no login; only the fields fixed and masked when the
decision was published (`Disclosure.content`) are shown, never the case itself. The public channels' read
limit applies, as on the other public pages."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from qingcheng.core.errors import DomainError
from qingcheng.core.throttle import throttle

from .services import public_disclosure, public_disclosures


def _row(pk: int, content: dict[str, Any]) -> dict[str, Any]:
    """The stored fields for the template, with the ISO dates as dates so they show in the user's locale."""
    row = dict(content)
    row["id"] = pk
    for key in ("decided_on", "publish_until"):
        try:
            row[key] = dt.date.fromisoformat(content.get(key) or "")
        except ValueError:
            row[key] = None
    return row


@require_GET
def disclosure_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:60]
    try:
        throttle(request, "read", settings.PUBLIC_READS_PER_HOUR)
    except DomainError as error:
        return render(
            request, "enforcement/disclosure/list.html", {"error": error, "q": query}, status=error.status
        )
    page = public_disclosures(query=query, page=request.GET.get("page") or 1)
    return render(
        request,
        "enforcement/disclosure/list.html",
        {
            "page": page,
            "rows": [_row(d.pk, d.content) for d in page.object_list],
            "q": query,
            "query": urlencode({"q": query}) if query else "",
        },
    )


@require_GET
def disclosure_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        throttle(request, "read", settings.PUBLIC_READS_PER_HOUR)
        found = public_disclosure(pk)
    except DomainError as error:
        return render(request, "enforcement/disclosure/detail.html", {"error": error}, status=error.status)
    return render(request, "enforcement/disclosure/detail.html", {"row": _row(found.pk, found.content)})
