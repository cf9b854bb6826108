from django.urls import path

from . import department_views

app_name = "department"

urlpatterns = [
    path("", department_views.department_evaluation_list, name="list"),
]
