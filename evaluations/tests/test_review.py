"""The finance review's services (SPEC §8) and who may call them: the draw, one review, the year."""

from decimal import Decimal

import pytest

from accounts.models import Organisation, User
from budgets.models import BudgetLine, FiscalYear
from evaluations.demo import load_demo
from evaluations.finance_review.services import (
    RULE_AMOUNT_ABOVE,
    RULE_DEPARTMENT,
    RULE_EXCELLENT_LOW_EXECUTION,
    Accuracy,
    accuracy_of,
    draft_opinion,
    draw_sample,
    population,
    review_complete,
    review_reopen,
    review_save,
    reviewer_total_from,
    sample_add,
    sample_draw,
    sample_remove,
)
from evaluations.models import (
    DepartmentEvaluation,
    EvaluationTransition,
    FinanceReview,
    ProjectEvaluation,
    ReviewIndicatorScore,
)
from evaluations.scorecard import build_scorecard
from evaluations.tests.factories import (
    CAST_NAMES,
    OPINION,
    DepartmentEvaluationFactory,
    IndicatorFactory,
    ProjectEvaluationFactory,
    ProjectFactory,
    make_submittable,
)
from evaluations.workflow.lifecycle import fiscal_year_finalise, fiscal_year_publish
from evaluations.workflow.services import WorkflowError, evaluation_recalculate
from policy.access import can

Status = ProjectEvaluation.Status
Selection = FinanceReview.Selection
AMOUNT_RULE = {"rule": RULE_AMOUNT_ABOVE, "amount": "10000"}
EXCELLENT_RULE = {"rule": RULE_EXCELLENT_LOW_EXECUTION, "threshold": "0.9"}


def _approved(year, unit, name, *, grade="", executed=None, status=Status.APPROVED):
    """A filled project of ``unit`` (budget 100 万元, 95 spent unless ``executed``) whose evaluation is approved."""
    project = make_submittable(ProjectFactory(fiscal_year=year, unit=unit, name=name))
    if executed is not None:
        BudgetLine.objects.filter(project=project).update(executed_wan=executed)
    reason = "请补充满意度调查" if status == Status.RETURNED else ""
    evaluation = ProjectEvaluationFactory(project=project, status=status, claimed_grade=grade, return_reason=reason)
    return evaluation_recalculate(evaluation=evaluation)


def _refused(call):
    with pytest.raises(WorkflowError) as refusal:
        call()
    return str(refusal.value)


def _sampled_evaluations(fiscal_year):
    """The sample as stored: evaluation id → (selection, reason, excluded, excluded reason)."""
    return {
        r.evaluation_id: (r.selection, r.selection_reason, r.excluded, r.excluded_reason)
        for r in FinanceReview.objects.filter(evaluation__project__fiscal_year=fiscal_year)
    }


def _audit(evaluation):
    return list(
        EvaluationTransition.objects.filter(evaluation=evaluation)
        .order_by("created_at", "pk")
        .values_list("from_status", "to_status", "actor__username", "comment")
    )


def _checks(review):
    return list(
        ReviewIndicatorScore.objects.filter(review=review)
        .order_by("indicator__order")
        .values_list("indicator__name", "checked_score", "remark")
    )


def _indicator(evaluation, name):
    return evaluation.project.indicators.get(name=name)


@pytest.fixture
def four_approved(org, year):
    """Four approved evaluations of the year, oldest first."""
    return [_approved(year, org.unit, f"项目{n}") for n in range(1, 5)]


# --- the demo year (seed 000: 东莞市 2024, 35 evaluations approved or later) ----------------------------------


@pytest.fixture
def demo(db):
    load_demo()
    return FiscalYear.objects.get(finance_bureau__name="东莞市财政局", year=2024)


@pytest.fixture
def demo_finance(demo):
    return User.objects.get(username="finance")


def _orders(ids):
    """The 序号 (seed 000 row order) of evaluations, in the order given."""
    order = dict(ProjectEvaluation.objects.filter(pk__in=ids).values_list("pk", "project__sort_order"))
    return [order[pk] for pk in ids]


def _picked(draw):
    return sorted([*draw.forced, *draw.random_ids])


def test_the_demo_year_draws_from_its_35_approved_or_later_evaluations(demo):
    pool = population(demo)

    assert (pool.count(), sorted({e.status for e in pool})) == (35, [Status.APPROVED, Status.SPOT_CHECKED])


def test_the_same_ratio_rules_and_seed_draw_exactly_the_same_evaluations(demo, demo_finance):
    _, first = sample_draw(fiscal_year=demo, actor=demo_finance, ratio=Decimal("0.3"), rules=[AMOUNT_RULE], seed=7)

    _, second = sample_draw(fiscal_year=demo, actor=demo_finance, ratio=Decimal("0.3"), rules=[AMOUNT_RULE], seed=7)

    assert (_picked(second), _orders(sorted(second.forced)), _orders(second.random_ids)) == (
        _picked(first),
        [5, 8, 35, 36],
        [3, 4, 7, 14, 16, 21, 24],
    )


def test_a_different_seed_draws_a_different_list(demo, demo_finance):
    _, seven = sample_draw(fiscal_year=demo, actor=demo_finance, ratio=Decimal("0.3"), rules=[AMOUNT_RULE], seed=7)

    _, eight = sample_draw(fiscal_year=demo, actor=demo_finance, ratio=Decimal("0.3"), rules=[AMOUNT_RULE], seed=8)

    assert (sorted(eight.forced), _orders(seven.random_ids), _orders(eight.random_ids)) == (
        sorted(seven.forced),
        [3, 4, 7, 14, 16, 21, 24],
        [3, 7, 10, 11, 15, 16, 26],
    )


