"""The finance bureau's review (SPEC §8): drawing the sample, reviewing one record, finalising the year.

Writes are one service each; each checks the actor with django-rules and the state, and raises WorkflowError
with a Chinese message when it refuses. The draw is reproducible: the same inputs and the same seed always
give the same sample, so it can be shown to an auditor. A refused actor is told the role only
(``name_locked_year=False``): each service judges a finalised year itself, with its own message.
"""

import html
import math
import random
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from budgets.models import FiscalYear
from domain import decimals, formatting, grades, scoring
from evaluations.models import (
    EvaluationTransition,
    FinanceReview,
    ProjectEvaluation,
    ReviewIndicatorScore,
    SpotCheckSample,
)
from evaluations.quality.engine import project_findings
from evaluations.richtext import opinion_paragraphs, sanitise_opinion
from evaluations.scorecard import Scorecard
from evaluations.workflow.services import (
    StaleEditError,
    WorkflowError,
    require_permission,
    required_reason,
    stale_action_message,
)
from policy.access import can, sees_finance_results

Status = ProjectEvaluation.Status
REVIEWABLE = (Status.APPROVED, Status.SPOT_CHECKED, Status.PUBLISHED)

# Forced-inclusion rules (SPEC §8), stored as JSON on the sample: {"rule": <code>, …parameters}.
RULE_AMOUNT_ABOVE = "amount_above"  # 全年预算数 above an amount in 万元
RULE_EXCELLENT_LOW_EXECUTION = "excellent_low_execution"  # self grade 优 with 执行率 below a threshold
RULE_DEPARTMENT = "department"  # a department's whole list
RULE_LABELS = {
    RULE_AMOUNT_ABOVE: "全年预算数超过 {amount} 万元",
    RULE_EXCELLENT_LOW_EXECUTION: "自评为优但预算执行率低于 {threshold_percent}%",
    RULE_DEPARTMENT: "{department_name}全部项目",
}


SAMPLE_REFUSAL = "只有本财政局的财政审核员可以调整样本。"
REVIEW_REFUSAL = "只有本财政局的财政审核员可以审核。"


def population(fiscal_year: FiscalYear):
    """The evaluations a sample is drawn from: approved by their department (or later) in this year."""
    return (
        ProjectEvaluation.objects.filter(project__fiscal_year=fiscal_year, status__in=REVIEWABLE)
        .select_related("project", "project__unit")
        .annotate(total_adjusted=Sum("project__budget_lines__adjusted_wan"))
        .annotate(total_executed=Sum("project__budget_lines__executed_wan"))
        .order_by("pk")
    )


def rule_label(rule: dict) -> str:
    params = dict(rule)
    if "threshold" in params:
        params["threshold_percent"] = decimals.round2(Decimal(params["threshold"]) * 100)
    return RULE_LABELS[rule["rule"]].format(**params)


def _matches(evaluation, rule: dict) -> bool:
    kind = rule["rule"]
    if kind == RULE_AMOUNT_ABOVE:
        return evaluation.total_adjusted is not None and evaluation.total_adjusted > Decimal(rule["amount"])
    if kind == RULE_EXCELLENT_LOW_EXECUTION:
        rate = scoring.execution_rate(
            adjusted=evaluation.total_adjusted or Decimal(0), executed=evaluation.total_executed or Decimal(0)
        )
        return (
            evaluation.self_grade == grades.GRADE_EXCELLENT and rate is not None and rate < Decimal(rule["threshold"])
        )
    if kind == RULE_DEPARTMENT:
        unit = evaluation.project.unit
        return rule["department_id"] in (unit.pk, unit.parent_id)
    raise ValueError(f"未知的必选规则：{kind}")


@dataclass(frozen=True)
class Draw:
    forced: dict[int, str]  # evaluation id → why it was forced in
    random_ids: list[int]
    population_size: int


