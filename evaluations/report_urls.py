from django.urls import path

from . import report_views as views

app_name = "reports"

urlpatterns = [
    path("summary/<int:year>/<str:fmt>/", views.summary_download, name="summary"),
    path("projects/<int:pk>/<str:fmt>/", views.project_table_download, name="project_table"),
]
