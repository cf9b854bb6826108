"""The finance reviewer's pages (SPEC §8) through the test client: the board, the draw, one review, the year,
and what the unit sees of the result."""

import re
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from budgets.models import FiscalYear
from evaluations.finance_review.services import (
    draft_opinion,
    review_complete,
    review_save,
    sample_add,
    sample_draw,
    sample_remove,
)
from evaluations.models import DepartmentEvaluation, FinanceReview, ProjectEvaluation, SpotCheckSample
from evaluations.scorecard import build_scorecard
from evaluations.tests.factories import (
    CAST_NAMES,
    OPINION,
    DepartmentEvaluationFactory,
    ProjectEvaluationFactory,
    ProjectFactory,
    make_submittable,
)
from evaluations.workflow.lifecycle import fiscal_year_finalise, fiscal_year_publish
from evaluations.workflow.services import evaluation_recalculate

Status = ProjectEvaluation.Status
BOARD = reverse("finance:board")
NOT_FINANCE = [name for name in CAST_NAMES if name != "finance_reviewer"]


def _messages(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def _text(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def _section(response, css_class):
    """The text of the first ``<section class="card {css_class}">`` of the page."""
    match = re.search(rf'<section class="card {css_class}">(.*?)</section>', response.content.decode(), flags=re.DOTALL)
    return _text(match[1]) if match else None


def _row_of(response, name):
    """The cells (raw HTML) of the 核查分数 table row of the indicator called ``name``."""
    checks = re.search(r'<table class="grid checks">(.*?)</table>', response.content.decode(), re.DOTALL)[1]
    for row in re.findall(r"<tr>(.*?)</tr>", checks, re.DOTALL):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)
        if cells and _text(cells[1]) == name:
            return cells
    raise AssertionError(f"no row for {name}")


def _approved(year, unit, name):
    project = make_submittable(ProjectFactory(fiscal_year=year, unit=unit, name=name))
    return evaluation_recalculate(evaluation=ProjectEvaluationFactory(project=project, status=Status.APPROVED))


def _board_names(response):
    return sorted(row.record.project.name for row in response.context["table"].rows)


@pytest.fixture
def review_url(review):
    return reverse("finance:review", args=[review.pk])


@pytest.fixture
def finance(client, cast):
    client.force_login(cast.finance_reviewer)
    return client


def _ids(evaluation):
    return {ind.name: ind.pk for ind in evaluation.project.indicators.all()}


def _post_data(evaluation, *, grade="良", total="", opinion=OPINION, action="save", checks=None, version=None):
    """What the review page posts; ``version`` defaults to the review's current one (the page's hidden field)."""
    ids = _ids(evaluation)
    if version is None:
        version = FinanceReview.objects.filter(evaluation=evaluation).values_list("version", flat=True).first()
    data = {"grade": grade, "reviewer_total": total, "opinion_html": opinion, "action": action, "version": version}
    for name, pk in ids.items():
        score, remark = (checks or {}).get(name, ("", ""))
        data[f"ind-{pk}-checked_score"] = score
        data[f"ind-{pk}-remark"] = remark
    return data


# --- the board ------------------------------------------------------------------------------------------


@pytest.fixture
def board_year(cast, org, year):
    """Four approved projects: one reviewed (良), one under review, one taken out, one never drawn."""
    reviewed = _approved(year, org.unit, "技能培训补贴")
    open_ = _approved(year, org.other_unit, "社保经办经费")
    removed = _approved(year, org.department, "人才发展资金")
    _approved(year, org.foreign_unit, "实验中学校舍维修")
    sample_draw(fiscal_year=year, actor=cast.finance_reviewer, ratio=Decimal(0), rules=[], seed=1)
    for evaluation in (reviewed, open_, removed):
        sample_add(evaluation=evaluation, actor=cast.finance_reviewer, reason="重点关注")
    done = FinanceReview.objects.get(evaluation=reviewed)
    review_save(
        review=done,
        actor=cast.finance_reviewer,
        grade="良",
        opinion_html=OPINION,
        reviewer_total=None,
        checked_scores={},
    )
    review_complete(review=done, actor=cast.finance_reviewer)
    sample_remove(review=FinanceReview.objects.get(evaluation=removed), actor=cast.finance_reviewer, reason="项目撤销")
    return year


@pytest.mark.parametrize("name", [name for name in NOT_FINANCE if name != "other_bureau_finance_reviewer"])
def test_only_finance_reviewers_have_a_review_board(client, cast, year, name):
    client.force_login(getattr(cast, name))

    response = client.get(BOARD)

    assert response.status_code == 403


def test_an_anonymous_visitor_of_the_board_is_sent_to_log_in(client, year):
    response = client.get(BOARD)

    assert (response.status_code, response["Location"]) == (302, f"{reverse('accounts:login')}?next={BOARD}")


def test_the_board_counts_the_population_the_sample_and_its_progress(finance, board_year):
    response = finance.get(BOARD, {"year": 2024})

    assert (response.context["counts"], _section(response, "review-summary").split("。")[0]) == (
        {"population": 4, "sampled": 2, "completed": 1, "open": 1},
        "抽查样本 部门已审核的项目 4 个；样本 2 个， 已完成审核 1 个，未完成 1 个",
    )


@pytest.mark.parametrize(
    ("filters", "names"),
    [
        ({}, ["人才发展资金", "实验中学校舍维修", "技能培训补贴", "社保经办经费"]),
        ({"sample": "in"}, ["技能培训补贴", "社保经办经费"]),
        # 未抽中 includes records taken out of the sample by hand (人才发展资金 here).
        ({"sample": "out"}, ["人才发展资金", "实验中学校舍维修"]),
        ({"grade": "良"}, ["技能培训补贴"]),
        ({"grade": "差"}, []),
        ({"department": "other_department"}, ["实验中学校舍维修"]),
        ({"department": "department"}, ["人才发展资金", "技能培训补贴", "社保经办经费"]),
        ({"department": "department", "sample": "in", "grade": "良"}, ["技能培训补贴"]),
    ],
)
def test_the_board_filters_by_sample_finance_grade_and_department(finance, org, board_year, filters, names):
    params = {"year": 2024, **filters}
    if "department" in filters:
        params["department"] = getattr(org, filters["department"]).pk

    response = finance.get(BOARD, params)

    assert _board_names(response) == names


def test_the_board_shows_how_each_record_entered_or_left_the_sample(finance, board_year):
    response = finance.get(BOARD, {"year": 2024})

    table = re.search(r"<tbody[^>]*>(.*?)</tbody>", response.content.decode(), re.DOTALL)[1]
    rows = {
        _text(cells[2]): (_text(cells[5]), _text(cells[6]), _text(cells[8]))
        for cells in (
            re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.DOTALL)
        )
    }
    assert rows == {
        "技能培训补贴": ("人工添加 重点关注", "良", "查看（已完成）"),
        "社保经办经费": ("人工添加 重点关注", "—", "审核（审核中）"),
        "人才发展资金": ("已移出：项目撤销", "—", "查看自评表"),
        "实验中学校舍维修": ("—", "—", "查看自评表"),
    }