def test_a_draw_records_its_ratio_rules_seed_and_drawer(demo, demo_finance):
    sample, _ = sample_draw(fiscal_year=demo, actor=demo_finance, ratio=Decimal("0.3"), rules=[AMOUNT_RULE], seed=7)

    sample.refresh_from_db()
    assert (sample.ratio, sample.rules, sample.random_seed, sample.drawn_by) == (
        Decimal("0.3"),
        [AMOUNT_RULE],
        7,
        demo_finance,
    )


def test_a_draw_without_a_seed_records_the_one_it_used_so_it_can_be_repeated(demo, demo_finance):
    sample, unseeded = sample_draw(fiscal_year=demo, actor=demo_finance, ratio=Decimal("0.3"), rules=[])

    repeated = draw_sample(evaluations=population(demo), ratio=Decimal("0.3"), rules=[], seed=sample.random_seed)

    assert repeated == unseeded


@pytest.mark.parametrize(
    ("ratio", "drawn"),
    [("0", 0), ("0.01", 1), ("0.1", 4), ("0.2", 7), ("0.3", 11), ("0.5", 18), ("0.99", 35), ("1", 35)],
)
def test_a_draw_picks_the_ratio_of_the_population_rounded_up(demo, demo_finance, ratio, drawn):
    _, draw = sample_draw(fiscal_year=demo, actor=demo_finance, ratio=Decimal(ratio), rules=[], seed=3)

    # ceil(ratio × 35): 0.01 × 35 = 0.35 → 1, 0.3 × 35 = 10.5 → 11, 0.99 × 35 = 34.65 → 35.
    assert (len(_picked(draw)), len(set(_picked(draw))), draw.population_size) == (drawn, drawn, 35)


@pytest.fixture
def demo_with_rule_targets(demo):
    """The demo year plus a 优 project of 技师学院 at 85% execution, and a second department with two projects."""
    bureau = demo.finance_bureau
    school = Organisation.objects.get(name="东莞市技师学院")
    education = Organisation.objects.create(name="东莞市教育局", kind=Organisation.Kind.DEPARTMENT, parent=bureau)
    middle_school = Organisation.objects.create(name="东莞市实验中学", parent=education)
    low = _approved(demo, school, "实训基地建设", grade="优", executed=Decimal(85))
    own = _approved(demo, education, "教育局信息化建设")
    unit = _approved(demo, middle_school, "实验中学校舍维修")
    return {"low": low.pk, "department_own": own.pk, "department_unit": unit.pk, "education": education}


def test_forced_rules_put_every_match_in_the_sample_with_the_reason(demo, demo_finance, demo_with_rule_targets):
    education = demo_with_rule_targets["education"]
    rules = [
        AMOUNT_RULE,
        EXCELLENT_RULE,
        {"rule": RULE_DEPARTMENT, "department_id": education.pk, "department_name": education.name},
    ]

    _, draw = sample_draw(fiscal_year=demo, actor=demo_finance, ratio=Decimal("0.3"), rules=rules, seed=7)

    names = dict(ProjectEvaluation.objects.values_list("pk", "project__name"))
    stored = _sampled_evaluations(demo)
    assert (
        {names[pk]: reason for pk, reason in draw.forced.items()},
        {names[pk]: stored[pk][:2] for pk in draw.forced},
        (draw.population_size, len(draw.forced), len(draw.random_ids)),
    ) == (
        {
            "市财政对养老保险基金的补助（一级）": "全年预算数超过 10000 万元",
            "“十百千万百万”人才工程（一级）": "全年预算数超过 10000 万元",
            "城乡居民基本养老保险基金": "全年预算数超过 10000 万元",
            "机关事业单位基本养老保险基金": "全年预算数超过 10000 万元",
            "实训基地建设": "自评为优但预算执行率低于 90.00%",
            "教育局信息化建设": "东莞市教育局全部项目",
            "实验中学校舍维修": "东莞市教育局全部项目",
        },
        {
            "市财政对养老保险基金的补助（一级）": (Selection.FORCED, "全年预算数超过 10000 万元"),
            "“十百千万百万”人才工程（一级）": (Selection.FORCED, "全年预算数超过 10000 万元"),
            "城乡居民基本养老保险基金": (Selection.FORCED, "全年预算数超过 10000 万元"),
            "机关事业单位基本养老保险基金": (Selection.FORCED, "全年预算数超过 10000 万元"),
            "实训基地建设": (Selection.FORCED, "自评为优但预算执行率低于 90.00%"),
            "教育局信息化建设": (Selection.FORCED, "东莞市教育局全部项目"),
            "实验中学校舍维修": (Selection.FORCED, "东莞市教育局全部项目"),
        },
        # ceil(30% × 38) = 12: seven forced, five at random.
        (38, 7, 5),
    )


def test_a_record_matching_two_rules_gives_both_reasons(org, year, cast):
    big = _approved(year, org.unit, "大额低执行项目", grade="优", executed=Decimal(50))
    BudgetLine.objects.filter(project=big.project).update(adjusted_wan=Decimal(20000), executed_wan=Decimal(10000))

    _, draw = sample_draw(
        fiscal_year=year, actor=cast.finance_reviewer, ratio=Decimal(0), rules=[AMOUNT_RULE, EXCELLENT_RULE], seed=1
    )

    assert draw.forced == {big.pk: "全年预算数超过 10000 万元；自评为优但预算执行率低于 90.00%"}


def test_forced_records_are_all_drawn_even_beyond_the_ratio(demo, demo_finance):
    _, draw = sample_draw(fiscal_year=demo, actor=demo_finance, ratio=Decimal("0.05"), rules=[AMOUNT_RULE], seed=7)

    # ceil(5% × 35) = 2, but four projects are above 10000 万元.
    assert (_orders(sorted(draw.forced)), draw.random_ids) == ([5, 8, 35, 36], [])


def test_a_project_at_exactly_the_amount_is_not_forced(org, year, cast):
    _approved(year, org.unit, "整一百万元项目")

    _, draw = sample_draw(
        fiscal_year=year,
        actor=cast.finance_reviewer,
        ratio=Decimal(0),
        rules=[{**AMOUNT_RULE, "amount": "100"}],
        seed=1,
    )

    assert draw.forced == {}


