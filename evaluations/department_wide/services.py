"""The department-wide self-evaluation's writes (SPEC §7): one service each for start, save, submit, return, approve.

Each locks the row, checks the state and the actor, and writes nothing when it refuses (a WorkflowError with a
Chinese message). The score sheet they store comes from evaluations.department_wide.sheet.
"""

import copy
from collections.abc import Mapping
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from budgets.models import DepartmentIndicator, FiscalYear
from evaluations.department_wide.sheet import (
    EDITABLE_FIELDS,
    FieldProblem,
    build_sheet,
    claim_problems,
    submission_problems,
)
from evaluations.models import DepartmentEvaluation, DepartmentScoreItem, EvaluationTransition
from evaluations.workflow.services import (
    StaleEditError,
    WorkflowError,
    require_permission,
    require_year_unlocked,
    required_reason,
    stale_action_message,
)

Formula = DepartmentIndicator.Formula
Status = DepartmentEvaluation.Status


def department_evaluation_recalculate(*, evaluation: DepartmentEvaluation) -> DepartmentEvaluation:
    """Create missing score lines from the profile's system, compute each, and store the total and grade.

    Side effects: creates DepartmentScoreItem rows, updates their computed_score, and the evaluation's
    computed_total and computed_grade. The total counts the self-scored items only (自评准确 is the
    finance bureau's), using the claimed score where the department gave one. The version is left alone:
    the computed values follow from what was saved.
    """
    sheet = build_sheet(evaluation)
    existing = {item.indicator_id: item for item in evaluation.score_items.all()}
    for line in sheet.lines:
        item = existing.get(line.indicator.pk) or DepartmentScoreItem.objects.create(
            evaluation=evaluation, indicator=line.indicator
        )
        if item.computed_score != line.computed:
            item.computed_score = line.computed
            item.save(update_fields=["computed_score"])
    evaluation.computed_total = sheet.total
    evaluation.computed_grade = sheet.grade
    evaluation.save(update_fields=["computed_total", "computed_grade", "updated_at"])
    return evaluation


# --- writes -------------------------------------------------------------------------------------------


class DepartmentSubmissionRefused(WorkflowError):
    """Submit refused because the evaluation is incomplete; ``problems`` says where."""

    def __init__(self, problems: list[FieldProblem]):
        self.problems = problems
        super().__init__(f"未能提交：发现 {len(problems)} 处需要补充或修改的地方。")


def _locked(evaluation: DepartmentEvaluation) -> DepartmentEvaluation:
    """The evaluation re-read under a row lock (only its own row: PostgreSQL cannot lock an outer join's side)."""
    locked = (
        DepartmentEvaluation.objects.select_for_update(of=("self",))
        .select_related("fiscal_year__profile", "department", "updated_by")
        .get(pk=evaluation.pk)
    )
    require_year_unlocked(locked.fiscal_year_id)
    return locked


def _require_state(locked: DepartmentEvaluation, allowed: tuple[str, ...]) -> None:
    if locked.status not in allowed:
        labels = "、".join(str(Status(s).label) for s in allowed)
        raise WorkflowError(f"当前状态为“{locked.get_status_display()}”，不能执行此操作（仅限“{labels}”状态）。")


def _require_version(locked: DepartmentEvaluation, version: int | None) -> None:
    if version is not None and locked.version != version:
        # Locked while a colleague's save was committing, PostgreSQL re-reads the row but not the user joined
        # to it: read who saved again, or the message would name the previous editor (or nobody).
        locked.refresh_from_db(fields=["updated_by"])
        who = locked.updated_by or "其他用户"
        when = timezone.localtime(locked.updated_at).strftime("%Y-%m-%d %H:%M")
        raise StaleEditError(
            f"未保存：在您编辑期间，{who}于 {when} 保存了该自评的新版本（第 {locked.version} 版），"
            "为免覆盖对方的修改，您的内容没有保存。",
            current=locked,
        )