def test_the_board_takes_the_same_number_of_queries_for_one_and_three_records(finance, cast, org, year):
    first = _approved(year, org.unit, "项目一")
    sample_draw(fiscal_year=year, actor=cast.finance_reviewer, ratio=Decimal(0), rules=[], seed=1)
    sample_add(evaluation=first, actor=cast.finance_reviewer, reason="重点关注")
    finance.get(BOARD, {"year": 2024})
    with CaptureQueriesContext(connection) as one:
        finance.get(BOARD, {"year": 2024})
    second = _approved(year, org.other_unit, "项目二")
    _approved(year, org.foreign_unit, "项目三")
    sample_add(evaluation=second, actor=cast.finance_reviewer, reason="重点关注")

    with CaptureQueriesContext(connection) as three:
        response = finance.get(BOARD, {"year": 2024})

    assert (len(three), len(response.context["table"].rows)) == (len(one), 3)


def test_a_finance_reviewer_of_another_bureau_does_not_find_this_bureaus_year(client, cast, board_year):
    client.force_login(cast.other_bureau_finance_reviewer)

    responses = [client.get(BOARD, {"year": 2024}).status_code, client.get(BOARD).context["year"]]

    assert responses == [404, None]


# --- the draw -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ratio", "message"),
    [
        ("abc", "抽样条件有误：输入一个数字。"),
        ("150", "抽样条件有误：确保该值小于或等于100。"),
        ("-5", "抽样条件有误：确保该值大于或等于0。"),
        ("", "抽样条件有误：这个字段是必填项。"),
    ],
)
def test_a_draw_with_a_bad_ratio_is_refused_with_a_chinese_message(finance, year, approved, ratio, message):
    response = finance.post(reverse("finance:draw", args=[2024]), {"ratio_percent": ratio, "seed": "7"})

    assert (response["Location"], _messages(response), SpotCheckSample.objects.count()) == (
        f"{BOARD}?year=2024",
        [message],
        0,
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("seed", "99999999999999999999", "抽样条件有误：确保该值小于或等于9223372036854775807。"),
        ("departments", "99999999999999999999", "抽样条件有误：“99999999999999999999”不是一个有效的值"),
    ],
)
def test_a_draw_with_a_number_past_any_id_or_seed_is_refused_with_a_chinese_message(
    finance, year, approved, field, value, message
):
    """Issue 15 (the request fuzz): a department id past 64 bits reached the database while the form checked it,
    and such a seed reached the sample's row (OverflowError on SQLite, out of range on PostgreSQL): a 500."""
    response = finance.post(reverse("finance:draw", args=[2024]), {"ratio_percent": "50", "seed": "7", field: value})

    assert (response["Location"], _messages(response), SpotCheckSample.objects.count()) == (
        f"{BOARD}?year=2024",
        [message],
        0,
    )


