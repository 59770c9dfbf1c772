from django.urls import path

from . import views

urlpatterns = [
    path("me/", views.preferences, name="preferences"),
    path("me/language/", views.language_switch, name="language_switch"),
    path("me/tokens/", views.token_create, name="token_create"),
    path("me/tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
]
