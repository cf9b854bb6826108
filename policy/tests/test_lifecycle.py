"""The year's lifecycle and the record's integrity (SPEC §12, §13): findings 3–6 of issue 13 and the year lock.

Each finding has a test named for it that failed before the policy module and the lock existed.
"""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse

from budgets.models import BudgetLine, FiscalYear, Project
from evaluations.department_wide.services import department_evaluation_approve
from evaluations.finance_review.services import review_complete, review_save
from evaluations.models import (
    DepartmentEvaluation,
    EvaluationTransition,
    FinanceReview,
    ProjectEvaluation,
    SpotCheckSample,
)
from evaluations.tests.factories import (
    DepartmentEvaluationFactory,
    ProjectEvaluationFactory,
    ProjectFactory,
    UserFactory,
    make_submittable,
)
from evaluations.workflow.lifecycle import fiscal_year_finalise, fiscal_year_publish, fiscal_year_reopen, open_items
from evaluations.workflow.services import WorkflowError, evaluation_approve, evaluation_return, evaluation_submit
from indicators.models import Indicator
from policy.access import can
from policy.locks import YearLocked

pytestmark = pytest.mark.django_db
Status = ProjectEvaluation.Status


def _refused(call) -> str:
    with pytest.raises(WorkflowError) as refusal:
        call()
    return str(refusal.value)


@pytest.fixture
def sampled_year(year, cast):
    SpotCheckSample.objects.create(
        fiscal_year=year, ratio=Decimal("0.1"), random_seed=1, drawn_by=cast.finance_reviewer
    )
    return year


@pytest.fixture
def approved(org, year, cast):
    project = ProjectFactory(fiscal_year=year, unit=org.unit, name="已审核项目")
    evaluation = ProjectEvaluationFactory(project=project)
    make_submittable(project)
    evaluation_submit(evaluation=evaluation, actor=cast.unit_filler)
    evaluation_approve(evaluation=evaluation, actor=cast.department_reviewer)
    return evaluation


# --- finding 3: a department-wide evaluation is reviewed only once submitted ---------------------------------


def test_finding_3_finance_cannot_review_a_department_wide_evaluation_that_was_never_submitted(client, org, year, cast):
    draft = DepartmentEvaluationFactory(fiscal_year=year, department=org.department)
    client.force_login(cast.finance_reviewer)
    url = reverse("finance:department_review", kwargs={"pk": draft.pk})

    page = client.get(url)
    response = client.post(url, {"grade": "良", "opinion_html": "<p>意见</p>", "action": "complete"})

    draft.refresh_from_db()
    assert page.status_code == 200
    assert "部门尚未提交该自评" in page.content.decode()
    assert response.status_code == 200
    assert "部门尚未提交该自评，提交后才能审核。" in response.content.decode()
    assert not FinanceReview.objects.filter(department_evaluation=draft).exists()
    assert draft.status == DepartmentEvaluation.Status.DRAFT
    assert not can(cast.finance_reviewer, "evaluations.approve_departmentevaluation", draft)


def test_finding_3_the_review_services_refuse_a_review_of_an_unsubmitted_department_evaluation(org, year, cast):
    draft = DepartmentEvaluationFactory(fiscal_year=year, department=org.department)
    review = FinanceReview.objects.create(department_evaluation=draft, selection=FinanceReview.Selection.MANUAL)

    save = _refused(
        lambda: review_save(
            review=review,
            actor=cast.finance_reviewer,
            grade="优",
            opinion_html="<p>x</p>",
            reviewer_total=None,
            checked_scores={},
        )
    )
    complete = _refused(lambda: review_complete(review=review, actor=cast.finance_reviewer))

    review.refresh_from_db()
    assert (save, complete) == ("部门尚未提交该自评，提交后才能审核。",) * 2
    assert (review.grade, review.status) == ("", FinanceReview.Status.DRAFT)


# --- finding 4: finalising locks the year -----------------------------------------------------------------------


def test_finding_4_finalising_marks_open_records_and_nothing_in_the_year_changes_afterwards(
    client, org, sampled_year, cast, evaluation, approved
):
    make_submittable(evaluation.project)
    fiscal_year_finalise(fiscal_year=sampled_year, actor=cast.finance_reviewer)
    fiscal_year_publish(fiscal_year=sampled_year, actor=cast.finance_reviewer)
    evaluation.refresh_from_db()
    project = evaluation.project
    assert evaluation.status == Status.UNSUBMITTED

    # The unit: no edit page, no save, no submit.
    client.force_login(cast.unit_filler)
    edit_page = client.get(reverse("budgets:project_edit", kwargs={"pk": project.pk}), follow=True)
    assert "已公开，记录已锁定" in edit_page.content.decode()
    assert client.post(reverse("budgets:project_edit", kwargs={"pk": project.pk}), {"name": "改名"}).status_code in (
        302,
        403,
    )
    message = _refused(lambda: evaluation_submit(evaluation=evaluation, actor=cast.unit_filler))
    # The department: no approval of anything in the year.
    client.force_login(cast.department_reviewer)
    approve = client.post(reverse("evaluations:evaluation_approve", kwargs={"pk": approved.pk}), {"version": 0})

    project.refresh_from_db()
    evaluation.refresh_from_db()
    approved.refresh_from_db()
    assert "已公开，记录已锁定" in message
    assert approve.status_code == 403
    assert (project.name, evaluation.status, approved.status) == ("日常办学经费", Status.UNSUBMITTED, Status.PUBLISHED)


