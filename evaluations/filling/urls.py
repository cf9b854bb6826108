from django.urls import path

from evaluations.filling import views

app_name = "budgets"

urlpatterns = [
    path("", views.project_list, name="project_list"),
    path("new/", views.project_new, name="project_new"),
    path("copy/", views.project_copy, name="project_copy"),
    path("library/", views.library_search, name="library_search"),
    path("<int:pk>/", views.project_detail, name="project_detail"),
    path("<int:pk>/edit/", views.project_edit, name="project_edit"),
    path("<int:pk>/preview/", views.project_preview, name="project_preview"),
]