def draw_sample(*, evaluations, ratio: Decimal, rules: list[dict], seed: int) -> Draw:
    """Which evaluations a draw picks: every forced one, then ``ceil(ratio × population)`` in all, at random.

    Pure given its inputs: the pool is ordered by id and shuffled by ``random.Random(seed)``.
    """
    evaluations = sorted(evaluations, key=lambda e: e.pk)
    forced = {}
    for evaluation in evaluations:
        reasons = [rule_label(rule) for rule in rules if _matches(evaluation, rule)]
        if reasons:
            forced[evaluation.pk] = "；".join(reasons)
    target = math.ceil(Decimal(len(evaluations)) * ratio)
    pool = [e.pk for e in evaluations if e.pk not in forced]
    wanted = max(0, min(target - len(forced), len(pool)))
    return Draw(
        forced=forced,
        # A seeded generator on purpose: the draw must be reproducible for an auditor, not unpredictable.
        random_ids=sorted(random.Random(seed).sample(pool, wanted)),  # noqa: S311 - reproducibility, not secrecy
        population_size=len(evaluations),
    )


@transaction.atomic
def sample_draw(*, fiscal_year: FiscalYear, actor, ratio: Decimal, rules: list[dict], seed: int | None = None):
    """Draw (or redraw) the year's sample.

    Side effects: creates or updates the SpotCheckSample with its ratio, rules and seed; creates a FinanceReview
    per drawn evaluation; reviews already started (a grade, a score or an opinion) are kept, untouched ones that
    the new draw does not pick are removed. Manually added records stay.
    """
    refusal = "只有本财政局的财政审核员可以抽取样本。"
    require_permission(actor, "evaluations.act_for_year", fiscal_year, refusal, name_locked_year=False)
    if fiscal_year.status in FiscalYear.LOCKED:
        raise WorkflowError("该年度已定稿，不能再抽取样本。")
    if not (Decimal(0) <= ratio <= Decimal(1)):
        raise WorkflowError("抽查比例应在 0% 至 100% 之间。")
    seed = seed if seed is not None else random.SystemRandom().randrange(1, 10**9)
    draw = draw_sample(evaluations=list(population(fiscal_year)), ratio=ratio, rules=rules, seed=seed)
    sample, _ = SpotCheckSample.objects.update_or_create(
        fiscal_year=fiscal_year,
        defaults={"ratio": ratio, "rules": rules, "random_seed": seed, "drawn_by": actor, "drawn_at": timezone.now()},
    )
    picked = {**draw.forced, **dict.fromkeys(draw.random_ids, "")}
    existing = {
        r.evaluation_id: r
        for r in FinanceReview.objects.filter(evaluation__project__fiscal_year=fiscal_year).prefetch_related(
            "indicator_scores"
        )
    }
    for evaluation_id, review in existing.items():
        # Kept whatever the new draw says: work already done, records added by hand, and records taken out by
        # hand (they stay listed with their reason).
        if review_started(review) or review.selection == FinanceReview.Selection.MANUAL or review.excluded:
            continue
        if evaluation_id not in picked:
            review.delete()
    for evaluation_id, reason in picked.items():
        review = existing.get(evaluation_id)
        if review is not None and (review.selection == FinanceReview.Selection.MANUAL or review.excluded):
            continue
        selection = FinanceReview.Selection.FORCED if reason else FinanceReview.Selection.RANDOM
        FinanceReview.objects.update_or_create(
            evaluation_id=evaluation_id,
            defaults={"sample": sample, "selection": selection, "selection_reason": reason or "随机抽取"},
        )
    return sample, draw


def review_started(review: FinanceReview) -> bool:
    """Whether a reviewer has put anything into ``review``: a grade, a score, 核查分数 or an opinion."""
    return (
        review.status != FinanceReview.Status.DRAFT
        or bool(review.grade)
        or review.reviewer_total is not None
        or bool(opinion_paragraphs(review.opinion_html))
        or review.indicator_scores.exists()
    )