def test_a_good_grade_with_low_execution_is_not_forced_by_the_excellent_rule(org, year, cast):
    _approved(year, org.unit, "良好低执行项目", grade="良", executed=Decimal(50))

    _, draw = sample_draw(
        fiscal_year=year, actor=cast.finance_reviewer, ratio=Decimal(0), rules=[EXCELLENT_RULE], seed=1
    )

    assert draw.forced == {}


def test_drafts_and_submitted_records_are_never_drawn(cast, org, year):
    approved = _approved(year, org.unit, "已审核项目")
    _approved(year, org.unit, "草稿项目", status=Status.DRAFT)
    _approved(year, org.unit, "已提交项目", status=Status.SUBMITTED)
    _approved(year, org.unit, "已退回项目", status=Status.RETURNED)

    _, draw = sample_draw(fiscal_year=year, actor=cast.finance_reviewer, ratio=Decimal(1), rules=[], seed=1)

    assert (draw.population_size, draw.random_ids, list(_sampled_evaluations(year))) == (
        1,
        [approved.pk],
        [approved.pk],
    )


# --- redrawing ------------------------------------------------------------------------------------------


def test_a_redraw_keeps_started_reviews_and_manual_additions_and_drops_untouched_ones(demo, demo_finance):
    imported = set(_sampled_evaluations(demo))
    _, first = sample_draw(fiscal_year=demo, actor=demo_finance, ratio=Decimal("0.3"), rules=[], seed=7)
    second = draw_sample(evaluations=population(demo), ratio=Decimal("0.3"), rules=[], seed=8)
    started_id = next(pk for pk in first.random_ids if pk not in imported and pk not in second.random_ids)
    review_save(
        review=FinanceReview.objects.get(evaluation_id=started_id),
        actor=demo_finance,
        grade="中",
        opinion_html="",
        reviewer_total=None,
        checked_scores={},
    )
    manual_id = next(
        e.pk
        for e in population(demo)
        if e.pk not in imported and e.pk not in first.random_ids and e.pk not in second.random_ids
    )
    sample_add(evaluation=ProjectEvaluation.objects.get(pk=manual_id), actor=demo_finance, reason="群众举报")

    _, redraw = sample_draw(fiscal_year=demo, actor=demo_finance, ratio=Decimal("0.3"), rules=[], seed=8)

    stored = _sampled_evaluations(demo)
    assert (
        redraw == second,
        set(stored),
        stored[started_id][0],
        stored[manual_id][:2],
    ) == (
        True,
        imported | set(redraw.random_ids) | {started_id, manual_id},
        Selection.RANDOM,
        (Selection.MANUAL, "群众举报"),
    )


def test_a_redraw_removes_the_untouched_reviews_the_new_draw_does_not_pick(cast, year, four_approved):
    _, first = sample_draw(fiscal_year=year, actor=cast.finance_reviewer, ratio=Decimal("0.5"), rules=[], seed=1)
    second = draw_sample(evaluations=population(year), ratio=Decimal("0.5"), rules=[], seed=2)

    sample_draw(fiscal_year=year, actor=cast.finance_reviewer, ratio=Decimal("0.5"), rules=[], seed=2)

    assert (first.random_ids != second.random_ids, sorted(_sampled_evaluations(year))) == (True, second.random_ids)


def test_a_manual_addition_survives_redraws_that_also_pick_it(cast, year, four_approved):
    sample_draw(fiscal_year=year, actor=cast.finance_reviewer, ratio=Decimal(0), rules=[], seed=1)
    added = four_approved[0]
    sample_add(evaluation=added, actor=cast.finance_reviewer, reason="审计发现问题")
    sample_draw(fiscal_year=year, actor=cast.finance_reviewer, ratio=Decimal(1), rules=[], seed=1)

    sample_draw(fiscal_year=year, actor=cast.finance_reviewer, ratio=Decimal(0), rules=[], seed=1)

    assert _sampled_evaluations(year) == {added.pk: (Selection.MANUAL, "审计发现问题", False, "")}


def test_a_redraw_keeps_a_review_that_holds_only_a_score(cast, year, four_approved):
    _, first = sample_draw(fiscal_year=year, actor=cast.finance_reviewer, ratio=Decimal("0.5"), rules=[], seed=1)
    second = draw_sample(evaluations=population(year), ratio=Decimal("0.5"), rules=[], seed=2)
    scored_id = next(pk for pk in first.random_ids if pk not in second.random_ids)
    review_save(
        review=FinanceReview.objects.get(evaluation_id=scored_id),
        actor=cast.finance_reviewer,
        grade="",
        opinion_html="",
        reviewer_total=Decimal(88),
        checked_scores={},
    )

    sample_draw(fiscal_year=year, actor=cast.finance_reviewer, ratio=Decimal("0.5"), rules=[], seed=2)

    assert sorted(_sampled_evaluations(year)) == sorted({*second.random_ids, scored_id})


def test_a_redraw_keeps_a_record_removed_by_hand_with_its_reason(cast, year, four_approved):
    _, first = sample_draw(fiscal_year=year, actor=cast.finance_reviewer, ratio=Decimal("0.5"), rules=[], seed=1)
    second = draw_sample(evaluations=population(year), ratio=Decimal("0.5"), rules=[], seed=2)
    removed_id = next(pk for pk in first.random_ids if pk not in second.random_ids)
    sample_remove(
        review=FinanceReview.objects.get(evaluation_id=removed_id), actor=cast.finance_reviewer, reason="项目已撤销"
    )

    sample_draw(fiscal_year=year, actor=cast.finance_reviewer, ratio=Decimal("0.5"), rules=[], seed=2)

    assert _sampled_evaluations(year).get(removed_id) == (Selection.RANDOM, "随机抽取", True, "项目已撤销")


