"""The home page: what is waiting for each role, and the years open for filling with their deadlines."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from budgets.models import FiscalYear
from evaluations.models import ProjectEvaluation
from evaluations.tests.factories import FiscalYearFactory, ProjectEvaluationFactory, ProjectFactory, make_submittable
from evaluations.workflow.services import evaluation_approve, evaluation_return, evaluation_submit

Status = ProjectEvaluation.Status
HOME = reverse("accounts:home")
REASON = "请补充满意度调查的样本数。"


def _text(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def _waiting(response):
    """Each waiting list as (title, [project names], total)."""
    return [
        (title, [p.name for p in projects], total)
        for title, _, projects, total, _ in response.context["summary"].waiting
    ]


def _sections(response):
    """The waiting-list cards as rendered: heading, then each body row's cell texts."""
    content = response.content.decode()
    sections = []
    for card in re.findall(r'<section class="card waiting">(.*?)</section>', content, flags=re.DOTALL):
        heading = _text(re.search(r"<h2>(.*?)</h2>", card, re.DOTALL)[1])
        rows = [
            [_text(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)]
            for row in re.findall(r"<tr>(.*?)</tr>", card, re.DOTALL)
            if "<td" in row
        ]
        sections.append((heading, rows))
    return sections


def _project(year, unit, name):
    project = make_submittable(ProjectFactory(fiscal_year=year, unit=unit, name=name))
    ProjectEvaluationFactory(project=project)
    return project


@pytest.fixture
def records(cast, org, year):
    """技师学院: a draft, a returned, a submitted and an approved record; 社保中心: one submitted."""
    _project(year, org.unit, "草稿项目")
    returned = _project(year, org.unit, "被退回项目")
    evaluation_submit(evaluation=returned.evaluation, actor=cast.unit_filler)
    evaluation_return(evaluation=returned.evaluation, actor=cast.department_reviewer, reason=REASON)
    submitted = _project(year, org.unit, "已提交项目")
    evaluation_submit(evaluation=submitted.evaluation, actor=cast.unit_filler)
    approved = _project(year, org.unit, "已审核项目")
    evaluation_submit(evaluation=approved.evaluation, actor=cast.unit_filler)
    evaluation_approve(evaluation=approved.evaluation, actor=cast.department_reviewer)
    other = _project(year, org.other_unit, "社保中心已提交项目")
    evaluation_submit(evaluation=other.evaluation, actor=cast.other_unit_filler)


def test_a_unit_filler_sees_returned_records_with_their_reasons_and_drafts(client, cast, records):
    client.force_login(cast.unit_filler)

    response = client.get(HOME)

    assert (_waiting(response), _sections(response)) == (
        [("已退回，待修改", ["被退回项目"], 1), ("草稿，待提交", ["草稿项目"], 1)],
        [
            ("已退回，待修改 1 项", [["被退回项目", "东莞市技师学院", "2024", REASON]]),
            ("草稿，待提交 1 项", [["草稿项目", "东莞市技师学院", "2024", ""]]),
        ],
    )


def test_a_department_reviewer_sees_the_submitted_records_of_their_units(client, cast, records):
    client.force_login(cast.department_reviewer)

    response = client.get(HOME)

    assert _sections(response) == [
        (
            "待审核 2 项",
            [["已提交项目", "东莞市技师学院", "2024"], ["社保中心已提交项目", "东莞市社会保险基金管理中心", "2024"]],
        )
    ]


def test_the_reviewers_waiting_list_is_in_submission_order(client, cast, records):
    ProjectEvaluation.objects.filter(project__name="已提交项目").update(
        submitted_at=datetime.datetime(2025, 3, 20, tzinfo=datetime.UTC)
    )
    ProjectEvaluation.objects.filter(project__name="社保中心已提交项目").update(
        submitted_at=datetime.datetime(2025, 3, 2, tzinfo=datetime.UTC)
    )
    client.force_login(cast.department_reviewer)

    response = client.get(HOME)

    assert _waiting(response) == [("待审核", ["社保中心已提交项目", "已提交项目"], 2)]


def test_another_departments_reviewer_has_nothing_waiting(client, cast, records):
    client.force_login(cast.other_department_reviewer)

    response = client.get(HOME)

    assert (_waiting(response), _sections(response)) == ([("待审核", [], 0)], [("待审核 0 项", [])])


def test_a_finance_reviewer_sees_the_approved_records(client, cast, records):
    client.force_login(cast.finance_reviewer)

    response = client.get(HOME)

    assert _sections(response) == [("部门已审核，待财政抽查 1 项", [["已审核项目", "东莞市技师学院", "2024"]])]


def test_a_finance_reviewer_of_another_bureau_sees_none_of_them(client, cast, records):
    client.force_login(cast.other_bureau_finance_reviewer)

    response = client.get(HOME)

    assert (_waiting(response), response.context["summary"].project_count) == (
        [("部门已审核，待财政抽查", [], 0)],
        0,
    )


