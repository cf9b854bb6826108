"""The workflow of SPEC §3, one service per transition: who may move an evaluation from where, and what it writes."""

from decimal import Decimal

import pytest
from django.utils import timezone

from evaluations.models import ProjectEvaluation
from evaluations.tests.factories import (
    CAST_NAMES,
    IndicatorFactory,
    ProjectEvaluationFactory,
    ProjectFactory,
    UserFactory,
    make_submittable,
)
from evaluations.workflow.services import (
    SubmissionRefused,
    WorkflowError,
    evaluation_approve,
    evaluation_mark_spot_checked,
    evaluation_publish,
    evaluation_recalculate,
    evaluation_return,
    evaluation_submit,
)

Status = ProjectEvaluation.Status

REASON = "偏差原因分析不充分，请补充满意度调查的样本数。"

# Each transition called the way a view calls it; only 退回 takes a (required) reason.
ACTIONS = {
    "submit": lambda evaluation, actor: evaluation_submit(evaluation=evaluation, actor=actor),
    "return": lambda evaluation, actor: evaluation_return(evaluation=evaluation, actor=actor, reason=REASON),
    "approve": lambda evaluation, actor: evaluation_approve(evaluation=evaluation, actor=actor),
    "spot_check": lambda evaluation, actor: evaluation_mark_spot_checked(evaluation=evaluation, actor=actor),
    "publish": lambda evaluation, actor: evaluation_publish(evaluation=evaluation, actor=actor),
}
ALLOWED_FROM = {
    "submit": (Status.DRAFT, Status.RETURNED),
    "return": (Status.SUBMITTED,),
    "approve": (Status.SUBMITTED,),
    "spot_check": (Status.APPROVED,),
    "publish": (Status.APPROVED, Status.SPOT_CHECKED),
}
ALLOWED_LABELS = {
    "submit": "草稿、已退回",
    "return": "已提交",
    "approve": "已提交",
    "spot_check": "部门已审核",
    "publish": "部门已审核、财政已抽查",
}
TO_STATUS = {
    "submit": Status.SUBMITTED,
    "return": Status.RETURNED,
    "approve": Status.APPROVED,
    "spot_check": Status.SPOT_CHECKED,
    "publish": Status.PUBLISHED,
}
RIGHT_ACTOR = {
    "submit": "unit_filler",
    "return": "department_reviewer",
    "approve": "department_reviewer",
    "spot_check": "finance_reviewer",
    "publish": "finance_reviewer",
}
ACTOR_REFUSALS = {
    "submit": "只有本单位的填报人可以提交该项目的自评。",
    "return": "只有主管部门审核人可以退回本部门单位的自评。",
    "approve": "只有主管部门审核人可以审核本部门单位的自评。",
    "spot_check": "只有财政审核员可以记录财政抽查结果。",
    "publish": "只有财政审核员可以定稿公开。",
}

ALLOWED_CASES = [
    pytest.param(action, status, id=f"{action}-from-{status}")
    for action, statuses in ALLOWED_FROM.items()
    for status in statuses
]
REFUSED_STATE_CASES = [
    pytest.param(action, status, id=f"{action}-from-{status}")
    for action, statuses in ALLOWED_FROM.items()
    for status in Status.values
    if status not in statuses
]
WRONG_ACTOR_CASES = [
    pytest.param(action, name, id=f"{action}-by-{name}")
    for action, right in RIGHT_ACTOR.items()
    for name in CAST_NAMES
    if name != right
]


@pytest.fixture
def evaluation(evaluation):
    """Workflow tests start from a project complete enough to pass the submit checks."""
    make_submittable(evaluation.project)
    return evaluation


def _put_in_state(evaluation, status):
    """Move ``evaluation`` to ``status`` directly, as earlier transitions would have left it."""
    evaluation.status = status
    evaluation.return_reason = "请补充佐证材料。" if status == Status.RETURNED else ""
    evaluation.save(update_fields=["status", "return_reason"])
    return evaluation


