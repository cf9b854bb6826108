"""The department reviewer's queue and the approve / return actions, driven through the pages."""

import datetime
import re
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from budgets.models import Project
from evaluations.filling.services import project_create
from evaluations.models import EvaluationTransition, ProjectEvaluation
from evaluations.tests.factories import ProjectEvaluationFactory, ProjectFactory, make_submittable
from evaluations.workflow.services import evaluation_return, evaluation_submit

Status = ProjectEvaluation.Status
QUEUE = reverse("evaluations:review_queue")
REASON = "请补充满意度调查的样本数。"


def _messages(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def _text(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def _tables(response):
    """Every ``table.grid`` on the page as lists of body-cell texts."""
    tables = re.findall(r'<table class="grid">(.*?)</table>', response.content.decode(), flags=re.DOTALL)
    return [
        [
            [_text(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.DOTALL)]
            for row in re.findall(
                r"<tr[^>]*>(.*?)</tr>", re.search(r"<tbody[^>]*>(.*?)</tbody>", t, re.DOTALL)[1], re.DOTALL
            )
        ]
        for t in tables
    ]


def _submitted_project(year, unit, name, actor, at):
    """A filled project of ``unit`` submitted by ``actor``, its submission time set to ``at``."""
    project = make_submittable(ProjectFactory(fiscal_year=year, unit=unit, name=name))
    ProjectEvaluationFactory(project=project)
    evaluation_submit(evaluation=project.evaluation, actor=actor)
    ProjectEvaluation.objects.filter(project=project).update(submitted_at=at)
    return project


def _page_version(client, evaluation, action="evaluation_approve"):
    """The project version the detail page's approve (or return) form carries as its hidden field."""
    html = client.get(reverse("budgets:project_detail", args=[evaluation.project_id])).content.decode()
    form = re.search(
        rf'<form method="post" action="{reverse(f"evaluations:{action}", args=[evaluation.pk])}">(.*?)</form>',
        html,
        re.DOTALL,
    )
    return re.search(r'name="version" value="(\d+)"', form[1])[1]


def _at(day):
    return datetime.datetime(2025, 3, day, 9, 30, tzinfo=datetime.UTC)


def _audit(evaluation):
    return list(
        EvaluationTransition.objects.filter(evaluation=evaluation)
        .order_by("created_at", "pk")
        .values_list("from_status", "to_status", "actor__username", "comment")
    )


@pytest.fixture
def submitted(cast, evaluation):
    """日常办学经费 of 技师学院, filled and submitted by its filler."""
    make_submittable(evaluation.project)
    return evaluation_submit(evaluation=evaluation, actor=cast.unit_filler)


@pytest.fixture
def queue(cast, org, year):
    """Submissions of the department's units at different times, a draft, a returned one, another department's."""
    _submitted_project(year, org.unit, "技能竞赛经费", cast.unit_filler, _at(20))
    _submitted_project(year, org.other_unit, "社保经办经费", cast.other_unit_filler, _at(5))
    _submitted_project(year, org.unit, "日常办学经费", cast.unit_filler, _at(12))
    project_create(fiscal_year=year, unit=org.unit, name="尚未提交的草稿")
    returned = _submitted_project(year, org.other_unit, "信息系统运维", cast.other_unit_filler, _at(1))
    evaluation_return(evaluation=returned.evaluation, actor=cast.department_reviewer, reason=REASON)
    _submitted_project(year, org.foreign_unit, "实验中学校舍维修", cast.foreign_unit_filler, _at(2))


# --- the queue ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "unit_filler",
        "other_unit_filler",
        "finance_reviewer",
        "other_bureau_finance_reviewer",
        "admin",
        "no_organisation",
    ],
)
def test_only_department_reviewers_have_a_review_queue(client, cast, name):
    client.force_login(getattr(cast, name))

    response = client.get(QUEUE)

    assert response.status_code == 403


def test_an_anonymous_visitor_of_the_queue_is_sent_to_log_in(client):
    response = client.get(QUEUE)

    assert (response.status_code, response["Location"]) == (302, f"{reverse('accounts:login')}?next={QUEUE}")