def test_a_finalised_year_refuses_a_draw(cast, year, approved):
    year.status = FiscalYear.Status.FINALISED
    year.save(update_fields=["status"])

    message = _refused(
        lambda: sample_draw(fiscal_year=year, actor=cast.finance_reviewer, ratio=Decimal(1), rules=[], seed=1)
    )

    assert (message, _sampled_evaluations(year)) == ("该年度已定稿，不能再抽取样本。", {})


@pytest.mark.parametrize("ratio", ["-0.01", "1.01"])
def test_a_ratio_outside_0_to_100_percent_is_refused(cast, year, approved, ratio):
    message = _refused(
        lambda: sample_draw(fiscal_year=year, actor=cast.finance_reviewer, ratio=Decimal(ratio), rules=[], seed=1)
    )

    assert message == "抽查比例应在 0% 至 100% 之间。"


# --- adding and removing by hand ------------------------------------------------------------------------


def test_adding_by_hand_records_the_reason(cast, year, four_approved):
    sample_draw(fiscal_year=year, actor=cast.finance_reviewer, ratio=Decimal(0), rules=[], seed=1)

    review = sample_add(evaluation=four_approved[2], actor=cast.finance_reviewer, reason="  媒体报道资金闲置  ")

    assert _sampled_evaluations(year) == {review.evaluation_id: (Selection.MANUAL, "媒体报道资金闲置", False, "")}


@pytest.mark.parametrize("reason", ["", "  \n "])
def test_adding_by_hand_needs_a_reason(cast, year, four_approved, reason):
    sample_draw(fiscal_year=year, actor=cast.finance_reviewer, ratio=Decimal(0), rules=[], seed=1)

    message = _refused(lambda: sample_add(evaluation=four_approved[0], actor=cast.finance_reviewer, reason=reason))

    assert (message, _sampled_evaluations(year)) == ("人工加入样本须说明原因。", {})


@pytest.mark.parametrize("status", [Status.DRAFT, Status.SUBMITTED, Status.RETURNED])
def test_only_an_approved_evaluation_can_be_added(cast, org, year, four_approved, status):
    sample_draw(fiscal_year=year, actor=cast.finance_reviewer, ratio=Decimal(0), rules=[], seed=1)
    unapproved = _approved(year, org.unit, "未审核项目", status=status)

    message = _refused(lambda: sample_add(evaluation=unapproved, actor=cast.finance_reviewer, reason="抽查"))

    assert (message, _sampled_evaluations(year)) == ("只有部门已审核的项目可以加入抽查样本。", {})


def test_adding_before_any_draw_is_refused(cast, approved):
    message = _refused(lambda: sample_add(evaluation=approved, actor=cast.finance_reviewer, reason="抽查"))

    assert message == "请先抽取样本。"


def test_adding_to_a_finalised_year_is_refused(cast, year, four_approved):
    sample_draw(fiscal_year=year, actor=cast.finance_reviewer, ratio=Decimal(0), rules=[], seed=1)
    fiscal_year_finalise(fiscal_year=year, actor=cast.finance_reviewer)

    _refused(lambda: sample_add(evaluation=four_approved[0], actor=cast.finance_reviewer, reason="抽查"))

    assert _sampled_evaluations(year) == {}


def test_removing_keeps_the_record_listed_with_the_reason(cast, year, review):
    sample_remove(review=review, actor=cast.finance_reviewer, reason=" 项目已撤销 ")

    assert _sampled_evaluations(year) == {review.evaluation_id: (Selection.RANDOM, "随机抽取", True, "项目已撤销")}


@pytest.mark.parametrize("reason", ["", "   "])
def test_removing_needs_a_reason(cast, year, review, reason):
    message = _refused(lambda: sample_remove(review=review, actor=cast.finance_reviewer, reason=reason))

    assert (message, _sampled_evaluations(year)) == (
        "移出样本须说明原因。",
        {review.evaluation_id: (Selection.RANDOM, "随机抽取", False, "")},
    )


def test_a_completed_review_cannot_be_removed(cast, year, completed):
    message = _refused(lambda: sample_remove(review=completed, actor=cast.finance_reviewer, reason="误抽"))

    assert (message, _sampled_evaluations(year)[completed.evaluation_id][2]) == (
        "已完成的审核不能移出样本，请先重新打开。",
        False,
    )


def test_a_removed_review_does_not_hold_up_finalising(cast, year, review):
    sample_remove(review=review, actor=cast.finance_reviewer, reason="项目已撤销")

    fiscal_year_finalise(fiscal_year=year, actor=cast.finance_reviewer)

    year.refresh_from_db()
    assert year.status == FiscalYear.Status.FINALISED


# --- who may do what (every member of the cast) ---------------------------------------------------------


EVERYONE_BUT_FINANCE = [name for name in CAST_NAMES if name != "finance_reviewer"]


def test_only_the_bureaus_finance_reviewer_holds_the_finance_review_permissions(cast, org, year, review):
    department_review = FinanceReview.objects.create(
        department_evaluation=DepartmentEvaluationFactory(
            fiscal_year=year, department=org.department, status=DepartmentEvaluation.Status.SUBMITTED
        ),
        selection=Selection.MANUAL,
    )
    # A department-wide evaluation not yet submitted cannot be reviewed, not even by the finance reviewer.
    unsubmitted_review = FinanceReview.objects.create(
        department_evaluation=DepartmentEvaluationFactory(fiscal_year=year, department=org.other_department),
        selection=Selection.MANUAL,
    )

    holders = {
        (perm, label): [name for name in CAST_NAMES if can(getattr(cast, name), perm, obj)]
        for perm, label, obj in (
            ("evaluations.draw_sample", "year", year),
            ("evaluations.review_financereview", "project review", review),
            ("evaluations.review_financereview", "department review", department_review),
            ("evaluations.review_financereview", "unsubmitted department review", unsubmitted_review),
            ("evaluations.review_financereview", "no review", None),
        )
    }

    assert holders == {
        ("evaluations.draw_sample", "year"): ["finance_reviewer"],
        ("evaluations.review_financereview", "project review"): ["finance_reviewer"],
        ("evaluations.review_financereview", "department review"): ["finance_reviewer"],
        ("evaluations.review_financereview", "unsubmitted department review"): [],
        ("evaluations.review_financereview", "no review"): [],
    }