def test_a_draw_from_the_board_reports_what_it_drew_and_records_the_seed(finance, org, year, approved):
    _approved(year, org.other_unit, "社保经办经费")

    response = finance.post(
        reverse("finance:draw", args=[2024]),
        {"ratio_percent": "50", "amount_above": "", "excellent_low_execution": "", "seed": "7"},
    )

    sample = SpotCheckSample.objects.get()
    assert (_messages(response), sample.ratio, sample.rules, sample.random_seed, FinanceReview.objects.count()) == (
        ["已从 2 个项目中抽取 1 个（规则必选 0 个，随机 1 个），随机种子 7。"],
        Decimal("0.5"),
        [],
        7,
        1,
    )


def test_the_draw_form_turns_its_fields_into_forced_rules(finance, org, year, approved):
    response = finance.post(
        reverse("finance:draw", args=[2024]),
        {
            "ratio_percent": "0",
            "amount_above": "50",
            "excellent_low_execution": "96",
            "departments": [org.department.pk],
            "seed": "7",
        },
    )

    sample = SpotCheckSample.objects.get()
    assert (_messages(response), sample.rules, FinanceReview.objects.get().selection_reason) == (
        ["已从 1 个项目中抽取 1 个（规则必选 1 个，随机 0 个），随机种子 7。"],
        [
            {"rule": "amount_above", "amount": "50"},
            {"rule": "excellent_low_execution", "threshold": "0.96"},
            {"rule": "department", "department_id": org.department.pk, "department_name": "东莞市人力资源和社会保障局"},
        ],
        "全年预算数超过 50 万元；自评为优但预算执行率低于 96.00%；东莞市人力资源和社会保障局全部项目",
    )


def test_a_finalised_year_refuses_a_draw_from_the_board(finance, cast, year, completed):
    fiscal_year_finalise(fiscal_year=year, actor=cast.finance_reviewer)

    response = finance.post(reverse("finance:draw", args=[2024]), {"ratio_percent": "100", "seed": "9"})

    assert (_messages(response), SpotCheckSample.objects.get().random_seed) == (["该年度已定稿，不能再抽取样本。"], 1)


def test_the_draw_does_not_answer_a_get(finance, year):
    response = finance.get(reverse("finance:draw", args=[2024]))

    assert (response.status_code, SpotCheckSample.objects.count()) == (405, 0)


@pytest.mark.parametrize("name", ["unit_filler", "department_reviewer", "admin"])
def test_only_finance_reviewers_may_post_a_draw(client, cast, year, approved, name):
    client.force_login(getattr(cast, name))

    response = client.post(reverse("finance:draw", args=[2024]), {"ratio_percent": "100", "seed": "7"})

    assert (response.status_code, SpotCheckSample.objects.count()) == (403, 0)


# --- one review: what the page shows -------------------------------------------------------------------


def test_the_review_page_shows_the_standard_table_the_findings_and_the_accuracy(finance, cast, approved, review):
    training = approved.project.indicators.get(name="培训人数")
    training.actual_text, training.actual_value = "160", Decimal(160)
    training.save(update_fields=["actual_text", "actual_value"])
    review_save(
        review=review,
        actor=cast.finance_reviewer,
        grade="",
        opinion_html="",
        reviewer_total=Decimal("90.50"),
        checked_scores={},
    )

    response = finance.get(reverse("finance:review", args=[review.pk]))

    table = _section(response, "standard-table")
    assert (
        table.split(" 项目资金")[0],
        "年度资金总额 100.00 100.00 95.00 10.00 95.00% 9.50" in table,
        _section(response, "findings"),
        _section(response, "accuracy").split(" 差异在")[0],
    ) == (
        "项目支出绩效自评表 （2024年度） 项目名称 日常办学经费 "
        "主管部门 东莞市人力资源和社会保障局 实施单位 东莞市技师学院",
        True,
        "审核提示 3 条 错误 “培训人数”完成值高于指标值较多（完成率 160.00%），须填写偏差原因分析及改进措施 "
        "提示 “培训人数”完成值 160 为指标值 100 的 160.00%，达到 150.00% 以上，目标设置过低 "
        "提示 自评总分 99.50 分与核查总分 90.50 分相差 9.94%，自评准确扣 4.00 分。",
        "自评准确 单位自评总分 99.50 核查总分 90.50 差异 9.94% 自评准确扣分 4.00",
    )


