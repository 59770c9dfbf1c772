from django.urls import path

from . import views

urlpatterns = [
    path("people/", views.person_list, name="people"),
    path("people/<int:pk>/", views.person_detail, name="person"),
    path("people/<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("people/<int:pk>/identities/", views.identity_add, name="person_identity_add"),
    path("people/<int:pk>/merge/", views.person_merge, name="person_merge"),
    path("merges/<int:pk>/undo/", views.merge_undo, name="merge_undo"),
]