def test_finding_4_the_model_layer_refuses_every_write_to_a_locked_year(org, sampled_year, cast, evaluation):
    make_submittable(evaluation.project)
    fiscal_year_finalise(fiscal_year=sampled_year, actor=cast.finance_reviewer)
    project = Project.objects.get(pk=evaluation.project_id)
    line = project.budget_lines.first()
    writes = {
        "save": lambda: project.save(),
        "queryset update": lambda: Project.objects.filter(pk=project.pk).update(name="改"),
        "bulk create": lambda: BudgetLine.objects.bulk_create([BudgetLine(project=project, fund_source="其他资金")]),
        "delete": lambda: line.delete(),
        "indicator update": lambda: Indicator.objects.filter(project=project).update(name="改"),
        "new project": lambda: Project.objects.create(fiscal_year=sampled_year, unit=org.unit, name="新"),
        "year's profile": lambda: FiscalYear.objects.filter(pk=sampled_year.pk).update(review_deadline="2030-01-01"),
        "evaluation status": lambda: ProjectEvaluation.objects.filter(pk=evaluation.pk).update(status=Status.DRAFT),
    }
    refused = {}
    for name, write in writes.items():
        with pytest.raises(YearLocked) as refusal, transaction.atomic():
            write()
        refused[name] = "已定稿，记录已锁定" in str(refusal.value)

    assert refused == dict.fromkeys(writes, True)
    assert isinstance(YearLocked(sampled_year), PermissionDenied)
    assert Project.objects.get(pk=project.pk).name == "日常办学经费"


def test_finalising_asks_for_confirmation_listing_what_is_open(client, org, sampled_year, cast, evaluation, approved):
    returned = ProjectEvaluationFactory(
        project=ProjectFactory(fiscal_year=sampled_year, unit=org.unit, name="退回项目")
    )
    make_submittable(returned.project)
    evaluation_submit(evaluation=returned, actor=cast.unit_filler)
    evaluation_return(evaluation=returned, actor=cast.department_reviewer, reason="请补充")
    submitted = ProjectEvaluationFactory(
        project=ProjectFactory(fiscal_year=sampled_year, unit=org.unit, name="待审项目")
    )
    make_submittable(submitted.project)
    evaluation_submit(evaluation=submitted, actor=cast.unit_filler)
    FinanceReview.objects.create(evaluation=approved, sample=sampled_year.sample)
    department = DepartmentEvaluationFactory(fiscal_year=sampled_year, department=org.department)
    client.force_login(cast.finance_reviewer)
    url = reverse("finance:finalise", kwargs={"year": sampled_year.year})

    page = client.get(url)
    unconfirmed = client.post(url)
    sampled_year.refresh_from_db()
    status_after_unconfirmed = sampled_year.status
    confirmed = client.post(url, {"confirm": "1"})

    sampled_year.refresh_from_db()
    html = page.content.decode()
    assert page.status_code == 200
    assert open_items(sampled_year).counts == dict.fromkeys(
        ("drafts", "returned", "submitted", "department_open", "reviews"), 0
    )
    for link in (
        reverse("budgets:project_detail", kwargs={"pk": evaluation.project_id}),
        reverse("budgets:project_detail", kwargs={"pk": returned.project_id}),
        reverse("budgets:project_detail", kwargs={"pk": submitted.project_id}),
        reverse("department:detail", kwargs={"year": sampled_year.year, "department_pk": org.department.pk}),
    ):
        assert link in html
    assert "还有 <strong>5</strong> 项尚未完成" in html
    assert (unconfirmed.status_code, status_after_unconfirmed) == (200, FiscalYear.Status.OPEN)
    assert (confirmed.status_code, sampled_year.status) == (302, FiscalYear.Status.FINALISED)
    statuses = dict(
        ProjectEvaluation.objects.filter(project__fiscal_year=sampled_year).values_list("project__name", "status")
    )
    assert statuses == {
        "日常办学经费": Status.UNSUBMITTED,
        "退回项目": Status.UNSUBMITTED,
        "待审项目": Status.INCOMPLETE,
        "已审核项目": Status.APPROVED,
    }
    department.refresh_from_db()
    assert department.status == DepartmentEvaluation.Status.UNSUBMITTED
    assert FinanceReview.objects.get(evaluation=approved).status == FinanceReview.Status.INCOMPLETE


