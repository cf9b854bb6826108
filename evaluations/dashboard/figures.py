"""The statistics page (统计分析): one selector per chart, each a plain data structure scoped to the user.

Every selector reads one fiscal year and only what ``policy.scopes`` lets the user see: a department reviewer
their department and its units (grouped by unit), the finance bureau's staff their bureau's departments
(grouped by department). Counted are the records that reached 已提交 — ``REACHED_SUBMISSION``, the one
definition every official output uses (SPEC §13); drafts, returned records and those marked 未提交 are left out.
Finance results (the finance grades and the self-vs-finance findings) are counted only for a user the policy
shows them to (``policy.access.sees_finance_results``: the bureau's staff at once, departments from
publication on, SPEC §12). All arithmetic is Decimal; ``chart_data`` is the one place numbers become floats,
for the chart library.
"""

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from accounts.models import Organisation
from budgets.models import FiscalYear
from budgets.scopes import fiscal_years_visible_to, projects_visible_to
from domain import decimals, scoring
from domain.grades import GRADE_EXCELLENT, GRADE_FAIR, GRADE_GOOD, GRADE_POOR
from evaluations.models import DepartmentEvaluation, FinanceReview, ProjectEvaluation, reported_grade_sql
from evaluations.quality.engine import project_findings
from evaluations.quality.findings import FINANCE_CODES, PROJECT_RULE_LABELS
from evaluations.scopes import department_evaluations_visible_to
from evaluations.scorecard import budget_totals
from policy.access import groups_by_unit, sees_finance_results

COUNTED_STATUSES = ProjectEvaluation.REACHED_SUBMISSION
DEPARTMENT_WIDE_COUNTED_STATUSES = DepartmentEvaluation.REACHED_SUBMISSION
GRADES = (GRADE_EXCELLENT, GRADE_GOOD, GRADE_FAIR, GRADE_POOR)
DEPARTMENT_WIDE_LABEL = "部门整体支出绩效自评"
HUNDRED = Decimal(100)

# 执行率 buckets: (label, lower bound inclusive, upper bound exclusive); None is open-ended.
EXECUTION_BUCKETS = (
    ("<60%", None, Decimal("0.6")),
    ("60%–80%", Decimal("0.6"), Decimal("0.8")),
    ("80%–90%", Decimal("0.8"), Decimal("0.9")),
    ("90%–95%", Decimal("0.9"), Decimal("0.95")),
    ("95%–100%", Decimal("0.95"), Decimal(1)),
    ("≥100%", Decimal(1), None),
)
NO_BUDGET_LABEL = "无预算数据"


def _percent(part: int, whole: int) -> Decimal | None:
    """``part`` of ``whole`` in percent, 2 decimals; None when there is no whole."""
    return decimals.round2(Decimal(part) * HUNDRED / whole) if whole else None


# --- years and grouping -----------------------------------------------------------------------------


def dashboard_years(user) -> list[FiscalYear]:
    """The fiscal years of the user's bureau, newest first."""
    return list(fiscal_years_visible_to(user).order_by("-year"))


def _counted_projects(user, fiscal_year):
    return projects_visible_to(user).filter(fiscal_year=fiscal_year, evaluation__status__in=COUNTED_STATUSES)


def _counted_department_evaluations(user, fiscal_year):
    return department_evaluations_visible_to(user).filter(
        fiscal_year=fiscal_year, status__in=DEPARTMENT_WIDE_COUNTED_STATUSES
    )


def default_year(user, years: list[FiscalYear]) -> FiscalYear | None:
    """The newest of ``years`` holding a counted evaluation the user can see, else the newest year at all."""
    with_records = set(
        projects_visible_to(user)
        .filter(evaluation__status__in=COUNTED_STATUSES)
        .values_list("fiscal_year_id", flat=True)
        .distinct()
    )
    with_records |= set(
        department_evaluations_visible_to(user)
        .filter(status__in=DEPARTMENT_WIDE_COUNTED_STATUSES)
        .values_list("fiscal_year_id", flat=True)
        .distinct()
    )
    return next((year for year in years if year.pk in with_records), years[0] if years else None)