def test_a_deactivated_finance_reviewer_holds_no_finance_review_permission(cast, year, review):
    cast.finance_reviewer.is_active = False
    cast.finance_reviewer.save(update_fields=["is_active"])

    held = [
        can(cast.finance_reviewer, "evaluations.draw_sample", year),
        can(cast.finance_reviewer, "evaluations.review_financereview", review),
    ]

    assert held == [False, False]


@pytest.mark.parametrize("name", EVERYONE_BUT_FINANCE)
def test_no_one_but_the_bureaus_finance_reviewer_may_draw(cast, year, approved, name):
    message = _refused(
        lambda: sample_draw(fiscal_year=year, actor=getattr(cast, name), ratio=Decimal(1), rules=[], seed=1)
    )

    assert (message, _sampled_evaluations(year)) == ("只有本财政局的财政审核员可以抽取样本。", {})


@pytest.mark.parametrize("name", EVERYONE_BUT_FINANCE)
def test_no_one_but_the_bureaus_finance_reviewer_may_add_by_hand(cast, year, four_approved, name):
    sample_draw(fiscal_year=year, actor=cast.finance_reviewer, ratio=Decimal(0), rules=[], seed=1)

    message = _refused(lambda: sample_add(evaluation=four_approved[0], actor=getattr(cast, name), reason="抽查"))

    assert (message, _sampled_evaluations(year)) == ("只有本财政局的财政审核员可以调整样本。", {})


@pytest.mark.parametrize("name", EVERYONE_BUT_FINANCE)
def test_no_one_but_the_bureaus_finance_reviewer_may_remove(cast, year, review, name):
    message = _refused(lambda: sample_remove(review=review, actor=getattr(cast, name), reason="误抽"))

    review.refresh_from_db()
    assert (message, review.excluded) == ("只有本财政局的财政审核员可以调整样本。", False)


@pytest.mark.parametrize("name", EVERYONE_BUT_FINANCE)
def test_no_one_but_the_bureaus_finance_reviewer_may_save_a_review(cast, review, name):
    message = _refused(
        lambda: review_save(
            review=review,
            actor=getattr(cast, name),
            grade="差",
            opinion_html=OPINION,
            reviewer_total=None,
            checked_scores={},
        )
    )

    review.refresh_from_db()
    assert (message, review.grade, review.opinion_html) == ("只有本财政局的财政审核员可以审核。", "", "")


@pytest.mark.parametrize("name", EVERYONE_BUT_FINANCE)
def test_no_one_but_the_bureaus_finance_reviewer_may_complete_a_review(cast, review, name):
    review_save(
        review=review,
        actor=cast.finance_reviewer,
        grade="良",
        opinion_html=OPINION,
        reviewer_total=None,
        checked_scores={},
    )

    message = _refused(lambda: review_complete(review=review, actor=getattr(cast, name)))

    review.refresh_from_db()
    assert (message, review.status, review.evaluation.status) == (
        "只有本财政局的财政审核员可以审核。",
        FinanceReview.Status.DRAFT,
        Status.APPROVED,
    )


@pytest.mark.parametrize("name", EVERYONE_BUT_FINANCE)
def test_no_one_but_the_bureaus_finance_reviewer_may_reopen_a_review(cast, completed, name):
    message = _refused(lambda: review_reopen(review=completed, actor=getattr(cast, name), reason="更正"))

    completed.refresh_from_db()
    assert (message, completed.status) == ("只有本财政局的财政审核员可以重新打开审核。", FinanceReview.Status.COMPLETED)


@pytest.mark.parametrize("name", EVERYONE_BUT_FINANCE)
def test_no_one_but_the_bureaus_finance_reviewer_may_finalise_or_publish(cast, year, completed, name):
    messages = [
        _refused(lambda: fiscal_year_finalise(fiscal_year=year, actor=getattr(cast, name))),
        _refused(lambda: fiscal_year_publish(fiscal_year=year, actor=getattr(cast, name))),
    ]

    year.refresh_from_db()
    assert (messages, year.status) == (
        ["只有本财政局的财政审核员可以定稿。", "只有本财政局的财政审核员可以公开已定稿的年度。"],
        FiscalYear.Status.OPEN,
    )


# --- one review -----------------------------------------------------------------------------------------


def test_saving_stores_the_grade_the_sanitised_opinion_and_the_checked_scores(cast, approved, review):
    training = _indicator(approved, "培训人数")

    review_save(
        review=review,
        actor=cast.finance_reviewer,
        grade="良",
        opinion_html='<p onclick="x()">1. 预算执行情况：良好。</p><script>alert(1)</script>',
        reviewer_total=Decimal(88),
        checked_scores={training.pk: (Decimal(45), "培训人数未达标")},
    )

    review.refresh_from_db()
    assert (review.grade, review.opinion_html, review.reviewer_total, review.reviewer, _checks(review)) == (
        "良",
        "<p>1. 预算执行情况：良好。</p>",
        Decimal(88),
        cast.finance_reviewer,
        [("培训人数", Decimal(45), "培训人数未达标")],
    )


def test_with_every_scored_indicator_checked_the_total_is_the_budget_score_plus_the_checks(cast, approved, review):
    names = ("培训人数", "就业质量提升", "学员满意度")
    scores = (Decimal(45), Decimal(30), Decimal(8))
    checked = {_indicator(approved, n).pk: (s, "扣分") for n, s in zip(names, scores, strict=True)}

    review_save(
        review=review,
        actor=cast.finance_reviewer,
        grade="优",
        opinion_html=OPINION,
        reviewer_total=Decimal(70),
        checked_scores=checked,
        card=build_scorecard(approved.project),
    )

    review.refresh_from_db()
    # 预算执行 9.50 (95 of 100 万元) + 45 + 30 + 8; the typed 70 is overridden.
    assert review.reviewer_total == Decimal("92.50")


