"""Every URL as every demo role and as an anonymous visitor: who gets what in an open year (deny by default).

policy/tests/test_access_walk.py walks the same URLs in every state of the year, as another bureau too.

The objects are 2025 drafts of the demo data: one of 东莞市技师学院 (the `unit` account's) and one of
东莞市社会保险基金管理中心 (`unit2`'s). Every named URL of the site must appear in MATRIX, so a new page
cannot go untested.
"""

import pytest
from django.db import transaction
from django.urls import reverse

from accounts.models import Organisation, User
from budgets.models import FiscalYear
from evaluations.demo import load_demo
from evaluations.filling.services import project_create
from evaluations.models import DepartmentEvaluation, FinanceReview, ReportExport
from imports.models import ImportRecord
from policy.tests.urls import named_urls

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "unit", "unit2", "dept", "finance", "admin")
LOGIN = "login"
# Public by design; the health URL answers every visitor alike (config/tests/test_health.py).
PUBLIC = {"accounts:login", "accounts:logout", "healthz"}

# url name: (method, object, expected status for unit, unit2, dept, finance, admin); anonymous visitors are
# always redirected to the login page.
# 302 for the workflow actions means "handled": the view answered with a message (a draft cannot be approved).
MATRIX = {
    "accounts:home": ("get", None, (200, 200, 200, 200, 200)),
    "budgets:project_list": ("get", None, (200, 200, 200, 200, 200)),
    "budgets:project_new": ("get", None, (200, 200, 403, 403, 403)),
    "budgets:project_copy": ("get", None, (200, 200, 403, 403, 403)),
    "budgets:library_search": ("get", None, (200, 200, 404, 404, 404)),
    "budgets:project_detail": ("get", "project", (200, 403, 200, 200, 200)),
    "budgets:project_edit": ("get", "project", (200, 403, 403, 403, 403)),
    "budgets:project_preview": ("post", "project", (200, 403, 403, 403, 403)),
    "evaluations:review_queue": ("get", None, (403, 403, 200, 403, 403)),
    "evaluations:evaluation_approve": ("post", "evaluation", (403, 403, 302, 403, 403)),
    "evaluations:evaluation_return": ("post", "evaluation", (403, 403, 302, 403, 403)),
    "department:list": ("get", None, (403, 403, 200, 200, 200)),
    "department:start": ("post", "year", (403, 403, 302, 403, 403)),
    "department:detail": ("get", "department", (403, 403, 200, 200, 200)),
    "department:edit": ("get", "department", (403, 403, 200, 403, 403)),
    "department:submit": ("post", "department", (403, 403, 302, 403, 403)),
    "department:return": ("post", "department", (403, 403, 403, 302, 403)),
    "finance:board": ("get", None, (403, 403, 403, 200, 403)),
    "finance:draw": ("post", "year", (403, 403, 403, 302, 403)),
    "finance:close": ("post", "year", (403, 403, 403, 302, 403)),
    # The confirmation page listing what is still open; finalising itself needs confirm=1 (policy/tests).
    "finance:finalise": ("get", "year", (403, 403, 403, 200, 403)),
    # Publishing an open year: finance is sent back to the board with "请先定稿".
    "finance:publish": ("get", "year", (403, 403, 403, 302, 403)),
    "finance:reopen_year": ("post", "year", (403, 403, 403, 302, 403)),
    "finance:sample_add": ("post", "evaluation", (403, 403, 403, 302, 403)),
    "finance:review": ("get", "review", (403, 403, 403, 200, 403)),
    "finance:reopen": ("post", "review", (403, 403, 403, 302, 403)),
    "finance:remove": ("post", "review", (403, 403, 403, 302, 403)),
    "reports:summary": ("get", "summary", (403, 403, 200, 200, 200)),
    "reports:project_table": ("get", "project_table", (200, 403, 200, 200, 200)),
    "reports:department_table": ("get", "department_table", (403, 403, 200, 200, 200)),
    "reports:exports": ("get", None, (200, 200, 200, 200, 200)),
    "reports:export_status": ("get", None, (200, 200, 200, 200, 200)),
    "reports:export_start": ("post", None, (404, 404, 404, 404, 404)),
    # The finance reviewer's own export: everyone else gets 404 (not theirs); the owner gets it once done.
    "reports:export_download": ("get", "export", (404, 404, 404, 404, 404)),
    "reports:export_retry": ("post", "export", (404, 404, 404, 302, 404)),
    "finance:department_review": ("get", "department_evaluation", (403, 403, 403, 200, 403)),
    "department:approve": ("post", "department", (403, 403, 403, 302, 403)),
    "dashboard:index": ("get", None, (403, 403, 200, 200, 200)),
    "quality:list": ("get", None, (403, 403, 200, 200, 200)),
    "reports:project_report": ("get", "project", (200, 403, 200, 200, 200)),
    "reports:department_statement": ("get", "department", (403, 403, 200, 200, 200)),
    "imports:list": ("get", None, (403, 403, 403, 403, 200)),
    "imports:detail": ("get", "import", (403, 403, 403, 403, 200)),
    # A refused import cannot be committed: the admin is sent back to it with a message.
    "imports:commit": ("post", "import", (403, 403, 403, 403, 302)),
    "imports:template": ("get", "template", (403, 403, 403, 403, 200)),
    # The trail follows the record's own view rule; the export is for departments and bureau staff.
    "audit:project": ("get", "project", (200, 403, 200, 200, 200)),
    "audit:department": ("get", "department", (403, 403, 200, 200, 200)),
    "audit:export": ("get", None, (403, 403, 200, 200, 200)),
}