def sample_add(*, evaluation: ProjectEvaluation, actor, reason: str) -> FinanceReview:
    """Add one evaluation to the year's sample by hand, with the reason recorded."""
    # The committed year: the caller's copy may predate its finalising.
    year = FiscalYear.objects.get(pk=evaluation.project.fiscal_year_id)
    require_permission(actor, "evaluations.act_for_year", year, SAMPLE_REFUSAL, name_locked_year=False)
    reason = required_reason(reason, "人工加入样本须说明原因。")
    if year.status in FiscalYear.LOCKED:
        raise WorkflowError("该年度已定稿，不能再调整样本。")
    if evaluation.status not in REVIEWABLE:
        raise WorkflowError("只有部门已审核的项目可以加入抽查样本。")
    sample = SpotCheckSample.objects.filter(fiscal_year=year).first()
    if sample is None:
        raise WorkflowError("请先抽取样本。")
    review, _ = FinanceReview.objects.update_or_create(
        evaluation=evaluation,
        defaults={
            "sample": sample,
            "selection": FinanceReview.Selection.MANUAL,
            "selection_reason": reason,
            "excluded": False,
            "excluded_reason": "",
        },
    )
    return review


def sample_remove(*, review: FinanceReview, actor, reason: str) -> FinanceReview:
    """Take a record out of the sample by hand; it stays listed with the reason."""
    require_permission(actor, "evaluations.view_financereview", review, SAMPLE_REFUSAL, name_locked_year=False)
    if review_year(review).status in FiscalYear.LOCKED:
        raise WorkflowError("该年度已定稿，不能再调整样本。")
    reason = required_reason(reason, "移出样本须说明原因。")
    if review.status == FinanceReview.Status.COMPLETED:
        raise WorkflowError("已完成的审核不能移出样本，请先重新打开。")
    review.excluded, review.excluded_reason = True, reason
    review.save(update_fields=["excluded", "excluded_reason", "updated_at"])
    return review


# --- one review ---------------------------------------------------------------------------------------------


def reviewer_total_from(card: Scorecard, checked: dict[int, Decimal]) -> Decimal | None:
    """The reviewer's total when every scored indicator has a 核查分数: budget score + Σ 核查分数."""
    scored = [line for line in card.lines if line.indicator.weight is not None]
    if not scored or any(line.indicator.pk not in checked for line in scored):
        return None
    return scoring.total_score(
        budget=card.budget.score if card.budget else None, indicators=[checked[line.indicator.pk] for line in scored]
    )


@dataclass(frozen=True)
class Accuracy:
    self_total: Decimal
    reviewer_total: Decimal
    difference: Decimal | None
    deduction: Decimal


def accuracy_of(review: FinanceReview) -> Accuracy | None:
    """自评准确 (SPEC §5.4) of a review that has a reviewer total."""
    target = review.evaluation or review.department_evaluation
    self_total = target.self_total if review.evaluation else (target.claimed_total or target.computed_total)
    if review.reviewer_total is None or self_total is None:
        return None
    return Accuracy(
        self_total=self_total,
        reviewer_total=review.reviewer_total,
        difference=grades.self_evaluation_difference(self_total=self_total, reviewer_total=review.reviewer_total),
        deduction=grades.self_evaluation_accuracy_deduction(
            self_total=self_total, reviewer_total=review.reviewer_total
        ),
    )


def review_year(review: FinanceReview) -> FiscalYear:
    """The review's year as committed (never a cached copy: its status decides what may still change)."""
    if review.evaluation_id:
        return FiscalYear.objects.get(projects__evaluation__pk=review.evaluation_id)
    return FiscalYear.objects.get(department_evaluations__pk=review.department_evaluation_id)


