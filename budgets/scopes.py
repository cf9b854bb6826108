"""The projects, years and rule profiles a user's lists start from (SPEC §1, §12), cut to their bureau and
organisation by the policy's predicates. django-rules checks one object at a time; these are the same rules for
lists. A user without an organisation, or inactive, gets nothing.
"""

from django.db.models import Q

from accounts.models import Organisation
from budgets.models import FiscalYear, Project, RuleProfile
from policy import rules as r
from policy.scopes import shared_or_own


def projects_visible_to(user):
    """The one place a user's project list is scoped: none for an account without an organisation."""
    if r.is_unit_filler(user):
        return Project.objects.filter(unit_id=user.organisation_id)
    if r.is_department_reviewer(user):
        # The department and its units as a subquery on the small organisation table: written as an OR across
        # the join (unit = d OR unit.parent = d) PostgreSQL cannot use an index and reads every project of
        # the city (10,000 in the load test: 7.6 ms against 0.16 ms per query, several queries per page).
        department_units = Organisation.objects.filter(
            Q(pk=user.organisation_id) | Q(parent_id=user.organisation_id)
        ).values("pk")
        return Project.objects.filter(unit_id__in=department_units)
    if r.is_bureau_staff(user):
        return Project.objects.filter(fiscal_year__finance_bureau_id=user.organisation_id)
    return Project.objects.none()


def fiscal_years_visible_to(user):
    bureau = r.bureau_id_of(user)
    if bureau is None:
        return FiscalYear.objects.none()
    return FiscalYear.objects.filter(finance_bureau_id=bureau)


def rule_profiles_for(user):
    """Rule profiles ``user`` may use: the shared ones and their own bureau's."""
    bureau = r.bureau_id_of(user)
    return RuleProfile.objects.none() if bureau is None else shared_or_own(RuleProfile.objects.all(), bureau)
