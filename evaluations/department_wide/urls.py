from django.urls import path

from evaluations.department_wide import views

app_name = "department"

# A department-wide evaluation is named by its year and its department: /department/2024/17/.
urlpatterns = [
    path("", views.department_evaluation_list, name="list"),
    path("start/<int:year>/", views.department_evaluation_start_view, name="start"),
    path("<int:year>/<int:department_pk>/", views.department_evaluation_detail, name="detail"),
    path("<int:year>/<int:department_pk>/edit/", views.department_evaluation_edit, name="edit"),
    path("<int:year>/<int:department_pk>/submit/", views.department_evaluation_submit_view, name="submit"),
    path("<int:year>/<int:department_pk>/return/", views.department_evaluation_return_view, name="return"),
    path("<int:year>/<int:department_pk>/approve/", views.department_evaluation_approve_view, name="approve"),
]