def _check_scores(review: FinanceReview, checked_scores: dict[int, tuple[Decimal, str]]) -> None:
    """核查分数 belong to this review's project and lie within [0, weight] (SPEC §8)."""
    if not checked_scores:
        return
    if review.evaluation_id is None:
        raise WorkflowError("部门整体自评不逐项填写核查分数。")
    weights = dict(review.evaluation.project.indicators.values_list("pk", "weight"))
    for pk, (score, _) in checked_scores.items():
        if pk not in weights:
            raise WorkflowError("核查分数对应的指标不属于该项目。")
        if score < 0 or (weights[pk] is not None and score > weights[pk]):
            raise WorkflowError(f"核查分数 {score} 超出范围，应在 0 至 {weights[pk]} 分之间。")


def _editable(review: FinanceReview, version: int | None = None):
    """Refuse (WorkflowError) a change to ``review`` as committed: excluded, locked year, target never
    submitted, completed, or changed since the page the reviewer acted from (``version``)."""
    if review.excluded:
        raise WorkflowError("该项目已移出样本，不能审核。")
    if review_year(review).status in FiscalYear.LOCKED:
        raise WorkflowError("该年度已定稿，审核记录只读。")
    if not review.target_reached_submission:
        raise WorkflowError("部门尚未提交该自评，提交后才能审核。")
    if review.status != FinanceReview.Status.DRAFT:
        raise WorkflowError("该审核已完成，须先重新打开才能修改。")
    if version is not None and review.version != version:
        raise StaleEditError(stale_action_message("该审核记录"))


@transaction.atomic
def review_save(
    *,
    review: FinanceReview,
    actor,
    grade: str,
    opinion_html: str,
    reviewer_total: Decimal | None,
    checked_scores: dict[int, tuple[Decimal, str]],
    card: Scorecard | None = None,
    version: int | None = None,
) -> FinanceReview:
    """Save the reviewer's draft: grade, opinion (sanitised), 核查分数 per indicator or a total alone.

    Side effects: updates the review, replaces its ReviewIndicatorScore rows; when every scored indicator has a
    核查分数 the total is their sum plus the budget score, otherwise the typed total is kept.
    """
    require_permission(actor, "evaluations.view_financereview", review, REVIEW_REFUSAL, name_locked_year=False)
    # Judge the committed state, not the caller's copy: it may predate a reopen or a finalised year.
    review = FinanceReview.objects.select_for_update().get(pk=review.pk)
    _editable(review, version)
    _check_scores(review, checked_scores)
    review.indicator_scores.all().delete()
    ReviewIndicatorScore.objects.bulk_create(
        ReviewIndicatorScore(review=review, indicator_id=pk, checked_score=score, remark=remark)
        for pk, (score, remark) in checked_scores.items()
    )
    if card is not None and checked_scores:
        summed = reviewer_total_from(card, {pk: score for pk, (score, _) in checked_scores.items()})
        reviewer_total = summed if summed is not None else reviewer_total
    review.grade = grade or ""
    review.opinion_html = sanitise_opinion(opinion_html)
    review.reviewer_total = reviewer_total
    review.reviewer = actor
    review.version += 1
    review.save(update_fields=["grade", "opinion_html", "reviewer_total", "reviewer", "version", "updated_at"])
    return review


def _move_project(review, actor, from_status, to_status, comment: str) -> None:
    """Move the reviewed project's evaluation from ``from_status`` to ``to_status``, with its audit record; a
    department-wide review, or a project in another state, is left as it is."""
    if review.evaluation_id and review.evaluation.status == from_status:
        evaluation = review.evaluation
        evaluation.status = to_status
        evaluation.save(update_fields=["status", "updated_at"])
        EvaluationTransition.objects.create(
            evaluation=evaluation, from_status=from_status, to_status=to_status, actor=actor, comment=comment
        )