def test_the_review_page_offers_a_row_per_indicator_for_its_checked_score(finance, review_url):
    response = finance.get(review_url)

    assert [f.indicator.name for f in response.context["indicator_forms"]] == ["培训人数", "就业质量提升", "学员满意度"]


# --- one review: saving, drafting, completing -----------------------------------------------------------


def test_saving_from_the_page_stores_the_grade_opinion_and_checked_scores(finance, approved, review, review_url):
    data = _post_data(approved, grade="良", total="88", checks={"培训人数": ("45", "培训人数未达标")})

    response = finance.post(review_url, data)

    review.refresh_from_db()
    assert (
        response["Location"],
        _messages(response),
        review.grade,
        review.opinion_html,
        review.reviewer_total,
        [(s.indicator.name, s.checked_score, s.remark) for s in review.indicator_scores.all()],
    ) == (
        review_url,
        ["审核草稿已保存。"],
        "良",
        OPINION,
        Decimal(88),
        [("培训人数", Decimal(45), "培训人数未达标")],
    )


def test_checking_every_indicator_on_the_page_totals_them_with_the_budget_score(finance, approved, review, review_url):
    checks = {"培训人数": ("45", "未达标"), "就业质量提升": ("30", ""), "学员满意度": ("8", "样本少")}

    finance.post(review_url, _post_data(approved, total="70", checks=checks))

    review.refresh_from_db()
    assert review.reviewer_total == Decimal("92.50")


def test_the_review_page_carries_the_reviews_version(finance, review, review_url):
    response = finance.get(review_url)

    hidden = re.search(r'<input type="hidden" name="version" value="(\d+)">', response.content.decode())
    assert hidden[1] == str(review.version)


@pytest.mark.parametrize("action", ["save", "complete"])
def test_a_save_from_a_page_older_than_the_review_is_refused_and_writes_nothing(
    finance, cast, approved, review, review_url, action
):
    seen = review.version
    # Another save after the reviewer opened the page raises the review's version.
    review_save(
        review=review,
        actor=cast.finance_reviewer,
        grade="中",
        opinion_html="<p>另一个意见</p>",
        reviewer_total=None,
        checked_scores={},
    )

    response = finance.post(review_url, _post_data(approved, grade="差", action=action, version=seen))

    review.refresh_from_db()
    approved.refresh_from_db()
    assert (response["Location"], _messages(response), review.grade, review.status, approved.status) == (
        review_url,
        ["未执行：在您打开页面之后，该审核记录已被修改。请刷新页面，查看最新内容后再操作。"],
        "中",
        FinanceReview.Status.DRAFT,
        Status.APPROVED,
    )


def test_drafting_the_opinion_returns_it_in_the_form_without_saving_it(finance, approved, review, review_url):
    data = _post_data(approved, grade="中", total="80", opinion="<p>旧的意见</p>", action="draft_opinion")

    response = finance.post(review_url, data)

    drafted = draft_opinion(project=approved.project, card=build_scorecard(approved.project))
    form = response.context["form"]
    review.refresh_from_db()
    assert (
        response.status_code,
        _messages(response),
        form["opinion_html"].value(),
        form["grade"].value(),
        form["reviewer_total"].value(),
        (review.grade, review.opinion_html, review.reviewer_total),
    ) == (
        200,
        ["已根据数据起草审核意见，请修改完善后保存。"],
        drafted,
        "中",
        "80",
        ("", "", None),
    )


def test_the_drafted_opinion_appears_escaped_in_the_editor_textarea(finance, approved, review_url):
    response = finance.post(review_url, _post_data(approved, action="draft_opinion"))

    drafted = draft_opinion(project=approved.project, card=build_scorecard(approved.project))
    textarea = re.search(
        r"<textarea[^>]*data-opinion-editor[^>]*>(.*?)</textarea>", response.content.decode(), re.DOTALL
    )
    assert textarea[1].strip() == escape(drafted)


