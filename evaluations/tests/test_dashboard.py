"""The statistics page (统计分析): each chart's selector on a small hand-built year, who sees what, the page.

The year below (东莞, 2024) is small enough to count by hand:

| project | unit | status | self total / grade | budget A → B (执行率) | finance review |
|---|---|---|---|---|---|
| 就业补贴 | 人社局 (the department itself) | approved | 95 优 (stated) | 100 → 100 (100%) | completed 良 |
| 办学经费 | 技师学院 | approved | 85 良 (stated) | 100 → 89.99 (89.99%) | in progress, 中 so far |
| 实训基地 | 技师学院 | spot-checked | 91 优 (computed) | 150 → 140 + 50 → 50 (95%) | completed 优 |
| 档案整理 | 技师学院 | published | — / 中 (stated) | 0 → 0 (无预算数据) | — |
| 信息系统 | 社保中心 | approved | 59.5 差 (stated) | 100 → 59.999 (59.999%) | drawn, then taken out of the sample |
| 草稿项目 | 社保中心 | draft | 99 优 | 100 → 100 | — (never counted: it did not reach 已提交) |
| 待审项目 | 社保中心 | submitted | 98 优 (stated) | 100 → 100 (100%) | — |
| 校舍维修 | 实验中学 (教育局) | approved | 70 中 (stated) | 100 → 60 (60%) | completed 中 |

plus 人社局's department-wide self-evaluation (approved, 良, finance 良, completed) and 教育局's (a draft).
Counted are the records that reached 已提交 (SPEC §13): 8 of them, 7 projects and one department-wide. The year
is 填报中, so its finance results are the finance bureau's alone: departments see no finance grade (SPEC §12).
"""

import json
import re
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from budgets.models import FiscalYear
from evaluations.dashboard.figures import (
    CoverageRow,
    ExecutionBucket,
    FindingCount,
    GradeRow,
    RankingRow,
    build_dashboard,
    chart_data,
    dashboard_years,
    default_year,
    execution_bucket,
    execution_rate_distribution,
    findings_by_rule,
    grade_distribution,
    sample_coverage,
    score_ranking,
)
from evaluations.demo import load_demo
from evaluations.models import DepartmentEvaluation, FinanceReview, ProjectEvaluation
from evaluations.quality.findings import PROJECT_RULE_LABELS
from evaluations.tests.factories import (
    BudgetLineFactory,
    DepartmentEvaluationFactory,
    FinanceReviewFactory,
    FiscalYearFactory,
    IndicatorFactory,
    ProjectEvaluationFactory,
    ProjectFactory,
)

pytestmark = pytest.mark.django_db

Status = ProjectEvaluation.Status
D = Decimal


def _evaluated(year, unit, name, *, status=Status.APPROVED, budget=(), review=None, **evaluation_fields):
    """A project with its fund rows ``budget`` ((A, B), …), its self-evaluation and, if given, its review."""
    project = ProjectFactory(fiscal_year=year, unit=unit, name=name)
    for order, (adjusted, executed) in enumerate(budget):
        BudgetLineFactory(
            project=project, fund_source=f"资金{order}", order=order, adjusted_wan=adjusted, executed_wan=executed
        )
    evaluation = ProjectEvaluationFactory(project=project, status=status, **evaluation_fields)
    if review:
        FinanceReviewFactory(evaluation=evaluation, **review)
    return project


def _stated(total, grade):
    return {"claimed_total": D(total) if total is not None else None, "claimed_grade": grade}


COMPLETED = FinanceReview.Status.COMPLETED
IN_PROGRESS = FinanceReview.Status.DRAFT


