"""Project rules on the stated figures: 总分 against its parts, 等级 against the total, and the self-evaluation
against the finance review (SPEC §5.4).

``grade_finding`` and ``self_vs_finance_findings`` serve the department-wide rules as well.
"""

from decimal import Decimal

from domain import grades, scoring
from evaluations.quality.findings import Finding, make_finding, pct, pts
from evaluations.quality.project_record import ProjectRecord


def total_mismatch(record: ProjectRecord) -> list[Finding]:
    """A stated 总分 that is not the sum of the stated parts (budget score + indicator scores).

    A row of weight 0 without a score counts 0 (an empty 生态效益 row of a published table: seed 001 states 总分
    97.5 under parts that add up to 100 + 90); only a row weighing more than 0 without a score leaves the parts
    unknown (a missing score is its own finding).
    """
    evaluation, card = record.evaluation, record.card
    if evaluation is None or evaluation.claimed_total is None or card.total is None:
        return []
    if any(line.score is None and (line.indicator.weight or 0) > 0 for line in record.lines):
        return []
    parts = scoring.total_score(budget=record.stated_budget_score, indicators=[line.score for line in card.lines])
    if parts == evaluation.claimed_total:
        return []
    detail = f"填报总分 {pts(evaluation.claimed_total)} 分，各项得分合计为 {pts(parts)} 分"
    if card.total != parts:
        detail += f"（按规则计算为 {pts(card.total)} 分）"
    return [
        make_finding(
            "total_mismatch",
            f"{detail}。",
            field="claimed_total",
            claimed_total=evaluation.claimed_total,
            parts_total=parts,
            computed_total=card.total,
        )
    ]


def _grade_rule_text(profile) -> str:
    t = profile.grade_thresholds
    return f"优≥{pts(t['优'])}、良≥{pts(t['良'])}、中≥{pts(t['中'])}"


def grade_finding(*, claimed_grade: str, total: Decimal | None, profile, total_is_stated: bool) -> list[Finding]:
    if not claimed_grade or total is None:
        return []
    expected = grades.grade_for(total=total, thresholds=profile.grade_thresholds)
    if expected == claimed_grade:
        return []
    which = "填报总分" if total_is_stated else "总分"
    detail = (
        f"自评等级“{claimed_grade}”与{which} {pts(total)} 分不符，"
        f"按本年度等级标准（{_grade_rule_text(profile)}）应为“{expected}”。"
    )
    return [
        make_finding(
            "grade_mismatch", detail, field="claimed_grade", claimed_grade=claimed_grade, total=total, expected=expected
        )
    ]


def grade_mismatch(record: ProjectRecord) -> list[Finding]:
    """A stated grade that the profile's thresholds do not give for the (stated, else computed) total."""
    evaluation = record.evaluation
    if evaluation is None:
        return []
    stated = evaluation.claimed_total is not None
    return grade_finding(
        claimed_grade=evaluation.claimed_grade,
        total=evaluation.claimed_total if stated else record.card.total,
        profile=record.profile,
        total_is_stated=stated,
    )


def self_vs_finance_findings(*, self_grade: str, self_total: Decimal | None, review) -> list[Finding]:
    """The self grade against the finance grade, and the SPEC §5.4 自评准确 deduction once there is a 核查总分."""
    if review is None:
        return []
    parts, values = [], {"self_grade": self_grade, "finance_grade": review.grade}
    if review.grade and self_grade and review.grade != self_grade:
        parts.append(f"自评等级“{self_grade}”与财政抽查审核结果“{review.grade}”不一致")
    if review.reviewer_total is not None and self_total is not None:
        difference = grades.self_evaluation_difference(self_total=self_total, reviewer_total=review.reviewer_total)
        deduction = grades.self_evaluation_accuracy_deduction(
            self_total=self_total, reviewer_total=review.reviewer_total
        )
        values |= {
            "self_total": self_total,
            "reviewer_total": review.reviewer_total,
            "difference_rate": difference,
            "deduction": deduction,
        }
        if deduction > 0:
            shown = pct(difference) if difference is not None else "—"
            parts.append(
                f"自评总分 {pts(self_total)} 分与核查总分 {pts(review.reviewer_total)} 分相差 {shown}，"
                f"自评准确扣 {pts(deduction)} 分"
            )
    if not parts:
        return []
    return [make_finding("self_vs_finance", f"{'；'.join(parts)}。", field="claimed_grade", **values)]


def self_vs_finance(record: ProjectRecord) -> list[Finding]:
    evaluation = record.evaluation
    if evaluation is None:
        return []
    return self_vs_finance_findings(
        self_grade=evaluation.self_grade, self_total=evaluation.self_total, review=record.review
    )
