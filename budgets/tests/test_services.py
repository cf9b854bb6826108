"""Writes to projects: creating one, saving the whole form at once, copying last year's."""

from decimal import Decimal

import pytest
from django.db import IntegrityError

from budgets.models import BudgetLine, FiscalYear, Project, RuleProfile
from evaluations.filling.forms import BudgetLineFormSet, ProjectForm, indicator_formset_class
from evaluations.filling.services import (
    ProjectLockedError,
    StaleEditError,
    project_copy_from,
    project_create,
    project_save,
)
from evaluations.models import ProjectEvaluation
from evaluations.tests.factories import FiscalYearFactory, IndicatorFactory, ProjectFactory
from evaluations.workflow.services import evaluation_submit
from indicators.models import Indicator

Status = ProjectEvaluation.Status


def _forms(project, data=None, extra=1):
    """The three parts of the self-evaluation form, built the way the edit view builds them."""
    return (
        ProjectForm(data, instance=project, prefix="project"),
        BudgetLineFormSet(data, instance=project, prefix="budget"),
        indicator_formset_class(extra)(
            data,
            instance=project,
            prefix="indicators",
            profile=project.fiscal_year.profile,
            queryset=project.indicators.order_by("order", "pk"),
        ),
    )


def _data(project, changes):
    """The form as opened (initial values and management forms), with ``changes`` typed in (None clears)."""
    form, *formsets = _forms(project)
    data = {}
    for formset in formsets:
        management = formset.management_form
        data |= {management.add_prefix(name): management[name].value() for name in management.fields}
    for one in [form, *(row for formset in formsets for row in formset.forms)]:
        for name in one.fields:
            value = one[name].value()
            if value not in (None, False):
                data[one.add_prefix(name)] = "on" if value is True else value
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def _save(project, changes=None, *, version=None):
    """Open the form, type ``changes``, and save it through project_save as the edit view does."""
    project = Project.objects.get(pk=project.pk)
    form, budget_formset, indicator_formset = _forms(project, _data(project, changes or {}))
    assert [form.is_valid(), budget_formset.is_valid(), indicator_formset.is_valid()] == [True, True, True]
    return project_save(
        project=project,
        expected_version=project.version if version is None else version,
        form=form,
        budget_formset=budget_formset,
        indicator_formset=indicator_formset,
    )


def _rows(project):
    return list(
        Indicator.objects.filter(project=project)
        .order_by("order")
        .values_list("order", "name", "target_value", "actual_value", "claimed_score", "deviation_reason")
    )


def _state(project):
    project = Project.objects.get(pk=project.pk)
    return (
        project.name,
        project.version,
        list(project.budget_lines.values_list("executed_wan", flat=True)),
        _rows(project),
        ProjectEvaluation.objects.get(project=project).status,
    )


@pytest.fixture
def filled(submittable_evaluation):
    """The submittable draft with its actuals written into the cells, as the form holds them."""
    project = submittable_evaluation.project
    Indicator.objects.filter(project=project, name="培训人数").update(actual_text="100")
    Indicator.objects.filter(project=project, name="学员满意度").update(actual_text="95")
    return project


# --- project_create --------------------------------------------------------------------------------------------


def test_a_new_project_gets_a_fund_row_per_source_of_the_national_profile_and_a_draft(org, year):
    project = project_create(fiscal_year=year, unit=org.unit, name="技能竞赛经费", code="44190024T000001")

    evaluation = ProjectEvaluation.objects.get(project=project)
    assert (
        (project.name, project.code, project.unit, project.version),
        list(project.budget_lines.values_list("fund_source", "order", "initial_wan", "adjusted_wan", "executed_wan")),
        (evaluation.status, evaluation.profile.code, evaluation.computed_total, evaluation.computed_grade),
    ) == (
        ("技能竞赛经费", "44190024T000001", org.unit, 0),
        [
            ("本年财政拨款", 0, None, None, None),
            ("上年结转资金", 1, None, None, None),
            ("其他资金", 2, None, None, None),
        ],
        (Status.DRAFT, "national", None, ""),
    )


