"""Email pages: the outbound delivery log, and opening a teammate's forward for its sender."""

from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from comptoir.accounts.permissions import Perm, requires
from comptoir.conversations.access import access_message
from comptoir.conversations.services import ConversationError

from . import services
from .models import Delivery, DeliveryStatus

PAGE_SIZE = 200


@requires(Perm.VIEW_RAW)
@require_GET
def delivery_log(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    rows = Delivery.objects.select_related("mailbox", "conversation").prefetch_related("log")
    if status in DeliveryStatus.values:
        rows = rows.filter(status=status)
    return render(request, "email/delivery_log.html", {
        "rows": rows[:PAGE_SIZE], "status": status, "statuses": DeliveryStatus.choices,
    })


@requires(Perm.REPLY)
@require_POST
def open_forwarded(request: HttpRequest, message_id: int) -> HttpResponse:
    message = access_message(request.user, message_id, Perm.REPLY)
    try:
        conversation = services.open_forwarded(message, request.user)
    except ConversationError as exc:
        flash.error(request, str(exc))
        return redirect(reverse("conversation", args=[message.conversation_id]))
    return redirect(reverse("conversation", args=[conversation.pk]))
