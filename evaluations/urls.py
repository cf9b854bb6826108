from django.urls import path

from . import views

app_name = "evaluations"

urlpatterns = [
    path("", views.review_queue, name="review_queue"),
]
