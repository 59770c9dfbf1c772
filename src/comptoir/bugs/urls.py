from django.urls import path

from . import views, webhooks

urlpatterns = [
    path("bugs/", views.bug_list, name="bugs"),
    path("bugs/<int:pk>/", views.bug_detail, name="bug"),
    path("bugs/<int:pk>/fixed/", views.bug_mark_fixed, name="bug_mark_fixed"),
    path("bugs/<int:pk>/reopen/", views.bug_reopen, name="bug_reopen"),
    path("bugs/links/<int:link_id>/follow-up/", views.bug_follow_up, name="bug_follow_up"),
    path("c/<int:pk>/bugs/", views.bug_panel, name="bug_panel"),
    path("c/<int:pk>/bugs/search/", views.bug_search, name="bug_search"),
    path("c/<int:pk>/bugs/link/", views.bug_link, name="bug_link"),
    path("c/<int:pk>/bugs/<int:bug_id>/unlink/", views.bug_unlink, name="bug_unlink"),
    path("hooks/github/", webhooks.github, name="hook_github"),
    path("hooks/gitlab/", webhooks.gitlab, name="hook_gitlab"),
    path("hooks/jira/", webhooks.jira, name="hook_jira"),
]
