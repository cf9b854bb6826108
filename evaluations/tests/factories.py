"""factory_boy factories for every model the tests build."""

from decimal import Decimal

import factory

from accounts.models import Organisation, User
from budgets.models import BudgetLine, FiscalYear, Project, RuleProfile
from evaluations.models import DepartmentEvaluation, FinanceReview, ProjectEvaluation
from indicators.models import Indicator

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