def group_label(user) -> str:
    return "单位" if groups_by_unit(user) else "主管部门"


GROUP_FIELDS = ("unit_id", "unit__name", "unit__kind", "unit__parent_id", "unit__parent__name")


def _group_of(row: dict, by_unit: bool) -> tuple[int, str, bool]:
    """(key, name, is a department) of the group a project row counts towards."""
    if by_unit or row["unit__kind"] == Organisation.Kind.DEPARTMENT:
        return row["unit_id"], row["unit__name"], row["unit__kind"] == Organisation.Kind.DEPARTMENT
    return row["unit__parent_id"], row["unit__parent__name"], True


def _group_order(group: tuple[int, str, bool]) -> tuple:
    # The department itself before its units, then by name.
    return (not group[2], group[1])


# --- grade distribution -----------------------------------------------------------------------------


@dataclass(frozen=True)
class GradeRow:
    grade: str
    self_projects: int
    self_department_wide: int
    finance_projects: int
    finance_department_wide: int

    @property
    def self_count(self) -> int:
        return self.self_projects + self.self_department_wide

    @property
    def finance_count(self) -> int:
        return self.finance_projects + self.finance_department_wide


@dataclass(frozen=True)
class GradeDistribution:
    rows: list[GradeRow]
    # Counted records (projects + department-wide) and how many of them are department-wide.
    records: int
    department_wide: int
    # Counted records without any self grade (neither stated nor computable).
    without_self_grade: int
    # Sampled records whose finance review is still in progress: their grade, if any, is not counted yet.
    finance_in_progress: int
    # False while the user may not see the year's finance results: the finance counts are then all 0, unread.
    finance_results: bool = True

    @property
    def self_total(self) -> int:
        return sum(row.self_count for row in self.rows)

    @property
    def finance_total(self) -> int:
        return sum(row.finance_count for row in self.rows)


def grade_distribution(*, user, fiscal_year, finance_results: bool | None = None) -> GradeDistribution:
    """优/良/中/差 of the self grade beside the finance grade of completed reviews, projects and department-wide.

    The department-wide self-evaluation (部门整体支出绩效自评) is a record the bureau samples and grades like a
    project (seed 000, row 1), so it is counted here, its share kept apart in the rows. The finance grades are
    read only if ``finance_results`` (by default: whether the policy shows them to ``user``).
    """
    if finance_results is None:
        finance_results = sees_finance_results(user, fiscal_year)
    review_fields = ("review__grade", "review__status", "review__excluded") if finance_results else ()
    projects = (
        _counted_projects(user, fiscal_year)
        .annotate(reported_grade=reported_grade_sql(fields="evaluation__", profile="fiscal_year__profile__"))
        .values("reported_grade", *(f"evaluation__{f}" for f in review_fields))
    )
    department_wide = (
        _counted_department_evaluations(user, fiscal_year)
        .annotate(reported_grade=reported_grade_sql(profile="fiscal_year__profile__"))
        .values("reported_grade", *review_fields)
    )
    self_grades = {"projects": Counter(), "department_wide": Counter()}
    finance_grades = {"projects": Counter(), "department_wide": Counter()}
    records = Counter()
    without_self_grade = in_progress = 0
    for kind, rows, prefix in (("projects", projects, "evaluation__"), ("department_wide", department_wide, "")):
        for row in rows:
            records[kind] += 1
            grade = row["reported_grade"]
            if grade:
                self_grades[kind][grade] += 1
            else:
                without_self_grade += 1
            if not finance_results:
                continue
            status = row[f"{prefix}review__status"]
            if status is None or row[f"{prefix}review__excluded"]:
                continue
            if status == FinanceReview.Status.COMPLETED:
                finance_grades[kind][row[f"{prefix}review__grade"]] += 1
            else:
                in_progress += 1
    rows = [
        GradeRow(
            grade=grade,
            self_projects=self_grades["projects"][grade],
            self_department_wide=self_grades["department_wide"][grade],
            finance_projects=finance_grades["projects"][grade],
            finance_department_wide=finance_grades["department_wide"][grade],
        )
        for grade in GRADES
    ]
    return GradeDistribution(
        rows=rows,
        records=records.total(),
        department_wide=records["department_wide"],
        without_self_grade=without_self_grade,
        finance_in_progress=in_progress,
        finance_results=finance_results,
    )


