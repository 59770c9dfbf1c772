from django.urls import path

from . import views

urlpatterns = [
    path("sla/", views.overview, name="sla_overview"),
    path("sla/breaches/", views.breaches, name="sla_breaches"),
    path("sla/calendars/<int:pk>/", views.calendar_edit, name="sla_calendar_edit"),
    path("sla/calendars/<int:pk>/holidays/", views.holiday_add, name="sla_holiday_add"),
    path("sla/holidays/<int:pk>/remove/", views.holiday_remove, name="sla_holiday_remove"),
]
