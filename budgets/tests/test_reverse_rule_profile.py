"""A rule profile's 反向 rule (SPEC §5.2, §6): set by layout when migration 0008 added it, switched in the admin."""

from decimal import Decimal
from importlib import import_module

import pytest
from django.apps import apps
from django.urls import reverse

from budgets.models import RuleProfile
from evaluations.scorecard import build_scorecard
from evaluations.tests.factories import IndicatorFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db

MIGRATION = import_module("budgets.migrations.0008_ruleprofile_reverse_rule")


def test_the_migrations_give_the_national_profile_the_ratio_rule_and_the_sichuan_profile_the_linear_one():
    assert dict(RuleProfile.objects.values_list("code", "reverse_rule")) == {
        "national": "ratio",
        "sichuan": "linear",
    }


def test_migration_0008_sets_every_existing_profile_by_its_layout():
    RuleProfile.objects.update(reverse_rule="linear")
    RuleProfile.objects.create(code="guangdong", name="广东", layout="national", reverse_rule="linear")
    RuleProfile.objects.create(code="chengdu", name="成都", layout="sichuan", reverse_rule="ratio")

    MIGRATION.set_by_layout(apps, None)

    assert dict(RuleProfile.objects.values_list("code", "reverse_rule")) == {
        "chengdu": "linear",
        "guangdong": "ratio",
        "national": "ratio",
        "sichuan": "linear",
    }


@pytest.fixture
def operator(db):
    """The installation's operator: a superuser outside every bureau, who administers the shared profiles."""
    return UserFactory(username="ops", role="admin", organisation=None, is_staff=True, is_superuser=True)


def _change_url(profile):
    return reverse("admin:budgets_ruleprofile_change", args=[profile.pk])


def _admin_post(response, **changes):
    """The main form of an admin change page as a browser posts it back (inlines unchanged), with ``changes``."""
    data = {}
    form = response.context["adminform"].form
    for name, field in form.fields.items():
        value = form[name].value()
        if value is not None and not field.disabled:
            data[name] = str(value)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        data.update({management.add_prefix(name): value for name, value in management.initial.items()})
        for sub in formset.forms:
            for name, field in sub.fields.items():
                value = sub[name].value()
                if value is None or field.disabled:
                    continue
                if isinstance(value, bool):
                    if value:
                        data[sub.add_prefix(name)] = "on"
                else:
                    data[sub.add_prefix(name)] = str(value)
    return {**data, **changes}


def test_the_operator_switches_the_national_profile_to_the_linear_rule_and_scores_follow(client, operator, org, year):
    profile = RuleProfile.objects.get(code="national")
    project = ProjectFactory(fiscal_year=year, unit=org.unit)
    IndicatorFactory(project=project, sign="≤", target_value=Decimal(10), actual_value=Decimal(15), weight=Decimal(20))
    client.force_login(operator)
    page = client.get(_change_url(profile))

    response = client.post(_change_url(profile), _admin_post(page, reverse_rule="linear"))

    profile.refresh_from_db()
    year.refresh_from_db()
    assert (page.context["adminform"].form["reverse_rule"].value(), response.status_code, profile.reverse_rule) == (
        "ratio",
        302,
        "linear",
    )
    assert build_scorecard(project).lines[0].result.score == Decimal("10.00")


def test_a_bureau_admin_switches_their_own_profile_to_the_ratio_rule(client, cast, org):
    own = RuleProfile.objects.create(
        code="dongguan", name="东莞方案", layout="sichuan", reverse_rule="linear", finance_bureau=org.bureau
    )
    client.force_login(cast.admin)

    response = client.post(_change_url(own), _admin_post(client.get(_change_url(own)), reverse_rule="ratio"))

    own.refresh_from_db()
    assert (response.status_code, own.reverse_rule) == (302, "ratio")


def test_the_admin_refuses_an_unknown_reverse_rule(client, operator):
    profile = RuleProfile.objects.get(code="sichuan")
    client.force_login(operator)

    response = client.post(_change_url(profile), _admin_post(client.get(_change_url(profile)), reverse_rule="cubic"))

    profile.refresh_from_db()
    assert (response.status_code, "reverse_rule" in response.context["adminform"].form.errors) == (200, True)
    assert profile.reverse_rule == "linear"


def test_the_admin_list_shows_each_profiles_reverse_rule(client, operator):
    client.force_login(operator)

    page = client.get(reverse("admin:budgets_ruleprofile_changelist")).content.decode()

    assert ("目标值 ÷ 实际值 × 分值（财预〔2020〕10号）" in page, "超出目标线性扣减（至 2 倍目标为 0）" in page) == (
        True,
        True,
    )
