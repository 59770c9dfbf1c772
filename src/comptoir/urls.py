from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from comptoir.api.urls import api

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="inbox", permanent=False), name="home"),
    path("", include("comptoir.conversations.urls")),
    path("", include("comptoir.people.urls")),
    path("", include("comptoir.accounts.urls")),
    path("", include("comptoir.email.urls")),
    path("", include("comptoir.routing.urls")),
    path("", include("comptoir.sla.urls")),
    path("", include("comptoir.bugs.urls")),
    path("", include("comptoir.reports.urls")),
    path("", include("comptoir.quality.urls")),
    path("", include("comptoir.surveys.urls")),
    path("", include("comptoir.teamwork.urls")),
    path("", include("comptoir.pairing.urls")),
    path("api/", api.urls),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
