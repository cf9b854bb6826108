"""Narrative drafts (SPEC §9): seed 002's 项目支出绩效自评报告 and seed 001's 预算绩效情况说明, from the record."""

import json
import re
from decimal import Decimal
from io import BytesIO

import pytest
from pypdf import PdfReader

from accounts.models import Organisation
from budgets.models import FiscalYear, Project
from evaluations.demo import DEMO_DATA_DIR, load_demo
from evaluations.models import DepartmentEvaluation, ProjectEvaluation
from evaluations.reports.narrative import (
    PROJECT_HEADINGS,
    STATEMENT_HEADINGS,
    department_statement_pdf,
    department_statement_text,
    draft_department_statement,
    draft_project_report,
    project_report_pdf,
    project_report_text,
)
from evaluations.reports.project_table import amount_text, points_text, rate_text
from evaluations.scorecard import build_scorecard
from evaluations.tests.factories import BudgetLineFactory, IndicatorFactory, ProjectEvaluationFactory, ProjectFactory

pytestmark = pytest.mark.django_db

SEED_002 = json.loads((DEMO_DATA_DIR / "seed_002.json").read_text(encoding="utf-8"))
SEED_001 = json.loads((DEMO_DATA_DIR / "seed_001.json").read_text(encoding="utf-8"))
PLACEHOLDER = re.compile(r"【请补充：[^】]+】")


@pytest.fixture
def demo():
    return load_demo()


def _project(name: str, year: int) -> Project:
    return Project.objects.get(name=name, fiscal_year__year=year, fiscal_year__status=FiscalYear.Status.PUBLISHED)


def _text(report) -> str:
    return "\n".join(
        [section.heading for section in report.sections]
        + [p.text for section in report.sections for p in section.paragraphs]
    )


def _wan(value: str) -> str:
    return f"{amount_text(Decimal(value))}万元"


def _outside_placeholders(text: str) -> str:
    return PLACEHOLDER.sub("", text)


@pytest.mark.parametrize("row", SEED_002["projects"], ids=[row["name"] for row in SEED_002["projects"]])
def test_project_draft_states_the_seed_figures(demo, row):
    project = _project(row["name"], SEED_002["fiscal_year"])
    report = draft_project_report(project)
    text = _text(report)
    total = row["total_row"]
    # 年初 24.24 → 全年 8.56, 执行 8.56 万元 (project 1); as the seed, in 万元 with two decimals.
    assert f"年初预算安排{_wan(total['initial'])}" in text
    assert f"全年预算数为{_wan(total['adjusted'])}" in text
    assert f"全年执行数为{_wan(total['executed'])}" in text
    assert f"共涉及资金{_wan(total['adjusted'])}" in text
    # The rate and the budget score are the scorecard's (the seed states 100%; weight 10 of the national profile).
    card = build_scorecard(project)
    assert rate_text(card.budget.rate) == "100.00%"
    assert f"预算执行率为{rate_text(card.budget.rate)}" in text
    assert f"预算执行得分{points_text(card.budget.score)}分" in text
    assert report.figures["initial"] == amount_text(Decimal(total["initial"]))
    # The budget was cut during the year; the record's reason is quoted.
    assert "预算调减后全年预算数" in text
    assert row["execution_reason"] in text
    # Each indicator, in order, with its name and its values as written.
    positions = []
    for ind in row["indicators"]:
        sentence = next(p.text for s in report.sections for p in s.paragraphs if f"（{ind['name']}）" in p.text)
        if ind["actual"]:
            assert f"实际完成值为{ind['actual']}" in sentence
        else:
            assert "【请补充：实际完成值】" in sentence
        if ind["target"]:
            assert f"年度指标值为{ind['target']}" in sentence
        else:
            assert "【请补充：年度指标值】" in sentence
        # Seed 002 publishes no weights or scores: the draft asks for them rather than making them up.
        assert "【请补充：分值】" in sentence
        assert "【请补充：得分】" in sentence
        if ind["deviation_reason"]:
            assert ind["deviation_reason"] in sentence
        positions.append(text.index(f"（{ind['name']}）"))
    assert positions == sorted(positions)
    # No total without weighted indicators: the result section asks for it.
    assert "自评得分为【请补充：自评总分】" in text
    assert row["improvements"] in text
    # Every figure outside a placeholder is one of the record's (or the year): nothing invented.
    allowed = {total["initial"], total["adjusted"], total["executed"]}
    allowed |= {amount_text(Decimal(v)) for v in allowed} | {"100.00", "10", "2023", "2024", "90.00"}
    for ind in row["indicators"]:
        allowed |= set(re.findall(r"\d+(?:\.\d+)?", (ind["target"] or "") + (ind["actual"] or "")))
        allowed |= set(re.findall(r"\d+(?:\.\d+)?", ind["deviation_reason"] or ""))
    allowed |= set(re.findall(r"\d+(?:\.\d+)?", (row["execution_reason"] or "") + (row["improvements"] or "")))
    numbers = set(re.findall(r"\d+(?:\.\d+)?", _outside_placeholders(text)))
    numbers -= {str(n) for n in range(1, 5)}  # 1.项目资金到位… numbering
    assert numbers <= allowed, numbers - allowed