def test_with_some_indicators_unchecked_the_typed_total_is_kept(cast, approved, review):
    checked = {_indicator(approved, "培训人数").pk: (Decimal(45), "扣分")}

    review_save(
        review=review,
        actor=cast.finance_reviewer,
        grade="良",
        opinion_html=OPINION,
        reviewer_total=Decimal(88),
        checked_scores=checked,
        card=build_scorecard(approved.project),
    )

    review.refresh_from_db()
    assert (review.reviewer_total, _checks(review)) == (Decimal(88), [("培训人数", Decimal(45), "扣分")])


def test_saving_again_replaces_the_checked_scores(cast, approved, review):
    training, satisfaction = _indicator(approved, "培训人数"), _indicator(approved, "学员满意度")
    review_save(
        review=review,
        actor=cast.finance_reviewer,
        grade="良",
        opinion_html=OPINION,
        reviewer_total=None,
        checked_scores={training.pk: (Decimal(45), "扣分")},
    )

    review_save(
        review=review,
        actor=cast.finance_reviewer,
        grade="良",
        opinion_html=OPINION,
        reviewer_total=None,
        checked_scores={satisfaction.pk: (Decimal(9), "样本偏少")},
    )

    assert _checks(review) == [("学员满意度", Decimal(9), "样本偏少")]


def test_the_reviewer_total_is_only_computed_with_every_scored_indicator_checked(approved):
    card = build_scorecard(approved.project)
    ids = {ind.name: ind.pk for ind in approved.project.indicators.all()}

    totals = [
        reviewer_total_from(card, {}),
        reviewer_total_from(card, {ids["培训人数"]: Decimal(50), ids["就业质量提升"]: Decimal(30)}),
        reviewer_total_from(
            card, {ids["培训人数"]: Decimal(50), ids["就业质量提升"]: Decimal(30), ids["学员满意度"]: Decimal(10)}
        ),
    ]

    assert totals == [None, None, Decimal("99.50")]


def test_an_unweighted_row_is_not_needed_for_the_computed_total(approved):
    IndicatorFactory(project=approved.project, order=9, name="", weight=None, claimed_score=None)
    card = build_scorecard(approved.project)
    ids = {ind.name: ind.pk for ind in approved.project.indicators.all() if ind.name}

    total = reviewer_total_from(card, {pk: Decimal(5) for pk in ids.values()})

    assert total == Decimal("24.50")


def test_completing_moves_the_evaluation_to_spot_checked_with_one_audit_record(cast, approved, review):
    review_save(
        review=review,
        actor=cast.finance_reviewer,
        grade="良",
        opinion_html=OPINION,
        reviewer_total=None,
        checked_scores={},
    )

    review_complete(review=review, actor=cast.finance_reviewer)

    review.refresh_from_db()
    approved.refresh_from_db()
    assert (review.status, review.completed_at is not None, approved.status, _audit(approved)) == (
        FinanceReview.Status.COMPLETED,
        True,
        Status.SPOT_CHECKED,
        [(Status.APPROVED, Status.SPOT_CHECKED, "finance", "财政抽查审核结果：良")],
    )


@pytest.mark.parametrize(
    ("grade", "opinion", "message"),
    [
        ("", "", "完成审核前请填写财政抽查审核结果和审核意见。"),
        ("良", "", "完成审核前请填写审核意见。"),
        ("", OPINION, "完成审核前请填写财政抽查审核结果。"),
    ],
)
def test_completing_needs_a_grade_and_an_opinion(cast, approved, review, grade, opinion, message):
    review_save(
        review=review,
        actor=cast.finance_reviewer,
        grade=grade,
        opinion_html=opinion,
        reviewer_total=None,
        checked_scores={},
    )

    refusal = _refused(lambda: review_complete(review=review, actor=cast.finance_reviewer))

    review.refresh_from_db()
    approved.refresh_from_db()
    assert (refusal, review.status, approved.status, _audit(approved)) == (
        message,
        FinanceReview.Status.DRAFT,
        Status.APPROVED,
        [],
    )


@pytest.mark.parametrize("empty", ["<p><br></p>", "<p> </p>", "<p><b></b></p>"])
def test_completing_needs_an_opinion_with_text(cast, review, empty):
    review_save(
        review=review,
        actor=cast.finance_reviewer,
        grade="良",
        opinion_html=empty,
        reviewer_total=None,
        checked_scores={},
    )

    _refused(lambda: review_complete(review=review, actor=cast.finance_reviewer))

    review.refresh_from_db()
    assert (review.status, review.evaluation.status) == (FinanceReview.Status.DRAFT, Status.APPROVED)


def test_a_review_taken_out_of_the_sample_cannot_be_completed(cast, approved, review):
    review_save(
        review=review,
        actor=cast.finance_reviewer,
        grade="良",
        opinion_html=OPINION,
        reviewer_total=None,
        checked_scores={},
    )
    sample_remove(review=review, actor=cast.finance_reviewer, reason="项目已撤销")

    _refused(lambda: review_complete(review=review, actor=cast.finance_reviewer))

    approved.refresh_from_db()
    assert (approved.status, _audit(approved)) == (Status.APPROVED, [])


def test_saving_refuses_a_checked_score_above_the_weight(cast, approved, review):
    training = _indicator(approved, "培训人数")

    _refused(
        lambda: review_save(
            review=review,
            actor=cast.finance_reviewer,
            grade="良",
            opinion_html=OPINION,
            reviewer_total=None,
            checked_scores={training.pk: (Decimal(55), "")},
        )
    )

    assert _checks(review) == []


