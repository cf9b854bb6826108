"""What the project rules read: one project with its scorecard, self-evaluation, finance review and rule profile.

``ProjectRecord`` computes once what several rules share (the rows that hold anything, what domain.rule_checks
finds wrong with the claimed scores and the weights); ``with_taxonomy`` loads a profile's 一级/二级 taxonomy.
"""

from decimal import Decimal
from functools import cached_property

from django.db.models import prefetch_related_objects

from domain import rule_checks
from evaluations.scorecard import IndicatorLine, Scorecard


def with_taxonomy(profile, *also: str):
    """``profile`` with its 一级/二级 taxonomy (and the relations ``also`` names) loaded; no query when already so."""
    prefetch_related_objects([profile], "level1_categories__level2_categories", *also)
    return profile


def taxonomy_of(profile) -> dict[str, list[str]]:
    """一级 name → its 二级 names, from the profile (the taxonomy is data, SPEC §4.4)."""
    return {
        level1.name: [level2.name for level2 in level1.level2_categories.all()]
        for level1 in profile.level1_categories.all()
    }


class ProjectRecord:
    """One project as the rules see it: its scorecard, its self-evaluation and finance review, its profile."""

    def __init__(self, project, profile, card: Scorecard):
        self.project, self.profile, self.card = project, profile, card
        self.evaluation = getattr(project, "evaluation", None)
        review = getattr(self.evaluation, "review", None) if self.evaluation is not None else None
        self.review = None if review is None or review.excluded else review

    @cached_property
    def lines(self) -> list[IndicatorLine]:
        """The indicator rows that hold anything (spacer rows as published are left out)."""
        return [line for line in self.card.lines if not line.indicator.is_blank]

    @cached_property
    def taxonomy(self) -> dict[str, list[str]]:
        return taxonomy_of(self.profile)

    @cached_property
    def claims(self) -> list[tuple[IndicatorLine, rule_checks.Problem]]:
        """What scoring finds wrong with each claimed indicator score, row by row."""
        found = []
        for line in self.lines:
            ind = line.indicator
            if not ind.sign or ind.weight is None:
                continue
            for problem in rule_checks.check_claimed_indicator_score(
                sign=ind.sign,
                weight=ind.weight,
                claimed=ind.claimed_score,
                computed=line.result,
                label=ind.actual_label or None,
                deviation_reason=ind.deviation_reason,
            ):
                found.append((line, problem))
        return found

    @cached_property
    def weight_problems(self) -> list[rule_checks.Problem]:
        """How the 三级 weights roll up, once any row has a weight (a narrative report has none to check)."""
        rows = [
            rule_checks.WeightLine(ln.indicator.level1, ln.indicator.level2, ln.indicator.weight) for ln in self.lines
        ]
        if not any(row.weight is not None for row in rows):
            return []
        profile = self.profile
        categories = list(profile.level1_categories.all())
        fixed = {c.name: c.weight for c in categories if c.weight is not None}
        if categories and len(fixed) == len(categories):
            level2 = {(c.name, l2.name): l2.weight for c in categories for l2 in c.level2_categories.all()}
            return rule_checks.check_weight_rollup(
                budget_weight=profile.budget_weight,
                level1_weights=fixed,
                lines=rows,
                level2_weights=level2,
                total=profile.total_points,
                # Rows outside the taxonomy are reported one by one (misfiled_category).
                report_unknown=False,
            )
        return rule_checks.check_indicator_total(
            budget_weight=profile.budget_weight, lines=rows, total=profile.total_points
        )

    @property
    def stated_budget_score(self) -> Decimal | None:
        evaluation, budget = self.evaluation, self.card.budget
        if evaluation is not None and evaluation.claimed_budget_score is not None:
            return evaluation.claimed_budget_score
        return budget.score if budget else None