def test_a_new_project_of_a_sichuan_year_gets_the_four_sichuan_fund_rows(org):
    sichuan = FiscalYearFactory(finance_bureau=org.bureau, year=2024, profile=RuleProfile.objects.get(code="sichuan"))

    project = project_create(fiscal_year=sichuan, unit=org.unit, name="人事考试考务费")

    assert list(project.budget_lines.values_list("fund_source", flat=True)) == [
        "财政资金",
        "财政专户管理资金",
        "单位资金",
        "其他资金",
    ]


def test_a_second_project_of_the_same_name_in_the_unit_and_year_is_refused_and_leaves_nothing(org, year):
    project_create(fiscal_year=year, unit=org.unit, name="技能竞赛经费")

    with pytest.raises(IntegrityError):
        project_create(fiscal_year=year, unit=org.unit, name="技能竞赛经费")

    assert (Project.objects.count(), BudgetLine.objects.count(), ProjectEvaluation.objects.count()) == (1, 3, 1)


def test_the_same_name_may_recur_in_another_unit_and_another_year(org, year):
    last_year = FiscalYearFactory(finance_bureau=org.bureau, year=2023, status=FiscalYear.Status.CLOSED)
    project_create(fiscal_year=year, unit=org.unit, name="技能竞赛经费")

    project_create(fiscal_year=year, unit=org.other_unit, name="技能竞赛经费")
    project_create(fiscal_year=last_year, unit=org.unit, name="技能竞赛经费")

    assert Project.objects.filter(name="技能竞赛经费").count() == 3


# --- project_save ---------------------------------------------------------------------------------------------


def test_saving_writes_header_budget_and_indicators_and_recomputes_the_totals(filled):
    project = _save(
        filled,
        {
            "project-name": "日常办学经费（调整）",
            "budget-0-executed_wan": "90",
            "indicators-0-actual_text": "90",
            "indicators-0-claimed_score": "45",
            "indicators-0-deviation_reason": "受场地影响少培训 10 人",
        },
    )

    evaluation = ProjectEvaluation.objects.get(project=project)
    assert (
        project.name,
        list(project.budget_lines.values_list("adjusted_wan", "executed_wan")),
        _rows(project),
        (evaluation.computed_budget_score, evaluation.computed_total, evaluation.computed_grade),
    ) == (
        "日常办学经费（调整）",
        [(Decimal(100), Decimal(90))],
        [
            (0, "培训人数", Decimal(100), Decimal(90), Decimal(45), "受场地影响少培训 10 人"),
            (1, "就业质量提升", None, None, Decimal(30), ""),
            (2, "学员满意度", Decimal(90), Decimal(95), Decimal(10), ""),
        ],
        (Decimal("9.00"), Decimal("94.00"), "优"),
    )


def test_untouched_spare_rows_are_not_saved_and_a_typed_one_is(filled):
    project = _save(filled, {"indicators-3-name": "培训合格率", "indicators-3-weight": "5"})

    assert [(order, name) for order, name, *_ in _rows(project)] == [
        (0, "培训人数"),
        (1, "就业质量提升"),
        (2, "学员满意度"),
        (3, "培训合格率"),
    ]


def test_rows_are_renumbered_by_their_order_field_and_deleted_rows_removed(filled):
    project = _save(
        filled,
        {
            "indicators-0-ORDER": "9",
            "indicators-1-DELETE": "on",
            "indicators-2-ORDER": "1",
            "indicators-3-name": "培训合格率",
            "indicators-3-weight": "5",
            "indicators-3-ORDER": "2",
        },
    )

    assert [(order, name) for order, name, *_ in _rows(project)] == [
        (0, "学员满意度"),
        (1, "培训合格率"),
        (2, "培训人数"),
    ]


