"""Writes to self-evaluations: recomputation and the workflow transitions of SPEC §3, one function each.

Every transition checks the source state and the actor, writes an EvaluationTransition, and refuses anything
else with a WorkflowError carrying a Chinese message. Nothing here runs from save() or signals.
"""

from django.db import transaction
from django.utils import timezone

from budgets.models import FiscalYear
from evaluations.models import EvaluationTransition, ProjectEvaluation
from evaluations.quality.validation import submission_problems
from evaluations.scorecard import build_scorecard
from policy.access import can
from policy.locks import YearLocked, checked_once, year_of

Status = ProjectEvaluation.Status


class WorkflowError(Exception):
    """A refused transition; ``str(error)`` is the Chinese message for the user."""


class StaleEditError(WorkflowError):
    """Refused because the record changed after the page the actor read was loaded (SPEC §13).

    ``str(error)`` is the Chinese message the raiser wrote (stale_action_message for an action from an old
    page); ``current`` is the record as now saved, when the raiser has it (to show the user what changed).
    """

    def __init__(self, message: str, current=None):
        self.current = current
        super().__init__(message)


def stale_action_message(what: str = "该记录") -> str:
    """The refusal of an action (approve, return, complete …) taken from a page older than ``what``."""
    return f"未执行：在您打开页面之后，{what}已被修改。请刷新页面，查看最新内容后再操作。"


def require_year_unlocked(fiscal_year_id: int) -> None:
    """Refuse with the year lock's Chinese message when the (committed) year is 已定稿 or 已公开."""
    year = FiscalYear.objects.get(pk=fiscal_year_id)
    if year.status in FiscalYear.LOCKED:
        raise WorkflowError(str(YearLocked(year)))


def required_reason(reason: str | None, message: str) -> str:
    """``reason`` trimmed; refused with WorkflowError(``message``) when nothing is left (a return, a reopening …)."""
    reason = (reason or "").strip()
    if not reason:
        raise WorkflowError(message)
    return reason


def require_permission(actor, perm: str, obj, message: str, *, name_locked_year: bool = True) -> None:
    """Refuse with WorkflowError(``message``) unless ``actor`` holds ``perm`` on ``obj``.

    When the refusal may come from the year's lock (``name_locked_year``, the default), a locked year is named
    as the reason before the role is. Pass ``name_locked_year=False`` where that would mislead: steps that
    need a locked year (reopening) or that judge the year's state themselves.
    """
    if not can(actor, perm, obj):
        year = year_of(obj) if name_locked_year else None
        if year is not None:
            require_year_unlocked(year.pk)
        raise WorkflowError(message)


class SubmissionRefused(WorkflowError):
    """Submit refused because the record breaks the rules; ``problems`` says where (evaluations.quality.validation)."""

    def __init__(self, problems):
        self.problems = problems
        super().__init__(f"未能提交：发现 {len(problems)} 处需要修改的地方，已在表中标出。")


COMPUTED_FIELDS = ["profile", "computed_budget_score", "computed_indicator_score", "computed_total", "computed_grade"]


def _store_card(evaluation: ProjectEvaluation, profile, card) -> None:
    evaluation.profile = profile
    evaluation.computed_budget_score = card.budget.score if card.budget else None
    evaluation.computed_indicator_score = card.indicator_total if card.lines else None
    evaluation.computed_total = card.total
    evaluation.computed_grade = card.grade


def evaluation_recalculate(*, evaluation: ProjectEvaluation) -> ProjectEvaluation:
    """Store the computed budget score, indicator sum, total and grade, and the profile that produced them.

    Side effects: updates only the computed_* fields and ``profile`` of ``evaluation``.
    """
    project = evaluation.project
    profile = project.fiscal_year.profile
    _store_card(evaluation, profile, build_scorecard(project, profile))
    evaluation.save(update_fields=[*COMPUTED_FIELDS, "updated_at"])
    return evaluation


def evaluations_recalculate(*, evaluations) -> int:
    """evaluation_recalculate for many evaluations (an import): a few queries per batch, not several each.

    ``evaluations`` is a queryset; returns how many were stored.
    """
    from django.db.models import prefetch_related_objects
    from django.utils import timezone

    rows = list(
        evaluations.select_related("project__fiscal_year__profile").prefetch_related(
            "project__budget_lines", "project__indicators"
        )
    )
    profiles = {}
    for evaluation in rows:
        profile = evaluation.project.fiscal_year.profile
        profiles.setdefault(profile.pk, profile)
    prefetch_related_objects(list(profiles.values()), "level1_categories")
    now = timezone.now()
    # One plain UPDATE per row: Django's bulk_update builds a CASE per field and row, which costs more in
    # Python than the round trips it saves (500 rows in the import benchmark: 1.5 s against 0.9 s). The year
    # lock is checked once for the batch, not once per UPDATE.
    with checked_once({evaluation.project.fiscal_year_id for evaluation in rows}):
        for evaluation in rows:
            profile = profiles[evaluation.project.fiscal_year.profile_id]
            _store_card(evaluation, profile, build_scorecard(evaluation.project, profile))
            ProjectEvaluation.objects.filter(pk=evaluation.pk).update(
                **{name: getattr(evaluation, name) for name in COMPUTED_FIELDS}, updated_at=now
            )
    return len(rows)


