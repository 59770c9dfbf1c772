"""Agent inbox and conversation pages. Thin: parse the request, call a service, render."""

import uuid

from django.contrib import messages as flash
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from comptoir.accounts.permissions import Perm, has_perm, requires
from comptoir.sla import queries as sla_queries

from . import queries, services
from .access import access_conversation, access_message
from .display import INLINE_IMAGE_TYPES
from .forms import ComposeForm, InboxFilterForm, ReactionForm, TagForm, UpdateForm
from .inbound import InboundAttachment
from .models import Attachment, Macro, MessageKind, RawInbound, RawStatus
from .tasks import process_inbound


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


QUICK_REACTIONS = ("👀", "✅", "🎉", "👍", "❤️")


@requires(Perm.VIEW)
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    view = queries.INBOX_VIEWS.get(request.GET.get("view", ""), queries.INBOX_VIEWS["open"])
    filter_form = InboxFilterForm(request.GET)
    filters = filter_form.filters()
    page = queries.inbox_page(request.user, view, filters, request.GET.get("cursor"))
    query = request.GET.copy()
    query.pop("cursor", None)
    context = {
        "views": queries.INBOX_VIEWS.values(), "view": view, "page": page,
        "filter_form": filter_form, "filters": filters, "query": query.urlencode(),
        "filter_query": "&".join(f"{k}={v}" for k, v in filters.items()),
    }
    template = "conversations/_inbox_rows.html" if is_htmx(request) else "conversations/inbox.html"
    return render(request, template, context)


@requires(Perm.VIEW)
@require_GET
def inbox_counts(request: HttpRequest) -> HttpResponse:
    filters = InboxFilterForm(request.GET).filters()
    counts = queries.view_counts(request.user, filters)
    return render(request, "conversations/_counts.html",
                  {"counts": counts, "cap": queries.COUNT_CAP})


@requires(Perm.VIEW)
@require_GET
def conversation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = access_conversation(request.user, pk)
    return _render_conversation(request, conversation, ComposeForm(
        initial={"idempotency_key": uuid.uuid4().hex}))


def _render_conversation(request, conversation, compose_form, status=200):
    page = queries.conversation_page(conversation, request.user)
    language = conversation.language or request.user.language
    macros = list(Macro.objects.filter(language=language)) or list(
        Macro.objects.filter(language="en"))
    context = {
        "page": page, "c": conversation, "compose": compose_form,
        "update_form": UpdateForm(initial={
            "status": conversation.status, "priority": conversation.priority,
            "assignee": conversation.assignee_id, "team": conversation.team_id,
            "language": conversation.language,
        }),
        "tag_form": TagForm(), "macros": macros, "quick_reactions": QUICK_REACTIONS,
        "can_reply": has_perm(request.user, Perm.REPLY),
        "can_update": has_perm(request.user, Perm.UPDATE),
        "can_react": has_perm(request.user, Perm.REACT),
        "can_view_raw": has_perm(request.user, Perm.VIEW_RAW),
        "sla_clocks": sla_queries.conversation_clocks(conversation.pk),
    }
    return render(request, "conversations/detail.html", context, status=status)


@requires(Perm.NOTE)
@require_POST
def compose(request: HttpRequest, pk: int) -> HttpResponse:
    form = ComposeForm(request.POST, request.FILES)
    perm = Perm.REPLY if request.POST.get("kind") == MessageKind.REPLY else Perm.NOTE
    conversation = access_conversation(request.user, pk, perm)
    if not form.is_valid():
        return _render_conversation(request, conversation, form, status=400)
    data = form.cleaned_data
    attachments = []
    if data["attachment"]:
        upload = data["attachment"]
        attachments.append(InboundAttachment(upload.name, upload.content_type or "", upload.read()))
    try:
        if data["kind"] == MessageKind.REPLY:
            services.reply(conversation, request.user, data["text"],
                           idempotency_key=data["idempotency_key"] or None,
                           status=data["status"] or None, attachments=attachments)
        else:
            services.add_note(conversation, request.user, data["text"],
                              idempotency_key=data["idempotency_key"] or None,
                              attachments=attachments)
            if data["status"]:
                services.update(conversation, request.user, status=data["status"])
    except services.ConversationError as exc:
        form.add_error("text", str(exc))
        return _render_conversation(request, conversation, form, status=400)
    return redirect(conversation_url(conversation.pk))


