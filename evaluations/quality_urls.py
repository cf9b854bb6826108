from django.urls import path

from . import quality_views as views

app_name = "quality"

urlpatterns = [
    path("", views.finding_list, name="list"),
]
