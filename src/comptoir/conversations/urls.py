from django.urls import path

from . import views

urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/counts/", views.inbox_counts, name="inbox_counts"),
    path("c/<int:pk>/", views.conversation_detail, name="conversation"),
    path("c/<int:pk>/compose/", views.compose, name="compose"),
    path("c/<int:pk>/update/", views.update, name="conversation_update"),
    path("c/<int:pk>/tags/", views.add_tags, name="conversation_add_tags"),
    path("c/<int:pk>/tags/<str:name>/remove/", views.remove_tag, name="conversation_remove_tag"),
    path("c/<int:pk>/macros/<int:macro_id>/", views.macro_text, name="macro_text"),
    path("messages/<int:message_id>/react/", views.react, name="react"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
    path("attachments/<int:pk>/inline/", views.attachment_inline, name="attachment_inline"),
    path("raw/", views.raw_list, name="raw_list"),
    path("raw/<int:pk>/", views.raw_detail, name="raw_detail"),
    path("raw/<int:pk>/replay/", views.raw_replay, name="raw_replay"),
]