def test_publishing_asks_for_confirmation_and_only_after_finalising(client, sampled_year, cast, approved):
    client.force_login(cast.finance_reviewer)
    url = reverse("finance:publish", kwargs={"year": sampled_year.year})

    too_early = client.post(url, {"confirm": "1"})
    sampled_year.refresh_from_db()
    early_status = sampled_year.status
    fiscal_year_finalise(fiscal_year=sampled_year, actor=cast.finance_reviewer)
    page = client.get(url)
    unconfirmed = client.post(url)
    sampled_year.refresh_from_db()
    unconfirmed_status = sampled_year.status
    client.post(url, {"confirm": "1"})

    sampled_year.refresh_from_db()
    approved.refresh_from_db()
    assert (too_early.status_code, early_status) == (302, FiscalYear.Status.OPEN)
    assert page.status_code == 200 and "确认公开" in page.content.decode()
    assert (unconfirmed.status_code, unconfirmed_status) == (200, FiscalYear.Status.FINALISED)
    assert (sampled_year.status, approved.status) == (FiscalYear.Status.PUBLISHED, Status.PUBLISHED)


def test_reopening_needs_a_reason_restores_what_finalising_and_publishing_marked_and_is_audited(
    sampled_year, cast, evaluation, approved
):
    fiscal_year_finalise(fiscal_year=sampled_year, actor=cast.finance_reviewer)
    fiscal_year_publish(fiscal_year=sampled_year, actor=cast.finance_reviewer)

    without_reason = _refused(
        lambda: fiscal_year_reopen(fiscal_year=sampled_year, actor=cast.finance_reviewer, reason=" ")
    )
    by_department = _refused(
        lambda: fiscal_year_reopen(fiscal_year=sampled_year, actor=cast.department_reviewer, reason="更正")
    )
    fiscal_year_reopen(fiscal_year=sampled_year, actor=cast.finance_reviewer, reason="更正审核意见的错别字")

    sampled_year.refresh_from_db()
    evaluation.refresh_from_db()
    approved.refresh_from_db()
    assert without_reason == "重新打开年度须说明原因。"
    assert by_department == "只有本财政局的财政审核员可以重新打开已定稿的年度。"
    assert (sampled_year.status, evaluation.status, approved.status) == (
        FiscalYear.Status.CLOSED,
        Status.DRAFT,
        Status.APPROVED,
    )
    latest = sampled_year.history.order_by("-history_date").first()
    assert (latest.status, latest.history_change_reason, latest.history_user) == (
        FiscalYear.Status.CLOSED,
        "重新打开年度：更正审核意见的错别字",
        cast.finance_reviewer,
    )
    assert EvaluationTransition.objects.filter(
        evaluation=approved, comment="重新打开年度：更正审核意见的错别字"
    ).exists()
    # Open again: the unit edits its draft as before.
    assert can(cast.unit_filler, "budgets.change_project", evaluation.project)


# --- finding 5: a unit employee of the department never opens the department-wide evaluation -------------------


def test_finding_5_a_unit_filler_attached_to_the_department_reaches_no_department_wide_page(client, org, year):
    filler = UserFactory(username="dept-filler", role="unit_filler", organisation=org.department)
    evaluation = DepartmentEvaluationFactory(fiscal_year=year, department=org.department)
    client.force_login(filler)
    urls = [
        reverse("department:detail", kwargs={"year": year.year, "department_pk": org.department.pk}),
        reverse("audit:department", kwargs={"year": year.year, "department_pk": org.department.pk}),
        reverse("reports:department_table", kwargs={"pk": evaluation.pk, "fmt": "pdf"}),
        reverse("reports:department_table", kwargs={"pk": evaluation.pk, "fmt": "xlsx"}),
        reverse("department:list"),
    ]

    statuses = {url: client.get(url).status_code for url in urls}

    assert statuses == dict.fromkeys(urls, 403)
    assert not can(filler, "evaluations.view_departmentevaluation", evaluation)


# --- finding 6: a stale approve, return or review save is refused ------------------------------------------------


def _unit_changes_the_content(project):
    """What the unit's save through the form does to the project: its version goes up."""
    Project.objects.filter(pk=project.pk).update(version=project.version + 1)