def _stored(evaluation):
    """Status and number of audit records, re-read from the database."""
    return (ProjectEvaluation.objects.get(pk=evaluation.pk).status, evaluation.transitions.count())


def _row(evaluation):
    return ProjectEvaluation.objects.filter(pk=evaluation.pk).values().get()


def _audit(evaluation):
    return [(t.from_status, t.to_status, t.actor, t.comment) for t in evaluation.transitions.order_by("pk")]


# --- allowed transitions ------------------------------------------------------------------------------


@pytest.mark.parametrize(("action", "from_status"), ALLOWED_CASES)
def test_the_right_actor_moves_the_evaluation_from_each_allowed_state(cast, evaluation, action, from_status):
    _put_in_state(evaluation, from_status)
    actor = getattr(cast, RIGHT_ACTOR[action])

    ACTIONS[action](evaluation, actor)

    comment = REASON if action == "return" else ""
    assert (_stored(evaluation)[0], _audit(evaluation)) == (
        TO_STATUS[action],
        [(from_status, TO_STATUS[action], actor, comment)],
    )


def test_submit_sets_the_submission_time_and_the_status(cast, evaluation):
    before = timezone.now()

    evaluation_submit(evaluation=evaluation, actor=cast.unit_filler)

    stored = ProjectEvaluation.objects.get(pk=evaluation.pk)
    assert (stored.status, before <= stored.submitted_at <= timezone.now(), stored.approved_at) == (
        Status.SUBMITTED,
        True,
        None,
    )


def test_submit_recomputes_the_totals_and_grade_from_the_budget_lines_and_indicators(cast, evaluation):
    evaluation.computed_total = Decimal(12)
    evaluation.save(update_fields=["computed_total"])

    evaluation_submit(evaluation=evaluation, actor=cast.unit_filler)

    stored = ProjectEvaluation.objects.get(pk=evaluation.pk)
    # Budget: 95 of 100 万元 executed, 10 × 0.95 = 9.50; indicators 50 + 30 + 10 = 90; 99.50 is 优.
    assert (
        stored.profile.code,
        stored.computed_budget_score,
        stored.computed_indicator_score,
        stored.computed_total,
        stored.computed_grade,
    ) == ("national", Decimal("9.50"), Decimal("90.00"), Decimal("99.50"), "优")


def test_submit_is_refused_with_the_problems_when_the_record_breaks_the_rules(cast, evaluation):
    indicator = evaluation.project.indicators.get(name="培训人数")
    indicator.claimed_score = Decimal(60)
    indicator.save(update_fields=["claimed_score"])

    with pytest.raises(SubmissionRefused) as refused:
        evaluation_submit(evaluation=evaluation, actor=cast.unit_filler)

    assert ([(p.field, p.code) for p in refused.value.problems], _stored(evaluation)) == (
        [("claimed_score", "score_above_weight")],
        (Status.DRAFT, 0),
    )


def test_return_stores_the_reason_without_surrounding_blanks_and_records_it_as_the_comment(cast, evaluation):
    _put_in_state(evaluation, Status.SUBMITTED)

    evaluation_return(evaluation=evaluation, actor=cast.department_reviewer, reason=f"  {REASON}\n")

    stored = ProjectEvaluation.objects.get(pk=evaluation.pk)
    assert (stored.status, stored.return_reason, _audit(evaluation)) == (
        Status.RETURNED,
        REASON,
        [(Status.SUBMITTED, Status.RETURNED, cast.department_reviewer, REASON)],
    )


@pytest.mark.parametrize("reason", ["", "   \n\t", None], ids=["empty", "blank", "none"])
def test_return_refuses_an_empty_reason(cast, evaluation, reason):
    _put_in_state(evaluation, Status.SUBMITTED)

    with pytest.raises(WorkflowError) as refused:
        evaluation_return(evaluation=evaluation, actor=cast.department_reviewer, reason=reason)

    assert (str(refused.value), _stored(evaluation), ProjectEvaluation.objects.get(pk=evaluation.pk).return_reason) == (
        "退回时必须填写退回原因。",
        (Status.SUBMITTED, 0),
        "",
    )


