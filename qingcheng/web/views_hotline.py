"""The hotline desk (热线受理): register 12319 calls and work orders transferred from 12345 or 110; answer
enquiries on the spot; transfer police matters to 110; close orders that made no case. The call-back
after closure is the case page's call-back action."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qingcheng.cases.models import Case
from qingcheng.cases.selectors import sees_personal_data
from qingcheng.core.access import NO_ACCESS_TEMPLATE, page_permission
from qingcheng.core.errors import DomainError, ValidationFailed
from qingcheng.intake import selectors as intake_selectors
from qingcheng.intake import services as intake_services
from qingcheng.intake.models import HotlineOrder

from . import selectors


def _coordinate(value: str | None, name: str) -> float | None:
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        raise ValidationFailed(
            "坐标无效", "invalid coordinate", field=name, code="invalid_coordinates"
        ) from None


def _desk_context(request: HttpRequest) -> dict:
    orders = intake_selectors.hotline_orders(actor=request.user).order_by("-created_at")[:30]
    return {
        "orders": [(o, intake_selectors.hotline_caller(actor=request.user, order=o)) for o in orders],
        "channels": HotlineOrder.Channel.choices,
        "kinds": HotlineOrder.Kind.choices,
        "subclasses": selectors.subclasses(),
        "key": uuid.uuid4().hex,
    }


@page_permission("intake.view_hotlineorder")
def hotline(request: HttpRequest) -> HttpResponse:
    context = _desk_context(request)
    context["can_take"] = intake_selectors.takes_hotline_orders(request.user)
    if request.method != "POST":
        return render(request, "web/hotline.html", context)
    post = request.POST
    try:
        result = intake_services.hotline_order_create(
            actor=request.user,
            channel=post.get("channel", ""),
            kind=post.get("kind", ""),
            content=post.get("content", ""),
            caller_name=post.get("caller_name", "")[:60],
            caller_phone=post.get("caller_phone", "")[:32],
            external_number=post.get("external_number", "")[:40],
            lon=_coordinate(post.get("lon"), "lon"),
            lat=_coordinate(post.get("lat"), "lat"),
            address=post.get("address", "")[:200],
            category_code=post.get("category_code") or None,
            urgency=Case.Urgency.URGENT if post.get("urgent") == "on" else Case.Urgency.NORMAL,
            answer=post.get("answer", ""),
            idempotency_key=(post.get("key") or "")[:100] or None,
        )
    except DomainError as error:
        context.update(error=error, posted=post, key=post.get("key") or context["key"])
        return render(request, "web/hotline.html", context, status=error.status)
    order = result.order
    if order.case_id:
        messages.success(
            request,
            _("Work order %(order)s registered; case %(case)s created.")
            % {"order": order.number, "case": order.case.number},
        )
    else:
        messages.success(request, _("Work order %(order)s registered.") % {"order": order.number})
    return redirect("hotline-order", order_id=order.pk)


@page_permission()
def hotline_order(request: HttpRequest, order_id: int) -> HttpResponse:
    try:
        order = intake_selectors.hotline_order_get(actor=request.user, order_id=order_id)
    except DomainError:
        return render(request, NO_ACCESS_TEMPLATE, status=404)
    return render(request, "web/hotline_order.html", _order_context(request, order))


def _order_context(request: HttpRequest, order: HotlineOrder) -> dict:
    return {
        "order": order,
        "caller": intake_selectors.hotline_caller(actor=request.user, order=order),
        "see_personal": sees_personal_data(request.user),
        "can_take": intake_selectors.takes_hotline_orders(request.user),
    }


@page_permission()
@require_POST
def hotline_order_action(request: HttpRequest, order_id: int) -> HttpResponse:
    action = request.POST.get("action")
    try:
        if action == "transfer_110":
            intake_services.hotline_transfer_110(
                actor=request.user, order_id=order_id, reason=request.POST.get("reason", "")
            )
            messages.success(request, _("Transferred to 110."))
        elif action == "close":
            intake_services.hotline_order_close(
                actor=request.user, order_id=order_id, answer=request.POST.get("answer", "")
            )
            messages.success(request, _("Work order closed."))
        else:
            raise ValidationFailed("未知的操作", "unknown action", field="action", code="unknown_action")
    except DomainError as error:
        try:
            order = intake_selectors.hotline_order_get(actor=request.user, order_id=order_id)
        except DomainError:
            return render(request, NO_ACCESS_TEMPLATE, status=404)
        context = {
            **_order_context(request, order),
            "error": error,
            "failed_action": action,
            "posted": request.POST,
        }
        return render(request, "web/hotline_order.html", context, status=error.status)
    return redirect("hotline-order", order_id=order_id)