def test_completing_from_the_page_moves_the_project_to_spot_checked(finance, approved, review, review_url):
    response = finance.post(review_url, _post_data(approved, grade="良", action="complete"))

    review.refresh_from_db()
    approved.refresh_from_db()
    assert (response["Location"], _messages(response), review.status, approved.status) == (
        f"{BOARD}?year=2024",
        ["已完成“日常办学经费”的财政抽查审核。"],
        FinanceReview.Status.COMPLETED,
        Status.SPOT_CHECKED,
    )


def test_completing_from_the_page_without_an_opinion_keeps_the_draft_and_says_why(
    finance, approved, review, review_url
):
    response = finance.post(review_url, _post_data(approved, grade="良", opinion="", action="complete"))

    review.refresh_from_db()
    approved.refresh_from_db()
    assert (response["Location"], _messages(response), review.status, review.grade, approved.status) == (
        review_url,
        ["完成审核前请填写审核意见。"],
        FinanceReview.Status.DRAFT,
        "良",
        Status.APPROVED,
    )


def test_completing_from_the_page_with_the_editors_empty_opinion_is_refused(finance, approved, review, review_url):
    finance.post(review_url, _post_data(approved, grade="良", opinion="<p><br></p>", action="complete"))

    review.refresh_from_db()
    approved.refresh_from_db()
    assert (review.status, approved.status) == (FinanceReview.Status.DRAFT, Status.APPROVED)


def test_a_checked_score_above_the_weight_is_refused_next_to_its_field_keeping_what_was_typed(
    finance, approved, review, review_url
):
    checks = {"培训人数": ("55", "超出"), "学员满意度": ("8", "样本少")}
    data = _post_data(approved, grade="差", total="66", opinion="<p>初步意见</p>", checks=checks)

    response = finance.post(review_url, data)

    training, satisfaction = _row_of(response, "培训人数"), _row_of(response, "学员满意度")
    form = response.context["form"]
    review.refresh_from_db()
    assert (
        response.status_code,
        _messages(response),
        _text(training[4]),
        'value="55"' in training[4],
        'value="超出"' in training[5],
        ('value="8"' in satisfaction[4], 'value="样本少"' in satisfaction[5], _text(satisfaction[4])),
        (form["grade"].value(), form["reviewer_total"].value(), form["opinion_html"].value()),
        (review.grade, review.reviewer_total, review.indicator_scores.count()),
    ) == (
        200,
        ["有内容未能保存，请按提示修改。"],
        "核查分数不能超过分值 50.00 分。",
        True,
        True,
        (True, True, ""),
        ("差", "66", "<p>初步意见</p>"),
        ("", None, 0),
    )


def test_a_checked_score_below_the_weight_needs_a_remark_next_to_it(finance, approved, review, review_url):
    response = finance.post(review_url, _post_data(approved, checks={"学员满意度": ("8", "")}))

    satisfaction = _row_of(response, "学员满意度")
    review.refresh_from_db()
    assert (
        response.status_code,
        _text(satisfaction[5]),
        'value="8"' in satisfaction[4],
        review.indicator_scores.count(),
    ) == (200, "核查分数低于分值时请写明扣分原因。", True, 0)


def test_a_completed_review_is_read_only_on_the_page(finance, completed):
    response = finance.get(reverse("finance:review", args=[completed.pk]))

    content = response.content.decode()
    assert (
        response.context["read_only"],
        "data-opinion-editor" in content,
        'value="complete"' in content,
        re.search(r'<div class="opinion">(.*?)</div>', content, re.DOTALL)[1],
        'action="{}"'.format(reverse("finance:reopen", args=[completed.pk])) in content,
    ) == (True, False, False, OPINION, True)


@pytest.mark.parametrize("action", ["save", "complete", "draft_opinion"])
def test_a_completed_review_refuses_posts(finance, approved, completed, action):
    url = reverse("finance:review", args=[completed.pk])

    response = finance.post(url, _post_data(approved, grade="差", opinion="<p>改</p>", action=action))

    completed.refresh_from_db()
    assert (response["Location"], _messages(response), completed.grade, completed.opinion_html) == (
        url,
        ["该审核当前只读。"],
        "良",
        OPINION,
    )


def test_reopening_from_the_page_makes_the_review_editable_again(finance, approved, completed):
    url = reverse("finance:review", args=[completed.pk])

    response = finance.post(reverse("finance:reopen", args=[completed.pk]), {"reason": "等级录入错误"})

    completed.refresh_from_db()
    approved.refresh_from_db()
    page = finance.get(url)
    assert (
        response["Location"],
        _messages(response),
        completed.status,
        approved.status,
        approved.transitions.last().comment,
        page.context["read_only"],
    ) == (url, ["审核已重新打开。"], FinanceReview.Status.DRAFT, Status.APPROVED, "重新打开审核：等级录入错误", False)