def test_every_named_url_is_in_the_matrix():
    assert sorted({name for name, _ in named_urls()} - PUBLIC) == sorted(MATRIX)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo loaded once for the module inside a transaction rolled back at its end (like setUpTestData)."""
    with django_db_blocker.unblock(), transaction.atomic():
        load_demo()
        year = FiscalYear.objects.get(year=2025, finance_bureau__name="东莞市财政局")
        unit = Organisation.objects.get(name="东莞市技师学院")
        own = project_create(fiscal_year=year, unit=unit, name="矩阵测试项目")
        department = Organisation.objects.get(name="东莞市人力资源和社会保障局")
        department_evaluation = DepartmentEvaluation.objects.create(fiscal_year=year, department=department)
        review = FinanceReview.objects.get(evaluation__project__name="促进创业带动就业补贴（一级）")
        # A failed export of the finance reviewer: retry is theirs alone; nothing is downloadable yet.
        export = ReportExport.objects.create(
            owner=User.objects.get(username="finance"),
            kind="summary",
            format="pdf",
            fiscal_year=year,
            status=ReportExport.Status.FAILED,
            error="演示失败",
        )
        refused_import = ImportRecord.objects.create(
            uploaded_by=User.objects.get(username="admin"),
            finance_bureau=year.finance_bureau,
            original_name="矩阵测试.xlsx",
            file="imports/matrix.xlsx",
            sha256="0" * 64,
            size=1,
            status=ImportRecord.Status.REFUSED,
            preview={"unusable": "文件不是 Excel 工作簿。"},
        )
        yield {
            "import": {"pk": refused_import.pk},
            "template": {"profile": "national"},
            "review": {"pk": review.pk},
            "department_evaluation": {"pk": department_evaluation.pk},
            "summary": {"year": year.year, "fmt": "xlsx"},
            "project_table": {"pk": own.pk, "fmt": "xlsx"},
            "department_table": {"pk": department_evaluation.pk, "fmt": "xlsx"},
            "export": {"pk": export.pk},
            "project": {"pk": own.pk},
            "evaluation": {"pk": own.evaluation.pk},
            "year": {"year": year.year},
            "department": {"year": year.year, "department_pk": department.pk},
        }
        transaction.set_rollback(True)


@pytest.fixture
def objects(demo, db):
    return demo


CASES = [(name, role) for name in MATRIX for role in ROLES]


@pytest.mark.parametrize(("name", "role"), CASES, ids=[f"{n}-{r}" for n, r in CASES])
def test_who_gets_what(client, objects, name, role):
    method, kind, expected_statuses = MATRIX[name]
    url = reverse(name, kwargs=objects[kind] if kind else {})
    if role != "anonymous":
        client.force_login(User.objects.get(username=role))

    response = getattr(client, method)(url)

    expected = LOGIN if role == "anonymous" else dict(zip(ROLES[1:], expected_statuses, strict=True))[role]
    if expected == LOGIN:
        assert (response.status_code, response["Location"].split("?")[0]) == (302, reverse("accounts:login"))
    else:
        assert (response.status_code, response.get("Location")) == (expected, response.get("Location"))
