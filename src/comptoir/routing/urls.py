from django.urls import path

from . import views

urlpatterns = [
    path("routing/why/<int:conversation_id>/", views.why, name="routing_why"),
    path("me/hours/", views.my_hours, name="routing_hours"),
    path("me/leave/", views.my_leave_add, name="routing_leave_add"),
    path("me/leave/<int:pk>/remove/", views.my_leave_remove, name="routing_leave_remove"),
    path("me/skills/", views.my_skills, name="routing_skills"),
]