def test_finding_6_a_stale_approve_is_refused(client, org, year, cast, submittable_evaluation):
    evaluation_submit(evaluation=submittable_evaluation, actor=cast.unit_filler)
    project = submittable_evaluation.project
    client.force_login(cast.department_reviewer)
    page = client.get(reverse("budgets:project_detail", kwargs={"pk": project.pk}))
    seen = project.version
    _unit_changes_the_content(project)

    stale = client.post(
        reverse("evaluations:evaluation_approve", kwargs={"pk": submittable_evaluation.pk}),
        {"version": seen},
        follow=True,
    )
    submittable_evaluation.refresh_from_db()

    assert f'name="version" value="{seen}"' in page.content.decode()
    assert "在您打开页面之后，该项目的自评内容已被修改" in stale.content.decode()
    assert submittable_evaluation.status == Status.SUBMITTED


def test_finding_6_stale_return_and_department_wide_approve_and_review_save_are_refused(
    org, year, cast, submittable_evaluation, approved
):
    evaluation_submit(evaluation=submittable_evaluation, actor=cast.unit_filler)
    project = submittable_evaluation.project
    seen = project.version
    _unit_changes_the_content(project)
    department = DepartmentEvaluationFactory(fiscal_year=year, department=org.department)
    DepartmentEvaluation.objects.filter(pk=department.pk).update(
        status=DepartmentEvaluation.Status.SUBMITTED, version=3
    )
    review = FinanceReview.objects.create(evaluation=approved, version=5)

    messages = [
        _refused(
            lambda: evaluation_return(
                evaluation=submittable_evaluation, actor=cast.department_reviewer, reason="x", version=seen
            )
        ),
        _refused(lambda: department_evaluation_approve(evaluation=department, actor=cast.finance_reviewer, version=2)),
        _refused(
            lambda: review_save(
                review=review,
                actor=cast.finance_reviewer,
                grade="优",
                opinion_html="",
                reviewer_total=None,
                checked_scores={},
                version=4,
            )
        ),
    ]

    submittable_evaluation.refresh_from_db()
    department.refresh_from_db()
    review.refresh_from_db()
    assert all("请刷新页面" in message for message in messages), messages
    assert (submittable_evaluation.status, department.status, review.grade) == (
        Status.SUBMITTED,
        DepartmentEvaluation.Status.SUBMITTED,
        "",
    )


def test_a_current_approve_goes_through(client, cast, submittable_evaluation):
    evaluation_submit(evaluation=submittable_evaluation, actor=cast.unit_filler)
    client.force_login(cast.department_reviewer)

    client.post(
        reverse("evaluations:evaluation_approve", kwargs={"pk": submittable_evaluation.pk}),
        {"version": submittable_evaluation.project.version},
    )

    submittable_evaluation.refresh_from_db()
    assert submittable_evaluation.status == Status.APPROVED


def test_a_department_wide_evaluation_submitted_then_approved_with_the_current_version(org, year, cast):
    department = DepartmentEvaluationFactory(fiscal_year=year, department=org.department)
    DepartmentEvaluation.objects.filter(pk=department.pk).update(status=DepartmentEvaluation.Status.SUBMITTED)
    department.refresh_from_db()

    department_evaluation_approve(evaluation=department, actor=cast.finance_reviewer, version=department.version)

    department.refresh_from_db()
    assert department.status == DepartmentEvaluation.Status.APPROVED


# --- the wall in the database itself (PostgreSQL) --------------------------------------------------------------


def test_postgresql_refuses_raw_sql_writes_to_a_locked_year_except_inside_its_transitions(
    sampled_year, cast, evaluation
):
    from django.db import DatabaseError, connection

    from policy.locks import year_unlocked

    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no such triggers: there the ORM guard (policy.locks) is the only wall.")
    make_submittable(evaluation.project)
    fiscal_year_finalise(fiscal_year=sampled_year, actor=cast.finance_reviewer)
    statements = {
        "project": ("UPDATE budgets_project SET name = 'raw' WHERE id = %s", evaluation.project_id),
        "line": ("DELETE FROM budgets_budgetline WHERE project_id = %s", evaluation.project_id),
        "indicator": ("UPDATE indicators_indicator SET name = 'raw' WHERE project_id = %s", evaluation.project_id),
        "evaluation": ("UPDATE evaluations_projectevaluation SET status = 'draft' WHERE id = %s", evaluation.pk),
        "year": ("UPDATE budgets_fiscalyear SET status = 'open' WHERE id = %s", sampled_year.pk),
    }
    refused = {}
    for name, (sql, pk) in statements.items():
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, [pk])
            refused[name] = False
        except DatabaseError as error:
            refused[name] = "记录已锁定" in str(error)
    with year_unlocked(sampled_year), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE budgets_project SET name = name WHERE id = %s", [evaluation.project_id])
        passed_inside = cursor.rowcount

    assert refused == dict.fromkeys(statements, True)
    assert passed_inside == 1
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE budgets_project SET name = name WHERE id = %s", [evaluation.project_id])