def test_the_queue_lists_the_departments_submissions_oldest_first(client, cast, queue):
    client.force_login(cast.department_reviewer)

    response = client.get(QUEUE)

    table = response.context["table"]
    assert [(row.record.name, row.record.unit.name) for row in table.rows] == [
        ("社保经办经费", "东莞市社会保险基金管理中心"),
        ("日常办学经费", "东莞市技师学院"),
        ("技能竞赛经费", "东莞市技师学院"),
    ]


def test_the_queue_lists_the_returned_records_with_their_reasons(client, cast, queue):
    client.force_login(cast.department_reviewer)

    response = client.get(QUEUE)

    assert (
        [(p.name, p.evaluation.return_reason) for p in response.context["returned"]],
        _tables(response)[1],
    ) == (
        [("信息系统运维", REASON)],
        [["信息系统运维", "东莞市社会保险基金管理中心", REASON]],
    )


def test_another_departments_reviewer_sees_only_their_own_submissions(client, cast, queue):
    client.force_login(cast.other_department_reviewer)

    response = client.get(QUEUE)

    assert (
        [row.record.name for row in response.context["table"].rows],
        list(response.context["returned"]),
    ) == (["实验中学校舍维修"], [])


def test_an_empty_queue_says_so(client, cast, year):
    client.force_login(cast.department_reviewer)

    response = client.get(QUEUE)

    assert (_tables(response)[0], "没有退回中的项目。" in response.content.decode()) == (
        [["没有符合条件的项目。"]],
        True,
    )


def test_the_queue_takes_the_same_number_of_queries_for_one_and_three_submissions(client, cast, org, year):
    client.force_login(cast.department_reviewer)
    _submitted_project(year, org.unit, "项目一", cast.unit_filler, _at(1))
    client.get(QUEUE)
    counts = []
    with CaptureQueriesContext(connection) as one:
        client.get(QUEUE)
    counts.append(len(one))
    _submitted_project(year, org.unit, "项目二", cast.unit_filler, _at(2))
    _submitted_project(year, org.other_unit, "项目三", cast.other_unit_filler, _at(3))

    with CaptureQueriesContext(connection) as three:
        response = client.get(QUEUE)

    counts.append(len(three))
    assert (counts, len(response.context["table"].rows)) == ([counts[0], counts[0]], 3)


# --- approve ------------------------------------------------------------------------------------------------


def test_approving_moves_the_record_to_approved_and_writes_the_audit_record(client, cast, submitted):
    client.force_login(cast.department_reviewer)

    response = client.post(
        reverse("evaluations:evaluation_approve", args=[submitted.pk]),
        {"comment": "同意。", "version": _page_version(client, submitted)},
    )

    submitted.refresh_from_db()
    assert (
        response["Location"],
        _messages(response),
        submitted.status,
        submitted.approved_at is not None,
        _audit(submitted),
    ) == (
        QUEUE,
        ["已审核通过“日常办学经费”。"],
        Status.APPROVED,
        True,
        [(Status.DRAFT, Status.SUBMITTED, "filler", ""), (Status.SUBMITTED, Status.APPROVED, "reviewer", "同意。")],
    )


def test_approving_twice_is_refused_with_a_message_and_writes_nothing(client, cast, submitted):
    client.force_login(cast.department_reviewer)
    url = reverse("evaluations:evaluation_approve", args=[submitted.pk])
    version = _page_version(client, submitted)
    client.get(client.post(url, {"version": version})["Location"])

    response = client.post(url, {"version": version})

    assert (response["Location"], _messages(response), len(_audit(submitted))) == (
        reverse("budgets:project_detail", args=[submitted.project_id]),
        ["当前状态为“部门已审核”，不能执行此操作（仅限“已提交”状态）。"],
        2,
    )