@requires(Perm.UPDATE)
@require_POST
def update(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = access_conversation(request.user, pk, Perm.UPDATE)
    form = UpdateForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                flash.error(request, error)
        return redirect(conversation_url(pk))
    try:
        services.update(conversation, request.user, **form.changed_values())
    except services.ConversationError as exc:
        flash.error(request, str(exc))
    if request.POST.get("next") == "inbox":
        return redirect("inbox")
    return redirect(conversation_url(pk))


@requires(Perm.UPDATE)
@require_POST
def add_tags(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = access_conversation(request.user, pk, Perm.UPDATE)
    form = TagForm(request.POST)
    if form.is_valid():
        try:
            services.add_tags(conversation, request.user,
                              form.cleaned_data["tags"].replace(",", " ").split())
        except services.ConversationError as exc:
            flash.error(request, str(exc))
    return redirect(conversation_url(pk))


@requires(Perm.UPDATE)
@require_POST
def remove_tag(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    conversation = access_conversation(request.user, pk, Perm.UPDATE)
    services.remove_tag(conversation, request.user, name)
    return redirect(conversation_url(pk))


@requires(Perm.REACT)
@require_POST
def react(request: HttpRequest, message_id: int) -> HttpResponse:
    message = access_message(request.user, message_id, Perm.REACT)
    form = ReactionForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("A reaction is one emoji."), status=400)
    try:
        services.toggle_reaction(message, request.user, form.cleaned_data["emoji"])
    except services.ConversationError as exc:
        return HttpResponse(str(exc), status=400)
    if is_htmx(request):
        reactions = message.reactions.select_related("user").order_by("created_at", "pk")
        return render(request, "conversations/_reactions.html", {
            "message": message,
            "reactions": queries.summarise_reactions(reactions, request.user),
            "quick_reactions": QUICK_REACTIONS, "can_react": True,
        })
    return redirect(conversation_url(message.conversation_id) + f"#m{message.pk}")


@requires(Perm.REPLY)
@require_GET
def macro_text(request: HttpRequest, pk: int, macro_id: int) -> HttpResponse:
    conversation = access_conversation(request.user, pk, Perm.REPLY)
    macro = get_object_or_404(Macro, pk=macro_id)
    return HttpResponse(services.render_macro(macro, conversation, request.user),
                        content_type="text/plain; charset=utf-8")


@requires(Perm.VIEW)
@require_GET
def attachment(request: HttpRequest, pk: int) -> FileResponse:
    item = Attachment.objects.select_related("blob", "message").filter(pk=pk).first()
    if item is None:
        raise Http404
    access_message(request.user, item.message_id)
    # Never rendered inline: a customer's HTML or SVG must not run on our origin.
    response = FileResponse(item.blob.file.open("rb"), as_attachment=True,
                            filename=item.filename, content_type="application/octet-stream")
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@requires(Perm.VIEW)
@require_GET
def attachment_inline(request: HttpRequest, pk: int) -> FileResponse:
    """An image shown inside a message (``cid:``): only raster image types, never SVG or
    HTML, sandboxed, so nothing a customer sends can run on our origin."""
    item = Attachment.objects.select_related("blob", "message").filter(pk=pk).first()
    if item is None or item.content_type not in INLINE_IMAGE_TYPES:
        raise Http404
    access_message(request.user, item.message_id)
    response = FileResponse(item.blob.file.open("rb"), content_type=item.content_type)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@requires(Perm.VIEW_RAW)
@require_GET
def raw_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", RawStatus.FAILED)
    rows = RawInbound.objects.filter(status=status).defer("payload")[:200]
    return render(request, "conversations/raw_list.html",
                  {"rows": rows, "status": status, "statuses": RawStatus.choices})


@requires(Perm.VIEW_RAW)
@require_GET
def raw_detail(request: HttpRequest, pk: int) -> HttpResponse:
    raw = get_object_or_404(RawInbound, pk=pk)
    payload = bytes(raw.payload)
    return render(request, "conversations/raw_detail.html", {
        "raw": raw, "payload": payload[:200_000].decode("utf-8", errors="replace"),
        "truncated": len(payload) > 200_000,
    })


@requires(Perm.VIEW_RAW)
@require_POST
def raw_replay(request: HttpRequest, pk: int) -> HttpResponse:
    raw = get_object_or_404(RawInbound, pk=pk)
    if raw.status == RawStatus.IGNORED:  # a loop or a delivery report: a person asks for it
        if services.process_raw(raw.pk, force=True) is None:
            flash.error(request, _("It could not be processed: see the error."))
        else:
            flash.success(request, _("Processed as a message."))
    else:
        process_inbound.delay(raw.pk)
        flash.success(request, _("Queued for processing again."))
    return redirect(reverse("raw_detail", args=[raw.pk]))


def conversation_url(pk: int) -> str:
    return reverse("conversation", args=[pk])