def _require_current(locked: DepartmentEvaluation, version: int | None) -> None:
    """A reviewer's action from a page older than the evaluation's latest version is refused (SPEC §13)."""
    if version is not None and locked.version != version:
        raise StaleEditError(stale_action_message("该部门整体自评"))


def _bump(locked: DepartmentEvaluation, actor) -> list[str]:
    locked.version += 1
    locked.updated_by = actor
    return ["version", "updated_by", "updated_at"]


def _record(locked, actor, from_status, comment=""):
    EvaluationTransition.objects.create(
        department_evaluation=locked, from_status=from_status, to_status=locked.status, actor=actor, comment=comment
    )


FILL_REFUSAL = "只有本部门的主管部门审核人可以填写和提交部门整体自评。"
REVIEW_REFUSAL = "只有本级财政审核员可以审核或退回部门整体自评。"


def department_evaluation_start(*, fiscal_year: FiscalYear, actor) -> tuple[DepartmentEvaluation, bool]:
    """The actor's department's evaluation of ``fiscal_year``, created as an empty draft if there is none.

    Side effects: creates the DepartmentEvaluation and its score lines (one per item of the year's profile).
    Returns (evaluation, created). Refused unless the actor is a department reviewer of the year's bureau and
    the year is open for filling.
    """
    require_permission(
        actor,
        "evaluations.add_departmentevaluation",
        fiscal_year,
        "只有主管部门审核人可以在填报中的年度开始填写部门整体自评。",
    )
    with transaction.atomic():
        evaluation, created = DepartmentEvaluation.objects.get_or_create(
            fiscal_year=fiscal_year, department=actor.organisation, defaults={"updated_by": actor}
        )
        if created:
            department_evaluation_recalculate(evaluation=evaluation)
    return evaluation, created


def department_evaluation_save(
    *,
    evaluation: DepartmentEvaluation,
    actor,
    version: int,
    values: Mapping[str, object],
    claims: Mapping[int, tuple[Decimal | None, str]],
) -> DepartmentEvaluation:
    """Save the draft: the fields of ``values`` and the (claimed score, note) of each item in ``claims``.

    ``version`` is the version the form was read at; a save from an older version raises StaleEditError.
    Side effects: writes the given fields and score lines, version + 1, updated_by, then recomputes the
    computed scores, total and grade. Refused (nothing written) unless the actor is the department's reviewer,
    the evaluation is a draft or returned, the version is current and every claimed score is within its points.
    """
    require_permission(actor, "evaluations.change_departmentevaluation", evaluation, FILL_REFUSAL)
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"不可修改的字段：{', '.join(sorted(unknown))}")
    with transaction.atomic():
        locked = _locked(evaluation)
        _require_state(locked, DepartmentEvaluation.EDITABLE)
        _require_version(locked, version)
        for name, value in values.items():
            setattr(locked, name, value)
        sheet = build_sheet(locked, claims=claims)
        problems = [p for line in sheet.lines for p in claim_problems(line)]
        if problems:
            raise WorkflowError("；".join(p.message for p in problems))
        changed = [*values, *_bump(locked, actor)]
        locked.save(update_fields=changed)
        items = {item.indicator_id: item for item in locked.score_items.all()}
        for line in sheet.lines:
            if line.indicator.pk not in claims:
                continue
            claimed, note = claims[line.indicator.pk]
            item = items.get(line.indicator.pk) or DepartmentScoreItem(evaluation=locked, indicator=line.indicator)
            item.claimed_score, item.note = claimed, (note or "").strip()
            item.save()
        department_evaluation_recalculate(evaluation=locked)
    evaluation.refresh_from_db()
    return evaluation


