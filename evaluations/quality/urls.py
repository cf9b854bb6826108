from django.urls import path

from evaluations.quality import views

app_name = "quality"

urlpatterns = [
    path("", views.finding_list, name="list"),
]
