"""The querysets every list starts from, cut to the user's bureau and organisation first (SPEC §1, §12).

django-rules checks one object at a time; these are the same rules for lists. A user without an
organisation, or inactive, gets nothing.
"""

from django.db.models import Q

from accounts.models import Organisation
from budgets.models import FiscalYear, Project, RuleProfile
from evaluations.models import DepartmentEvaluation
from indicators.models import LibraryIndicator
from policy import rules as r


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


def units_visible_to(user):
    """Budget units whose projects ``user`` may see (for filters and pickers)."""
    units = Organisation.objects.budget_units()
    if r.is_unit_filler(user):
        return units.filter(pk=user.organisation_id)
    if r.is_department_reviewer(user):
        return units.filter(Q(pk=user.organisation_id) | Q(parent_id=user.organisation_id))
    if r.is_bureau_staff(user):
        return units.filter(Q(parent_id=user.organisation_id) | Q(parent__parent_id=user.organisation_id))
    return Organisation.objects.none()


def departments_visible_to(user):
    """The departments whose records ``user`` may see: their own, or every department of their bureau."""
    departments = Organisation.objects.departments()
    if r.is_department_reviewer(user):
        return departments.filter(pk=user.organisation_id)
    if r.is_bureau_staff(user):
        return departments.filter(parent_id=user.organisation_id)
    return Organisation.objects.none()


def fiscal_years_visible_to(user):
    bureau = r.bureau_id_of(user)
    if bureau is None:
        return FiscalYear.objects.none()
    return FiscalYear.objects.filter(finance_bureau_id=bureau)


def department_evaluations_visible_to(user):
    """Department-wide evaluations ``user`` may open: their department's, or their whole bureau's.

    A unit filler gets none, even one working for the department itself (SPEC §12).
    """
    if r.is_department_reviewer(user):
        return DepartmentEvaluation.objects.filter(department_id=user.organisation_id)
    if r.is_bureau_staff(user):
        return DepartmentEvaluation.objects.filter(
            department__parent_id=user.organisation_id, fiscal_year__finance_bureau_id=user.organisation_id
        )
    return DepartmentEvaluation.objects.none()


def shared_or_own(queryset, bureau_id):
    """Rows shared by every bureau (no owner) and those owned by ``bureau_id`` (rule profiles, the library)."""
    return queryset.filter(Q(finance_bureau__isnull=True) | Q(finance_bureau_id=bureau_id))


def library_indicators_for(user):
    """指标库 entries ``user`` may pick: the shared library and their own bureau's."""
    bureau = r.bureau_id_of(user)
    return LibraryIndicator.objects.none() if bureau is None else shared_or_own(LibraryIndicator.objects.all(), bureau)


def rule_profiles_for(user):
    """Rule profiles ``user`` may use: the shared ones and their own bureau's."""
    bureau = r.bureau_id_of(user)
    return RuleProfile.objects.none() if bureau is None else shared_or_own(RuleProfile.objects.all(), bureau)
