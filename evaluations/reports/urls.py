from django.urls import path

from evaluations.reports import views

app_name = "reports"

urlpatterns = [
    path("summary/<int:year>/<str:fmt>/", views.summary_download, name="summary"),
    # Before the table downloads: "report" would otherwise be taken for a format.
    path("projects/<int:pk>/report/", views.project_report, name="project_report"),
    path("projects/<int:pk>/<str:fmt>/", views.project_table_download, name="project_table"),
    path("departments/<int:pk>/<str:fmt>/", views.department_table_download, name="department_table"),
    path("statements/<int:year>/<int:department_pk>/", views.department_statement, name="department_statement"),
    path("exports/", views.export_list, name="exports"),
    path("exports/start/", views.export_start, name="export_start"),
    path("exports/status/", views.export_status, name="export_status"),
    path("exports/<int:pk>/download/", views.export_download, name="export_download"),
    path("exports/<int:pk>/retry/", views.export_retry_view, name="export_retry"),
]