@pytest.fixture
def evaluated_year(org, year):
    _evaluated(
        year,
        org.department,
        "就业补贴",
        budget=[(D(100), D(100))],
        review={"status": COMPLETED, "grade": "良"},
        **_stated("95", "优"),
    )
    _evaluated(
        year,
        org.unit,
        "办学经费",
        budget=[(D(100), D("89.99"))],
        review={"status": IN_PROGRESS, "grade": "中"},
        **_stated("85", "良"),
    )
    target_too_low = _evaluated(
        year,
        org.unit,
        "实训基地",
        status=Status.SPOT_CHECKED,
        budget=[(D(150), D(140)), (D(50), D(50))],
        review={"status": COMPLETED, "grade": "优"},
        computed_total=D(91),
        computed_grade="优",
    )
    IndicatorFactory(project=target_too_low, target_value=D(100), actual_value=D(200))
    _evaluated(year, org.unit, "档案整理", status=Status.PUBLISHED, budget=[(D(0), D(0))], **_stated(None, "中"))
    _evaluated(
        year,
        org.other_unit,
        "信息系统",
        budget=[(D(100), D("59.999"))],
        review={"status": IN_PROGRESS, "excluded": True, "excluded_reason": "重复抽取"},
        claimed_budget_score=D(10),
        stated_execution_rate=D("0.9"),
        **_stated("59.5", "差"),
    )
    _evaluated(year, org.other_unit, "草稿项目", status=Status.DRAFT, budget=[(D(100), D(100))], **_stated("99", "优"))
    _evaluated(
        year, org.other_unit, "待审项目", status=Status.SUBMITTED, budget=[(D(100), D(100))], **_stated("98", "优")
    )
    score_above_weight = _evaluated(
        year,
        org.foreign_unit,
        "校舍维修",
        budget=[(D(100), D(60))],
        review={"status": COMPLETED, "grade": "中"},
        **_stated("70", "中"),
    )
    IndicatorFactory(project=score_above_weight, weight=D(10), claimed_score=D(12))
    department_wide = DepartmentEvaluationFactory(
        fiscal_year=year, department=org.department, status=DepartmentEvaluation.Status.APPROVED, claimed_grade="良"
    )
    FinanceReviewFactory(department_evaluation=department_wide, status=COMPLETED, grade="良")
    DepartmentEvaluationFactory(fiscal_year=year, department=org.other_department, claimed_grade="差")
    return year


# --- execution-rate buckets -------------------------------------------------------------------------------------


def test_execution_buckets_include_their_lower_bound_and_exclude_their_upper():
    rates = ["0.599999", "0.6", "0.799999", "0.8", "0.9", "0.949999", "0.95", "0.999999", "1", "1.35"]

    buckets = [execution_bucket(D(rate)) for rate in rates] + [execution_bucket(None)]

    assert buckets == [
        "<60%",
        "60%–80%",
        "60%–80%",
        "80%–90%",
        "90%–95%",
        "90%–95%",
        "95%–100%",
        "95%–100%",
        "≥100%",
        "≥100%",
        "无预算数据",
    ]


# --- the selectors, as the finance bureau sees the year ---------------------------------------------------------


def test_grades_put_self_grades_beside_completed_finance_grades_with_the_department_wide_row_apart(
    cast, evaluated_year
):
    grades = grade_distribution(user=cast.finance_reviewer, fiscal_year=evaluated_year)

    assert grades.rows == [
        GradeRow("优", self_projects=3, self_department_wide=0, finance_projects=1, finance_department_wide=0),
        GradeRow("良", self_projects=1, self_department_wide=1, finance_projects=1, finance_department_wide=1),
        GradeRow("中", self_projects=2, self_department_wide=0, finance_projects=1, finance_department_wide=0),
        GradeRow("差", self_projects=1, self_department_wide=0, finance_projects=0, finance_department_wide=0),
    ]
    assert (grades.records, grades.department_wide, grades.self_total, grades.finance_total) == (8, 1, 8, 4)
    # 办学经费's review is still in progress: its 中 is not a finance grade yet; 信息系统 left the sample.
    assert (grades.finance_in_progress, grades.without_self_grade) == (1, 0)


