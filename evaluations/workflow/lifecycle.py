"""The year's lifecycle (SPEC §13): 填报中 → 财政审核中 → 已定稿 → 已公开, and reopening with a reason.

Each step is one service: it checks the actor and the year's state through the policy, locks the year's row,
writes every change with an EvaluationTransition (or the year's own history row, with the reason), and raises
WorkflowError with a Chinese message when it refuses. Finalising marks what is still open — drafts and
returned records never (re)submitted become 未提交, submissions never approved and reviews never finished
become 未完成 — and from then on ``policy.locks`` refuses every write to the year until it is reopened.
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from budgets.models import FiscalYear
from evaluations.models import (
    DepartmentEvaluation,
    EvaluationTransition,
    FinanceReview,
    ProjectEvaluation,
)
from evaluations.workflow.services import WorkflowError, require_permission, required_reason
from history.context import acting_as
from policy.locks import year_unlocked

Status = ProjectEvaluation.Status
DepartmentStatus = DepartmentEvaluation.Status

# What finalising does to a record still open, by its state.
FINALISE_MARKS = {
    Status.DRAFT: Status.UNSUBMITTED,
    Status.RETURNED: Status.UNSUBMITTED,
    Status.SUBMITTED: Status.INCOMPLETE,
}
DEPARTMENT_FINALISE_MARKS = {
    DepartmentStatus.DRAFT: DepartmentStatus.UNSUBMITTED,
    DepartmentStatus.RETURNED: DepartmentStatus.UNSUBMITTED,
    DepartmentStatus.SUBMITTED: DepartmentStatus.INCOMPLETE,
}
# States that reopening takes back to what they were before the year was finalised or published.
REVERSIBLE = (Status.UNSUBMITTED, Status.INCOMPLETE, Status.PUBLISHED)


@dataclass
class OpenItems:
    """What is still open in a year: listed on the confirmation page before finalising."""

    drafts: object  # ProjectEvaluation queryset: never submitted
    returned: object  # returned and not resubmitted
    submitted: object  # submitted, not yet approved by the department
    department_open: object  # department-wide evaluations not submitted or not yet approved
    reviews: object  # sampled reviews not finished

    @property
    def counts(self) -> dict[str, int]:
        return {name: getattr(self, name).count() for name in self.__dataclass_fields__}

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def reviews_of(fiscal_year: FiscalYear):
    """The year's finance reviews, of projects and of department-wide evaluations alike."""
    return FinanceReview.objects.filter(
        Q(evaluation__project__fiscal_year=fiscal_year) | Q(department_evaluation__fiscal_year=fiscal_year)
    )


def open_reviews(fiscal_year: FiscalYear):
    """Reviews of the year's sample not finished (project and department-wide alike)."""
    return reviews_of(fiscal_year).filter(excluded=False, status=FinanceReview.Status.DRAFT)


def open_items(fiscal_year: FiscalYear) -> OpenItems:
    evaluations = ProjectEvaluation.objects.filter(project__fiscal_year=fiscal_year).select_related(
        "project__unit__parent"
    )
    return OpenItems(
        drafts=evaluations.filter(status=Status.DRAFT),
        returned=evaluations.filter(status=Status.RETURNED),
        submitted=evaluations.filter(status=Status.SUBMITTED),
        department_open=DepartmentEvaluation.objects.filter(
            fiscal_year=fiscal_year, status__in=list(DEPARTMENT_FINALISE_MARKS)
        ).select_related("department"),
        reviews=open_reviews(fiscal_year).select_related(
            "evaluation__project__unit", "department_evaluation__department"
        ),
    )


def _locked_year(fiscal_year: FiscalYear) -> FiscalYear:
    return FiscalYear.objects.select_for_update().get(pk=fiscal_year.pk)


def _move(model, rows, target_of, actor, comment: str) -> int:
    """Move each record of ``rows`` to ``target_of(record)``: one transition record each, one UPDATE per target."""
    key = "evaluation" if model is ProjectEvaluation else "department_evaluation"
    moves = [(row, target_of(row)) for row in rows]
    EvaluationTransition.objects.bulk_create(
        EvaluationTransition(**{key: row}, from_status=row.status, to_status=target, actor=actor, comment=comment)
        for row, target in moves
    )
    now = timezone.now()
    for target in {target for _, target in moves}:
        model.objects.filter(pk__in=[row.pk for row, t in moves if t == target]).update(status=target, updated_at=now)
    return len(moves)


@transaction.atomic
def fiscal_year_close(*, fiscal_year: FiscalYear, actor) -> FiscalYear:
    """End the filling period: 填报中 → 财政审核中 (records already open stay as they are).

    Side effects: FiscalYear.status → 财政审核中, a history row for the year.
    """
    refusal = "只有本财政局的财政审核员可以结束填报阶段。"
    require_permission(actor, "evaluations.act_for_year", fiscal_year, refusal, name_locked_year=False)
    year = _locked_year(fiscal_year)
    if year.status != FiscalYear.Status.OPEN:
        raise WorkflowError(f"该年度当前为“{year.get_status_display()}”，不能结束填报阶段。")
    year.status = FiscalYear.Status.CLOSED
    year.save(update_fields=["status"])
    return year