def _transition(*, evaluation, actor, allowed_from, to_status, comment="", apply=None, version=None):
    """Move ``evaluation`` to ``to_status`` if it is in ``allowed_from``; ``apply(locked)`` sets further fields.

    The row is locked and re-read first, so the check sees the committed state and two people acting at once
    cannot both move it; nothing is written, in memory or in the database, when the move is refused.
    ``version`` is the project's version the actor saw; a move from an older page raises StaleEditError.
    """
    with transaction.atomic():
        locked = ProjectEvaluation.objects.select_for_update().select_related("project").get(pk=evaluation.pk)
        require_year_unlocked(locked.project.fiscal_year_id)
        if version is not None and locked.project.version != version:
            raise StaleEditError(stale_action_message("该项目的自评内容"))
        if locked.status not in allowed_from:
            allowed = "、".join(str(Status(s).label) for s in allowed_from)
            raise WorkflowError(f"当前状态为“{locked.get_status_display()}”，不能执行此操作（仅限“{allowed}”状态）。")
        from_status = locked.status
        extra_fields = apply(locked) if apply else []
        locked.status = to_status
        locked.save(update_fields=["status", "updated_at", *extra_fields])
        EvaluationTransition.objects.create(
            evaluation=locked, from_status=from_status, to_status=to_status, actor=actor, comment=comment
        )
    evaluation.refresh_from_db()
    return evaluation


def evaluation_submit(*, evaluation: ProjectEvaluation, actor) -> ProjectEvaluation:
    """Submit a draft or returned self-evaluation to the department, if it passes the rules of SPEC §5.

    Side effects: status → 已提交, submitted_at set, totals recomputed, audit record written. Raises
    SubmissionRefused (nothing written) when evaluations.quality.validation finds problems.
    """
    refusal = "只有本单位的填报人可以提交该项目的自评。"
    require_permission(actor, "evaluations.submit_projectevaluation", evaluation, refusal)

    def apply(locked):
        problems = submission_problems(locked.project)
        if problems:
            raise SubmissionRefused(problems)
        evaluation_recalculate(evaluation=locked)
        locked.submitted_at = timezone.now()
        return ["submitted_at"]

    return _transition(
        evaluation=evaluation,
        actor=actor,
        allowed_from=ProjectEvaluation.EDITABLE,
        to_status=Status.SUBMITTED,
        apply=apply,
    )


def _decide(evaluation, actor, to_status, comment: str, version: int | None, **fields) -> ProjectEvaluation:
    """The department's decision on a submitted self-evaluation: to ``to_status``, storing ``fields`` with it."""

    def apply(locked):
        for name, value in fields.items():
            setattr(locked, name, value)
        return list(fields)

    return _transition(
        evaluation=evaluation,
        actor=actor,
        allowed_from=(Status.SUBMITTED,),
        to_status=to_status,
        comment=comment,
        apply=apply,
        version=version,
    )


def evaluation_return(
    *, evaluation: ProjectEvaluation, actor, reason: str, version: int | None = None
) -> ProjectEvaluation:
    """Return a submitted self-evaluation to its unit with the department's reason.

    ``version``: the project version the reviewer's page showed (StaleEditError when it changed since).

    Side effects: status → 已退回, return_reason stored, audit record written.
    """
    refusal = "只有主管部门审核人可以退回本部门单位的自评。"
    require_permission(actor, "evaluations.return_projectevaluation", evaluation, refusal)
    reason = required_reason(reason, "退回时必须填写退回原因。")
    return _decide(evaluation, actor, Status.RETURNED, reason, version, return_reason=reason)


def evaluation_approve(
    *, evaluation: ProjectEvaluation, actor, comment: str = "", version: int | None = None
) -> ProjectEvaluation:
    """Approve a submitted self-evaluation on behalf of the department.

    ``version``: the project version the reviewer's page showed (StaleEditError when it changed since).

    Side effects: status → 部门已审核, approved_at set, audit record written.
    """
    refusal = "只有主管部门审核人可以审核本部门单位的自评。"
    require_permission(actor, "evaluations.approve_projectevaluation", evaluation, refusal)
    return _decide(evaluation, actor, Status.APPROVED, comment.strip(), version, approved_at=timezone.now())


def evaluation_mark_spot_checked(*, evaluation: ProjectEvaluation, actor, comment: str = "") -> ProjectEvaluation:
    """Record that the finance bureau completed its spot-check of an approved self-evaluation.

    Side effects: status → 财政已抽查, audit record written.
    """
    refusal = "只有财政审核员可以记录财政抽查结果。"
    require_permission(actor, "evaluations.review_projectevaluation", evaluation, refusal)
    return _transition(
        evaluation=evaluation,
        actor=actor,
        allowed_from=(Status.APPROVED,),
        to_status=Status.SPOT_CHECKED,
        comment=comment.strip(),
    )


def evaluation_publish(*, evaluation: ProjectEvaluation, actor, comment: str = "") -> ProjectEvaluation:
    """Finalise and publish an approved or spot-checked self-evaluation.

    Side effects: status → 已公开, audit record written.
    """
    require_permission(actor, "evaluations.publish_projectevaluation", evaluation, "只有财政审核员可以定稿公开。")
    return _transition(
        evaluation=evaluation,
        actor=actor,
        allowed_from=(Status.APPROVED, Status.SPOT_CHECKED),
        to_status=Status.PUBLISHED,
        comment=comment.strip(),
    )
