"""The department-wide evaluations a user's lists start from (SPEC §7, §12), from the policy's predicates."""

from evaluations.models import DepartmentEvaluation
from policy import rules as r


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