def test_an_admin_has_no_waiting_lists_but_the_project_counts(client, cast, records):
    client.force_login(cast.admin)

    response = client.get(HOME)

    summary = response.context["summary"]
    assert (_waiting(response), summary.project_count, summary.status_counts) == (
        [],
        5,
        {"草稿": 1, "已提交": 2, "已退回": 1, "部门已审核": 1},
    )


def test_the_unit_fillers_project_counts_are_by_status(client, cast, records):
    client.force_login(cast.unit_filler)

    response = client.get(HOME)

    content = response.content.decode()
    counts = re.search(r"<h2>可见项目</h2>(.*?)</section>", content, re.DOTALL)[1]
    assert _text(counts) == "共 4 个项目。 打开项目列表 状态 项目数 草稿 1 已提交 1 已退回 1 部门已审核 1"


def test_a_long_waiting_list_shows_ten_and_links_to_the_rest(client, cast, org, year):
    for number in range(12):
        _project(year, org.unit, f"草稿{number:02d}")
    client.force_login(cast.unit_filler)

    response = client.get(HOME)

    drafts = [(title, len(names), total) for title, names, total in _waiting(response)]
    assert (
        drafts,
        f'href="{reverse("budgets:project_list")}?status=draft">查看全部 12 项' in response.content.decode(),
    ) == (
        [("已退回，待修改", 0, 0), ("草稿，待提交", 10, 12)],
        True,
    )


def test_an_account_without_an_organisation_is_told_to_ask_the_admin(client, cast):
    client.force_login(cast.no_organisation)

    response = client.get(HOME)

    assert (_waiting(response), "您的账号尚未关联单位，请联系管理员。" in response.content.decode()) == ([], True)


# --- open years and deadlines -----------------------------------------------------------------------------


def _open_years(response):
    content = response.content.decode()
    card = re.search(r"<h2>进行中的年度</h2>(.*?)</section>", content, re.DOTALL)[1]
    return [_text(item) for item in re.findall(r"<li>(.*?)</li>", card, re.DOTALL)]


def test_the_open_years_show_their_deadlines_as_chinese_dates(client, cast, org, year):
    year.filling_deadline = datetime.date(2025, 3, 31)
    year.review_deadline = datetime.date(2025, 4, 15)
    year.save(update_fields=["filling_deadline", "review_deadline"])
    FiscalYearFactory(finance_bureau=org.bureau, year=2023, status=FiscalYear.Status.CLOSED)
    FiscalYearFactory(finance_bureau=org.other_bureau, year=2025)
    client.force_login(cast.unit_filler)

    response = client.get(HOME)

    assert _open_years(response) == [
        "2024年度 · 全国通用（财预〔2020〕10号） · 填报截止 2025年3月31日 · 审核截止 2025年4月15日"
    ]


def test_an_open_year_without_deadlines_shows_none(client, cast, year):
    client.force_login(cast.department_reviewer)

    response = client.get(HOME)

    assert _open_years(response) == ["2024年度 · 全国通用（财预〔2020〕10号）"]


def test_without_an_open_year_the_home_page_says_so(client, cast, org):
    FiscalYearFactory(finance_bureau=org.bureau, year=2023, status=FiscalYear.Status.CLOSED)
    client.force_login(cast.unit_filler)

    response = client.get(HOME)

    assert (response.context["summary"].open_years, "暂无填报中的年度。" in response.content.decode()) == ([], True)


@pytest.mark.parametrize(("name", "offered"), [("unit_filler", True), ("department_reviewer", False)])
def test_only_a_unit_filler_is_offered_to_start_or_copy_a_project(client, cast, year, name, offered):
    client.force_login(getattr(cast, name))

    response = client.get(HOME)

    content = response.content.decode()
    links = [
        f'href="{reverse("budgets:project_new")}"' in content,
        f'href="{reverse("budgets:project_copy")}"' in content,
    ]
    assert links == [offered, offered]


# --- cost ---------------------------------------------------------------------------------------------------


def _home_queries(client):
    with CaptureQueriesContext(connection) as queries:
        client.get(HOME)
    return len(queries)


@pytest.mark.parametrize("name", ["unit_filler", "department_reviewer", "finance_reviewer"])
def test_the_home_page_takes_the_same_number_of_queries_for_one_and_three_waiting_records(
    client, cast, org, year, name
):
    def add(number):
        project = _project(year, org.unit, f"项目{number}")
        if name != "unit_filler":
            evaluation_submit(evaluation=project.evaluation, actor=cast.unit_filler)
        if name == "finance_reviewer":
            evaluation_approve(evaluation=project.evaluation, actor=cast.department_reviewer)

    client.force_login(getattr(cast, name))
    add(1)
    client.get(HOME)
    one = _home_queries(client)
    add(2)
    add(3)

    three = _home_queries(client)

    assert three == one
