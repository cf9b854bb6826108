"""Grades (优/良/中/差) and the 自评准确 comparison with the finance reviewer's total (SPEC §5.4).

Pure functions over ``Decimal``, no Django: the grade a total reaches under a year's thresholds, the grade a
record reports, and how far a self-evaluation lies from the reviewer's total and what that costs.
"""

from collections.abc import Mapping
from decimal import Decimal

from domain.decimals import ZERO, as_decimal, non_negative, round2

GRADE_EXCELLENT, GRADE_GOOD, GRADE_FAIR, GRADE_POOR = "优", "良", "中", "差"
DEFAULT_GRADE_THRESHOLDS = {GRADE_EXCELLENT: Decimal(90), GRADE_GOOD: Decimal(80), GRADE_FAIR: Decimal(60)}


def grade_for(*, total: Decimal, thresholds: Mapping[str, Decimal] = DEFAULT_GRADE_THRESHOLDS) -> str:
    """The grade whose threshold ``total`` reaches, checked 优 → 良 → 中; below all of them 差."""
    total = as_decimal(total, "总分")
    for grade in (GRADE_EXCELLENT, GRADE_GOOD, GRADE_FAIR):
        if total >= as_decimal(thresholds[grade], f"{grade}的分数线"):
            return grade
    return GRADE_POOR


def reported_grade(
    *, claimed_grade: str, claimed_total: Decimal | None, computed_grade: str, thresholds: Mapping[str, Decimal]
) -> str:
    """The grade a record reports: as stated; else that of its stated total; else the computed one ("" if none).

    A table that states a total and no grade (common in published tables) reports the grade of that total,
    not that of a total the rules compute and the table does not print. ``evaluations.models.reported_grade_sql``
    is the same rule for querysets.
    """
    if claimed_grade:
        return claimed_grade
    if claimed_total is not None:
        return grade_for(total=claimed_total, thresholds=thresholds)
    return computed_grade or ""


def self_evaluation_difference(*, self_total: Decimal, reviewer_total: Decimal) -> Decimal | None:
    """|self − reviewer| / reviewer, unrounded; None when the reviewer's total is 0."""
    self_total = non_negative(self_total, "自评得分")
    reviewer_total = non_negative(reviewer_total, "抽查得分")
    return None if reviewer_total == 0 else abs(self_total - reviewer_total) / reviewer_total


def self_evaluation_accuracy_deduction(*, self_total: Decimal, reviewer_total: Decimal) -> Decimal:
    """自评准确 deduction (SPEC §5.4): 0, 4, 8 or 10 points by the relative difference from the reviewer.

    Each band includes its upper bound, as "在5%以内" reads: exactly 5% costs nothing, exactly 10% costs 4,
    exactly 20% costs 8, anything above 20% costs 10. A reviewer total of 0 only matches a self total of 0.
    """
    difference = self_evaluation_difference(self_total=self_total, reviewer_total=reviewer_total)
    if difference is None:
        return round2(ZERO if self_total == 0 else Decimal(10))
    for bound, deduction in ((Decimal("0.05"), 0), (Decimal("0.10"), 4), (Decimal("0.20"), 8)):
        if difference <= bound:
            return round2(Decimal(deduction))
    return round2(Decimal(10))
