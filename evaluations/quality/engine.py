"""The quality rule engine's entry points (智能审核, SPEC §11): every rule on a project, a queryset, or a year.

The rules are small functions in budget_checks, indicator_checks and consistency_checks (projects) and
department_checks (department-wide self-evaluations), each returning Findings (evaluations.quality.findings).
Every number comes from domain.scoring (through the scorecard) and every threshold from the year's rule
profile; nothing here re-derives a score. evaluations.quality.validation blocks submission on the 错误
findings of this engine plus the form's own completeness checks.

History is imported as written (SPEC §10): the checks report what a published table says, they never fix it.
"""

from collections.abc import Callable
from dataclasses import dataclass

from budgets.models import Project, RuleProfile
from evaluations.models import DepartmentEvaluation
from evaluations.quality.budget_checks import (
    adjustment_no_reason,
    budget_score_above_weight,
    budget_score_mismatch,
    budget_total_mismatch,
    execution_over_budget,
    execution_rate_mismatch,
    low_execution_no_reason,
)
from evaluations.quality.consistency_checks import grade_mismatch, self_vs_finance, total_mismatch
from evaluations.quality.department_checks import department_findings
from evaluations.quality.findings import Finding
from evaluations.quality.indicator_checks import (
    execution_rate_as_cost,
    full_score_without_values,
    misfiled_category,
    missing_actual,
    missing_category,
    missing_deviation_reason,
    missing_satisfaction_unweighted,
    missing_score,
    missing_unit,
    non_numeric_quantitative,
    over_achievement,
    qualitative_band,
    score_above_weight,
    score_mismatch,
    sign_missing_read_as_positive,
    unsigned_score_differs,
    weights_rollup,
    weights_total,
)
from evaluations.quality.project_record import ProjectRecord, with_taxonomy
from evaluations.scorecard import Scorecard, build_scorecard

# Project rules in the order their findings are listed: budget, indicator rows, the grid, stated totals, finance.
RULES: list[Callable[[ProjectRecord], list[Finding]]] = [
    execution_over_budget,
    low_execution_no_reason,
    adjustment_no_reason,
    budget_total_mismatch,
    execution_rate_mismatch,
    budget_score_mismatch,
    budget_score_above_weight,
    missing_score,
    score_above_weight,
    score_mismatch,
    unsigned_score_differs,
    full_score_without_values,
    qualitative_band,
    missing_actual,
    non_numeric_quantitative,
    missing_unit,
    sign_missing_read_as_positive,
    missing_deviation_reason,
    over_achievement,
    execution_rate_as_cost,
    misfiled_category,
    weights_total,
    weights_rollup,
    missing_category,
    missing_satisfaction_unweighted,
    total_mismatch,
    grade_mismatch,
    self_vs_finance,
]


# The rules that compare with the finance review (their codes are FINANCE_CODES).
FINANCE_RULES = frozenset({self_vs_finance})


def project_findings(
    project, profile=None, card: Scorecard | None = None, *, finance_results: bool = True
) -> list[Finding]:
    """Every finding of every rule on ``project`` as stored.

    Without ``finance_results`` (the reader may not see the year's finance results yet) the rules that compare
    with the finance review are not run. One scorecard, no query per indicator: give ``project`` with
    ``budget_lines``, ``indicators`` and ``evaluation__review`` loaded (findings_for does) and ``profile`` with
    its taxonomy, and nothing is read again; otherwise the missing pieces are read once each.
    """
    profile = with_taxonomy(profile or project.fiscal_year.profile)
    card = card or build_scorecard(project, profile)
    record = ProjectRecord(project, profile, card)
    rules = RULES if finance_results else [rule for rule in RULES if rule not in FINANCE_RULES]
    return [finding for rule in rules for finding in rule(record)]


DEPARTMENT_WIDE_NAME = "部门整体支出绩效自评"


@dataclass(frozen=True)
class RecordFindings:
    """The findings of one record: a project, or (``project`` None) a department-wide self-evaluation."""

    fiscal_year: object
    department: object
    unit: object
    project: Project | None
    department_evaluation: DepartmentEvaluation | None
    findings: list[Finding]

    @property
    def name(self) -> str:
        return self.project.name if self.project is not None else DEPARTMENT_WIDE_NAME


def _project_order(project):
    return (project.sort_order is None, project.sort_order or 0, project.unit.name, project.name, project.pk)


def _with_checked_rows(projects):
    """``projects`` with what the project checks read, in a fixed number of queries."""
    return projects.select_related("unit__parent", "evaluation__review").prefetch_related("budget_lines", "indicators")


def project_findings_by_id(projects) -> dict[int, list[Finding]]:
    """The findings of each project of the queryset ``projects``, by project id (a few queries in all)."""
    projects = _with_checked_rows(projects).select_related("fiscal_year")
    profiles: dict[int, RuleProfile] = {}
    found = {}
    for project in projects:
        profile_id = project.fiscal_year.profile_id
        if profile_id not in profiles:
            profiles[profile_id] = with_taxonomy(RuleProfile.objects.get(pk=profile_id))
        found[project.pk] = project_findings(project, profiles[profile_id])
    return found


def findings_for(fiscal_year, department=None, *, finance_results: bool = True) -> list[RecordFindings]:
    """The findings of every project and department-wide evaluation of ``fiscal_year`` (of ``department``).

    A handful of queries whatever the size of the year: the profile with its taxonomy, the projects with their
    units, evaluations and reviews, their budget lines and indicators, the department-wide evaluations with
    their reviews and score items. Records come department by department (by name), the department-wide one
    first, then the projects in their 序号 order (unit by unit where there is none); records without findings
    are included. Without ``finance_results`` (``policy.access.sees_finance_results`` of the reader) the
    self-vs-finance comparisons are left out (SPEC §12).
    """
    profile = with_taxonomy(RuleProfile.objects.get(pk=fiscal_year.profile_id), "department_indicators")
    projects = Project.objects.filter(fiscal_year=fiscal_year)
    departments = DepartmentEvaluation.objects.filter(fiscal_year=fiscal_year)
    if department is not None:
        projects = projects.of_department(department)
        departments = departments.filter(department=department)
    projects = _with_checked_rows(projects)
    departments = departments.select_related("department", "review").prefetch_related("score_items")

    records = [
        RecordFindings(
            fiscal_year,
            evaluation.department,
            evaluation.department,
            None,
            evaluation,
            department_findings(evaluation, profile, finance_results=finance_results),
        )
        for evaluation in departments
    ]
    records += [
        RecordFindings(
            fiscal_year,
            project.unit.department,
            project.unit,
            project,
            None,
            project_findings(project, profile, finance_results=finance_results),
        )
        for project in sorted(projects, key=_project_order)
    ]
    # Department by department; the sort is stable, so each keeps its department-wide record first.
    return sorted(records, key=lambda record: (record.department.name, record.department.pk))