def test_a_draft_cannot_be_approved(client, cast, evaluation):
    client.force_login(cast.department_reviewer)

    response = client.post(
        reverse("evaluations:evaluation_approve", args=[evaluation.pk]), {"version": evaluation.project.version}
    )

    evaluation.refresh_from_db()
    assert (_messages(response), evaluation.status, _audit(evaluation)) == (
        ["当前状态为“草稿”，不能执行此操作（仅限“已提交”状态）。"],
        Status.DRAFT,
        [],
    )


# --- return ------------------------------------------------------------------------------------------------


def test_returning_with_a_reason_sends_the_record_back_to_the_unit(client, cast, submitted):
    client.force_login(cast.department_reviewer)

    response = client.post(
        reverse("evaluations:evaluation_return", args=[submitted.pk]),
        {"reason": REASON, "version": _page_version(client, submitted, "evaluation_return")},
    )

    submitted.refresh_from_db()
    assert (
        response["Location"],
        _messages(response),
        submitted.status,
        submitted.return_reason,
        _audit(submitted),
    ) == (
        QUEUE,
        ["已将“日常办学经费”退回单位修改。"],
        Status.RETURNED,
        REASON,
        [(Status.DRAFT, Status.SUBMITTED, "filler", ""), (Status.SUBMITTED, Status.RETURNED, "reviewer", REASON)],
    )


@pytest.mark.parametrize("reason", ["", "   \n  "])
def test_returning_without_a_reason_is_refused_and_changes_nothing(client, cast, submitted, reason):
    client.force_login(cast.department_reviewer)

    response = client.post(
        reverse("evaluations:evaluation_return", args=[submitted.pk]),
        {"reason": reason, "version": submitted.project.version},
    )

    submitted.refresh_from_db()
    assert (response["Location"], _messages(response), submitted.status, len(_audit(submitted))) == (
        reverse("budgets:project_detail", args=[submitted.project_id]),
        ["退回时必须填写退回原因。"],
        Status.SUBMITTED,
        1,
    )


@pytest.mark.parametrize(("action", "field"), [("evaluation_approve", "comment"), ("evaluation_return", "reason")])
def test_a_nul_character_in_a_comment_or_reason_is_refused_and_changes_nothing(client, cast, submitted, action, field):
    """Issue 15 (the request fuzz): PostgreSQL refuses NUL in text, so a crafted comment or reason was a 500."""
    client.force_login(cast.department_reviewer)

    response = client.post(
        reverse(f"evaluations:{action}", args=[submitted.pk]),
        {field: "请补充\x00样本数", "version": submitted.project.version},
    )

    submitted.refresh_from_db()
    assert (response["Location"], _messages(response), submitted.status, len(_audit(submitted))) == (
        reverse("budgets:project_detail", args=[submitted.project_id]),
        ["填写的内容含有无法保存的控制字符，请删除后重新提交。"],
        Status.SUBMITTED,
        1,
    )


@pytest.mark.parametrize("action", ["evaluation_approve", "evaluation_return"])
def test_approve_and_return_do_not_answer_a_get(client, cast, submitted, action):
    client.force_login(cast.department_reviewer)

    response = client.get(reverse(f"evaluations:{action}", args=[submitted.pk]))

    submitted.refresh_from_db()
    assert (response.status_code, submitted.status) == (405, Status.SUBMITTED)


@pytest.mark.parametrize(("action", "data"), [("evaluation_approve", {}), ("evaluation_return", {"reason": REASON})])
@pytest.mark.parametrize("version", ["missing", "old"])
def test_a_stale_approve_or_return_is_refused_and_writes_nothing(client, cast, submitted, action, data, version):
    client.force_login(cast.department_reviewer)
    seen = _page_version(client, submitted, action)
    # The unit's record changes after the reviewer opened the page.
    Project.objects.filter(pk=submitted.project_id).update(version=F("version") + 1)
    posted = {} if version == "missing" else {"version": seen}

    response = client.post(reverse(f"evaluations:{action}", args=[submitted.pk]), {**data, **posted})

    submitted.refresh_from_db()
    assert (
        response["Location"],
        _messages(response),
        submitted.status,
        submitted.return_reason,
        len(_audit(submitted)),
    ) == (
        reverse("budgets:project_detail", args=[submitted.project_id]),
        ["未执行：在您打开页面之后，该项目的自评内容已被修改。请刷新页面，查看最新内容后再操作。"],
        Status.SUBMITTED,
        "",
        1,
    )


