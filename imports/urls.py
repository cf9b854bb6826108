from django.urls import path

from imports import views

app_name = "imports"

urlpatterns = [
    path("", views.import_list, name="list"),
    path("<int:pk>/", views.import_detail, name="detail"),
    path("<int:pk>/commit/", views.import_commit, name="commit"),
    path("template/<slug:profile>.xlsx", views.template_download, name="template"),
]
