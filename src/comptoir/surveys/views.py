"""The public survey page (no login: the signed link is the key) and the settings page.

The CSAT report page lives with the other reports (``reports.views.csat``)."""

from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from comptoir.accounts.permissions import Perm, requires

from . import ratelimit, services
from .forms import AnswerForm, SurveySettingsForm
from .models import Rating
from .tokens import LinkExpired, LinkInvalid

# Requests per client address, and answers per survey, in a 10-minute window.
WINDOW_SECONDS = 600
PAGE_LIMIT_PER_IP = 300
ANSWER_LIMIT_PER_IP = 100
ANSWER_LIMIT_PER_SURVEY = 10


def _public(request: HttpRequest, template: str, context: dict, language: str,
            status: int = 200) -> HttpResponse:
    with translation.override(language):
        response = render(request, template, {**context, "lang": language}, status=status)
    response["Content-Language"] = language
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"  # the token never leaves in a Referer
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def survey(request: HttpRequest, token: str) -> HttpResponse:
    """Public: the customer rates the conversation (👍/👎), then may add a reason and a
    comment. Answering again changes the answer. Works without JavaScript."""
    language = translation.get_language()
    ip = ratelimit.client_ip(request)
    if not ratelimit.hit(f"survey-page:{ip}", PAGE_LIMIT_PER_IP, WINDOW_SECONDS):
        return _public(request, "surveys/message.html", {"kind": "limited"}, language, 429)
    try:
        found = services.survey_for_token(token)
    except LinkExpired:
        return _public(request, "surveys/message.html", {"kind": "expired"}, language, 410)
    except LinkInvalid:
        return _public(request, "surveys/message.html", {"kind": "invalid"}, language, 404)
    language = found.language
    if not services.is_open(found):
        return _public(request, "surveys/message.html", {"kind": "closed"}, language)
    reasons = services.reasons_offered()
    error = ""
    with translation.override(language):
        if request.method == "POST":
            if not (ratelimit.hit(f"survey-answer:{ip}", ANSWER_LIMIT_PER_IP, WINDOW_SECONDS)
                    and ratelimit.hit(f"survey-answer:#{found.pk}", ANSWER_LIMIT_PER_SURVEY,
                                      WINDOW_SECONDS)):
                return _public(request, "surveys/message.html", {"kind": "limited"},
                               language, 429)
            form = AnswerForm(request.POST, reasons=reasons)
            if form.is_valid():
                try:
                    services.answer(found, form.cleaned_data["rating"],
                                    reason=form.cleaned_data["reason"],
                                    comment=form.cleaned_data["comment"])
                except services.SurveyError as exc:
                    error = str(exc)
                else:
                    return redirect(reverse("survey", args=[token]) + "?thanks=1")
            status = 400
        else:
            chosen = found.rating or request.GET.get("rating", "")
            form = AnswerForm(reasons=reasons, initial={
                "rating": chosen if chosen in Rating.values else "",
                "reason": found.reason, "comment": found.comment,
            })
            status = 200
        context = {
            "survey": found, "form": form, "error": error, "ratings": Rating.choices,
            "thanks": request.GET.get("thanks") == "1" and bool(found.rating),
            "chosen": form["rating"].value() or "",
            "conversation": found.conversation,
        }
    return _public(request, "surveys/answer.html", context, language, status)


@requires(Perm.MANAGE_SURVEYS)
@require_http_methods(["GET", "POST"])
def survey_settings(request: HttpRequest) -> HttpResponse:
    current = services.get_settings()
    if request.method == "POST":
        form = SurveySettingsForm(request.POST, instance=current)
        if form.is_valid():
            values = {name: form.cleaned_data[name] for name in form.Meta.fields}
            services.update_settings(request.user, **values)
            flash.success(request, _("Survey settings saved."))
            return redirect("survey_settings")
        status = 400
    else:
        form = SurveySettingsForm(instance=current)
        status = 200
    return render(request, "surveys/settings.html", {"form": form}, status=status)
