"""Who may move a self-evaluation through its workflow (SPEC §1, §3)."""

import rules

from accounts.rules import (
    is_admin,
    is_department_reviewer,
    is_finance_reviewer,
    is_unit_filler,
    organisation_is_within,
)
from budgets.models import FiscalYear
from budgets.rules import fiscal_year_is_own_bureau
from evaluations.models import DepartmentEvaluation


@rules.predicate
def evaluation_is_visible(user, evaluation):
    return evaluation is not None and organisation_is_within(evaluation.project.unit, user)


@rules.predicate
def evaluation_is_own_unit(user, evaluation):
    return evaluation is not None and evaluation.project.unit_id == user.organisation_id


@rules.predicate
def department_evaluation_is_visible(user, department_evaluation):
    return department_evaluation is not None and organisation_is_within(department_evaluation.department, user)


@rules.predicate
def department_evaluation_is_own(user, department_evaluation):
    return department_evaluation is not None and department_evaluation.department_id == user.organisation_id


@rules.predicate
def department_evaluation_is_editable(user, department_evaluation):
    return department_evaluation is not None and department_evaluation.status in DepartmentEvaluation.EDITABLE


@rules.predicate
def department_evaluation_is_submitted(user, department_evaluation):
    return department_evaluation is not None and department_evaluation.status == DepartmentEvaluation.Status.SUBMITTED


@rules.predicate
def fiscal_year_is_open(user, fiscal_year):
    return fiscal_year is not None and fiscal_year.status == FiscalYear.Status.OPEN


# The department's own reviewer fills the department-wide self-evaluation; the bureau's finance reviewers check it.
may_fill_department_evaluation = is_department_reviewer & department_evaluation_is_own
may_review_department_evaluation = is_finance_reviewer & department_evaluation_is_visible

rules.add_perm("evaluations.view_projectevaluation", evaluation_is_visible)
rules.add_perm("evaluations.submit_projectevaluation", is_unit_filler & evaluation_is_own_unit)
rules.add_perm("evaluations.approve_projectevaluation", is_department_reviewer & evaluation_is_visible)
rules.add_perm("evaluations.return_projectevaluation", is_department_reviewer & evaluation_is_visible)
rules.add_perm("evaluations.review_projectevaluation", is_finance_reviewer & evaluation_is_visible)
rules.add_perm("evaluations.publish_projectevaluation", is_finance_reviewer & evaluation_is_visible)
rules.add_perm("evaluations.view_departmentevaluation", department_evaluation_is_visible)
rules.add_perm("evaluations.change_departmentevaluation", is_department_reviewer & department_evaluation_is_own)
# Who may act on a department-wide evaluation, whatever its state (the workflow services check the state).
rules.add_perm("evaluations.review_departmentevaluation", may_review_department_evaluation)
# What may be done now: the same people, in the states that allow it; the pages show a button only where
# the endpoint behind it would accept.
rules.add_perm(
    "evaluations.add_departmentevaluation", is_department_reviewer & fiscal_year_is_own_bureau & fiscal_year_is_open
)
rules.add_perm(
    "evaluations.edit_departmentevaluation", may_fill_department_evaluation & department_evaluation_is_editable
)
rules.add_perm(
    "evaluations.submit_departmentevaluation", may_fill_department_evaluation & department_evaluation_is_editable
)
rules.add_perm(
    "evaluations.return_departmentevaluation", may_review_department_evaluation & department_evaluation_is_submitted
)
rules.add_perm(
    "evaluations.approve_departmentevaluation", may_review_department_evaluation & department_evaluation_is_submitted
)


@rules.predicate
def fiscal_year_is_own_bureau(user, fiscal_year):
    return fiscal_year is not None and user.organisation_id == fiscal_year.finance_bureau_id


@rules.predicate
def review_is_own_bureau(user, review):
    if review is None:
        return False
    target = review.evaluation.project.unit if review.evaluation_id else review.department_evaluation.department
    return organisation_is_within(target, user)


rules.add_perm("evaluations.draw_sample", is_finance_reviewer & fiscal_year_is_own_bureau)
rules.add_perm("evaluations.review_financereview", is_finance_reviewer & review_is_own_bureau)
rules.add_perm("evaluations.manage_data", is_admin)
