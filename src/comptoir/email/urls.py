from django.urls import path

from . import views

urlpatterns = [
    path("deliveries/", views.delivery_log, name="delivery_log"),
    path("messages/<int:message_id>/open-forwarded/", views.open_forwarded,
         name="open_forwarded"),
]
