from django.urls import path

from . import views

urlpatterns = [
    path("reviews/", views.home, name="quality_home"),
    path("reviews/conversations/<int:pk>/", views.review_conversation, name="quality_review"),
    path("reviews/received/", views.received, name="quality_received"),
    path("reviews/<int:pk>/", views.review_detail, name="quality_review_detail"),
    path("reviews/<int:pk>/dispute/", views.dispute_open, name="quality_dispute_open"),
    path("reviews/disputes/", views.disputes, name="quality_disputes"),
    path("reviews/disputes/<int:pk>/resolve/", views.dispute_resolve,
         name="quality_dispute_resolve"),
    path("reviews/iqs/", views.iqs, name="quality_iqs"),
    path("reviews/scorecards/", views.scorecards, name="quality_scorecards"),
    path("reviews/scorecards/new/", views.scorecard_create, name="quality_scorecard_create"),
    path("reviews/scorecards/<int:pk>/", views.scorecard, name="quality_scorecard"),
    path("reviews/scorecards/<int:pk>/edit/", views.scorecard_edit, name="quality_scorecard_edit"),
    path("reviews/scorecards/<int:pk>/categories/", views.category_add,
         name="quality_category_add"),
    path("reviews/categories/<int:pk>/", views.category_edit, name="quality_category_edit"),
    path("reviews/categories/<int:pk>/remove/", views.category_remove,
         name="quality_category_remove"),
    path("reviews/calibration/", views.calibrations, name="quality_calibrations"),
    path("reviews/calibration/new/", views.calibration_start, name="quality_calibration_start"),
    path("reviews/calibration/<int:pk>/", views.calibration, name="quality_calibration"),
    path("reviews/calibration/<int:pk>/reveal/", views.calibration_reveal,
         name="quality_calibration_reveal"),
    path("reviews/best-answers/", views.best_answers, name="quality_best_answers"),
    path("reviews/onboarding/", views.onboarding, name="quality_onboarding"),
]