def test_approve_sets_the_approval_time_and_records_the_reviewers_comment(cast, evaluation):
    _put_in_state(evaluation, Status.SUBMITTED)
    before = timezone.now()

    evaluation_approve(evaluation=evaluation, actor=cast.department_reviewer, comment="  同意。 ")

    stored = ProjectEvaluation.objects.get(pk=evaluation.pk)
    assert (stored.status, before <= stored.approved_at <= timezone.now(), _audit(evaluation)) == (
        Status.APPROVED,
        True,
        [(Status.SUBMITTED, Status.APPROVED, cast.department_reviewer, "同意。")],
    )


def test_the_department_reviewer_approves_a_project_the_department_files_itself(cast, org, year):
    # A 主管部门 is a budget unit too (seed 000): its own projects go through its own reviewer.
    own = ProjectEvaluation.objects.create(project=ProjectFactory(fiscal_year=year, unit=org.department))
    _put_in_state(own, Status.SUBMITTED)

    evaluation_approve(evaluation=own, actor=cast.department_reviewer)

    assert _stored(own) == (Status.APPROVED, 1)


def test_spot_check_records_the_finance_reviewers_comment(cast, evaluation):
    _put_in_state(evaluation, Status.APPROVED)

    evaluation_mark_spot_checked(evaluation=evaluation, actor=cast.finance_reviewer, comment=" 抽查完成 ")

    assert (_stored(evaluation)[0], _audit(evaluation)) == (
        Status.SPOT_CHECKED,
        [(Status.APPROVED, Status.SPOT_CHECKED, cast.finance_reviewer, "抽查完成")],
    )


def test_publish_records_the_finance_reviewers_comment(cast, evaluation):
    _put_in_state(evaluation, Status.SPOT_CHECKED)

    evaluation_publish(evaluation=evaluation, actor=cast.finance_reviewer, comment="随决算公开")

    assert (_stored(evaluation)[0], _audit(evaluation)) == (
        Status.PUBLISHED,
        [(Status.SPOT_CHECKED, Status.PUBLISHED, cast.finance_reviewer, "随决算公开")],
    )


def test_a_returned_evaluation_can_be_submitted_again(cast, evaluation):
    evaluation_submit(evaluation=evaluation, actor=cast.unit_filler)
    evaluation_return(evaluation=evaluation, actor=cast.department_reviewer, reason=REASON)

    evaluation_submit(evaluation=evaluation, actor=cast.unit_filler)

    assert (_stored(evaluation)[0], _audit(evaluation)) == (
        Status.SUBMITTED,
        [
            (Status.DRAFT, Status.SUBMITTED, cast.unit_filler, ""),
            (Status.SUBMITTED, Status.RETURNED, cast.department_reviewer, REASON),
            (Status.RETURNED, Status.SUBMITTED, cast.unit_filler, ""),
        ],
    )


def test_the_whole_workflow_leaves_one_audit_record_per_step(cast, evaluation):
    evaluation_submit(evaluation=evaluation, actor=cast.unit_filler)
    evaluation_approve(evaluation=evaluation, actor=cast.department_reviewer)
    evaluation_mark_spot_checked(evaluation=evaluation, actor=cast.finance_reviewer)

    evaluation_publish(evaluation=evaluation, actor=cast.finance_reviewer)

    assert _audit(evaluation) == [
        (Status.DRAFT, Status.SUBMITTED, cast.unit_filler, ""),
        (Status.SUBMITTED, Status.APPROVED, cast.department_reviewer, ""),
        (Status.APPROVED, Status.SPOT_CHECKED, cast.finance_reviewer, ""),
        (Status.SPOT_CHECKED, Status.PUBLISHED, cast.finance_reviewer, ""),
    ]


# --- refused transitions ------------------------------------------------------------------------------


