"""A person's own settings: interface language, time zone, API tokens; working hours, leave
and skills (``comptoir.routing``)."""

from django.conf import settings
from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from comptoir.routing import queries as routing_queries

from .forms import PreferencesForm, TokenForm
from .models import ApiToken
from .permissions import Perm, requires


@requires(Perm.VIEW)
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    form = PreferencesForm(request.POST or None, instance=request.user)
    if request.method == "POST":
        if form.is_valid():
            form.save()
            flash.success(request, _("Your preferences are saved."))
            return redirect("preferences")
        status = 400
    else:
        status = 200
    return render_preferences(request, form, status=status)


def render_preferences(request: HttpRequest, form: PreferencesForm | None = None, *,
                       status: int = 200, hours_form=None, leave_form=None) -> HttpResponse:
    """The preferences page. A routing form (working hours, leave) that failed validation
    comes back here with its errors."""
    return render(request, "accounts/preferences.html", {
        "form": form or PreferencesForm(instance=request.user), "token_form": TokenForm(),
        "tokens": request.user.api_tokens.filter(revoked_at__isnull=True),
        "new_key": request.session.pop("new_api_key", None),
        "routing": routing_queries.my_routing(request.user, hours_form=hours_form,
                                              leave_form=leave_form),
    }, status=status)


@requires(Perm.VIEW)
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST)
    if form.is_valid():
        _token, key = ApiToken.issue(request.user, form.cleaned_data["name"])
        request.session["new_api_key"] = key  # shown once, on the next page
    else:
        flash.error(request, _("Give the token a name."))
    return redirect("preferences")


@requires(Perm.VIEW)
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    flash.success(request, _("Token revoked."))
    return redirect("preferences")


@requires(Perm.VIEW)
@require_POST
def language_switch(request: HttpRequest) -> HttpResponse:
    """Save the interface language on the user, so every device and email uses it."""
    language = request.POST.get("language", "")
    if language in dict(settings.LANGUAGES):
        request.user.language = language
        request.user.save(update_fields=["language"])
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = "/"
    return redirect(target)