def test_reopening_from_the_page_without_a_reason_is_refused(finance, completed):
    response = finance.post(reverse("finance:reopen", args=[completed.pk]), {"reason": ""})

    completed.refresh_from_db()
    assert (_messages(response), completed.status) == (["重新打开审核须说明原因。"], FinanceReview.Status.COMPLETED)


def test_removing_from_the_page_keeps_the_record_and_makes_it_read_only(finance, review, review_url):
    response = finance.post(reverse("finance:remove", args=[review.pk]), {"reason": "项目已撤销"})

    review.refresh_from_db()
    page = finance.get(review_url)
    assert (
        response["Location"],
        _messages(response),
        (review.excluded, review.excluded_reason),
        page.context["read_only"],
        re.search(r'<div class="callout warning">(.*?)</div>', page.content.decode())[1],
    ) == (f"{BOARD}?year=2024", ["已移出抽查样本，原因已记录。"], (True, "项目已撤销"), True, "已移出样本：项目已撤销")


UNSTORABLE = ["填写的内容含有无法保存的控制字符，请删除后重新提交。"]


def test_a_nul_character_in_a_reason_to_change_the_sample_is_refused(finance, org, year, review):
    """Issue 15 (the request fuzz): PostgreSQL refuses NUL in text, so a crafted reason to take a record out of
    the sample or to add one was a 500."""
    other = _approved(year, org.other_unit, "社保经办经费")
    crafted = {"reason": "项目\x00已撤销"}

    removed = finance.post(reverse("finance:remove", args=[review.pk]), crafted)
    finance.get(removed["Location"])  # the review page shows (and consumes) the message
    added = finance.post(reverse("finance:sample_add", args=[other.pk]), crafted)

    review.refresh_from_db()
    assert (_messages(removed), _messages(added), review.excluded, FinanceReview.objects.count()) == (
        UNSTORABLE,
        UNSTORABLE,
        False,
        1,
    )


def test_a_nul_character_in_the_reason_to_reopen_a_year_is_refused(finance, cast, year, completed):
    fiscal_year_finalise(fiscal_year=year, actor=cast.finance_reviewer)

    response = finance.post(reverse("finance:reopen_year", args=[2024]), {"reason": "单位\x00更正"})

    year.refresh_from_db()
    assert (_messages(response), year.status) == (UNSTORABLE, FiscalYear.Status.FINALISED)


def test_adding_from_the_project_page_opens_the_new_review(finance, cast, org, year, approved):
    other = _approved(year, org.other_unit, "社保经办经费")
    sample_draw(fiscal_year=year, actor=cast.finance_reviewer, ratio=Decimal(0), rules=[], seed=1)

    response = finance.post(reverse("finance:sample_add", args=[other.pk]), {"reason": "审计发现问题"})

    added = FinanceReview.objects.get(evaluation=other)
    assert (response["Location"], _messages(response), added.selection, added.selection_reason) == (
        reverse("finance:review", args=[added.pk]),
        ["已将“社保经办经费”加入抽查样本。"],
        FinanceReview.Selection.MANUAL,
        "审计发现问题",
    )


def test_adding_from_the_project_page_without_a_reason_stays_on_the_project(finance, cast, year, approved):
    sample_draw(fiscal_year=year, actor=cast.finance_reviewer, ratio=Decimal(0), rules=[], seed=1)

    response = finance.post(reverse("finance:sample_add", args=[approved.pk]), {"reason": ""})

    assert (response["Location"], _messages(response), FinanceReview.objects.count()) == (
        reverse("budgets:project_detail", args=[approved.project_id]),
        ["人工加入样本须说明原因。"],
        0,
    )


# --- the year on the board ------------------------------------------------------------------------------


def test_finalising_from_the_board_first_asks_for_confirmation_listing_the_open_review(finance, year, review):
    url = reverse("finance:finalise", args=[2024])

    asked = finance.get(url)
    # A post without the confirmation only shows the page again.
    unconfirmed = finance.post(url, {"action": "finalise"})

    year.refresh_from_db()
    review.refresh_from_db()
    open_list = re.findall(r'<ul class="open-list">(.*?)</ul>', asked.content.decode(), re.DOTALL)
    assert (
        asked.status_code,
        asked.context["counts"]["reviews"],
        [_text(items) for items in open_list],
        unconfirmed.status_code,
        year.status,
        review.status,
    ) == (
        200,
        1,
        ["日常办学经费 · 东莞市技师学院"],
        200,
        FiscalYear.Status.OPEN,
        FinanceReview.Status.DRAFT,
    )


