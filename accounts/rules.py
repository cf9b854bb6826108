"""Role predicates shared by every app's permissions (django-rules). Access is deny-by-default."""

import rules

from .models import User


@rules.predicate
def is_unit_filler(user):
    return user.is_authenticated and user.is_active and user.role == User.Role.UNIT_FILLER


@rules.predicate
def is_department_reviewer(user):
    return user.is_authenticated and user.is_active and user.role == User.Role.DEPARTMENT_REVIEWER


@rules.predicate
def is_finance_reviewer(user):
    return user.is_authenticated and user.is_active and user.role == User.Role.FINANCE_REVIEWER


@rules.predicate
def is_admin(user):
    return user.is_authenticated and user.is_active and user.role == User.Role.ADMIN


@rules.predicate
def has_organisation(user):
    return user.is_authenticated and user.is_active and user.organisation_id is not None


@rules.predicate
def is_bureau_staff(user):
    return is_finance_reviewer(user) or is_admin(user)


def organisation_is_within(organisation, user) -> bool:
    """Whether ``organisation`` (a unit or department) is inside what ``user``'s own organisation covers."""
    if not (user.is_authenticated and user.is_active):
        return False
    if organisation is None or user.organisation_id is None:
        return False
    if user.role == User.Role.UNIT_FILLER:
        return organisation.pk == user.organisation_id
    if user.role == User.Role.DEPARTMENT_REVIEWER:
        return organisation.pk == user.organisation_id or organisation.parent_id == user.organisation_id
    if user.role in (User.Role.FINANCE_REVIEWER, User.Role.ADMIN):
        return organisation.finance_bureau.pk == user.organisation_id
    return False