def test_execution_rates_are_bucketed_from_the_sum_of_the_fund_rows(cast, evaluated_year):
    execution = execution_rate_distribution(user=cast.finance_reviewer, fiscal_year=evaluated_year)

    assert (execution.projects, execution.buckets) == (
        7,
        [
            ExecutionBucket("<60%", 1, D("14.29")),
            ExecutionBucket("60%–80%", 1, D("14.29")),
            ExecutionBucket("80%–90%", 1, D("14.29")),
            ExecutionBucket("90%–95%", 0, D("0.00")),
            ExecutionBucket("95%–100%", 1, D("14.29")),
            ExecutionBucket("≥100%", 2, D("28.57")),
            ExecutionBucket("无预算数据", 1, D("14.29")),
        ],
    )


def test_the_bureau_ranks_its_departments_by_average_total_and_by_share_of_excellent(cast, evaluated_year):
    ranking = score_ranking(user=cast.finance_reviewer, fiscal_year=evaluated_year)

    # 人社局: (95 + 85 + 91 + 59.5 + 98) / 5 = 85.70; 档案整理 has no total but has a grade (3 优 of 6).
    hrss = RankingRow("东莞市人力资源和社会保障局", 6, 5, D("85.70"), 6, 3, D("50.00"))
    education = RankingRow("东莞市教育局", 1, 1, D("70.00"), 1, 0, D("0.00"))
    assert (ranking.by_average, ranking.by_excellent_share) == ([hrss, education], [hrss, education])


def test_coverage_counts_sampled_graded_and_completed_per_department_and_the_department_wide_row(cast, evaluated_year):
    coverage = sample_coverage(user=cast.finance_reviewer, fiscal_year=evaluated_year)

    assert coverage.rows == [
        CoverageRow("东莞市人力资源和社会保障局", counted=6, sampled=3, graded=3, completed=2),
        CoverageRow("东莞市教育局", counted=1, sampled=1, graded=1, completed=1),
        CoverageRow("部门整体支出绩效自评", counted=1, sampled=1, graded=1, completed=1),
    ]
    assert (coverage.total, coverage.total.sampled_share, coverage.total.completed_share) == (
        CoverageRow("合计", counted=8, sampled=5, graded=5, completed=4),
        D("62.50"),
        D("80.00"),
    )


def test_findings_are_summed_by_rule_most_frequent_first(cast, evaluated_year):
    findings = findings_by_rule(user=cast.finance_reviewer, fiscal_year=evaluated_year)

    assert [row for row in findings.rows if row.findings] == [
        # 校舍维修 (one 产出 indicator of 10 points: 产出, 效益, 满意度 short) and 实训基地 (效益, 满意度 short).
        FindingCount("weights_rollup", "三级指标分值未汇总到一级/二级", 5, 2),
        FindingCount("missing_category", "缺少指标类别", 4, 2),
        # 办学经费 89.99%, 信息系统 59.999%, 校舍维修 60%: below 90% without a reason.
        FindingCount("low_execution_no_reason", "执行率偏低未说明原因", 3, 3),
        # 就业补贴 (self 优, finance 良) and 办学经费 (self 良, 中 in the review so far).
        FindingCount("self_vs_finance", "自评与财政抽查结果不一致", 2, 2),
        FindingCount("score_above_weight", "得分高于分值", 1, 1),
        FindingCount("total_mismatch", "总分不等于各项之和", 1, 1),
        FindingCount("budget_score_mismatch", "预算执行得分与执行率不符", 1, 1),
        FindingCount("execution_rate_mismatch", "填报执行率与金额不符", 1, 1),
        # 档案整理: 年初 100 (the factory's) against 全年 0.
        FindingCount("adjustment_no_reason", "预算调整未说明理由", 1, 1),
        # 实训基地: 200 of a target of 100, without a deviation reason.
        FindingCount("over_achievement", "完成率过高（目标设置过低）", 1, 1),
        FindingCount("missing_deviation_reason", "未填写偏差原因", 1, 1),
    ]
    assert (len(findings.rows), findings.findings, findings.projects_checked, findings.projects_with_findings) == (
        len(PROJECT_RULE_LABELS),
        21,
        7,
        # 待审项目 has nothing to report.
        6,
    )


