from django.urls import path

from . import views

urlpatterns = [
    path("survey/<str:token>/", views.survey, name="survey"),
    path("settings/surveys/", views.survey_settings, name="survey_settings"),
]
