from django.contrib import admin
from django.urls import include, path

from config.health import healthz

urlpatterns = [
    path("", include("accounts.urls")),
    path("projects/", include("budgets.urls")),
    path("review/", include("evaluations.urls")),
    path("department/", include("evaluations.department_urls")),
    path("dashboard/", include("evaluations.dashboard_urls")),
    path("finance/", include("evaluations.review_urls")),
    path("reports/", include("evaluations.report_urls")),
    path("imports/", include("imports.urls")),
    path("quality/", include("evaluations.quality_urls")),
    path("audit/", include("audit.urls")),
    path("admin/", admin.site.urls),
    path("healthz/", healthz, name="healthz"),
]