def test_finalising_from_the_board_with_a_review_open_marks_it_incomplete(finance, year, review):
    response = finance.post(reverse("finance:finalise", args=[2024]), {"confirm": "1"})

    year.refresh_from_db()
    review.refresh_from_db()
    assert (response["Location"], _messages(response), year.status, review.status) == (
        f"{BOARD}?year=2024",
        ["2024年度已定稿，全部记录已锁定。"],
        FiscalYear.Status.FINALISED,
        FinanceReview.Status.INCOMPLETE,
    )


def test_publishing_from_the_board_before_finalising_is_refused(finance, year, completed):
    url = reverse("finance:publish", args=[2024])

    asked = finance.get(url)
    finance.get(asked["Location"])  # the board shows (and consumes) the message
    confirmed = finance.post(url, {"confirm": "1"})

    year.refresh_from_db()
    assert (
        (asked["Location"], _messages(asked)),
        (confirmed["Location"], _messages(confirmed)),
        year.status,
    ) == (
        (f"{BOARD}?year=2024", ["请先定稿，再公开。"]),
        (f"{BOARD}?year=2024", ["请先定稿，再公开。"]),
        FiscalYear.Status.OPEN,
    )


def test_finalising_then_publishing_from_the_board(finance, approved, year, completed):
    finalise_page = finance.get(reverse("finance:finalise", args=[2024]))
    finalised = finance.post(reverse("finance:finalise", args=[2024]), {"confirm": "1"}, follow=True)
    publish_page = finance.get(reverse("finance:publish", args=[2024]))
    published = finance.post(reverse("finance:publish", args=[2024]), {"confirm": "1"}, follow=True)
    messages = [[str(m) for m in r.context["messages"]] for r in (finalised, published)]

    year.refresh_from_db()
    approved.refresh_from_db()
    assert (
        (finalise_page.status_code, finalise_page.context["total"]),
        (publish_page.status_code, publish_page.context["result_count"], publish_page.context["reviewed_count"]),
        messages,
        year.status,
        approved.status,
    ) == (
        (200, 0),
        (200, 1, 1),
        [["2024年度已定稿，全部记录已锁定。"], ["2024年度已公开：单位和部门可看到财政抽查审核结果。"]],
        FiscalYear.Status.PUBLISHED,
        Status.PUBLISHED,
    )


def test_reopening_a_finalised_year_from_the_board_needs_a_reason(finance, cast, year, completed):
    fiscal_year_finalise(fiscal_year=year, actor=cast.finance_reviewer)
    url = reverse("finance:reopen_year", args=[2024])

    refused = finance.post(url, {"reason": "  "})
    finance.get(refused["Location"])  # the board shows (and consumes) the message
    year.refresh_from_db()
    status_after_refusal = year.status
    reopened = finance.post(url, {"reason": "单位更正执行数"})

    year.refresh_from_db()
    assert (_messages(refused), status_after_refusal, _messages(reopened), year.status) == (
        ["重新打开年度须说明原因。"],
        FiscalYear.Status.FINALISED,
        ["2024年度已重新打开（财政审核中），原因已记录。"],
        FiscalYear.Status.CLOSED,
    )


def test_a_finalised_year_shows_its_reviews_read_only(finance, cast, year, completed):
    fiscal_year_finalise(fiscal_year=year, actor=cast.finance_reviewer)

    response = finance.get(reverse("finance:review", args=[completed.pk]))

    content = response.content.decode()
    assert (response.context["read_only"], response.context["year_locked"], "reopen-reason" in content) == (
        True,
        True,
        False,
    )


# --- what the unit sees ---------------------------------------------------------------------------------


def _finance_result(client, evaluation):
    response = client.get(reverse("budgets:project_detail", args=[evaluation.project_id]))
    return response.status_code, _section(response, "finance-result")


def test_the_unit_does_not_see_the_finance_result_before_publication(client, cast, approved, completed):
    client.force_login(cast.unit_filler)

    assert _finance_result(client, approved) == (200, None)


def test_the_unit_does_not_see_the_finance_result_of_a_finalised_year(client, cast, year, approved, completed):
    fiscal_year_finalise(fiscal_year=year, actor=cast.finance_reviewer)
    client.force_login(cast.unit_filler)

    assert _finance_result(client, approved) == (200, None)