@pytest.mark.parametrize(("action", "current"), REFUSED_STATE_CASES)
def test_every_other_state_is_refused_with_a_message_naming_the_current_state(cast, evaluation, action, current):
    _put_in_state(evaluation, current)

    with pytest.raises(WorkflowError) as refused:
        ACTIONS[action](evaluation, getattr(cast, RIGHT_ACTOR[action]))

    label = Status(current).label
    assert (str(refused.value), _stored(evaluation)) == (
        f"当前状态为“{label}”，不能执行此操作（仅限“{ALLOWED_LABELS[action]}”状态）。",
        (current, 0),
    )


@pytest.mark.parametrize(("action", "name"), WRONG_ACTOR_CASES)
def test_every_other_member_of_the_cast_is_refused(cast, evaluation, action, name):
    from_status = ALLOWED_FROM[action][0]
    _put_in_state(evaluation, from_status)

    with pytest.raises(WorkflowError) as refused:
        ACTIONS[action](evaluation, getattr(cast, name))

    assert (str(refused.value), _stored(evaluation)) == (ACTOR_REFUSALS[action], (from_status, 0))


@pytest.mark.parametrize("action", list(ACTIONS))
def test_the_right_role_is_refused_once_the_account_is_deactivated(cast, evaluation, action):
    from_status = ALLOWED_FROM[action][0]
    _put_in_state(evaluation, from_status)
    actor = getattr(cast, RIGHT_ACTOR[action])
    actor.is_active = False
    actor.save(update_fields=["is_active"])

    with pytest.raises(WorkflowError) as refused:
        ACTIONS[action](evaluation, actor)

    assert (str(refused.value), _stored(evaluation)) == (ACTOR_REFUSALS[action], (from_status, 0))


def test_a_reviewer_of_another_bureaus_department_may_not_return(cast, org, evaluation):
    _put_in_state(evaluation, Status.SUBMITTED)
    stranger = UserFactory(role="department_reviewer", organisation=org.other_bureau_department)

    with pytest.raises(WorkflowError) as refused:
        evaluation_return(evaluation=evaluation, actor=stranger, reason=REASON)

    assert (str(refused.value), _stored(evaluation)) == (ACTOR_REFUSALS["return"], (Status.SUBMITTED, 0))


# A refused submit must not even recompute the totals: the state is checked before anything is written.
UNTOUCHED_CASES = [
    pytest.param(action, status, id=f"{action}-from-{status}")
    for action, statuses in ALLOWED_FROM.items()
    for status in Status.values
    if status not in statuses
]


@pytest.mark.parametrize(("action", "current"), UNTOUCHED_CASES)
def test_a_refused_transition_leaves_the_whole_row_untouched(cast, evaluation, action, current):
    IndicatorFactory(project=evaluation.project, claimed_score=None, actual_value=Decimal(50))
    _put_in_state(evaluation, current)
    before = _row(evaluation)

    with pytest.raises(WorkflowError):
        ACTIONS[action](evaluation, getattr(cast, RIGHT_ACTOR[action]))

    assert _row(evaluation) == before


# --- recalculation ------------------------------------------------------------------------------------


def test_recalculate_stores_no_totals_and_no_grade_for_a_project_without_budget_or_indicators(org, year):
    evaluation = ProjectEvaluationFactory(project=ProjectFactory(fiscal_year=year, unit=org.unit, name="空项目"))

    evaluation_recalculate(evaluation=evaluation)

    stored = ProjectEvaluation.objects.get(pk=evaluation.pk)
    assert (
        stored.profile.code,
        stored.computed_budget_score,
        stored.computed_indicator_score,
        stored.computed_total,
        stored.computed_grade,
    ) == ("national", None, None, None, "")


def test_recalculate_leaves_the_workflow_state_alone(evaluation):
    _put_in_state(evaluation, Status.APPROVED)

    evaluation_recalculate(evaluation=evaluation)

    assert _stored(evaluation) == (Status.APPROVED, 0)