@pytest.mark.parametrize("name", ["other_department_reviewer", "unit_filler", "finance_reviewer", "admin"])
@pytest.mark.parametrize(("action", "data"), [("evaluation_approve", {}), ("evaluation_return", {"reason": REASON})])
def test_no_one_but_the_departments_reviewer_may_approve_or_return(client, cast, submitted, name, action, data):
    client.force_login(getattr(cast, name))

    response = client.post(reverse(f"evaluations:{action}", args=[submitted.pk]), data)

    submitted.refresh_from_db()
    assert (response.status_code, submitted.status, submitted.return_reason, len(_audit(submitted))) == (
        403,
        Status.SUBMITTED,
        "",
        1,
    )


@pytest.mark.parametrize("action", ["evaluation_approve", "evaluation_return"])
def test_an_unknown_evaluation_is_not_found(client, cast, submitted, action):
    client.force_login(cast.department_reviewer)

    response = client.post(reverse(f"evaluations:{action}", args=[submitted.pk + 100]), {"reason": REASON})

    assert response.status_code == 404


# --- what the unit sees after a return ---------------------------------------------------------------------


def test_after_a_return_the_units_home_page_lists_the_record_with_the_reason(client, cast, submitted):
    client.force_login(cast.department_reviewer)
    client.post(
        reverse("evaluations:evaluation_return", args=[submitted.pk]),
        {"reason": REASON, "version": submitted.project.version},
    )
    client.force_login(cast.unit_filler)

    response = client.get(reverse("accounts:home"))

    waiting = {
        title: [(p.name, p.evaluation.return_reason) for p in projects]
        for title, _, projects, *_ in response.context["summary"].waiting
    }
    assert (waiting["已退回，待修改"], REASON in response.content.decode()) == ([("日常办学经费", REASON)], True)


def test_after_a_return_the_edit_form_shows_the_reason(client, cast, submitted):
    client.force_login(cast.department_reviewer)
    client.post(
        reverse("evaluations:evaluation_return", args=[submitted.pk]),
        {"reason": REASON, "version": submitted.project.version},
    )
    client.force_login(cast.unit_filler)

    response = client.get(reverse("budgets:project_edit", args=[submitted.project_id]))

    callout = re.search(r'<div class="callout warning">(.*?)</div>', response.content.decode(), re.DOTALL)
    assert (response.status_code, _text(callout[1])) == (200, f"主管部门已退回： {REASON}")


def test_after_a_return_the_detail_page_shows_the_reason(client, cast, submitted):
    client.force_login(cast.department_reviewer)
    client.post(
        reverse("evaluations:evaluation_return", args=[submitted.pk]),
        {"reason": REASON, "version": submitted.project.version},
    )
    client.force_login(cast.unit_filler)

    response = client.get(reverse("budgets:project_detail", args=[submitted.project_id]))

    callout = re.search(r'<div class="callout warning">(.*?)</div>', response.content.decode(), re.DOTALL)
    assert _text(callout[1]) == f"退回原因： {REASON}"


def test_the_queue_shows_the_quality_hints_of_each_submission(client, cast, submitted):
    # Completed at 160% of its target: a hint for the reviewer (set low), not an error that blocks submission.
    indicator = submitted.project.indicators.get(name="培训人数")
    indicator.actual_value = indicator.target_value * Decimal("1.6")
    indicator.actual_text = str(indicator.actual_value)
    indicator.deviation_reason = "超额完成"
    indicator.save()
    client.force_login(cast.department_reviewer)

    response = client.get(QUEUE)

    table = response.context["table"]
    assert [finding.code for finding in table.findings_by_project[submitted.project.pk]] == ["over_achievement"]
    assert "目标设置过低" in response.content.decode()
