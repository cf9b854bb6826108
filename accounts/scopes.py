"""The organisations a user's lists and pickers start from (SPEC §1, §12), from the policy's predicates."""

from django.db.models import Q

from accounts.models import Organisation
from policy import rules as r


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