def test_a_completed_review_refuses_saves(cast, completed):
    message = _refused(
        lambda: review_save(
            review=completed,
            actor=cast.finance_reviewer,
            grade="差",
            opinion_html="<p>改</p>",
            reviewer_total=None,
            checked_scores={},
        )
    )

    completed.refresh_from_db()
    assert (message, completed.grade, completed.opinion_html) == ("该审核已完成，须先重新打开才能修改。", "良", OPINION)


def test_a_completed_review_refuses_completing_twice(cast, approved, completed):
    message = _refused(lambda: review_complete(review=completed, actor=cast.finance_reviewer))

    assert (message, len(_audit(approved))) == ("该审核已完成，须先重新打开才能修改。", 1)


def test_reopening_moves_the_evaluation_back_with_the_reason_audited(cast, approved, completed):
    review_reopen(review=completed, actor=cast.finance_reviewer, reason=" 等级录入错误 ")

    completed.refresh_from_db()
    approved.refresh_from_db()
    assert (completed.status, completed.completed_at, approved.status, _audit(approved)) == (
        FinanceReview.Status.DRAFT,
        None,
        Status.APPROVED,
        [
            (Status.APPROVED, Status.SPOT_CHECKED, "finance", "财政抽查审核结果：良"),
            (Status.SPOT_CHECKED, Status.APPROVED, "finance", "重新打开审核：等级录入错误"),
        ],
    )


@pytest.mark.parametrize("reason", ["", " \n "])
def test_reopening_needs_a_reason(cast, approved, completed, reason):
    message = _refused(lambda: review_reopen(review=completed, actor=cast.finance_reviewer, reason=reason))

    completed.refresh_from_db()
    approved.refresh_from_db()
    assert (message, completed.status, approved.status) == (
        "重新打开审核须说明原因。",
        FinanceReview.Status.COMPLETED,
        Status.SPOT_CHECKED,
    )


def test_an_open_review_cannot_be_reopened(cast, review):
    message = _refused(lambda: review_reopen(review=review, actor=cast.finance_reviewer, reason="更正"))

    assert message == "该审核尚未完成，无需重新打开。"


def test_a_reopened_review_can_be_corrected_and_completed_again(cast, approved, completed):
    reopened = review_reopen(review=completed, actor=cast.finance_reviewer, reason="等级录入错误")
    review_save(
        review=reopened,
        actor=cast.finance_reviewer,
        grade="中",
        opinion_html=OPINION,
        reviewer_total=None,
        checked_scores={},
    )

    review_complete(review=reopened, actor=cast.finance_reviewer)

    approved.refresh_from_db()
    assert (approved.status, [row[3] for row in _audit(approved)]) == (
        Status.SPOT_CHECKED,
        ["财政抽查审核结果：良", "重新打开审核：等级录入错误", "财政抽查审核结果：中"],
    )


def test_a_finalised_year_makes_its_reviews_read_only(cast, year, completed):
    fiscal_year_finalise(fiscal_year=year, actor=cast.finance_reviewer)
    completed = FinanceReview.objects.get(pk=completed.pk)

    messages = [
        _refused(lambda: review_reopen(review=completed, actor=cast.finance_reviewer, reason="更正")),
        _refused(
            lambda: review_save(
                review=completed,
                actor=cast.finance_reviewer,
                grade="差",
                opinion_html=OPINION,
                reviewer_total=None,
                checked_scores={},
            )
        ),
    ]

    assert messages == ["该年度已定稿，审核记录只读。", "该年度已定稿，审核记录只读。"]


# --- 自评准确 (SPEC §5.4) ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("self_total", "difference", "deduction"),
    [
        # Against a reviewer total of 80: each band includes its upper bound.
        ("84", "0.05", "0"),
        ("85.6", "0.07", "4"),
        ("88", "0.10", "4"),
        ("92", "0.15", "8"),
        ("100", "0.25", "10"),
        ("76", "0.05", "0"),
        ("60", "0.25", "10"),
    ],
)
def test_accuracy_deducts_by_the_difference_from_the_reviewer_total(self_total, difference, deduction):
    review = FinanceReview(evaluation=ProjectEvaluation(claimed_total=Decimal(self_total)), reviewer_total=Decimal(80))

    accuracy = accuracy_of(review)

    assert accuracy == Accuracy(
        self_total=Decimal(self_total),
        reviewer_total=Decimal(80),
        difference=Decimal(difference),
        deduction=Decimal(deduction),
    )


def test_accuracy_needs_a_reviewer_total():
    review = FinanceReview(evaluation=ProjectEvaluation(claimed_total=Decimal(90)), reviewer_total=None)

    assert accuracy_of(review) is None


def test_accuracy_compares_with_the_computed_total_when_the_unit_claimed_none(cast, approved, review):
    review_save(
        review=review,
        actor=cast.finance_reviewer,
        grade="良",
        opinion_html=OPINION,
        reviewer_total=Decimal("90.50"),
        checked_scores={},
    )

    accuracy = accuracy_of(FinanceReview.objects.get(pk=review.pk))

    # 99.50 against 90.50: 9.94% apart, within 10%.
    assert (accuracy.self_total, accuracy.reviewer_total, accuracy.deduction) == (
        Decimal("99.50"),
        Decimal("90.50"),
        Decimal(4),
    )


# --- the drafted opinion --------------------------------------------------------------------------------


def test_the_drafted_opinion_opens_with_seed_000s_budget_paragraph(demo):
    evaluation = ProjectEvaluation.objects.get(project__fiscal_year=demo, project__name="促进创业带动就业补贴（一级）")

    drafted = draft_opinion(project=evaluation.project, card=build_scorecard(evaluation.project))

    assert drafted == (
        "<p>1. 预算执行情况：市级财政年初预算金额9932.92万元，实际下达预算金额8674.58万元，"
        "实际支出金额8453.36万元，预算执行率97.45%。</p>"
        "<p>2. 产出方面：</p><p>3. 效果方面：</p><p>4. 存在问题：</p><p>5. 加强预算绩效管理的建议：</p>"
    )