@pytest.mark.parametrize("row", SEED_002["projects"][:1], ids=[SEED_002["projects"][0]["name"]])
def test_project_draft_sections_in_order(demo, row):
    project = _project(row["name"], SEED_002["fiscal_year"])
    report = draft_project_report(project)
    assert [section.heading for section in report.sections] == list(PROJECT_HEADINGS)
    text = project_report_text(project)
    positions = [text.index(heading) for heading in PROJECT_HEADINGS]
    assert positions == sorted(positions)
    for sub in ("（一）资金投入情况分析", "1.项目资金到位情况分析", "2.项目资金执行情况分析", "3.项目资金管理情况分析"):
        assert sub in text
    for sub in ("（二）绩效目标完成情况分析", "1.产出指标完成情况分析", "2.效益指标完成情况分析", "3.满意度指标"):
        assert sub in text
    assert text.index("1.产出指标") < text.index("2.效益指标") < text.index("3.满意度指标")
    assert "【请补充：绩效自评工作的组织方式" in text


def test_scored_project_names_its_total_and_grade(demo):
    """Seed 001's 城乡居民基本养老保险 states 97.5 points: the draft prints them and the grade they reach."""
    project = _project("城乡居民基本养老保险", SEED_001["fiscal_year"])
    report = draft_project_report(project)
    text = _text(report)
    assert "绩效自评得分为97.5分，自评等级为“优”" in text
    assert "年初预算安排1,010.00万元，全年预算数为1,010.00万元，全年执行数为1,010.00万元" in text
    assert "（增加数量）：年度指标值为100%，实际完成值为100%；分值15分，得分15分。" in text
    # The 生态效益 spacer rows (no name, no weight) are left out.
    assert "生态效益指标（" not in text
    assert "【请补充：分值】" not in text


def test_empty_project_gets_placeholders_and_no_figures(org, year):
    project = ProjectFactory(fiscal_year=year, unit=org.unit, name="空白项目")
    report = draft_project_report(project)
    text = _text(report)
    assert len(report.placeholders) >= 15
    for wanted in (
        "【请补充：项目全年预算数】",
        "【请补充：年初预算数】",
        "【请补充：全年执行数】",
        "【请补充：预算执行率】",
        "【请补充：预算执行得分】",
        "【请补充：项目年度总体绩效目标】",
        "【请补充：各项绩效指标（产出、效益、满意度）的完成情况】",
        "【请补充：偏离绩效目标的原因（如无偏离，请写明“无”）】",
        "【请补充：下一步改进措施】",
        "【请补充：自评总分】",
        "【请补充：自评等级】",
    ):
        assert wanted in text
    # Outside the placeholders the only figures are the year, the next year, the profile's weight and numbering.
    numbers = set(re.findall(r"\d+(?:\.\d+)?", _outside_placeholders(text)))
    assert numbers <= {"2024", "2025", "10", "1", "2", "3"}, numbers
    assert "万元" not in _outside_placeholders(text)


def test_partial_project_asks_only_for_what_is_missing(org, year):
    project = ProjectFactory(fiscal_year=year, unit=org.unit, name="培训项目", improvements="加强过程管理")
    BudgetLineFactory(project=project, initial_wan=Decimal(100), adjusted_wan=Decimal(80), executed_wan=Decimal(60))
    IndicatorFactory(
        project=project,
        name="培训人数",
        target_text="100",
        target_value=Decimal(100),
        actual_text="80",
        actual_value=Decimal(80),
        weight=Decimal(50),
        claimed_score=None,
    )
    text = _text(draft_project_report(project))
    card = build_scorecard(project)
    assert card.lines[0].score == Decimal(40)
    assert "预算调减后全年预算数为80.00万元" in text
    assert rate_text(card.budget.rate) == "75.00%"
    assert "全年执行数为60.00万元，预算执行率为75.00%" in text
    assert "【请补充：预算调减的理由】" in text
    assert "【请补充：预算执行率未达到90.00%的原因】" in text
    # Score computed by the scorecard (80 of 100 → 40 of 50), the shortfall needs a reason.
    assert (
        f"（培训人数）：年度指标值为≥100人，实际完成值为80人；分值50分，得分{points_text(card.lines[0].score)}分。"
        in text
    )
    assert "【请补充：偏差原因分析及改进措施】" in text
    assert "加强过程管理。" in text
    assert f"绩效自评得分为{points_text(card.total)}分，自评等级为“{card.grade}”" in text


