from django.urls import path

from audit import views

app_name = "audit"

urlpatterns = [
    path("projects/<int:pk>/", views.project_history, name="project"),
    path("department/<int:year>/<int:department_pk>/", views.department_history, name="department"),
    path("export/", views.export, name="export"),
]
