from django.urls import path

from evaluations.finance_review import views

app_name = "finance"

urlpatterns = [
    path("", views.review_board, name="board"),
    path("<int:year>/draw/", views.sample_draw_view, name="draw"),
    path("<int:year>/close/", views.year_close_view, name="close"),
    path("<int:year>/finalise/", views.year_finalise_view, name="finalise"),
    path("<int:year>/publish/", views.year_publish_view, name="publish"),
    path("<int:year>/reopen/", views.year_reopen_view, name="reopen_year"),
    path("evaluations/<int:pk>/add/", views.sample_add_view, name="sample_add"),
    path("reviews/<int:pk>/", views.review_detail, name="review"),
    path("reviews/<int:pk>/reopen/", views.review_reopen_view, name="reopen"),
    path("reviews/<int:pk>/remove/", views.review_remove_view, name="remove"),
    path("departments/<int:pk>/review/", views.department_review, name="department_review"),
]