def test_a_stale_version_is_refused_and_nothing_is_written(filled):
    before = _state(filled)

    with pytest.raises(StaleEditError) as refused:
        _save(filled, {"project-name": "过期页面上的名称", "indicators-0-claimed_score": "40"}, version=7)

    assert (str(refused.value).startswith("保存失败：该项目已于 "), _state(filled)) == (True, before)


def test_a_submitted_project_is_locked_and_nothing_is_written(cast, filled):
    evaluation_submit(evaluation=filled.evaluation, actor=cast.unit_filler)
    before = _state(filled)

    with pytest.raises(ProjectLockedError) as refused:
        _save(filled, {"project-name": "提交后改名"})

    assert (str(refused.value), _state(filled)) == ("该项目的自评当前为“已提交”，不能再修改。", before)


def test_each_save_raises_the_version_by_one(filled):
    _save(filled)

    project = _save(filled)

    assert Project.objects.get(pk=project.pk).version == 2


def test_a_save_from_the_version_before_another_save_is_refused(filled):
    _save(filled, {"project-name": "先保存的名称"})

    with pytest.raises(StaleEditError):
        _save(filled, {"project-name": "后保存的名称"}, version=0)


# --- project_copy_from ------------------------------------------------------------------------------------------


@pytest.fixture
def source(org):
    """A published 2023 project with amounts, scored indicators, reasons, a conclusion and a blank spacer row.

    The year is built open and published at the end: a published year's records are locked (SPEC §13).
    """
    last_year = FiscalYearFactory(finance_bureau=org.bureau, year=2023, status=FiscalYear.Status.OPEN)
    project = project_create(
        fiscal_year=last_year,
        unit=org.unit,
        name="技能竞赛经费",
        code="44190023T000042",
        project_type=Project.ProjectType.RECURRING,
        manager="李明",
        finance_manager="王芳",
        phone="0769-22220000",
        background="承办市级技能竞赛",
        content="组织竞赛与集训",
        goal_expected="举办竞赛 3 场",
        goal_actual="已举办 3 场",
        execution_reason="部分经费结转",
        adjustment_reason="追加集训经费",
        conclusion="完成良好",
        problems="宣传不足",
        improvements="加强宣传",
        summary="2023 年综述",
        sort_order=7,
    )
    BudgetLine.objects.filter(project=project, fund_source="本年财政拨款").update(
        initial_wan=Decimal("80"), adjusted_wan=Decimal("90"), executed_wan=Decimal("70")
    )
    BudgetLine.objects.filter(project=project, fund_source="其他资金").update(
        initial_wan=Decimal("5.5"), adjusted_wan=Decimal("5.5"), executed_wan=Decimal("5.5")
    )
    IndicatorFactory(
        project=project,
        order=0,
        name="竞赛场次",
        target_text="≥3场",
        target_value=Decimal(3),
        unit="场",
        actual_text="2",
        actual_value=Decimal(2),
        weight=Decimal(50),
        claimed_score=Decimal("33.33"),
        deviation_reason="一场延期",
    )
    # A spacer row as published (生态效益指标 left empty): nothing to carry forward.
    IndicatorFactory(
        project=project,
        order=1,
        level1="效益指标",
        level2="生态效益指标",
        name="",
        sign="",
        target_text="",
        target_value=None,
        unit="",
        actual_value=None,
        weight=None,
        claimed_score=None,
    )
    IndicatorFactory(
        project=project,
        order=2,
        level1="效益指标",
        level2="社会效益指标",
        name="技能水平提升",
        sign="定性",
        target_text="明显提升",
        target_value=None,
        unit="",
        actual_text="基本达成",
        actual_value=None,
        actual_label="部分达成年度指标并具有一定效果",
        weight=Decimal(30),
        claimed_score=Decimal(20),
        deviation_reason="覆盖面不足",
    )
    last_year.status = FiscalYear.Status.PUBLISHED
    last_year.save(update_fields=["status"])
    return project


