"""Every URL × role × bureau × year state, for GET and POST (SPEC §12, §13; issue 13's walk).

On the demo, with a set of 东莞 2025 records in every workflow state, the 2025 year is put in each of its
four states in turn; then every named URL is requested with GET and with a POST that carries everything a
form of the site could send, as every demo role of 东莞, as the same roles of another bureau (烈山区) with
that bureau's own administrator, and anonymously. What must hold:

- nothing answers 500;
- anonymous visitors are sent to the login page;
- another bureau's user reaches no 东莞 object (403 or 404) and no page of theirs names 东莞;
- a refusal (400, 403, 404, 405) leaves the database as it was;
- in a finalised or published year no POST of anyone changes anything — the only doors are finance's
  公开 of a finalised year and 重新打开 with a reason, the year's own transitions (checked to work);
- the admin site is walked too: another bureau's admin opens no 东莞 object, and in a locked year a POST to
  the admin's change page of a 东莞 record changes nothing.

The per-role status of each URL in an open year is the matrix in accounts/tests/test_access_matrix.py.
"""

import hashlib
from decimal import Decimal

import pytest
from django.contrib import admin
from django.core.exceptions import FieldError
from django.db import transaction
from django.urls import reverse

from accounts.models import Organisation, User
from budgets.models import BudgetLine, FiscalYear, Project
from evaluations.demo import load_demo
from evaluations.filling.services import project_create
from evaluations.models import (
    DepartmentEvaluation,
    DepartmentScoreItem,
    EvaluationTransition,
    FinanceReview,
    ProjectEvaluation,
    ReportExport,
    ReviewIndicatorScore,
    SpotCheckSample,
)
from evaluations.tests.factories import make_submittable
from evaluations.workflow.services import evaluation_approve, evaluation_submit
from imports.models import ImportRecord
from indicators.models import Indicator
from policy.locks import year_unlocked
from policy.tests.urls import named_urls

pytestmark = pytest.mark.django_db

STATES = [s.value for s in FiscalYear.Status]
LOCKED = {s.value for s in FiscalYear.LOCKED}
OWN = ("unit", "unit2", "dept", "finance", "admin")
OTHER_BUREAU = ("lieshan-unit", "lieshan-dept", "lieshan-finance", "lieshan-admin")
ROLES = ("anonymous", *OWN, *OTHER_BUREAU)
PUBLIC = {"accounts:login", "accounts:logout", "healthz"}
REFUSALS = {400, 403, 404, 405}
# The year's own transitions out of a locked state: finance publishes a finalised year and reopens a locked one.
YEAR_TRANSITIONS = {"finance:publish", "finance:reopen_year"}
# The models whose rows make up "the record": a change to any of them is a change of the database.
RECORD_MODELS = (
    FiscalYear,
    Project,
    BudgetLine,
    Indicator,
    ProjectEvaluation,
    EvaluationTransition,
    DepartmentEvaluation,
    DepartmentScoreItem,
    SpotCheckSample,
    FinanceReview,
    ReviewIndicatorScore,
    Organisation,
    User,
)


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for model in RECORD_MODELS:
        for row in model._base_manager.order_by("pk").values_list():
            digest.update(repr(row).encode())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def walk(django_db_setup, django_db_blocker):
    """The demo with 东莞 2025 records in every state, loaded once inside a transaction rolled back at the end."""
    with django_db_blocker.unblock(), transaction.atomic():
        load_demo()
        year = FiscalYear.objects.get(year=2025, finance_bureau__name="东莞市财政局")
        unit = Organisation.objects.get(name="东莞市技师学院")
        department = Organisation.objects.get(name="东莞市人力资源和社会保障局")
        users = {u.username: u for u in User.objects.all()}
        lieshan = Organisation.objects.get(name="烈山区财政局")
        users["lieshan-admin"] = User.objects.create_user(
            username="lieshan-admin", password="x", role=User.Role.ADMIN, organisation=lieshan, is_staff=True
        )

        def project(name, *, submit=False, approve=False):
            created = project_create(fiscal_year=year, unit=unit, name=name)
            created.budget_lines.all().delete()  # make_submittable brings its own fund row
            make_submittable(created)
            if submit or approve:
                evaluation_submit(evaluation=created.evaluation, actor=users["unit"])
            if approve:
                evaluation_approve(evaluation=created.evaluation, actor=users["dept"])
            return Project.objects.get(pk=created.pk)

        draft = project("走查草稿")
        submitted = project("走查已提交", submit=True)
        approved = project("走查已审核", approve=True)
        sample = SpotCheckSample.objects.create(
            fiscal_year=year, ratio=Decimal("0.5"), random_seed=7, drawn_by=users["finance"]
        )
        review = FinanceReview.objects.create(evaluation=approved.evaluation, sample=sample)
        department_evaluation = DepartmentEvaluation.objects.create(
            fiscal_year=year, department=department, status=DepartmentEvaluation.Status.SUBMITTED
        )
        FinanceReview.objects.create(department_evaluation=department_evaluation, sample=sample)
        export = ReportExport.objects.create(
            owner=users["finance"], kind="summary", format="pdf", fiscal_year=year, status="failed", error="走查"
        )
        refused_import = ImportRecord.objects.create(
            uploaded_by=users["admin"],
            finance_bureau=year.finance_bureau,
            original_name="走查.xlsx",
            file="imports/walk.xlsx",
            sha256="1" * 64,
            size=1,
            status=ImportRecord.Status.REFUSED,
            preview={"unusable": "文件不是 Excel 工作簿。"},
        )
        kwargs = {
            "pk": draft.pk,
            "year": year.year,
            "department_pk": department.pk,
            "fmt": "xlsx",
            "profile": "national",
        }
        # Objects per URL: the record each kind of URL acts on.
        objects = {
            "evaluations:evaluation_approve": {"pk": submitted.evaluation.pk},
            "evaluations:evaluation_return": {"pk": submitted.evaluation.pk},
            "finance:sample_add": {"pk": submitted.evaluation.pk},
            "finance:review": {"pk": review.pk},
            "finance:reopen": {"pk": review.pk},
            "finance:remove": {"pk": review.pk},
            "finance:department_review": {"pk": department_evaluation.pk},
            "reports:department_table": {"pk": department_evaluation.pk, "fmt": "xlsx"},
            "reports:export_download": {"pk": export.pk},
            "reports:export_retry": {"pk": export.pk},
            "imports:detail": {"pk": refused_import.pk},
            "imports:commit": {"pk": refused_import.pk},
        }
        yield {"year": year, "kwargs": kwargs, "objects": objects, "users": users, "draft": draft}
        transaction.set_rollback(True)


