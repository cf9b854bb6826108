"""factory_boy factories for every model the tests build."""

from decimal import Decimal

import factory

from accounts.models import Organisation, User
from budgets.models import BudgetLine, FiscalYear, Project, RuleProfile
from evaluations.models import DepartmentEvaluation, FinanceReview, ProjectEvaluation
from indicators.models import Indicator

# A finance opinion as the review tests save it.
OPINION = "<p>1. 预算执行情况：执行良好。</p><p>2. 产出方面：完成培训任务。</p>"

# The members of the `cast` fixture (conftest.py), for tests parametrised over everyone.
CAST_NAMES = (
    "unit_filler",
    "other_unit_filler",
    "foreign_unit_filler",
    "department_reviewer",
    "other_department_reviewer",
    "finance_reviewer",
    "other_bureau_finance_reviewer",
    "admin",
    "no_organisation",
)


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"单位{n}")
    kind = Organisation.Kind.UNIT


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "demo1234")
    role = User.Role.UNIT_FILLER

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            instance.save()


class FiscalYearFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FiscalYear

    year = 2024
    profile = factory.LazyFunction(lambda: RuleProfile.objects.get(code="national"))


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    name = factory.Sequence(lambda n: f"项目{n}")


class BudgetLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BudgetLine

    fund_source = "本年财政拨款"
    initial_wan = Decimal("100")
    adjusted_wan = Decimal("100")
    executed_wan = Decimal("95")


class IndicatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Indicator

    level1 = "产出指标"
    level2 = "数量指标"
    name = factory.Sequence(lambda n: f"指标{n}")
    sign = "≥"
    target_text = "100"
    target_value = Decimal("100")
    unit = "人"
    actual_value = Decimal("100")
    weight = Decimal("50")
    claimed_score = Decimal("50")


class ProjectEvaluationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProjectEvaluation


class DepartmentEvaluationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DepartmentEvaluation


class FinanceReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FinanceReview


def make_submittable(project):
    """Fill ``project`` so that it passes every submit check under the national profile (total 99.50, 优)."""
    project.goal_expected = "完成年度培训任务"
    project.goal_actual = "已完成"
    project.save(update_fields=["goal_expected", "goal_actual"])
    BudgetLineFactory(
        project=project,
        fund_source="本年财政拨款",
        initial_wan=Decimal(100),
        adjusted_wan=Decimal(100),
        executed_wan=Decimal(95),
    )
    IndicatorFactory(project=project, order=0, name="培训人数", weight=Decimal(50), claimed_score=Decimal(50))
    IndicatorFactory(
        project=project,
        order=1,
        level1="效益指标",
        level2="社会效益指标",
        name="就业质量提升",
        sign="定性",
        target_text="明显提升",
        target_value=None,
        unit="",
        actual_text="达成",
        actual_value=None,
        actual_label="达成年度指标",
        weight=Decimal(30),
        claimed_score=Decimal(30),
    )
    IndicatorFactory(
        project=project,
        order=2,
        level1="满意度指标",
        level2="服务对象满意度指标",
        name="学员满意度",
        target_text="≥90%",
        target_value=Decimal(90),
        unit="%",
        actual_value=Decimal(95),
        weight=Decimal(10),
        claimed_score=Decimal(10),
    )
    return project