# --- execution rate ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExecutionBucket:
    label: str
    projects: int
    share: Decimal | None  # percent of the counted projects


@dataclass(frozen=True)
class ExecutionDistribution:
    buckets: list[ExecutionBucket]  # the six rate buckets, then 无预算数据
    projects: int


def execution_bucket(rate: Decimal | None) -> str:
    """The bucket label of an execution rate (a fraction); 无预算数据 for None."""
    if rate is None:
        return NO_BUDGET_LABEL
    for label, low, high in EXECUTION_BUCKETS:
        if (low is None or rate >= low) and (high is None or rate < high):
            return label
    raise AssertionError(f"执行率 {rate} 不在任何区间内")  # the buckets cover every rate


def execution_rate_distribution(*, user, fiscal_year) -> ExecutionDistribution:
    """Projects by 执行率 (Σ全年执行数 / Σ全年预算数 over their fund-source rows), exact to the last digit."""
    projects = _counted_projects(user, fiscal_year).only("pk").prefetch_related("budget_lines")
    counts = Counter()
    for project in projects:
        totals = budget_totals(project.budget_lines.all())
        rate = None
        if totals.adjusted is not None:
            rate = scoring.execution_rate(adjusted=totals.adjusted, executed=totals.executed or Decimal(0))
        counts[execution_bucket(rate)] += 1
    total = sum(counts.values())
    labels = [label for label, _, _ in EXECUTION_BUCKETS] + [NO_BUDGET_LABEL]
    return ExecutionDistribution(
        buckets=[ExecutionBucket(label, counts[label], _percent(counts[label], total)) for label in labels],
        projects=total,
    )


# --- ranking ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RankingRow:
    name: str
    projects: int
    scored: int  # projects with a self total
    average_total: Decimal | None  # of the scored projects, 2 decimals
    graded: int  # projects with a self grade
    excellent: int
    excellent_share: Decimal | None  # percent of the graded projects


@dataclass(frozen=True)
class Ranking:
    by_average: list[RankingRow]
    by_excellent_share: list[RankingRow]

    @property
    def has_averages(self) -> bool:
        return any(row.average_total is not None for row in self.by_average)

    @property
    def has_excellent_shares(self) -> bool:
        return any(row.excellent_share is not None for row in self.by_excellent_share)


def _ranked(rows: list[RankingRow], value) -> list[RankingRow]:
    # Highest first; groups without a value last; ties by name.
    return sorted(rows, key=lambda row: (value(row) is None, -(value(row) or 0), row.name))


def score_ranking(*, user, fiscal_year) -> Ranking:
    """Departments (or, for a department reviewer, units) by average self total and by share of 优 (projects)."""
    rows = (
        _counted_projects(user, fiscal_year)
        .annotate(reported_grade=reported_grade_sql(fields="evaluation__", profile="fiscal_year__profile__"))
        .values(*GROUP_FIELDS, "evaluation__claimed_total", "evaluation__computed_total", "reported_grade")
    )
    by_unit = groups_by_unit(user)
    totals: dict[tuple, list[Decimal]] = {}
    grades: dict[tuple, list[str]] = {}
    counts = Counter()
    for row in rows:
        group = _group_of(row, by_unit)
        counts[group] += 1
        claimed, computed = row["evaluation__claimed_total"], row["evaluation__computed_total"]
        total = claimed if claimed is not None else computed
        if total is not None:
            totals.setdefault(group, []).append(total)
        grade = row["reported_grade"]
        if grade:
            grades.setdefault(group, []).append(grade)
    ranking_rows = []
    for group in counts:
        scored, graded = totals.get(group, []), grades.get(group, [])
        excellent = graded.count(GRADE_EXCELLENT)
        ranking_rows.append(
            RankingRow(
                name=group[1],
                projects=counts[group],
                scored=len(scored),
                average_total=decimals.round2(sum(scored, Decimal(0)) / len(scored)) if scored else None,
                graded=len(graded),
                excellent=excellent,
                excellent_share=_percent(excellent, len(graded)),
            )
        )
    return Ranking(
        by_average=_ranked(ranking_rows, lambda row: row.average_total),
        by_excellent_share=_ranked(ranking_rows, lambda row: row.excellent_share),
    )


