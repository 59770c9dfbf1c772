from django.urls import path

from . import views

urlpatterns = [
    path("customer-days/", views.home, name="pairing_home"),
    path("customer-days/propose/", views.propose, name="pairing_propose"),
    path("customer-days/records/", views.records, name="pairing_records"),
    path("customer-days/overview/", views.overview, name="pairing_overview"),
    path("customer-days/coverage/", views.coverage, name="pairing_coverage"),
    path("customer-days/<int:pk>/", views.detail, name="pairing_detail"),
    path("customer-days/<int:pk>/workspace/", views.workspace, name="pairing_workspace"),
    path("customer-days/<int:pk>/record/", views.record, name="pairing_record"),
    path("customer-days/<int:pk>/cancel/", views.cancel, name="pairing_cancel"),
    path("customer-days/react/<str:kind>/<int:object_id>/", views.react, name="pairing_react"),
]