# --- a department reviewer sees their department, unit by unit --------------------------------------------------


def test_a_department_reviewer_ranks_the_units_of_their_department_only(cast, evaluated_year):
    ranking = score_ranking(user=cast.department_reviewer, fiscal_year=evaluated_year)

    assert [(row.name, row.average_total, row.excellent_share) for row in ranking.by_average] == [
        ("东莞市人力资源和社会保障局", D("95.00"), D("100.00")),
        ("东莞市技师学院", D("88.00"), D("33.33")),
        ("东莞市社会保险基金管理中心", D("78.75"), D("50.00")),
    ]


def test_a_department_reviewers_coverage_lists_the_department_first_then_its_units(cast, evaluated_year):
    coverage = sample_coverage(user=cast.department_reviewer, fiscal_year=evaluated_year)

    assert (coverage.rows, coverage.total) == (
        [
            CoverageRow("东莞市人力资源和社会保障局", counted=1, sampled=1, graded=1, completed=1),
            CoverageRow("东莞市技师学院", counted=3, sampled=2, graded=2, completed=1),
            CoverageRow("东莞市社会保险基金管理中心", counted=2, sampled=0, graded=0, completed=0),
            CoverageRow("部门整体支出绩效自评", counted=1, sampled=1, graded=1, completed=1),
        ],
        CoverageRow("合计", counted=7, sampled=4, graded=4, completed=3),
    )


def test_a_department_reviewer_never_sees_another_departments_numbers(cast, evaluated_year):
    dashboard = build_dashboard(user=cast.other_department_reviewer, fiscal_year=evaluated_year)

    seen = (
        [(row.grade, row.self_count, row.finance_count) for row in dashboard.grades.rows],
        [(bucket.label, bucket.projects) for bucket in dashboard.execution.buckets if bucket.projects],
        dashboard.ranking.by_average,
        dashboard.coverage.rows,
        dashboard.findings.projects_checked,
    )

    # 教育局's own department-wide evaluation is a draft: not counted. 校舍维修's finance 中 is not published yet.
    assert seen == (
        [("优", 0, 0), ("良", 0, 0), ("中", 1, 0), ("差", 0, 0)],
        [("60%–80%", 1)],
        [RankingRow("东莞市实验中学", 1, 1, D("70.00"), 1, 0, D("0.00"))],
        [CoverageRow("东莞市实验中学", counted=1, sampled=1, graded=1, completed=1)],
        1,
    )


def test_another_bureaus_finance_reviewer_sees_nothing_of_this_bureau(cast, evaluated_year):
    dashboard = build_dashboard(user=cast.other_bureau_finance_reviewer, fiscal_year=evaluated_year)

    seen = (
        dashboard.grades.records,
        dashboard.execution.projects,
        dashboard.ranking.by_average,
        dashboard.coverage.rows,
        dashboard.findings.projects_checked,
        dashboard_years(cast.other_bureau_finance_reviewer),
    )

    assert seen == (0, 0, [], [], 0, [])


# --- years ------------------------------------------------------------------------------------------------------


def test_the_default_year_is_the_newest_with_submitted_evaluations_not_a_newer_year_of_drafts(
    cast, org, evaluated_year
):
    newer = FiscalYearFactory(finance_bureau=org.bureau, year=2025)
    _evaluated(newer, org.unit, "新年度草稿", status=Status.DRAFT)
    years = dashboard_years(cast.finance_reviewer)

    chosen = default_year(cast.finance_reviewer, years)

    assert ([y.year for y in years], chosen) == ([2025, 2024], evaluated_year)


def test_without_any_submitted_evaluation_the_default_is_the_newest_year(cast, org, year):
    FiscalYearFactory(finance_bureau=org.bureau, year=2023)

    chosen = default_year(cast.department_reviewer, dashboard_years(cast.department_reviewer))

    assert chosen == year


# --- the chart data ---------------------------------------------------------------------------------------------


