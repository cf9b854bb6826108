from django.contrib import admin
from django.urls import include, path

from accounts.urls import urlpatterns as sign_in_pages
from config.health import healthz
from evaluations.home.views import home

# The home page has always been ``accounts:home``; its view reads every app's records, so it lives in the top
# app (evaluations.home) and joins the sign-in pages' namespace here.
account_pages = ([path("", home, name="home"), *sign_in_pages], "accounts")

urlpatterns = [
    path("", include(account_pages)),
    path("projects/", include("evaluations.filling.urls")),
    path("review/", include("evaluations.approval.urls")),
    path("department/", include("evaluations.department_wide.urls")),
    path("dashboard/", include("evaluations.dashboard.urls")),
    path("finance/", include("evaluations.finance_review.urls")),
    path("reports/", include("evaluations.reports.urls")),
    path("imports/", include("imports.urls")),
    path("quality/", include("evaluations.quality.urls")),
    path("audit/", include("audit.urls")),
    path("admin/", admin.site.urls),
    path("healthz/", healthz, name="healthz"),
]