def test_department_statement_of_seed_001(demo):
    department = Organisation.objects.get(name=SEED_001["departments"][0]["name"])
    fiscal_year = FiscalYear.objects.get(year=SEED_001["fiscal_year"], finance_bureau__name=SEED_001["finance_bureau"])
    statement = draft_department_statement(fiscal_year, department)
    assert statement.title == "关于2024年度预算绩效情况说明"
    assert [section.heading for section in statement.sections] == list(STATEMENT_HEADINGS)
    text = department_statement_text(fiscal_year, department)
    # 2 projects, 579.83 + 1010 = 1589.83 万元 as the seed states (summed by the scorecard's budget_totals).
    assert "共2个项目，全年预算数合计1,589.83万元，执行数合计1,589.83万元，预算执行率为100.00%" in text
    for row in SEED_001["projects"]:
        paragraph = next(line for line in text.splitlines() if line.startswith(f"{row['name']}项目绩效自评综述"))
        assert f"{row['name']}项目绩效自评得分为{points_text(Decimal(row['published_total']))}分" in paragraph
        assert f"全年预算数为{_wan(row['total_row']['adjusted'])}" in paragraph
        assert "【请补充：发现的主要问题（如无，请写明“无”）】" in paragraph
    assert "老字号项目绩效自评得分为100分" in text
    assert "城乡居民基本养老保险项目绩效自评得分为97.5分" in text
    # No department-wide evaluation in seed 001: the writer is asked for it.
    assert "【请补充：2024年度部门整体支出绩效自评情况" in text


def test_department_statement_with_department_evaluation(org, year):
    DepartmentEvaluation.objects.create(
        fiscal_year=year,
        department=org.department,
        claimed_total=Decimal("92.5"),
        conclusion="整体支出效果明显",
        status=DepartmentEvaluation.Status.SUBMITTED,
    )
    project = ProjectFactory(fiscal_year=year, unit=org.unit, name="日常办学经费", problems="资金拨付偏慢")
    ProjectEvaluationFactory(project=project, status=ProjectEvaluation.Status.APPROVED)
    BudgetLineFactory(project=project)
    text = department_statement_text(year, org.department)
    assert "部门整体支出开展了绩效自评，自评得分为92.5分，整体评价结果为“优”。评价结论：整体支出效果明显。" in text
    assert "发现的主要问题：资金拨付偏慢。" in text
    assert "共1个项目" in text


def test_department_statement_leaves_out_what_never_reached_submission(org, year):
    DepartmentEvaluation.objects.create(
        fiscal_year=year,
        department=org.department,
        claimed_total=Decimal("92.5"),
        status=DepartmentEvaluation.Status.UNSUBMITTED,
    )
    for name, status in (
        ("已提交项目", "submitted"),
        ("未完成项目", "incomplete"),
        ("草稿项目", "draft"),
        ("未提交项目", "unsubmitted"),
    ):
        project = ProjectFactory(fiscal_year=year, unit=org.unit, name=name)
        ProjectEvaluationFactory(project=project, status=status)

    text = department_statement_text(year, org.department)

    assert (
        "共2个项目" in text,
        [name for name in ("已提交项目", "未完成项目", "草稿项目", "未提交项目") if f"{name}项目绩效自评综述" in text],
        "自评得分为92.5分" in text,
        "【请补充：2024年度部门整体支出绩效自评情况" in text,
    ) == (True, ["已提交项目", "未完成项目"], False, True)


def _pdf_text(data: bytes) -> str:
    reader = PdfReader(BytesIO(data))
    return "".join(page.extract_text() for page in reader.pages)


def test_pdfs_have_text_and_cjk_titles(demo):
    project = _project(SEED_002["projects"][0]["name"], SEED_002["fiscal_year"])
    data = project_report_pdf(project)
    assert data.startswith(b"%PDF")
    text = _pdf_text(data)
    assert "项目支出绩效自评报告" in text
    assert "数据系统维护费" in text
    assert "24.24" in text

    department = Organisation.objects.get(name=SEED_001["departments"][0]["name"])
    fiscal_year = FiscalYear.objects.get(year=SEED_001["fiscal_year"], finance_bureau__name=SEED_001["finance_bureau"])
    text = _pdf_text(department_statement_pdf(fiscal_year, department))
    assert "预算绩效情况说明" in text
    assert "老字号" in text