def test_the_drafted_opinion_names_a_target_set_too_low(approved):
    training = _indicator(approved, "培训人数")
    training.actual_text, training.actual_value = "160", Decimal(160)
    training.save(update_fields=["actual_text", "actual_value"])

    drafted = draft_opinion(project=approved.project, card=build_scorecard(approved.project))

    assert drafted == (
        "<p>1. 预算执行情况：市级财政年初预算金额100.00万元，实际下达预算金额100.00万元，"
        "实际支出金额95.00万元，预算执行率95.00%。</p>"
        "<p>2. 产出方面：</p><p>3. 效果方面：</p>"
        "<p>4. 存在问题：部分绩效目标设置不够合理，“培训人数”完成值 160 为指标值 100 的 160.00%，"
        "达到 150.00% 以上，目标设置过低，与资源投入匹配度有偏差。</p>"
        "<p>5. 加强预算绩效管理的建议：</p>"
    )


def test_an_indicator_just_below_150_percent_is_not_called_too_low(approved):
    training = _indicator(approved, "培训人数")
    training.actual_text, training.actual_value = "149", Decimal(149)
    training.save(update_fields=["actual_text", "actual_value"])

    drafted = draft_opinion(project=approved.project, card=build_scorecard(approved.project))

    assert "<p>4. 存在问题：</p>" in drafted


def test_the_drafted_opinion_of_a_project_without_budget_lines_shows_dashes(org, year):
    project = ProjectFactory(fiscal_year=year, unit=org.unit, name="无预算项目")
    ProjectEvaluationFactory(project=project, status=Status.APPROVED)

    drafted = draft_opinion(project=project, card=build_scorecard(project))

    assert drafted.split("</p>")[0] == (
        "<p>1. 预算执行情况：市级财政年初预算金额—万元，实际下达预算金额—万元，实际支出金额—万元，预算执行率—。"
    )


# --- the year -------------------------------------------------------------------------------------------


def test_finalising_with_a_sampled_review_open_marks_the_open_reviews_incomplete(cast, year, four_approved):
    sample_draw(fiscal_year=year, actor=cast.finance_reviewer, ratio=Decimal("0.5"), rules=[], seed=1)

    fiscal_year_finalise(fiscal_year=year, actor=cast.finance_reviewer)

    year.refresh_from_db()
    reviews = FinanceReview.objects.filter(evaluation__project__fiscal_year=year)
    assert (year.status, sorted(reviews.values_list("status", flat=True))) == (
        FiscalYear.Status.FINALISED,
        [FinanceReview.Status.INCOMPLETE, FinanceReview.Status.INCOMPLETE],
    )


def test_a_year_without_a_sample_can_be_finalised(cast, year, approved):
    fiscal_year_finalise(fiscal_year=year, actor=cast.finance_reviewer)

    year.refresh_from_db()
    approved.refresh_from_db()
    assert (year.status, approved.status, FinanceReview.objects.count()) == (
        FiscalYear.Status.FINALISED,
        Status.APPROVED,
        0,
    )


def test_publishing_before_finalising_is_refused(cast, year, completed):
    message = _refused(lambda: fiscal_year_publish(fiscal_year=year, actor=cast.finance_reviewer))

    year.refresh_from_db()
    assert (message, year.status) == ("请先定稿，再公开。", FiscalYear.Status.OPEN)


def test_finalising_twice_is_refused(cast, year, completed):
    fiscal_year_finalise(fiscal_year=year, actor=cast.finance_reviewer)

    message = _refused(lambda: fiscal_year_finalise(fiscal_year=year, actor=cast.finance_reviewer))

    assert message == "该年度当前为“已定稿”，不能定稿。"


def test_finalise_then_publish_makes_every_approved_and_spot_checked_record_public(cast, org, year, completed):
    approved_only = _approved(year, org.other_unit, "社保经办经费")
    draft = _approved(year, org.unit, "尚未提交的项目", status=Status.DRAFT)
    spot_checked = completed.evaluation
    fiscal_year_finalise(fiscal_year=year, actor=cast.finance_reviewer)

    fiscal_year_publish(fiscal_year=year, actor=cast.finance_reviewer)

    year.refresh_from_db()
    statuses = dict(ProjectEvaluation.objects.values_list("project__name", "status"))
    assert (
        year.status,
        statuses,
        _audit(spot_checked)[-1:],
        _audit(approved_only),
        _audit(draft),
    ) == (
        FiscalYear.Status.PUBLISHED,
        {"日常办学经费": Status.PUBLISHED, "社保经办经费": Status.PUBLISHED, "尚未提交的项目": Status.UNSUBMITTED},
        [(Status.SPOT_CHECKED, Status.PUBLISHED, "finance", "年度定稿公开")],
        [(Status.APPROVED, Status.PUBLISHED, "finance", "年度定稿公开")],
        # Finalising marks the draft 未提交; publishing leaves it so.
        [(Status.DRAFT, Status.UNSUBMITTED, "finance", "年度定稿时尚未完成")],
    )


def test_publishing_the_demo_year_writes_one_audit_row_per_record(demo, demo_finance):
    before = EvaluationTransition.objects.filter(evaluation__project__fiscal_year=demo).count()
    fiscal_year_finalise(fiscal_year=demo, actor=demo_finance)

    fiscal_year_publish(fiscal_year=demo, actor=demo_finance)

    published = EvaluationTransition.objects.filter(evaluation__project__fiscal_year=demo, to_status=Status.PUBLISHED)
    statuses = ProjectEvaluation.objects.filter(project__fiscal_year=demo).values_list("status", flat=True)
    assert (
        EvaluationTransition.objects.filter(evaluation__project__fiscal_year=demo).count() - before,
        sorted(published.values_list("evaluation_id", flat=True)),
        sorted(set(statuses)),
    ) == (35, sorted(population(demo).values_list("pk", flat=True)), [Status.PUBLISHED])