def test_chart_data_turns_decimals_into_numbers_only_for_the_chart(cast, evaluated_year):
    dashboard = build_dashboard(user=cast.department_reviewer, fiscal_year=evaluated_year)

    data = chart_data(dashboard)

    assert (data["average"], data["coverage"]) == (
        {
            "labels": ["东莞市人力资源和社会保障局", "东莞市技师学院", "东莞市社会保险基金管理中心"],
            "series": [{"label": "平均自评得分", "data": [95.0, 88.0, 78.75]}],
        },
        {
            "labels": [
                "东莞市人力资源和社会保障局",
                "东莞市技师学院",
                "东莞市社会保险基金管理中心",
                "部门整体支出绩效自评",
            ],
            "series": [
                {"label": "已完成审核", "data": [1, 1, 0, 1]},
                {"label": "已评定等级、审核中", "data": [0, 1, 0, 0]},
                {"label": "抽中、未评定等级", "data": [0, 0, 0, 0]},
                {"label": "未抽中", "data": [0, 1, 2, 0]},
            ],
            "sampled": [1, 2, 0, 1],
            "approved": [1, 3, 2, 1],
        },
    )


# --- the page ---------------------------------------------------------------------------------------------------


def _chart_json(response) -> dict:
    match = re.search(r'<script id="dash-chart-data" type="application/json">(.*?)</script>', response.text, re.S)
    return json.loads(match.group(1))


def _table_rows(html: str, section: str) -> list[list[str]]:
    """The text of every row of the table in ``section`` (header, body and footer), tags and spaces removed."""
    body = re.search(rf'<section[^>]*id="dash-{section}".*?</section>', html, re.S).group(0)
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    cells = [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S) for row in rows]
    return [[re.sub(r"<[^>]+>|\s+", "", cell) for cell in row] for row in cells]


def test_a_unit_filler_may_not_open_the_statistics(client, cast, evaluated_year):
    client.force_login(cast.unit_filler)

    response = client.get(reverse("dashboard:index"))

    assert (response.status_code, "dashboard" in (response.context or {})) == (403, False)


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, evaluated_year):
    response = client.get(reverse("dashboard:index"))

    assert (response.status_code, response["Location"].split("?")[0]) == (302, reverse("accounts:login"))


@pytest.mark.parametrize(
    ("member", "group_label", "total"),
    [
        ("department_reviewer", "单位", CoverageRow("合计", 7, 4, 4, 3)),
        ("finance_reviewer", "主管部门", CoverageRow("合计", 8, 5, 5, 4)),
        ("admin", "主管部门", CoverageRow("合计", 8, 5, 5, 4)),
    ],
)
def test_reviewers_and_the_admin_see_their_scope_by_their_grouping(
    client, cast, evaluated_year, member, group_label, total
):
    client.force_login(getattr(cast, member))

    response = client.get(reverse("dashboard:index"))

    dashboard = response.context["dashboard"]
    assert (response.status_code, dashboard.fiscal_year, dashboard.group_label, dashboard.coverage.total) == (
        200,
        evaluated_year,
        group_label,
        total,
    )


def test_the_page_shows_every_chart_as_a_table_and_carries_the_chart_data(client, cast, evaluated_year):
    client.force_login(cast.finance_reviewer)

    response = client.get(reverse("dashboard:index"))

    assert _table_rows(response.text, "grades") == [
        ["等级", "单位自评", "财政抽查审核（已完成）"],
        ["优", "3", "1"],
        ["良", "2含部门整体1", "2含部门整体1"],
        ["中", "2", "1"],
        ["差", "1", "0"],
        ["合计", "8", "4"],
    ]
    assert _table_rows(response.text, "execution")[-3:] == [
        ["≥100%", "2", "28.57%"],
        ["无预算数据", "1", "14.29%"],
        ["合计", "7", "100.00%"],
    ]
    assert _chart_json(response)["grades"] == {
        "labels": ["优", "良", "中", "差"],
        "series": [
            {"label": "单位自评等级", "data": [3, 2, 2, 1]},
            {"label": "财政抽查审核结果（已完成）", "data": [1, 2, 1, 0]},
        ],
    }