def department_evaluation_submit(
    *, evaluation: DepartmentEvaluation, actor, version: int | None = None
) -> DepartmentEvaluation:
    """Submit a draft or returned department-wide self-evaluation to the finance bureau.

    Side effects: status → 已提交, submitted_at set, computed scores and total refreshed, the total and grade as
    submitted kept in claimed_total / claimed_grade (later recomputation may move computed_total away from
    them), version + 1, audit record written. Refused (nothing written) unless the actor is the department's
    reviewer and the evaluation is a draft or returned; raises StaleEditError when ``version`` is given and no
    longer current, and DepartmentSubmissionRefused when submission_problems finds anything.
    """
    require_permission(actor, "evaluations.change_departmentevaluation", evaluation, FILL_REFUSAL)
    with transaction.atomic():
        locked = _locked(evaluation)
        _require_state(locked, DepartmentEvaluation.EDITABLE)
        _require_version(locked, version)
        problems = submission_problems(locked, build_sheet(locked))
        if problems:
            raise DepartmentSubmissionRefused(problems)
        department_evaluation_recalculate(evaluation=locked)
        from_status = locked.status
        locked.status = Status.SUBMITTED
        locked.submitted_at = timezone.now()
        locked.claimed_total, locked.claimed_grade = locked.computed_total, locked.computed_grade
        fields = ["status", "submitted_at", "claimed_total", "claimed_grade"]
        locked.save(update_fields=[*fields, *_bump(locked, actor)])
        _record(locked, actor, from_status)
    evaluation.refresh_from_db()
    return evaluation


def department_evaluation_save_and_submit(
    *,
    evaluation: DepartmentEvaluation,
    actor,
    version: int,
    values: Mapping[str, object],
    claims: Mapping[int, tuple[Decimal | None, str]],
) -> DepartmentEvaluation:
    """Save the form and submit it, as one step: when the submit is refused, the save is undone too.

    Side effects: those of department_evaluation_save followed by department_evaluation_submit. ``evaluation``
    is refreshed only when both succeed.
    """
    # The steps work on a copy, so a refusal that undoes the save leaves the caller's object as it was read.
    working = copy.copy(evaluation)
    with transaction.atomic():
        department_evaluation_save(evaluation=working, actor=actor, version=version, values=values, claims=claims)
        department_evaluation_submit(evaluation=working, actor=actor, version=working.version)
    evaluation.refresh_from_db()
    return evaluation


def _decide(evaluation, actor, to_status, comment: str, version: int | None, **fields) -> DepartmentEvaluation:
    """The finance reviewer's decision on a submitted evaluation: to ``to_status``, storing ``fields`` with it.

    Side effects: status and ``fields`` written, version + 1, audit record with ``comment`` written.
    """
    with transaction.atomic():
        locked = _locked(evaluation)
        _require_current(locked, version)
        _require_state(locked, (Status.SUBMITTED,))
        from_status = locked.status
        locked.status = to_status
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save(update_fields=["status", *fields, *_bump(locked, actor)])
        _record(locked, actor, from_status, comment)
    evaluation.refresh_from_db()
    return evaluation


def department_evaluation_return(
    *, evaluation: DepartmentEvaluation, actor, reason: str, version: int | None = None
) -> DepartmentEvaluation:
    """Return a submitted department-wide self-evaluation to the department with the finance reviewer's reason.

    ``version``: the version the reviewer's page showed; StaleEditError when the evaluation changed since.

    Side effects: status → 已退回, return_reason stored, version + 1, audit record with the reason written.
    """
    require_permission(actor, "evaluations.review_departmentevaluation", evaluation, REVIEW_REFUSAL)
    reason = required_reason(reason, "退回时必须填写退回原因。")
    return _decide(evaluation, actor, Status.RETURNED, reason, version, return_reason=reason)


def department_evaluation_approve(
    *, evaluation: DepartmentEvaluation, actor, comment: str = "", version: int | None = None
) -> DepartmentEvaluation:
    """Approve a submitted department-wide self-evaluation on behalf of the finance bureau.

    ``version``: the version the reviewer's page showed; StaleEditError when the evaluation changed since.

    Side effects: status → 已审核, approved_at set, version + 1, audit record with the comment written.
    """
    require_permission(actor, "evaluations.review_departmentevaluation", evaluation, REVIEW_REFUSAL)
    return _decide(evaluation, actor, Status.APPROVED, (comment or "").strip(), version, approved_at=timezone.now())