# --- sample coverage --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CoverageRow:
    name: str
    counted: int  # counted self-evaluations (those that reached 已提交)
    sampled: int  # drawn into the finance sample and not taken out again
    graded: int  # of those, with a finance grade recorded (审核中 or 已完成)
    completed: int  # of those, with the review completed

    @property
    def sampled_share(self) -> Decimal | None:
        return _percent(self.sampled, self.counted)

    @property
    def completed_share(self) -> Decimal | None:
        return _percent(self.completed, self.sampled)


@dataclass(frozen=True)
class SampleCoverage:
    rows: list[CoverageRow]  # per group, then one row for the department-wide self-evaluations if any
    total: CoverageRow


def _coverage_counts(rows, prefix: str) -> tuple[int, int, int, int]:
    counted = sampled = graded = completed = 0
    for row in rows:
        counted += 1
        if row[f"{prefix}review__status"] is None or row[f"{prefix}review__excluded"]:
            continue
        sampled += 1
        graded += bool(row[f"{prefix}review__grade"])
        completed += row[f"{prefix}review__status"] == FinanceReview.Status.COMPLETED
    return counted, sampled, graded, completed


def sample_coverage(*, user, fiscal_year) -> SampleCoverage:
    """How many counted self-evaluations (reached 已提交) were sampled, graded and completed, per department or unit."""
    review_fields = ("review__status", "review__excluded", "review__grade")
    projects = _counted_projects(user, fiscal_year).values(*GROUP_FIELDS, *(f"evaluation__{f}" for f in review_fields))
    by_unit = groups_by_unit(user)
    per_group: dict[tuple, list[dict]] = {}
    for row in projects:
        per_group.setdefault(_group_of(row, by_unit), []).append(row)
    rows = [
        CoverageRow(group[1], *_coverage_counts(per_group[group], "evaluation__"))
        for group in sorted(per_group, key=_group_order)
    ]
    department_wide = list(_counted_department_evaluations(user, fiscal_year).values(*review_fields))
    if department_wide:
        rows.append(CoverageRow(DEPARTMENT_WIDE_LABEL, *_coverage_counts(department_wide, "")))
    total = CoverageRow(
        "合计",
        counted=sum(row.counted for row in rows),
        sampled=sum(row.sampled for row in rows),
        graded=sum(row.graded for row in rows),
        completed=sum(row.completed for row in rows),
    )
    return SampleCoverage(rows=rows, total=total)


# --- quality findings -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FindingCount:
    code: str
    label: str
    findings: int
    projects: int  # projects with at least one finding of this rule


@dataclass(frozen=True)
class FindingsByRule:
    rows: list[FindingCount]  # every rule, most findings first
    findings: int
    projects_checked: int
    projects_with_findings: int