def _url(walk, name, converters):
    kwargs = walk["objects"].get(name) or {key: walk["kwargs"][key] for key in converters}
    return reverse(name, kwargs=kwargs)


def _post_data(walk):
    """Everything a form of the site could send, with the versions the records have now."""
    draft = walk["draft"]
    return {
        "version": "0",
        "name": "走查改名",
        "reason": "走查原因",
        "comment": "走查意见",
        "confirm": "1",
        "action": "complete",
        "grade": "优",
        "opinion_html": "<p>走查审核意见</p>",
        "reviewer_total": "90",
        "year": str(walk["year"].year),
        "kind": "summary",
        "format": "xlsx",
        "ratio": "50",
        "seed": "1",
        "project": str(draft.pk),
        "goal": "走查目标",
    }


def _set_state(year, state):
    with year_unlocked(year):
        FiscalYear.objects.filter(pk=year.pk).update(status=state)


CASES = [(state, role) for state in STATES for role in ROLES]


@pytest.mark.parametrize(("state", "role"), CASES, ids=[f"{s}-{r}" for s, r in CASES])
def test_walk(client, walk, state, role):
    year = walk["year"]
    _set_state(year, state)
    if role != "anonymous":
        client.force_login(walk["users"][role])
    data = _post_data(walk)
    problems = []
    for name, converters in named_urls():
        if name in PUBLIC:
            continue
        url = _url(walk, name, converters)
        for method in ("get", "post"):
            with transaction.atomic():
                before = _fingerprint() if method == "post" else None
                try:
                    response = client.get(url) if method == "get" else client.post(url, data)
                except Exception as error:
                    problems.append(f"{method.upper()} {name}: {type(error).__name__}: {error}")
                    transaction.set_rollback(True)
                    continue
                status = response.status_code
                changed = method == "post" and _fingerprint() != before
                transaction.set_rollback(True)
            where = f"{method.upper()} {name} → {status}"
            if status >= 500:
                problems.append(f"{where}: server error")
            if role == "anonymous":
                if not (status == 302 and response["Location"].startswith(reverse("accounts:login"))):
                    problems.append(f"{where}: anonymous not sent to the login page")
                continue
            if role in OTHER_BUREAU:
                if {"pk", "department_pk"} & set(converters) and status not in (403, 404, 405):
                    problems.append(f"{where}: another bureau's user reached a 东莞 record")
                if status == 200 and "东莞" in response.content.decode(errors="replace"):
                    problems.append(f"{where}: another bureau's user was shown 东莞")
            if changed and status in REFUSALS:
                problems.append(f"{where}: refused, yet the database changed")
            if changed and state in LOCKED and not (role == "finance" and name in YEAR_TRANSITIONS):
                problems.append(f"{where}: changed a {state} year")

    assert problems == []