@transaction.atomic
def review_complete(*, review: FinanceReview, actor, version: int | None = None) -> FinanceReview:
    """Complete a review: it becomes read-only and its project moves to 财政已抽查.

    Side effects: review status → completed (completed_at, reviewer); the evaluation 部门已审核 → 财政已抽查 with an
    audit record. Refused without a grade or an opinion.
    """
    require_permission(actor, "evaluations.view_financereview", review, REVIEW_REFUSAL, name_locked_year=False)
    review = FinanceReview.objects.select_for_update().get(pk=review.pk)
    _editable(review, version)
    missing = [
        label
        for label, value in (("财政抽查审核结果", review.grade), ("审核意见", opinion_paragraphs(review.opinion_html)))
        if not value
    ]
    if missing:
        raise WorkflowError(f"完成审核前请填写{'和'.join(missing)}。")
    review.status = FinanceReview.Status.COMPLETED
    review.completed_at = timezone.now()
    review.reviewer = actor
    review.version += 1
    review.save(update_fields=["status", "completed_at", "reviewer", "version", "updated_at"])
    _move_project(review, actor, Status.APPROVED, Status.SPOT_CHECKED, f"财政抽查审核结果：{review.grade}")
    return review


@transaction.atomic
def review_reopen(*, review: FinanceReview, actor, reason: str) -> FinanceReview:
    """Reopen a completed review for correction, with the reason audited.

    Side effects: review status → draft; the evaluation 财政已抽查 → 部门已审核 with the reason as comment.
    """
    refusal = "只有本财政局的财政审核员可以重新打开审核。"
    require_permission(actor, "evaluations.view_financereview", review, refusal, name_locked_year=False)
    reason = required_reason(reason, "重新打开审核须说明原因。")
    review = FinanceReview.objects.select_for_update().get(pk=review.pk)
    if review.status != FinanceReview.Status.COMPLETED:
        raise WorkflowError("该审核尚未完成，无需重新打开。")
    if review_year(review).status in FiscalYear.LOCKED:
        raise WorkflowError("该年度已定稿，审核记录只读。")
    review.status = FinanceReview.Status.DRAFT
    review.completed_at = None
    review.version += 1
    review.save(update_fields=["status", "completed_at", "version", "updated_at"])
    _move_project(review, actor, Status.SPOT_CHECKED, Status.APPROVED, f"重新打开审核：{reason}")
    return review


def can_see_finance_result(user, evaluation) -> bool:
    """Whether ``user`` is shown the finance review of ``evaluation``: a finished review, to whom the policy
    shows the year's finance results (the bureau's staff at once, units and departments from publication)."""
    review = getattr(evaluation, "review", None)
    if review is None or review.excluded:
        return False
    if review.status != FinanceReview.Status.COMPLETED:
        return can(user, "evaluations.view_financereview", review)
    return sees_finance_results(user, evaluation.project.fiscal_year)


# --- the drafted opinion ------------------------------------------------------------------------------------

# The quality findings (evaluations.quality.findings codes) a drafted opinion names, in seed 000's wording.
FINDING_SENTENCES = {
    "over_achievement": "部分绩效目标设置不够合理，{message}，与资源投入匹配度有偏差。",
    "execution_rate_as_cost": "部分指标归类不当，{message}。",
    "misfiled_category": "部分指标归类错误，{message}。",
}


def draft_opinion(*, project, card: Scorecard) -> str:
    """The opinion's factual first paragraph in seed 000's form, headings for the rest, and finding sentences."""
    totals, budget = card.totals, card.budget
    rate = formatting.percent(budget.rate if budget else None)

    def wan(value):
        return formatting.amount(value, grouped=False)

    first = (
        f"1. 预算执行情况：市级财政年初预算金额{wan(totals.initial)}万元，实际下达预算金额{wan(totals.adjusted)}万元，"
        f"实际支出金额{wan(totals.executed)}万元，预算执行率{rate}。"
    )
    problems = [
        FINDING_SENTENCES[f.code].format(message=f.message.rstrip("。"))
        for f in project_findings(project, card=card)
        if f.code in FINDING_SENTENCES
    ]
    paragraphs = [
        first,
        "2. 产出方面：",
        "3. 效果方面：",
        "4. 存在问题：" + "".join(problems),
        "5. 加强预算绩效管理的建议：",
    ]
    return sanitise_opinion("".join(f"<p>{html.escape(text)}</p>" for text in paragraphs))
