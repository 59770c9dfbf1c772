from django.urls import path

from . import views

urlpatterns = [
    path("reports/", views.overview, name="reports"),
    path("reports/response-times/", views.response_times, name="reports_response"),
    path("reports/resolution/", views.resolution, name="reports_resolution"),
    path("reports/volume/", views.volume, name="reports_volume"),
    path("reports/participation/", views.participation, name="reports_participation"),
    path("reports/mine/", views.mine, name="reports_mine"),
    path("reports/satisfaction/", views.csat, name="reports_csat"),
]
