"""Who may move a self-evaluation through its workflow (SPEC §1, §3)."""

import rules

from accounts.rules import (
    is_admin,
    is_department_reviewer,
    is_finance_reviewer,
    is_unit_filler,
    organisation_is_within,
)


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


rules.add_perm("evaluations.view_projectevaluation", evaluation_is_visible)
rules.add_perm("evaluations.submit_projectevaluation", is_unit_filler & evaluation_is_own_unit)
rules.add_perm("evaluations.approve_projectevaluation", is_department_reviewer & evaluation_is_visible)
rules.add_perm("evaluations.return_projectevaluation", is_department_reviewer & evaluation_is_visible)
rules.add_perm("evaluations.review_projectevaluation", is_finance_reviewer & evaluation_is_visible)
rules.add_perm("evaluations.publish_projectevaluation", is_finance_reviewer & evaluation_is_visible)
rules.add_perm("evaluations.view_departmentevaluation", department_evaluation_is_visible)
rules.add_perm("evaluations.change_departmentevaluation", is_department_reviewer & department_evaluation_is_own)
rules.add_perm("evaluations.manage_data", is_admin)