def test_a_copy_takes_the_header_but_not_last_years_results(year, source):
    copy = project_copy_from(source=source, fiscal_year=year)

    assert (
        (copy.fiscal_year, copy.unit, copy.copied_from, copy.name, copy.code, copy.project_type),
        (copy.manager, copy.finance_manager, copy.phone, copy.background, copy.content, copy.goal_expected),
        (copy.goal_actual, copy.execution_reason, copy.adjustment_reason, copy.conclusion, copy.problems),
        (copy.improvements, copy.summary, copy.sort_order, copy.version),
    ) == (
        (year, source.unit, source, "技能竞赛经费", "44190023T000042", "recurring"),
        ("李明", "王芳", "0769-22220000", "承办市级技能竞赛", "组织竞赛与集训", "举办竞赛 3 场"),
        ("", "", "", "", ""),
        ("", "", None, 0),
    )


def test_a_copy_keeps_only_the_initial_budget_of_each_fund_row(year, source):
    copy = project_copy_from(source=source, fiscal_year=year)

    assert list(copy.budget_lines.values_list("fund_source", "initial_wan", "adjusted_wan", "executed_wan")) == [
        ("本年财政拨款", Decimal(80), None, None),
        ("上年结转资金", None, None, None),
        ("其他资金", Decimal("5.5"), None, None),
    ]


def test_a_copy_keeps_the_indicators_targets_and_weights_and_drops_actuals_scores_and_reasons(year, source):
    copy = project_copy_from(source=source, fiscal_year=year)

    assert list(
        copy.indicators.order_by("order").values_list(
            "level1",
            "level2",
            "name",
            "sign",
            "target_text",
            "target_value",
            "unit",
            "actual_text",
            "actual_value",
            "actual_label",
            "weight",
            "claimed_score",
            "deviation_reason",
        )
    ) == [
        ("产出指标", "数量指标", "竞赛场次", "≥", "≥3场", Decimal(3), "场", "", None, "", Decimal(50), None, ""),
        ("效益指标", "社会效益指标", "技能水平提升", "定性", "明显提升", None, "", "", None, "", Decimal(30), None, ""),
    ]


def test_a_copy_leaves_the_source_untouched(year, source):
    before = (_rows(source), list(source.budget_lines.values_list("initial_wan", "adjusted_wan", "executed_wan")))

    project_copy_from(source=source, fiscal_year=year)

    after = (_rows(source), list(source.budget_lines.values_list("initial_wan", "adjusted_wan", "executed_wan")))
    assert (after, Indicator.objects.filter(project=source).count()) == (before, 3)


def test_a_copy_starts_as_a_draft_under_the_target_years_profile(org, source):
    sichuan_year = FiscalYearFactory(
        finance_bureau=org.bureau, year=2024, profile=RuleProfile.objects.get(code="sichuan")
    )

    copy = project_copy_from(source=source, fiscal_year=sichuan_year)

    evaluation = ProjectEvaluation.objects.get(project=copy)
    assert (evaluation.status, evaluation.profile.code, evaluation.transitions.count()) == (Status.DRAFT, "sichuan", 0)


def test_copying_into_a_year_that_already_has_the_name_is_refused(year, org, source):
    project_create(fiscal_year=year, unit=org.unit, name="技能竞赛经费")

    with pytest.raises(IntegrityError):
        project_copy_from(source=source, fiscal_year=year)

    assert Project.objects.filter(fiscal_year=year).count() == 1


def test_a_factory_project_without_fund_rows_gets_them_on_copy(org, year):
    last_year = FiscalYearFactory(finance_bureau=org.bureau, year=2023, status=FiscalYear.Status.CLOSED)
    bare = ProjectFactory(fiscal_year=last_year, unit=org.unit, name="导入的往年项目")

    copy = project_copy_from(source=bare, fiscal_year=year)

    assert list(copy.budget_lines.values_list("fund_source", "initial_wan")) == [
        ("本年财政拨款", None),
        ("上年结转资金", None),
        ("其他资金", None),
    ]
