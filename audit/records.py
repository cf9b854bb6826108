"""Which history belongs to which record page, and who may read which part of it.

A project's trail: the project, its budget lines, indicators and self-evaluation, and — for finance bureau
staff only — the finance review and its 核查分数 (a reviewer's work in progress is not the unit's business).
A department-wide evaluation's trail: the evaluation, its score items and, again for bureau staff, its review.
Rows of deleted children stay in the trail: history is looked up by the parent's id, not through live rows.
"""

from accounts.models import Organisation, User
from audit.trail import Entry, Labels, Source, entries, newest_first
from budgets.models import BudgetLine, FiscalYear, Project
from evaluations.models import (
    DepartmentEvaluation,
    DepartmentScoreItem,
    FinanceReview,
    ProjectEvaluation,
    ReviewIndicatorScore,
    SpotCheckSample,
)
from indicators.models import Indicator
from policy.access import can


def _indicator_name(row) -> str:
    return row.name or f"{row.level1}/{row.level2}"


PROJECT = Source(Project, "项目", lambda row: row.name)
BUDGET_LINE = Source(BudgetLine, "预算资金", lambda row: row.fund_source, hide=("project",))
INDICATOR = Source(Indicator, "绩效指标", _indicator_name, hide=("project",))
EVALUATION = Source(ProjectEvaluation, "自评", hide=("project",))
REVIEW = Source(FinanceReview, "财政抽查审核", hide=("evaluation", "department_evaluation"))
DEPARTMENT_EVALUATION = Source(DepartmentEvaluation, "部门整体自评", hide=("fiscal_year", "department"))
SCORE_ITEM = Source(DepartmentScoreItem, "部门整体评分项", hide=("evaluation",))
SAMPLE = Source(SpotCheckSample, "抽查样本", hide=("fiscal_year",))
FISCAL_YEAR = Source(FiscalYear, "年度", lambda row: f"{row.year}年度")
USER = Source(User, "用户", lambda row: row.username)
ORGANISATION = Source(Organisation, "组织", lambda row: row.name)


def review_score_source(labels: Labels) -> Source:
    return Source(
        ReviewIndicatorScore,
        "核查分数",
        lambda row: labels.related(Indicator, row.indicator_id),
        hide=("review", "indicator"),
    )


def may_see_reviews(user, fiscal_year) -> bool:
    """Finance bureau staff (reviewers and admins) of the year's bureau."""
    return can(user, "audit.view_review_history", fiscal_year)


def project_trail(user, project) -> list[Entry]:
    """Every change to ``project`` and what hangs off it that ``user`` may see, newest first."""
    labels = Labels()
    found = [
        *entries(PROJECT, Project.history.filter(id=project.pk), labels),
        *entries(BUDGET_LINE, BudgetLine.history.filter(project_id=project.pk), labels),
        *entries(INDICATOR, Indicator.history.filter(project_id=project.pk), labels),
        *entries(EVALUATION, ProjectEvaluation.history.filter(project_id=project.pk), labels),
    ]
    if may_see_reviews(user, project.fiscal_year):
        evaluation_ids = ProjectEvaluation.history.filter(project_id=project.pk).values("id")
        reviews = FinanceReview.history.filter(evaluation_id__in=evaluation_ids)
        found += entries(REVIEW, reviews, labels)
        scores = ReviewIndicatorScore.history.filter(review_id__in=reviews.values("id"))
        found += entries(review_score_source(labels), scores, labels)
    return newest_first(found)


def department_trail(user, evaluation) -> list[Entry]:
    """Every change to a department-wide evaluation, its score items and (bureau staff) its review."""
    labels = Labels()
    found = [
        *entries(DEPARTMENT_EVALUATION, DepartmentEvaluation.history.filter(id=evaluation.pk), labels),
        *entries(SCORE_ITEM, DepartmentScoreItem.history.filter(evaluation_id=evaluation.pk), labels),
    ]
    if may_see_reviews(user, evaluation.fiscal_year):
        found += entries(REVIEW, FinanceReview.history.filter(department_evaluation_id=evaluation.pk), labels)
    return newest_first(found)


def user_trail(account) -> list[Entry]:
    return newest_first(entries(USER, User.history.filter(id=account.pk), Labels()))