def findings_by_rule(*, user, fiscal_year, finance_results: bool | None = None) -> FindingsByRule:
    """The quality checks (智能审核) of every counted project, summed by rule, in a constant number of queries.

    The self-vs-finance comparisons are run and listed only if ``finance_results`` (by default: whether the
    policy shows the year's finance results to ``user``).
    """
    if finance_results is None:
        finance_results = sees_finance_results(user, fiscal_year)
    projects = (
        _counted_projects(user, fiscal_year)
        .select_related("evaluation", "evaluation__review", "fiscal_year__profile")
        .prefetch_related("budget_lines", "indicators", "fiscal_year__profile__level1_categories__level2_categories")
    )
    findings, affected = Counter(), Counter()
    checked = with_findings = 0
    for project in projects:
        checked += 1
        codes = [finding.code for finding in project_findings(project, finance_results=finance_results)]
        findings.update(codes)
        affected.update(set(codes))
        with_findings += bool(codes)
    labels = {
        code: label for code, label in PROJECT_RULE_LABELS.items() if finance_results or code not in FINANCE_CODES
    }
    order = list(labels)
    rows = sorted(
        (FindingCount(code, label, findings[code], affected[code]) for code, label in labels.items()),
        key=lambda row: (-row.findings, order.index(row.code)),
    )
    return FindingsByRule(
        rows=rows, findings=sum(findings.values()), projects_checked=checked, projects_with_findings=with_findings
    )


# --- the page ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dashboard:
    fiscal_year: FiscalYear
    group_label: str
    grades: GradeDistribution
    execution: ExecutionDistribution
    ranking: Ranking
    coverage: SampleCoverage
    findings: FindingsByRule


def build_dashboard(*, user, fiscal_year) -> Dashboard:
    kwargs = {"user": user, "fiscal_year": fiscal_year}
    finance_results = sees_finance_results(user, fiscal_year)
    return Dashboard(
        fiscal_year=fiscal_year,
        group_label=group_label(user),
        grades=grade_distribution(**kwargs, finance_results=finance_results),
        execution=execution_rate_distribution(**kwargs),
        ranking=score_ranking(**kwargs),
        coverage=sample_coverage(**kwargs),
        findings=findings_by_rule(**kwargs, finance_results=finance_results),
    )


def _float(value: Decimal | None) -> float | None:
    # The JSON boundary: the chart library wants numbers; every figure shown as text stays a Decimal.
    return None if value is None else float(value)


def chart_data(dashboard: Dashboard) -> dict:
    """The figures of every chart as JSON-ready labels and series (for the page's json_script)."""
    grades, ranking, coverage = dashboard.grades, dashboard.ranking, dashboard.coverage
    if grades.finance_results:
        finance = {"label": "财政抽查审核结果（已完成）", "data": [row.finance_count for row in grades.rows]}
    else:
        # Not yet published to this user: no bars, the legend says why (the series stays, the script expects it).
        finance = {"label": "财政抽查审核结果（未公开）", "data": [None for _ in grades.rows]}
    return {
        "grades": {
            "labels": list(GRADES),
            "series": [{"label": "单位自评等级", "data": [row.self_count for row in grades.rows]}, finance],
        },
        "execution": {
            "labels": [bucket.label for bucket in dashboard.execution.buckets],
            "series": [{"label": "项目数", "data": [bucket.projects for bucket in dashboard.execution.buckets]}],
        },
        "average": {
            "labels": [row.name for row in ranking.by_average],
            "series": [{"label": "平均自评得分", "data": [_float(row.average_total) for row in ranking.by_average]}],
        },
        "excellent": {
            "labels": [row.name for row in ranking.by_excellent_share],
            "series": [
                {"label": "“优”占比（%）", "data": [_float(row.excellent_share) for row in ranking.by_excellent_share]}
            ],
        },
        # One stacked bar per group, as its counted self-evaluations, split by how far the review got.
        "coverage": {
            "labels": [row.name for row in coverage.rows],
            "series": [
                {"label": "已完成审核", "data": [row.completed for row in coverage.rows]},
                {"label": "已评定等级、审核中", "data": [row.graded - row.completed for row in coverage.rows]},
                {"label": "抽中、未评定等级", "data": [row.sampled - row.graded for row in coverage.rows]},
                {"label": "未抽中", "data": [row.counted - row.sampled for row in coverage.rows]},
            ],
            "sampled": [row.sampled for row in coverage.rows],
            # The key static/js/dashboard.js reads for each bar's total.
            "approved": [row.counted for row in coverage.rows],
        },
        "findings": {
            "labels": [row.label for row in dashboard.findings.rows],
            "series": [{"label": "问题数", "data": [row.findings for row in dashboard.findings.rows]}],
        },
    }
