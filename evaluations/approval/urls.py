from django.urls import path

from evaluations.approval import views

app_name = "evaluations"

urlpatterns = [
    path("", views.review_queue, name="review_queue"),
    path("<int:pk>/approve/", views.evaluation_approve_view, name="evaluation_approve"),
    path("<int:pk>/return/", views.evaluation_return_view, name="evaluation_return"),
]