def test_the_page_loads_its_scripts_from_static_files_and_has_no_inline_script_or_style(client, cast, evaluated_year):
    client.force_login(cast.finance_reviewer)

    response = client.get(reverse("dashboard:index"))

    scripts = re.findall(r"<script([^>]*)>", response.text)
    assert scripts == [
        ' id="dash-chart-data" type="application/json"',
        ' src="/static/vendor/chartjs/chart.umd.js" defer',
        ' src="/static/js/dashboard.js" defer',
    ]
    assert (re.findall(r"<style|\sstyle=", response.text), 'data-dash-chart="grades" hidden' in response.text) == (
        [],
        True,
    )


def test_the_year_filter_shows_the_chosen_year(client, cast, org, evaluated_year):
    earlier = FiscalYearFactory(finance_bureau=org.bureau, year=2023)
    _evaluated(earlier, org.unit, "上年度项目", budget=[(D(100), D(92))], **_stated("88", "良"))
    client.force_login(cast.finance_reviewer)

    response = client.get(reverse("dashboard:index"), {"year": 2023})

    dashboard = response.context["dashboard"]
    assert (dashboard.fiscal_year, dashboard.ranking.by_average) == (
        earlier,
        [RankingRow("东莞市人力资源和社会保障局", 1, 1, D("88.00"), 1, 0, D("0.00"))],
    )


def test_a_year_the_bureau_does_not_have_is_not_found(client, cast, evaluated_year):
    client.force_login(cast.finance_reviewer)

    responses = [client.get(reverse("dashboard:index"), {"year": y}).status_code for y in ("1999", "abc")]

    assert responses == [404, 404]


def test_another_bureaus_year_number_opens_that_reviewers_own_year(client, cast, org, evaluated_year):
    own = FiscalYearFactory(finance_bureau=org.other_bureau, year=2024)
    _evaluated(own, org.other_bureau_department, "烈山项目", budget=[(D(10), D(10))], **_stated("100", "优"))
    client.force_login(cast.other_bureau_finance_reviewer)

    response = client.get(reverse("dashboard:index"), {"year": 2024})

    dashboard = response.context["dashboard"]
    assert (dashboard.fiscal_year, dashboard.coverage.rows) == (own, [CoverageRow("烈山区人社局", 1, 0, 0, 0)])


def test_a_bureau_without_years_gets_a_page_that_says_so(client, cast):
    client.force_login(cast.finance_reviewer)

    response = client.get(reverse("dashboard:index"))

    assert (response.status_code, response.context["dashboard"], "本级财政尚未设立年度" in response.text) == (
        200,
        None,
        True,
    )


def _scored_project(year, unit, name, grade):
    project = _evaluated(
        year, unit, name, budget=[(D(100), D(95)), (D(10), D(10))], review={"status": COMPLETED, "grade": grade}
    )
    IndicatorFactory(project=project, order=0, weight=D(50), claimed_score=D(45))
    IndicatorFactory(project=project, order=1, level1="满意度指标", level2="服务对象满意度指标", name="满意度")
    return project


def _page_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("dashboard:index"))
    return len(queries), response.context["dashboard"].findings.projects_checked


def test_the_page_takes_the_same_number_of_queries_for_one_and_three_projects(client, cast, org, year):
    client.force_login(cast.finance_reviewer)
    _scored_project(year, org.unit, "项目一", "优")
    client.get(reverse("dashboard:index"))
    one = _page_queries(client)
    _scored_project(year, org.other_unit, "项目二", "良")
    _scored_project(year, org.foreign_unit, "项目三", "中")

    three = _page_queries(client)

    assert [one, three] == [(one[0], 1), (one[0], 3)]


# --- finance results before publication (SPEC §12) --------------------------------------------------------------


