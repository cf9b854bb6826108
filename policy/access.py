"""The questions views, templates, exports and commands ask of the policy (``policy.rules`` answers them).

``can`` asks the django-rules permission set directly rather than ``user.has_perm``: Django lets an active
superuser pass every ``has_perm`` check, and no account, however privileged, may bypass the object rules.
"""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from rules import has_perm

from policy import rules as policy_rules


def can(user, perm: str, obj=None) -> bool:
    return has_perm(perm, user, obj)


def get_object_for_user(user, queryset, perm: str, **lookup):
    """The object matching ``lookup`` if ``user`` holds ``perm`` on it: 404 when it does not exist, 403 otherwise."""
    obj = get_object_or_404(queryset, **lookup)
    if not can(user, perm, obj):
        raise PermissionDenied("您无权访问该记录。")
    return obj


def require(user, perm: str, obj=None, message: str = "您无权执行此操作。") -> None:
    """Refuse with a 403 (and ``message``) unless ``user`` holds ``perm`` (on ``obj``)."""
    if not can(user, perm, obj):
        raise PermissionDenied(message)


def bureau_id_of(user) -> int | None:
    """The pk of the finance bureau the user belongs to; None for an account outside every bureau."""
    return policy_rules.bureau_id_of(user)


def is_operator(user) -> bool:
    """The installation's operator (not a bureau role): the only account that may act across bureaus."""
    return bool(policy_rules.is_operator(user))


def sees_finance_results(user, fiscal_year) -> bool:
    """Whether grades, reviewer scores, opinions and self-vs-finance findings of the year are shown to ``user``.

    The bureau's own staff see them at once; units and departments from the year's publication on (SPEC §12).
    """
    return can(user, "evaluations.view_finance_results", fiscal_year)


def sees_whole_bureau(user) -> bool:
    """Finance bureau staff see every department of their bureau; a department reviewer sees one."""
    return bool(policy_rules.is_bureau_staff(user))


def department_scope(user):
    """The one department whose records bound what ``user`` sees in bureau-wide views, or None for bureau staff.

    Raises PermissionDenied for a role that has no such view (a unit filler) or no organisation.
    """
    if policy_rules.is_department_reviewer(user):
        return user.organisation
    if policy_rules.is_bureau_staff(user):
        return None
    raise PermissionDenied("只有主管部门和财政局可以查看该内容。")


def fills_department_evaluations(user) -> bool:
    """Whether ``user`` fills their own department's department-wide self-evaluation (SPEC §1, §7)."""
    return bool(policy_rules.is_department_reviewer(user))


def groups_by_unit(user) -> bool:
    """A department reviewer compares the units of their department; the bureau compares its departments."""
    return bool(policy_rules.is_department_reviewer(user))


def waiting_list_kind(user) -> str:
    """Which waiting lists the home page shows: ``unit``, ``department``, ``finance`` or ``""``."""
    if policy_rules.is_unit_filler(user):
        return "unit"
    if policy_rules.is_department_reviewer(user):
        return "department"
    if policy_rules.is_finance_reviewer(user):
        return "finance"
    return ""


def navigation(user) -> dict[str, bool]:
    """The menu entries ``user`` may open: each is the permission its page asks for, nothing else."""
    return {
        "new_project": can(user, "budgets.add_project"),
        "review_queue": can(user, "evaluations.review_queue"),
        "department_list": can(user, "evaluations.department_list"),
        "dashboard": can(user, "evaluations.view_dashboard"),
        "finance_board": can(user, "evaluations.finance_board"),
        "quality": can(user, "evaluations.view_quality"),
        "exports": can(user, "evaluations.view_exports"),
        "audit_export": can(user, "audit.open_export"),
        "imports": can(user, "imports.add_importrecord"),
        "admin_site": can(user, "admin.open_site"),
    }