def test_the_unit_sees_the_finance_grade_and_opinion_once_the_year_is_published(
    client, cast, year, approved, completed
):
    fiscal_year_finalise(fiscal_year=year, actor=cast.finance_reviewer)
    fiscal_year_publish(fiscal_year=year, actor=cast.finance_reviewer)
    client.force_login(cast.unit_filler)

    response = client.get(reverse("budgets:project_detail", args=[approved.project_id]))

    content = response.content.decode()
    assert (
        _section(response, "finance-result"),
        re.search(r'<section class="card finance-result">.*?<div class="opinion">(.*?)</div>', content, re.DOTALL)[1],
    ) == ("财政抽查审核结果： 良 1. 预算执行情况：执行良好。 2. 产出方面：完成培训任务。", OPINION)


def test_the_department_sees_the_finance_result_once_the_year_is_published(client, cast, year, approved, completed):
    fiscal_year_finalise(fiscal_year=year, actor=cast.finance_reviewer)
    fiscal_year_publish(fiscal_year=year, actor=cast.finance_reviewer)
    client.force_login(cast.department_reviewer)

    status, text = _finance_result(client, approved)

    assert (status, text.split(" 1.")[0]) == (200, "财政抽查审核结果： 良")


@pytest.mark.parametrize("name", ["other_unit_filler", "foreign_unit_filler", "other_department_reviewer"])
def test_no_one_outside_the_unit_and_its_department_sees_the_published_result(
    client, cast, year, approved, completed, name
):
    fiscal_year_finalise(fiscal_year=year, actor=cast.finance_reviewer)
    fiscal_year_publish(fiscal_year=year, actor=cast.finance_reviewer)
    client.force_login(getattr(cast, name))

    response = client.get(reverse("budgets:project_detail", args=[approved.project_id]))

    assert (response.status_code, "财政抽查审核结果" in response.content.decode()) == (403, False)


def test_the_unit_sees_no_finance_result_for_a_project_taken_out_of_the_sample(client, cast, year, approved, review):
    sample_remove(review=review, actor=cast.finance_reviewer, reason="项目已撤销")
    fiscal_year_finalise(fiscal_year=year, actor=cast.finance_reviewer)
    fiscal_year_publish(fiscal_year=year, actor=cast.finance_reviewer)
    client.force_login(cast.unit_filler)

    assert _finance_result(client, approved) == (200, None)


# --- outsiders ------------------------------------------------------------------------------------------


@pytest.fixture
def department_evaluation(org, year):
    return DepartmentEvaluationFactory(
        fiscal_year=year, department=org.department, status=DepartmentEvaluation.Status.APPROVED
    )


def _finance_urls(review, approved, department_evaluation):
    return [
        ("get", reverse("finance:review", args=[review.pk]), {}),
        ("post", reverse("finance:review", args=[review.pk]), {"grade": "差", "opinion_html": "x", "action": "save"}),
        ("post", reverse("finance:reopen", args=[review.pk]), {"reason": "x"}),
        ("post", reverse("finance:remove", args=[review.pk]), {"reason": "x"}),
        ("post", reverse("finance:sample_add", args=[approved.pk]), {"reason": "x"}),
        ("get", reverse("finance:department_review", args=[department_evaluation.pk]), {}),
        ("post", reverse("finance:department_review", args=[department_evaluation.pk]), {"grade": "差"}),
    ]


def test_a_finance_reviewer_of_another_bureau_gets_403_on_every_record_page(
    client, cast, approved, review, department_evaluation
):
    client.force_login(cast.other_bureau_finance_reviewer)

    statuses = [
        getattr(client, method)(url, data).status_code
        for method, url, data in _finance_urls(review, approved, department_evaluation)
    ]

    review.refresh_from_db()
    assert (statuses, review.grade, review.excluded, FinanceReview.objects.count()) == ([403] * 7, "", False, 1)


@pytest.mark.parametrize("name", NOT_FINANCE)
def test_no_one_but_the_bureaus_finance_reviewer_opens_a_review_page(
    client, cast, approved, review, department_evaluation, name
):
    client.force_login(getattr(cast, name))

    statuses = [
        getattr(client, method)(url, data).status_code
        for method, url, data in _finance_urls(review, approved, department_evaluation)
    ]

    review.refresh_from_db()
    assert (statuses, review.grade, review.excluded, FinanceReview.objects.count()) == ([403] * 7, "", False, 1)


def test_an_anonymous_visitor_of_a_review_is_sent_to_log_in(client, review_url):
    response = client.get(review_url)

    assert (response.status_code, response["Location"]) == (302, f"{reverse('accounts:login')}?next={review_url}")