def test_a_department_reviewer_gets_no_finance_grade_or_self_vs_finance_finding_before_publication(
    client, cast, evaluated_year
):
    client.force_login(cast.department_reviewer)

    response = client.get(reverse("dashboard:index"))

    dashboard = response.context["dashboard"]
    assert (
        [row.finance_count for row in dashboard.grades.rows],
        dashboard.grades.finance_in_progress,
        [row.code for row in dashboard.findings.rows if row.code == "self_vs_finance"],
        _table_rows(response.text, "grades")[1:],
        _chart_json(response)["grades"]["series"][1],
    ) == (
        [0, 0, 0, 0],
        0,
        [],
        [
            ["优", "3", "未公开"],
            ["良", "2含部门整体1", "未公开"],
            ["中", "1", "未公开"],
            ["差", "1", "未公开"],
            ["合计", "7", "—"],
        ],
        {"label": "财政抽查审核结果（未公开）", "data": [None, None, None, None]},
    )


# --- the demo data (last in the module: the demo stays loaded until the module ends) ---------------------------


@pytest.fixture(scope="module")
def demo_year(django_db_setup, django_db_blocker):
    """The demo loaded once for the module inside a transaction rolled back at its end."""
    with django_db_blocker.unblock(), transaction.atomic():
        load_demo()
        yield FiscalYear.objects.get(year=2024, finance_bureau__name="东莞市财政局").pk
        transaction.set_rollback(True)


@pytest.fixture
def demo(demo_year, db):
    return {
        "year": FiscalYear.objects.get(pk=demo_year),
        "finance": User.objects.get(username="finance"),
        "dept": User.objects.get(username="dept"),
    }


def test_the_demo_opens_on_2024_whose_seed_000_rows_have_17_finance_grades(demo):
    finance = demo["finance"]
    year = default_year(finance, dashboard_years(finance))

    grades = grade_distribution(user=finance, fiscal_year=year)

    # 17 finance grades counting the department-wide row (16 projects + 部门整体支出绩效自评), all 良.
    assert (year, grades.finance_total, grades.rows[1]) == (
        demo["year"],
        17,
        GradeRow("良", self_projects=18, self_department_wide=1, finance_projects=16, finance_department_wide=1),
    )


def test_the_demo_self_grades_of_seed_000s_35_project_rows(demo):
    grades = grade_distribution(user=demo["finance"], fiscal_year=demo["year"])

    assert [(row.grade, row.self_projects) for row in grades.rows] == [("优", 17), ("良", 18), ("中", 0), ("差", 0)]


def test_the_demo_execution_rates_coverage_and_findings(demo):
    dashboard = build_dashboard(user=demo["finance"], fiscal_year=demo["year"])

    # Seed 000 gives budget figures only in the opinions of the reviewed projects; the rest have none.
    assert (
        [(bucket.label, bucket.projects) for bucket in dashboard.execution.buckets if bucket.projects],
        dashboard.coverage.total,
        [(row.code, row.findings) for row in dashboard.findings.rows if row.findings],
    ) == (
        [("95%–100%", 13), ("≥100%", 3), ("无预算数据", 19)],
        CoverageRow("合计", counted=36, sampled=17, graded=17, completed=17),
        # Twelve reviewed projects' opinions give a 年初 amount other than the one finally granted, with no
        # recorded reason; eight self grades of 优 met a finance 良.
        [("adjustment_no_reason", 12), ("self_vs_finance", 8)],
    )


def test_the_demo_department_reviewer_compares_seven_units_by_share_of_excellent(demo):
    ranking = score_ranking(user=demo["dept"], fiscal_year=demo["year"])

    assert [(row.name, row.excellent, row.graded, row.excellent_share) for row in ranking.by_excellent_share] == [
        ("东莞市人力资源服务中心", 1, 1, D("100.00")),
        ("东莞市职教城管理中心", 1, 1, D("100.00")),
        ("东莞市高技能公共实训中心", 1, 1, D("100.00")),
        ("东莞市社会保险基金管理中心", 4, 7, D("57.14")),
        ("东莞市人力资源和社会保障局", 6, 13, D("46.15")),
        ("东莞市技师学院", 4, 11, D("36.36")),
        ("东莞市人事考试管理办公室", 0, 1, D("0.00")),
    ]
