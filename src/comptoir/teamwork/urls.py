from django.urls import path

from . import views

urlpatterns = [
    path("share/", views.today, name="teamwork_today"),
    path("share/panel/", views.today_panel, name="teamwork_today_panel"),
    path("share/settings/", views.share_settings, name="teamwork_share_settings"),
    path("share/coverage/", views.coverage, name="teamwork_coverage"),
    path("c/<int:pk>/advocate/", views.ask_panel, name="teamwork_ask_panel"),
    path("c/<int:pk>/advocate/ask/", views.ask, name="teamwork_ask"),
]
urlpatterns += [
    path("support-days/", views.support_days_list, name="support_days"),
    path("support-days/new/", views.support_day_create, name="support_day_create"),
    path("support-days/guidance/", views.support_day_guidance, name="support_day_guidance"),
    path("support-days/guidance/tone/", views.tone_note_save, name="support_day_tone_note"),
    path("support-days/banner/", views.support_day_banner, name="support_day_banner"),
    path("support-days/<int:pk>/", views.support_day, name="support_day"),
    path("support-days/<int:pk>/ux/", views.support_day_ux, name="support_day_ux"),
    path("support-days/<int:pk>/learnings/", views.support_day_learnings,
         name="support_day_learnings"),
    path("support-days/<int:pk>/edit/", views.support_day_edit, name="support_day_edit"),
    path("support-days/<int:pk>/cancel/", views.support_day_cancel, name="support_day_cancel"),
    path("on-call/", views.on_call_page, name="teamwork_on_call"),
    path("support-days/<int:pk>/roster/", views.support_day_roster, name="support_day_roster"),
    path("support-days/<int:pk>/roster/change/", views.support_day_on_call,
         name="support_day_on_call"),
]
