"""Pages for the party of a non-site record (非现场执法当事人查询与陈述申辩) and the staff download of an
evidence file. Thin: the services decide; these pages only carry requests and answers.

The party's page needs no login: the link's secret is the key. The link carries it in the fragment
(`/enforcement/notice/<id>/#k=<secret>`), which the browser never sends: the page's static script
posts it (or the party types it), so it reaches no access log. The record's files then load by plain
URLs with a grant in the session (core.grants). A wrong secret gets the same 404 as an unknown record;
the page shows nobody else's data and sends no referrer to other sites.
"""

from __future__ import annotations

import tempfile

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from qingcheng.core import grants
from qingcheng.core.access import NO_ACCESS_TEMPLATE, page_permission
from qingcheng.core.errors import DomainError, NotFound
from qingcheng.core.throttle import throttle

from . import nonsite
from .evidence.archive import case_archive_write
from .evidence.services import evidence_open
from .models import PenaltyCase

# Browsers show these inline in an <img> or <video>; anything else is a download.
INLINE_TYPES = ("image/", "video/", "audio/")


def _file_response(handle, content_type: str, download_name: str, *, inline: bool) -> FileResponse:
    response = FileResponse(
        handle, content_type=content_type, as_attachment=not inline, filename=download_name
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Opened on its own, a file may run nothing and load nothing.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@page_permission()
@require_GET
def evidence_file(request: HttpRequest, evidence_id: int) -> HttpResponse:
    """An evidence file for staff who may see it (scope and `view_evidence`); a download by default,
    images, video and audio inline with `?inline=1`."""
    try:
        handle, content_type, name = evidence_open(actor=request.user, evidence_id=evidence_id)
    except NotFound:
        return render(request, NO_ACCESS_TEMPLATE, status=404)
    except DomainError as error:
        return HttpResponse(error.message, status=error.status, content_type="text/plain; charset=utf-8")
    inline = request.GET.get("inline") == "1" and content_type.startswith(INLINE_TYPES)
    return _file_response(handle, content_type, name, inline=inline)


@page_permission()
@require_GET
def case_archive_file(request: HttpRequest, number: str) -> HttpResponse:
    """The case's electronic archive (one ZIP), written to a temporary file first so the archive of a case
    with video never sits in memory."""
    case = PenaltyCase.objects.filter(number=number[:40]).first()
    # Not a with-block: the response streams the file and closes it when sent.
    spool = tempfile.TemporaryFile()  # noqa: SIM115
    try:
        case_archive_write(actor=request.user, case=case, out=spool)
    except NotFound:
        spool.close()
        return render(request, NO_ACCESS_TEMPLATE, status=404)
    except DomainError as error:
        spool.close()
        return HttpResponse(error.message, status=error.status, content_type="text/plain; charset=utf-8")
    spool.seek(0)
    return _file_response(spool, "application/zip", f"{case.number}-卷宗.zip", inline=False)


def _no_referrer_elsewhere(response: HttpResponse) -> HttpResponse:
    """No Referer to other sites. Not "no-referrer": under it browsers send `Origin: null` with the
    page's own POST forms, and Django's CSRF check refuses them (the party could not open the record
    nor send a statement)."""
    response["Referrer-Policy"] = "same-origin"
    return response


def _not_found(request: HttpRequest, status: int = 404) -> HttpResponse:
    return _no_referrer_elsewhere(render(request, "enforcement/party/not_found.html", status=status))


PARTY_GRANT = "party"


@never_cache
@require_http_methods(["GET", "POST"])
def party_notice(request: HttpRequest, public_id) -> HttpResponse:
    """GET: the page that opens the link (its script posts the code from the fragment; without script
    the party types it). POST `k`: the record as the party sees it; POST `k` and `answer`: their
    statement (陈述、申辩). A `k` in the query string (links sent before the fragment) is never read
    here; the script posts that too."""
    if request.method == "GET":
        return _no_referrer_elsewhere(render(request, "enforcement/party/open.html", {}))
    secret = (request.POST.get("k") or "").strip()[:100]
    try:
        throttle(request, "read", settings.PUBLIC_READS_PER_HOUR)
        record = nonsite.nonsite_public(public_id=public_id, secret=secret)
    except NotFound:
        return _not_found(request)
    except DomainError as error:
        return _not_found(request, error.status)
    grants.grant_add(request, kind=PARTY_GRANT, ident=str(record.public_id), secret_hash=record.access_hash)
    context = {"secret": secret, "answered": False, "error": None}
    status = 200
    if "answer" in request.POST:
        try:
            throttle(request, "report", settings.PUBLIC_REPORTS_PER_HOUR)
            record = nonsite.nonsite_answer(
                public_id=public_id, secret=secret, answer=request.POST.get("answer", "")
            )
            context["answered"] = True
        except NotFound:
            return _not_found(request)
        except DomainError as error:
            context["error"], context["posted"] = error, request.POST.get("answer", "")[:4000]
            status = error.status
    context["view"] = nonsite.nonsite_public_view(record=record)
    return _no_referrer_elsewhere(render(request, "enforcement/party/notice.html", context, status=status))


@require_GET
def party_evidence(request: HttpRequest, public_id, evidence_id: int) -> HttpResponse:
    """One file of the record, for the visitor who opened the link (the session's grant; the secret is
    not taken from the URL)."""
    try:
        throttle(request, "read", settings.PUBLIC_READS_PER_HOUR)
        proof = grants.grant_proof(request, kind=PARTY_GRANT, ident=str(public_id))
        handle, content_type, row = nonsite.nonsite_public_file(
            public_id=public_id, proof=proof, evidence_id=evidence_id
        )
    except NotFound:
        return _not_found(request)
    except DomainError as error:
        return HttpResponse(error.message, status=error.status, content_type="text/plain; charset=utf-8")
    extension = row.storage_path.rsplit(".", 1)[-1]
    inline = content_type.startswith(INLINE_TYPES)
    return _no_referrer_elsewhere(
        _file_response(handle, content_type, f"record-{evidence_id}.{extension}", inline=inline)
    )
