"""The pages of the department-wide self-evaluation, through the test client: who reaches what, what each shows,
and that a refused form comes back with what the user typed."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Organisation
from budgets.models import DepartmentIndicator, RuleProfile
from evaluations.department_wide.services import (
    department_evaluation_recalculate,
    department_evaluation_save,
)
from evaluations.models import DepartmentEvaluation, DepartmentScoreItem
from evaluations.tests.factories import (
    CAST_NAMES,
    DepartmentEvaluationFactory,
    FinanceReviewFactory,
    FiscalYearFactory,
    OrganisationFactory,
)
from evaluations.tests.test_department import COMPLETE_CLAIMS, NARRATIVES, SICHUAN_VALUES, fill_completely

Status = DepartmentEvaluation.Status
PAGES = ("detail", "edit", "submit", "return", "approve")


@pytest.fixture
def sichuan_year(org):
    return FiscalYearFactory(finance_bureau=org.bureau, year=2025, profile=RuleProfile.objects.get(code="sichuan"))


@pytest.fixture
def draft(org, sichuan_year):
    evaluation = DepartmentEvaluationFactory(fiscal_year=sichuan_year, department=org.department)
    return department_evaluation_recalculate(evaluation=evaluation)


def url(name, evaluation):
    return reverse(
        f"department:{name}", kwargs={"year": evaluation.fiscal_year.year, "department_pk": evaluation.department_id}
    )


def _stored(evaluation):
    return DepartmentEvaluation.objects.filter(pk=evaluation.pk).values().get()


def _item(evaluation, name, field):
    indicator = DepartmentIndicator.objects.get(profile=evaluation.fiscal_year.profile, name=name)
    return f"item-{indicator.pk}-{field}"


def _form_data(response):
    """What the browser would post back from the edit page, unchanged."""
    form = response.context["form"]
    data = {}
    for bound_form in (form.main, *form.items):
        for field in bound_form:
            value = field.value()
            data[field.html_name] = "" if value is None else str(value)
    return data


def _input_value(content, name):
    match = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', content)
    value = re.search(r'value="([^"]*)"', match.group(0)) if match else None
    return value.group(1) if value else None


def _textarea(content, name):
    match = re.search(rf'<textarea[^>]*name="{re.escape(name)}"[^>]*>\n?(.*?)</textarea>', content, flags=re.DOTALL)
    return match.group(1) if match else None


def _messages(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


def _actions(content):
    """The department-wide actions a page offers: links to the form and the POST targets of its buttons."""
    hrefs = re.findall(r'href="(/department/[^"]*edit/)"', content)
    posts = re.findall(r'<form method="post" action="(/department/[^"]+)"', content)
    return sorted(set(hrefs)) + posts


# --- login and the object each page is about ------------------------------------------------------


@pytest.mark.parametrize("page", (*PAGES, "list", "start"))
def test_an_anonymous_visitor_is_sent_to_the_login_page(client, draft, page):
    if page == "list":
        target = reverse("department:list")
    elif page == "start":
        target = reverse("department:start", kwargs={"year": 2025})
    else:
        target = url(page, draft)

    responses = [client.get(target), client.post(target)]

    assert [(r.status_code, r["Location"].split("?")[0]) for r in responses] == [(302, "/login/")] * 2


DETAIL_ACCESS = {
    "unit_filler": 403,
    "other_unit_filler": 403,
    "foreign_unit_filler": 403,
    "department_reviewer": 200,
    "other_department_reviewer": 403,
    "finance_reviewer": 200,
    "other_bureau_finance_reviewer": 403,
    "admin": 200,
    "no_organisation": 403,
}


@pytest.mark.parametrize("name", CAST_NAMES)
def test_who_may_open_the_read_only_page(client, cast, draft, name):
    client.force_login(getattr(cast, name))

    response = client.get(url("detail", draft))

    assert response.status_code == DETAIL_ACCESS[name]


@pytest.mark.parametrize("name", CAST_NAMES)
def test_only_the_departments_own_reviewer_opens_the_form(client, cast, draft, name):
    client.force_login(getattr(cast, name))

    response = client.get(url("edit", draft))

    assert response.status_code == (200 if name == "department_reviewer" else 403)


def test_another_departments_reviewer_can_neither_open_nor_post_by_changing_the_id(client, cast, draft):
    client.force_login(cast.other_department_reviewer)
    before = _stored(draft)

    responses = [client.get(url("detail", draft)), client.get(url("edit", draft))] + [
        client.post(url(page, draft), {"version": "0", "goal": "篡改", "reason": "篡改"}) for page in PAGES[1:]
    ]

    assert ([r.status_code for r in responses], _stored(draft)) == ([403] * 6, before)


def test_a_department_without_an_evaluation_that_year_is_not_found(client, cast, draft, org):
    client.force_login(cast.department_reviewer)

    response = client.get(reverse("department:detail", kwargs={"year": 2019, "department_pk": org.department.pk}))

    assert response.status_code == 404


@pytest.mark.parametrize("page", (*PAGES[2:], "start"))
def test_state_changes_refuse_a_get(client, cast, draft, page):
    client.force_login(cast.finance_reviewer if page in ("return", "approve") else cast.department_reviewer)
    target = reverse("department:start", kwargs={"year": 2025}) if page == "start" else url(page, draft)

    response = client.get(target)

    assert response.status_code == 405


# --- the list -------------------------------------------------------------------------------------


def test_the_department_reviewer_lists_their_years_and_may_start_the_open_one_without_an_evaluation(
    client, cast, draft, year
):
    client.force_login(cast.department_reviewer)

    response = client.get(reverse("department:list"))

    rows = [(row.fiscal_year.year, row.evaluation and row.evaluation.pk) for row in response.context["year_rows"]]
    assert (rows, _actions(response.content.decode())) == (
        [(2025, draft.pk), (2024, None)],
        [url("edit", draft), reverse("department:start", kwargs={"year": 2024})],
    )


def test_the_finance_reviewer_lists_every_department_of_the_bureau_and_nothing_else(client, cast, org, draft, year):
    other = DepartmentEvaluationFactory(fiscal_year=year, department=org.other_department, computed_total=Decimal(88))
    foreign_year = FiscalYearFactory(finance_bureau=org.other_bureau, year=2025)
    DepartmentEvaluationFactory(fiscal_year=foreign_year, department=org.other_bureau_department)
    client.force_login(cast.finance_reviewer)

    response = client.get(reverse("department:list"))

    rows = [(e.fiscal_year.year, e.department.name, e.get_status_display()) for e in response.context["evaluations"]]
    assert (rows, other.computed_total) == (
        [(2025, "东莞市人力资源和社会保障局", "草稿"), (2024, "东莞市教育局", "草稿")],
        Decimal(88),
    )


def test_the_finance_reviewer_filters_by_year_and_sees_which_departments_have_not_started(client, cast, draft, year):
    client.force_login(cast.finance_reviewer)

    response = client.get(reverse("department:list"), {"year": "2025"})

    assert ([e.pk for e in response.context["evaluations"]], response.context["missing"]) == (
        [draft.pk],
        ["东莞市教育局"],
    )


@pytest.mark.parametrize("name", ["unit_filler", "no_organisation"])
def test_a_unit_filler_has_no_department_wide_list(client, cast, name):
    client.force_login(getattr(cast, name))

    assert client.get(reverse("department:list")).status_code == 403


def _list_queries(client, user):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("department:list"))
    assert response.status_code == 200
    return len(queries)


def test_the_finance_reviewers_list_costs_the_same_queries_for_one_row_and_for_three(client, cast, org, year):
    client.force_login(cast.finance_reviewer)
    DepartmentEvaluationFactory(fiscal_year=year, department=org.department)
    one = _list_queries(client, cast.finance_reviewer)
    for n in range(2):
        department = OrganisationFactory(name=f"东莞市部门{n}", kind=Organisation.Kind.DEPARTMENT, parent=org.bureau)
        DepartmentEvaluationFactory(fiscal_year=year, department=department)

    three = _list_queries(client, cast.finance_reviewer)

    assert three == one


def test_the_department_reviewers_list_costs_the_same_queries_for_one_year_and_for_three(client, cast, org, year):
    client.force_login(cast.department_reviewer)
    DepartmentEvaluationFactory(fiscal_year=year, department=org.department)
    one = _list_queries(client, cast.department_reviewer)
    for n in (2022, 2023):
        earlier = FiscalYearFactory(finance_bureau=org.bureau, year=n, status="closed")
        DepartmentEvaluationFactory(fiscal_year=earlier, department=org.department)

    three = _list_queries(client, cast.department_reviewer)

    assert three == one


# --- starting -------------------------------------------------------------------------------------


def test_starting_creates_the_draft_and_opens_its_form(client, cast, org, sichuan_year):
    client.force_login(cast.department_reviewer)

    response = client.post(reverse("department:start", kwargs={"year": 2025}))

    created = DepartmentEvaluation.objects.get(fiscal_year=sichuan_year, department=org.department)
    assert (response.status_code, response["Location"], created.score_items.count()) == (302, url("edit", created), 12)


@pytest.mark.parametrize("name", ["unit_filler", "finance_reviewer", "admin", "no_organisation"])
def test_only_a_department_reviewer_may_start(client, cast, sichuan_year, name):
    client.force_login(getattr(cast, name))

    response = client.post(reverse("department:start", kwargs={"year": 2025}))

    assert (response.status_code, DepartmentEvaluation.objects.count()) == (403, 0)


def test_starting_in_a_closed_year_is_refused_with_a_message(client, cast, sichuan_year):
    sichuan_year.status = "closed"
    sichuan_year.save(update_fields=["status"])
    client.force_login(cast.department_reviewer)

    response = client.post(reverse("department:start", kwargs={"year": 2025}), follow=True)

    assert (_messages(response), DepartmentEvaluation.objects.count()) == (
        ["只有主管部门审核人可以在填报中的年度开始填写部门整体自评。"],
        0,
    )


# --- the read-only page ---------------------------------------------------------------------------


def test_the_read_only_page_shows_every_item_with_its_computed_score_and_how_it_was_computed(client, cast, draft):
    department_evaluation_save(
        evaluation=draft, actor=cast.department_reviewer, version=0, values=SICHUAN_VALUES, claims={}
    )
    client.force_login(cast.finance_reviewer)

    response = client.get(url("detail", draft))

    content = response.content.decode()
    lines = [(line.indicator.name, line.computed) for line in response.context["sheet"].lines]
    assert (
        lines[2:8],
        "计分依据：预算调剂金额 12.50 万元 ÷ 年初预算数 978.11 万元 = 1.28%；超过 10% 不得分。" in content,
        "因此部门自评满分为 90 分" in content,
        [(f.label, f.value) for f in response.context["budget"]],
    ) == (
        [
            ("编制准确", Decimal("8.72")),
            ("支出控制", Decimal("10.00")),
            ("动态调整", Decimal("9.16")),
            ("执行进度", Decimal("9.85")),
            ("预算完成", Decimal("10.00")),
            ("违规记录", Decimal("9.50")),
        ],
        True,
        True,
        [
            ("年初预算数", "978.11"),
            ("全年预算数", "978.11"),
            ("全年执行数", "978.11"),
            ("其中：基本支出", "725.15"),
            ("其中：项目支出", "252.96"),
            ("执行率", "100.00%"),
            ("预算调整率", "0.00%"),
        ],
    )


def test_the_read_only_page_keeps_the_paragraphs_of_the_narratives(client, cast, draft):
    draft.performance_narrative = "一、就业工作成效明显。\n\n二、社保待遇按时足额发放。"
    draft.save(update_fields=["performance_narrative"])
    client.force_login(cast.department_reviewer)

    content = client.get(url("detail", draft)).content.decode()

    assert "<p>一、就业工作成效明显。</p>\n\n<p>二、社保待遇按时足额发放。</p>" in content


@pytest.mark.parametrize(
    ("status", "name", "expected"),
    [
        (Status.DRAFT, "department_reviewer", ["edit", "submit"]),
        (Status.DRAFT, "finance_reviewer", []),
        (Status.SUBMITTED, "department_reviewer", []),
        (Status.SUBMITTED, "finance_reviewer", ["approve", "return"]),
        (Status.RETURNED, "department_reviewer", ["edit", "submit"]),
        (Status.APPROVED, "finance_reviewer", []),
        (Status.SUBMITTED, "admin", []),
    ],
)
def test_the_read_only_page_offers_exactly_the_actions_the_endpoints_accept(
    client, cast, draft, status, name, expected
):
    DepartmentEvaluation.objects.filter(pk=draft.pk).update(
        status=status, return_reason="请补充。" if status == Status.RETURNED else ""
    )
    client.force_login(getattr(cast, name))

    content = client.get(url("detail", draft)).content.decode()

    assert _actions(content) == [url(page, draft) for page in expected]


def test_the_history_uses_the_department_workflows_labels(client, cast, draft):
    fill_completely(draft, cast.department_reviewer)
    client.force_login(cast.department_reviewer)
    client.post(url("submit", draft), {"version": "1"})
    client.force_login(cast.finance_reviewer)
    client.post(url("approve", draft), {"comment": "同意。", "version": _version(draft)})

    response = client.get(url("detail", draft))

    assert [(row.from_label, row.to_label, row.transition.comment) for row in response.context["history"]] == [
        ("草稿", "已提交", ""),
        ("已提交", "已审核", "同意。"),
    ]


# --- the form -------------------------------------------------------------------------------------


def test_the_form_shows_the_computed_score_of_each_item_and_offers_inputs_only_where_the_department_scores(
    client, cast, draft
):
    department_evaluation_save(
        evaluation=draft, actor=cast.department_reviewer, version=0, values=SICHUAN_VALUES, claims={}
    )
    client.force_login(cast.department_reviewer)

    response = client.get(url("edit", draft))

    rows = [(line.indicator.name, line.computed, sorted(form.fields)) for line, form in response.context["rows"]]
    inputs = ["claimed_score", "note"]
    assert rows == [
        ("目标制定", None, inputs),
        ("目标实现", None, inputs),
        ("编制准确", Decimal("8.72"), inputs),
        ("支出控制", Decimal("10.00"), inputs),
        ("动态调整", Decimal("9.16"), inputs),
        ("执行进度", Decimal("9.85"), inputs),
        ("预算完成", Decimal("10.00"), inputs),
        ("违规记录", Decimal("9.50"), inputs),
        ("自评公开", None, inputs),
        ("结果整改", None, inputs),
        ("应用反馈", None, inputs),
        ("自评准确", None, []),
    ]


def test_saving_a_draft_stores_the_form_and_comes_back_to_it(client, cast, draft):
    client.force_login(cast.department_reviewer)
    data = _form_data(client.get(url("edit", draft)))
    data |= {"goal": NARRATIVES["goal"], "progress_june": "38", "initial_wan": "978.11", "action": "save"}
    data[_item(draft, "目标制定", "claimed_score")] = "9.5"

    response = client.post(url("edit", draft), data, follow=True)

    stored = DepartmentEvaluation.objects.get(pk=draft.pk)
    item = DepartmentScoreItem.objects.get(evaluation=draft, indicator__name="目标制定")
    assert (
        response.redirect_chain,
        _messages(response),
        (stored.goal, stored.progress_june, stored.initial_wan, stored.version, item.claimed_score),
    ) == (
        [(url("edit", draft), 302)],
        ["已保存草稿（第 1 版），计算得分已按保存的数据更新。"],
        (NARRATIVES["goal"], Decimal("0.38"), Decimal("978.11"), 1, Decimal("9.5")),
    )


def test_a_refused_form_keeps_what_the_user_typed_and_saves_nothing(client, cast, draft):
    client.force_login(cast.department_reviewer)
    data = _form_data(client.get(url("edit", draft)))
    score = _item(draft, "目标制定", "claimed_score")
    data |= {"goal": "我填写的目标", "progress_june": "38.5", "action": "save", score: "12"}
    before = _stored(draft)

    response = client.post(url("edit", draft), data)

    content = response.content.decode()
    item_form = next(form for line, form in response.context["rows"] if line.indicator.name == "目标制定")
    assert (
        response.status_code,
        _messages(response),
        item_form.errors["claimed_score"],
        _input_value(content, score),
        _input_value(content, "progress_june"),
        _textarea(content, "goal"),
        _stored(draft),
    ) == (
        200,
        ["未保存：有 1 处填写有误，已在下方标出。"],
        ["得分不能高于分值 10 分。"],
        "12",
        "38.5",
        "我填写的目标",
        before,
    )


def test_submitting_an_incomplete_form_shows_each_problem_next_to_its_field_and_saves_nothing(client, cast, draft):
    client.force_login(cast.department_reviewer)
    data = _form_data(client.get(url("edit", draft))) | {"goal": "我填写的目标", "action": "submit"}
    before = _stored(draft)

    response = client.post(url("edit", draft), data)

    form = response.context["form"]
    errors = {name: form.main.errors.get(name) for name in ("goal", "performance_narrative", "initial_wan")}
    assert (
        response.status_code,
        _messages(response),
        errors,
        _textarea(response.content.decode(), "goal"),
        _stored(draft),
    ) == (
        200,
        ["未能提交：发现 16 处需要补充或修改的地方。内容也没有保存，请修改后再提交，或先“保存草稿”。"],
        {"goal": None, "performance_narrative": ["请填写履职效能分析。"], "initial_wan": ["请填写年初预算数。"]},
        "我填写的目标",
        before,
    )


def test_submitting_a_complete_form_saves_and_submits_it(client, cast, draft):
    client.force_login(cast.department_reviewer)
    data = _form_data(client.get(url("edit", draft))) | {"action": "submit"}
    data |= {name: str(value) for name, value in NARRATIVES.items()}
    data |= {"initial_wan": "978.11", "adjusted_wan": "978.11", "executed_wan": "978.11"}
    data |= {"basic_expenditure_wan": "725.15", "project_expenditure_wan": "252.96", "adjustment_amount_wan": "12.5"}
    data |= {"expenditure_deviation": "5", "monitoring_cancelled_wan": "0", "written_off_wan": "8.2"}
    data |= {"progress_june": "38", "progress_september": "70", "progress_november": "85", "progress_december": "100"}
    data |= {"violation_count": "1"}
    for name, (score, note) in COMPLETE_CLAIMS.items():
        data[_item(draft, name, "claimed_score")] = "" if score is None else str(score)
        data[_item(draft, name, "note")] = note

    response = client.post(url("edit", draft), data, follow=True)

    stored = DepartmentEvaluation.objects.get(pk=draft.pk)
    assert (response.redirect_chain, _messages(response), stored.status, stored.claimed_total) == (
        [(url("detail", draft), 302)],
        ["已提交，等待财政部门审核。"],
        Status.SUBMITTED,
        Decimal("84.23"),
    )


def test_a_save_from_a_page_read_before_a_colleagues_save_is_refused_and_keeps_the_users_input(client, cast, draft):
    client.force_login(cast.department_reviewer)
    data = _form_data(client.get(url("edit", draft))) | {"goal": "我的目标", "progress_june": "41", "action": "save"}
    # Meanwhile a colleague saves the same evaluation.
    department_evaluation_save(
        evaluation=draft, actor=cast.department_reviewer, version=0, values={"goal": "同事的目标"}, claims={}
    )

    response = client.post(url("edit", draft), data)

    content = response.content.decode()
    conflict = response.context["conflict"]
    assert (
        response.status_code,
        conflict["differences"],
        _textarea(content, "goal"),
        _input_value(content, "progress_june"),
        _input_value(content, "version"),
        DepartmentEvaluation.objects.get(pk=draft.pk).goal,
        conflict["message"].startswith("未保存：在您编辑期间，reviewer于"),
    ) == (409, ["年度总体目标", "6月执行进度"], "我的目标", "41", "1", "同事的目标", True)


def test_after_the_conflict_warning_saving_again_overwrites_knowingly(client, cast, draft):
    client.force_login(cast.department_reviewer)
    data = _form_data(client.get(url("edit", draft))) | {"goal": "我的目标", "action": "save"}
    department_evaluation_save(
        evaluation=draft, actor=cast.department_reviewer, version=0, values={"goal": "同事的目标"}, claims={}
    )
    warned = client.post(url("edit", draft), data)

    response = client.post(url("edit", draft), _form_data(warned) | {"action": "save"})

    stored = DepartmentEvaluation.objects.get(pk=draft.pk)
    assert (response.status_code, stored.goal, stored.version) == (302, "我的目标", 2)


def test_a_submitted_evaluation_sends_its_reviewer_back_to_the_read_only_page(client, cast, draft):
    DepartmentEvaluation.objects.filter(pk=draft.pk).update(status=Status.SUBMITTED)
    client.force_login(cast.department_reviewer)

    response = client.post(url("edit", draft), {"version": "0", "goal": "改", "action": "save"}, follow=True)

    assert (response.redirect_chain, _messages(response), DepartmentEvaluation.objects.get(pk=draft.pk).goal) == (
        [(url("detail", draft), 302)],
        ["该自评当前状态为“已提交”，不能修改。"],
        "",
    )


# --- submit, return, approve ----------------------------------------------------------------------


def test_submitting_an_incomplete_evaluation_from_the_read_only_page_shows_the_problems_on_the_form(
    client, cast, draft
):
    client.force_login(cast.department_reviewer)

    response = client.post(url("submit", draft), {"version": "0"}, follow=True)

    form = response.context["form"]
    assert (
        response.redirect_chain,
        _messages(response),
        form.main.errors["goal"],
        DepartmentEvaluation.objects.get(pk=draft.pk).status,
    ) == (
        [(f"{url('edit', draft)}?check=submit", 302)],
        ["未能提交：发现 17 处需要补充或修改的地方。请按标出的提示补充后再提交。"],
        ["请填写年度总体目标。"],
        Status.DRAFT,
    )


def test_submitting_a_complete_evaluation_from_the_read_only_page(client, cast, draft):
    fill_completely(draft, cast.department_reviewer)
    client.force_login(cast.department_reviewer)

    response = client.post(url("submit", draft), {"version": "1"}, follow=True)

    assert (_messages(response), DepartmentEvaluation.objects.get(pk=draft.pk).status) == (
        ["已提交，等待财政部门审核。"],
        Status.SUBMITTED,
    )


def test_submitting_from_a_page_older_than_the_last_save_is_refused(client, cast, draft):
    fill_completely(draft, cast.department_reviewer)
    client.force_login(cast.department_reviewer)

    response = client.post(url("submit", draft), {"version": "0"}, follow=True)

    assert (response.redirect_chain[-1][0], DepartmentEvaluation.objects.get(pk=draft.pk).status) == (
        url("detail", draft),
        Status.DRAFT,
    )


@pytest.fixture
def submitted(cast, draft):
    fill_completely(draft, cast.department_reviewer)
    DepartmentEvaluation.objects.filter(pk=draft.pk).update(status=Status.SUBMITTED)
    draft.refresh_from_db()
    return draft


def _version(evaluation) -> str:
    """The version the detail page carries in its approve and return forms (the record's current one)."""
    return str(DepartmentEvaluation.objects.get(pk=evaluation.pk).version)


def test_the_stale_approve_of_a_department_wide_evaluation_is_refused(client, cast, submitted):
    seen = _version(submitted)
    DepartmentEvaluation.objects.filter(pk=submitted.pk).update(version=int(seen) + 1)
    client.force_login(cast.finance_reviewer)

    response = client.post(url("approve", submitted), {"version": seen}, follow=True)

    assert (_messages(response), DepartmentEvaluation.objects.get(pk=submitted.pk).status) == (
        ["未执行：在您打开页面之后，该部门整体自评已被修改。请刷新页面，查看最新内容后再操作。"],
        Status.SUBMITTED,
    )


def test_the_finance_reviewer_returns_with_a_reason(client, cast, submitted):
    client.force_login(cast.finance_reviewer)

    response = client.post(
        url("return", submitted), {"reason": "请补充目标实现的依据。", "version": _version(submitted)}, follow=True
    )

    stored = DepartmentEvaluation.objects.get(pk=submitted.pk)
    assert (_messages(response), stored.status, stored.return_reason) == (
        ["已退回东莞市人力资源和社会保障局修改。"],
        Status.RETURNED,
        "请补充目标实现的依据。",
    )


def test_a_return_without_a_reason_is_refused(client, cast, submitted):
    client.force_login(cast.finance_reviewer)

    response = client.post(url("return", submitted), {"reason": "  ", "version": _version(submitted)}, follow=True)

    assert (_messages(response), DepartmentEvaluation.objects.get(pk=submitted.pk).status) == (
        ["退回时必须填写退回原因。"],
        Status.SUBMITTED,
    )


def test_the_finance_reviewer_approves(client, cast, submitted):
    client.force_login(cast.finance_reviewer)

    response = client.post(
        url("approve", submitted), {"comment": "同意。", "version": _version(submitted)}, follow=True
    )

    assert (_messages(response), DepartmentEvaluation.objects.get(pk=submitted.pk).status) == (
        ["已审核通过。"],
        Status.APPROVED,
    )


@pytest.mark.parametrize("name", ["department_reviewer", "other_bureau_finance_reviewer", "unit_filler", "admin"])
@pytest.mark.parametrize("page", ["return", "approve"])
def test_only_the_bureaus_finance_reviewer_may_return_or_approve(client, cast, submitted, name, page):
    client.force_login(getattr(cast, name))
    before = _stored(submitted)

    response = client.post(url(page, submitted), {"reason": "不通过"})

    assert (response.status_code, _stored(submitted)) == (403, before)


def test_approving_twice_is_refused_with_the_current_state(client, cast, submitted):
    client.force_login(cast.finance_reviewer)
    client.post(url("approve", submitted), {"version": _version(submitted)}, follow=True)

    response = client.post(url("approve", submitted), {"version": _version(submitted)}, follow=True)

    assert _messages(response) == ["当前状态为“已审核”，不能执行此操作（仅限“已提交”状态）。"]


@pytest.fixture
def reviewed(draft):
    """The draft with a completed finance review: 良, 核查总分 80.5, an opinion in two paragraphs."""
    FinanceReviewFactory(
        department_evaluation=draft,
        status="completed",
        grade="良",
        reviewer_total=Decimal("80.5"),
        opinion_html="<p>一、预算执行方面：执行率92.04%。</p><p>二、建议：科学设置绩效目标。</p>",
    )
    return draft


def _finance_parts(response):
    """What the page shows of the finance review: the review, its paragraphs, the 自评准确 workings."""
    content = response.content.decode()
    return (
        response.context["review"] and response.context["review"].grade,
        response.context["opinion"],
        "科学设置绩效目标" in content,
        "财政评价组抽查得分" in content,
    )


def test_the_read_only_page_shows_the_finance_review_with_its_paragraphs_to_the_finance_reviewer(
    client, cast, reviewed
):
    client.force_login(cast.finance_reviewer)

    response = client.get(url("detail", reviewed))

    assert (_finance_parts(response), response.context["reviewable_statuses"]) == (
        ("良", ["一、预算执行方面：执行率92.04%。", "二、建议：科学设置绩效目标。"], True, True),
        DepartmentEvaluation.REVIEWABLE,
    )


def test_the_department_sees_no_finance_review_nor_its_accuracy_score_before_the_year_is_published(
    client, cast, reviewed
):
    client.force_login(cast.department_reviewer)

    response = client.get(url("detail", reviewed))

    accuracy = re.search(r"<strong>自评准确</strong>.*?</tr>", response.content.decode(), re.S).group(0)
    assert (_finance_parts(response), "未公开" in accuracy) == ((None, [], False, False), True)


def test_once_the_year_is_published_the_department_reads_the_finance_review(client, cast, reviewed):
    year = reviewed.fiscal_year
    year.status = year.Status.PUBLISHED
    year.save(update_fields=["status"])
    client.force_login(cast.department_reviewer)

    response = client.get(url("detail", reviewed))

    assert _finance_parts(response) == (
        "良",
        ["一、预算执行方面：执行率92.04%。", "二、建议：科学设置绩效目标。"],
        True,
        True,
    )


@pytest.mark.parametrize("garbled", ["²", "abc", ""])
def test_a_crafted_version_on_submit_reads_as_no_version_not_a_server_error(client, cast, draft, garbled):
    """Issue 15: ``version=²`` on the submit gave a 500 (``"²".isdigit()`` is true, ``int("²")`` fails).

    Like a missing version, it submits what is saved (the submit posts no edits of its own).
    """
    fill_completely(draft, cast.department_reviewer)
    client.force_login(cast.department_reviewer)

    response = client.post(url("submit", draft), {"version": garbled})

    draft.refresh_from_db()
    assert (response.status_code, draft.status) == (302, DepartmentEvaluation.Status.SUBMITTED)