@pytest.mark.parametrize("state", sorted(LOCKED))
def test_in_a_locked_year_finance_reopens_with_a_reason_and_only_so(client, walk, state):
    year = walk["year"]
    _set_state(year, state)
    client.force_login(walk["users"]["finance"])
    url = reverse("finance:reopen_year", kwargs={"year": year.year})

    without_reason = client.post(url, {"reason": ""})
    year.refresh_from_db()
    still = year.status
    client.post(url, {"reason": "走查：更正"})

    year.refresh_from_db()
    assert (without_reason.status_code, still, year.status) == (302, state, FiscalYear.Status.CLOSED)


# --- the admin site -----------------------------------------------------------------------------------------


def _dongguan_objects():
    """One 东莞 object per model registered in the admin site (models with none are skipped)."""
    bureau = Organisation.objects.get(name="东莞市财政局")
    found = {}
    lookups = {
        Organisation: {"parent": bureau},
        User: {"username": "unit"},
        FiscalYear: {"finance_bureau": bureau, "year": 2025},
    }
    for model in admin.site._registry:
        if model in lookups:
            found[model] = model._base_manager.filter(**lookups[model]).first()
            continue
        for path in (
            "fiscal_year",
            "project__fiscal_year",
            "evaluation__project__fiscal_year",
            "evaluation__fiscal_year",
        ):
            try:
                candidate = model._base_manager.filter(**{f"{path}__finance_bureau": bureau, f"{path}__year": 2025})
                found[model] = candidate.first()
                break
            except (FieldError, ValueError):  # the model has no such path; try the next
                continue
    return {model: obj for model, obj in found.items() if obj is not None}


@pytest.mark.parametrize("state", STATES)
def test_the_admin_site_keeps_another_bureau_out_and_a_locked_year_unchanged(client, walk, state):
    year = walk["year"]
    _set_state(year, state)
    problems = []
    targets = _dongguan_objects()
    assert Project in targets and User in targets
    for username in ("lieshan-admin", "admin"):
        client.force_login(walk["users"][username])
        for model, obj in targets.items():
            info = (model._meta.app_label, model._meta.model_name)
            for suffix in ("change", "delete", "history"):
                url = reverse(f"admin:{info[0]}_{info[1]}_{suffix}", args=[obj.pk])
                with transaction.atomic():
                    get = client.get(url)
                    before = _fingerprint()
                    post = client.post(url, {"post": "yes", "name": "走查", "username": "takeover"})
                    changed = _fingerprint() != before
                    transaction.set_rollback(True)
                where = f"{username} {suffix} {info[1]}: GET {get.status_code} POST {post.status_code}"
                if get.status_code >= 500 or post.status_code >= 500:
                    problems.append(f"{where}: server error")
                if username == "lieshan-admin" and (get.status_code == 200 or changed):
                    problems.append(f"{where}: another bureau's admin reached a 东莞 record")
                if state in LOCKED and changed and model not in (Organisation, User):
                    problems.append(f"{where}: changed a {state} year")
        if username == "lieshan-admin":
            password = reverse("admin:auth_user_password_change", args=[targets[User].pk])
            with transaction.atomic():
                before = _fingerprint()
                response = client.post(password, {"password1": "Takeover-9876", "password2": "Takeover-9876"})
                changed = _fingerprint() != before
                transaction.set_rollback(True)
            if response.status_code == 200 or changed:
                problems.append(
                    f"lieshan-admin password change of 东莞 user: {response.status_code}, changed={changed}"
                )

    assert problems == []