@transaction.atomic
def fiscal_year_finalise(*, fiscal_year: FiscalYear, actor) -> FiscalYear:
    """Finalise a year: what is still open is marked 未提交 / 未完成 and the whole year locks (SPEC §13).

    Side effects: drafts and returned records → 未提交, submissions not approved → 未完成 (project and
    department-wide, one transition record each), open reviews → 未完成, FiscalYear.status → 已定稿. A year
    without a sample (an imported past year) may be finalised; the confirmation page says so.
    """
    refusal = "只有本财政局的财政审核员可以定稿。"
    require_permission(actor, "evaluations.act_for_year", fiscal_year, refusal, name_locked_year=False)
    year = _locked_year(fiscal_year)
    if year.status not in (FiscalYear.Status.OPEN, FiscalYear.Status.CLOSED):
        raise WorkflowError(f"该年度当前为“{year.get_status_display()}”，不能定稿。")
    comment = "年度定稿时尚未完成"
    projects = ProjectEvaluation.objects.filter(project__fiscal_year=year, status__in=list(FINALISE_MARKS))
    _move(ProjectEvaluation, projects, lambda e: FINALISE_MARKS[e.status], actor, comment)
    departments = DepartmentEvaluation.objects.filter(fiscal_year=year, status__in=list(DEPARTMENT_FINALISE_MARKS))
    _move(DepartmentEvaluation, departments, lambda e: DEPARTMENT_FINALISE_MARKS[e.status], actor, comment)
    open_reviews(year).update(status=FinanceReview.Status.INCOMPLETE, updated_at=timezone.now())
    year.status = FiscalYear.Status.FINALISED
    year.save(update_fields=["status"])
    return year


@transaction.atomic
def fiscal_year_publish(*, fiscal_year: FiscalYear, actor) -> FiscalYear:
    """Publish a finalised year: its approved results become 已公开, grades and opinions visible to all (§12).

    Side effects: approved or spot-checked evaluations and approved department-wide evaluations → 已公开 with
    one transition record each; FiscalYear.status → 已公开.
    """
    refusal = "只有本财政局的财政审核员可以公开已定稿的年度。"
    require_permission(actor, "evaluations.act_for_year", fiscal_year, refusal, name_locked_year=False)
    year = _locked_year(fiscal_year)
    if year.status != FiscalYear.Status.FINALISED:
        raise WorkflowError("请先定稿，再公开。")
    with year_unlocked(year):
        comment = "年度定稿公开"
        results = ProjectEvaluation.objects.filter(
            project__fiscal_year=year, status__in=(Status.APPROVED, Status.SPOT_CHECKED)
        )
        _move(ProjectEvaluation, results, lambda e: Status.PUBLISHED, actor, comment)
        departments = DepartmentEvaluation.objects.filter(fiscal_year=year, status=DepartmentStatus.APPROVED)
        _move(DepartmentEvaluation, departments, lambda e: DepartmentStatus.PUBLISHED, actor, comment)
        year.status = FiscalYear.Status.PUBLISHED
        year.save(update_fields=["status"])
    return year


def _previous_states(transitions, key: str, states) -> dict[int, str]:
    """Per record, the state it left on its latest move into one of ``states`` (what reopening restores)."""
    before = {}
    for transition in transitions.filter(to_status__in=list(states)).order_by("created_at", "pk"):
        before[getattr(transition, key)] = transition.from_status
    return before


@transaction.atomic
def fiscal_year_reopen(*, fiscal_year: FiscalYear, actor, reason: str) -> FiscalYear:
    """Reopen a finalised or published year for correction, with the reason audited (SPEC §13).

    Side effects: every record finalising or publishing moved goes back to the state it had (one transition
    record each, the reason as comment), reviews marked 未完成 are open again, FiscalYear.status → 财政审核中
    with a history row carrying the reason. Finance results are hidden again from units and departments.
    """
    refusal = "只有本财政局的财政审核员可以重新打开已定稿的年度。"
    require_permission(actor, "evaluations.act_for_year", fiscal_year, refusal, name_locked_year=False)
    reason = required_reason(reason, "重新打开年度须说明原因。")
    year = _locked_year(fiscal_year)
    if year.status not in FiscalYear.LOCKED:
        raise WorkflowError(f"该年度当前为“{year.get_status_display()}”，无需重新打开。")
    comment = f"重新打开年度：{reason}"
    with year_unlocked(year), acting_as(actor, comment):
        projects = list(ProjectEvaluation.objects.filter(project__fiscal_year=year, status__in=REVERSIBLE))
        before = _previous_states(
            EvaluationTransition.objects.filter(evaluation__in=projects), "evaluation_id", REVERSIBLE
        )
        _move(ProjectEvaluation, projects, lambda e: before.get(e.pk, Status.APPROVED), actor, comment)
        departments = list(DepartmentEvaluation.objects.filter(fiscal_year=year, status__in=REVERSIBLE))
        before = _previous_states(
            EvaluationTransition.objects.filter(department_evaluation__in=departments),
            "department_evaluation_id",
            REVERSIBLE,
        )
        _move(DepartmentEvaluation, departments, lambda e: before.get(e.pk, DepartmentStatus.APPROVED), actor, comment)
        reviews_of(year).filter(status=FinanceReview.Status.INCOMPLETE).update(
            status=FinanceReview.Status.DRAFT, updated_at=timezone.now()
        )
        year.status = FiscalYear.Status.CLOSED
        year.save(update_fields=["status"])
    return year
