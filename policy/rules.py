"""Every permission of the application as django-rules predicates: deny by default (SPEC §1, §12, §13).

A permission is a role, a tenancy test (the object lies inside what the user's organisation covers, never
another bureau's) and, for anything that changes a record, the state of the record's year: from 已定稿 on
nothing in the year changes, whatever the role. The role comparisons of the whole application are the
predicates at the top of this file.
"""

import rules

from domain import roles
from policy.locks import year_of

# --- who the user is ------------------------------------------------------------------------------------------


def _active(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def _role(user, role) -> bool:
    return _active(user) and user.organisation_id is not None and user.role == role


@rules.predicate
def is_unit_filler(user):
    return _role(user, roles.UNIT_FILLER)


@rules.predicate
def is_department_reviewer(user):
    return _role(user, roles.DEPARTMENT_REVIEWER)


@rules.predicate
def is_finance_reviewer(user):
    return _role(user, roles.FINANCE_REVIEWER)


@rules.predicate
def is_admin(user):
    return _role(user, roles.ADMIN)


@rules.predicate
def has_organisation(user):
    return _active(user) and user.organisation_id is not None


is_bureau_staff = is_finance_reviewer | is_admin
is_department_or_bureau = is_department_reviewer | is_bureau_staff


def bureau_id_of(user) -> int | None:
    """The pk of the finance bureau ``user`` belongs to (None without an organisation); cached on the user."""
    if not _active(user) or user.organisation_id is None:
        return None
    cached = getattr(user, "_policy_bureau_id", None)
    if cached is None:
        organisation = user.organisation
        cached = organisation.pk if organisation.parent_id is None else organisation.finance_bureau.pk
        user._policy_bureau_id = cached
    return cached


def organisation_is_within(organisation, user) -> bool:
    """Whether ``organisation`` (a unit or department) is inside what ``user``'s own organisation covers."""
    if organisation is None or not has_organisation(user):
        return False
    if is_unit_filler(user):
        return organisation.pk == user.organisation_id
    if is_department_reviewer(user):
        return organisation.pk == user.organisation_id or organisation.parent_id == user.organisation_id
    if is_bureau_staff(user):
        return organisation.finance_bureau.pk == user.organisation_id
    return False


# --- the year's state -----------------------------------------------------------------------------------------


@rules.predicate
def year_is_unlocked(user, obj):
    """The record's year is 填报中 or 财政审核中 (SPEC §13): nothing in a 已定稿 or 已公开 year changes."""
    year = year_of(obj)
    return year is not None and not year.is_locked


@rules.predicate
def year_is_open(user, obj):
    year = year_of(obj)
    return year is not None and year.is_open


@rules.predicate
def year_is_published(user, obj):
    year = year_of(obj)
    return year is not None and year.is_published


@rules.predicate
def year_is_own_bureau(user, obj):
    year = year_of(obj)
    return year is not None and year.finance_bureau_id == bureau_id_of(user)


@rules.predicate
def year_is_own_bureau_staff(user, obj):
    """The year is the bureau's that ``user`` works at (finance bureau staff only)."""
    year = year_of(obj)
    return year is not None and year.finance_bureau_id == user.organisation_id


# --- projects and their self-evaluations ----------------------------------------------------------------------


@rules.predicate
def project_is_visible(user, project):
    return project is not None and organisation_is_within(project.unit, user)


@rules.predicate
def project_is_own_unit(user, project):
    return project is not None and has_organisation(user) and project.unit_id == user.organisation_id


@rules.predicate
def project_is_editable(user, project):
    evaluation = getattr(project, "evaluation", None)
    return evaluation is None or evaluation.is_editable


@rules.predicate
def evaluation_is_visible(user, evaluation):
    return evaluation is not None and organisation_is_within(evaluation.project.unit, user)


@rules.predicate
def evaluation_is_own_unit(user, evaluation):
    return evaluation is not None and has_organisation(user) and evaluation.project.unit_id == user.organisation_id


rules.add_perm("budgets.view_project", project_is_visible)
rules.add_perm("budgets.change_project", is_unit_filler & project_is_own_unit & project_is_editable & year_is_unlocked)
rules.add_perm("budgets.add_project", is_unit_filler)
rules.add_perm("budgets.add_project_to_year", is_unit_filler & year_is_own_bureau & year_is_unlocked)
rules.add_perm("budgets.view_fiscalyear", has_organisation & year_is_own_bureau)

rules.add_perm("evaluations.view_projectevaluation", evaluation_is_visible)
rules.add_perm("evaluations.submit_projectevaluation", is_unit_filler & evaluation_is_own_unit & year_is_unlocked)
rules.add_perm(
    "evaluations.approve_projectevaluation", is_department_reviewer & evaluation_is_visible & year_is_unlocked
)
rules.add_perm(
    "evaluations.return_projectevaluation", is_department_reviewer & evaluation_is_visible & year_is_unlocked
)
rules.add_perm("evaluations.review_projectevaluation", is_finance_reviewer & evaluation_is_visible & year_is_unlocked)
rules.add_perm("evaluations.publish_projectevaluation", is_finance_reviewer & evaluation_is_visible & year_is_unlocked)
rules.add_perm("evaluations.review_queue", is_department_reviewer)

# --- department-wide self-evaluations (SPEC §7) ---------------------------------------------------------------


@rules.predicate
def department_evaluation_is_own(user, department_evaluation):
    return department_evaluation is not None and department_evaluation.department_id == user.organisation_id


@rules.predicate
def department_evaluation_is_in_own_bureau(user, department_evaluation):
    return department_evaluation is not None and department_evaluation.fiscal_year.finance_bureau_id == (
        user.organisation_id
    )


@rules.predicate
def department_evaluation_is_editable(user, department_evaluation):
    return department_evaluation is not None and department_evaluation.is_editable


@rules.predicate
def department_evaluation_is_submitted(user, department_evaluation):
    return department_evaluation is not None and department_evaluation.is_submitted


# A unit employee never opens a department-wide evaluation, even one attached to the department itself (§12).
may_see_department_evaluation = (is_department_reviewer & department_evaluation_is_own) | (
    is_bureau_staff & department_evaluation_is_in_own_bureau
)
may_fill_department_evaluation = is_department_reviewer & department_evaluation_is_own
may_review_department_evaluation = is_finance_reviewer & department_evaluation_is_in_own_bureau

rules.add_perm("evaluations.department_list", is_department_or_bureau)
rules.add_perm("evaluations.view_departmentevaluation", may_see_department_evaluation)
rules.add_perm("evaluations.change_departmentevaluation", may_fill_department_evaluation & year_is_unlocked)
rules.add_perm("evaluations.review_departmentevaluation", may_review_department_evaluation)
rules.add_perm("evaluations.add_departmentevaluation", is_department_reviewer & year_is_own_bureau & year_is_open)
rules.add_perm(
    "evaluations.edit_departmentevaluation",
    may_fill_department_evaluation & department_evaluation_is_editable & year_is_unlocked,
)
rules.add_perm(
    "evaluations.submit_departmentevaluation",
    may_fill_department_evaluation & department_evaluation_is_editable & year_is_unlocked,
)
rules.add_perm(
    "evaluations.return_departmentevaluation",
    may_review_department_evaluation & department_evaluation_is_submitted & year_is_unlocked,
)
rules.add_perm(
    "evaluations.approve_departmentevaluation",
    may_review_department_evaluation & department_evaluation_is_submitted & year_is_unlocked,
)

# --- the finance review (SPEC §8) and the year (SPEC §13) -----------------------------------------------------


@rules.predicate
def review_is_own_bureau(user, review):
    if review is None:
        return False
    target = review.evaluation.project.unit if review.evaluation_id else review.department_evaluation.department
    return is_bureau_staff(user) and organisation_is_within(target, user)


@rules.predicate
def review_target_reached_submission(user, review):
    """A department-wide evaluation is reviewed only once submitted (SPEC §13); a project once approved."""
    return review is not None and review.target_reached_submission


@rules.predicate
def year_is_finalisable(user, year):
    return year is not None and not year.is_locked


@rules.predicate
def year_is_finalised(user, year):
    return year is not None and year.is_finalised


@rules.predicate
def year_is_locked(user, year):
    return year is not None and year.is_locked


may_act_for_bureau = is_finance_reviewer & year_is_own_bureau_staff

rules.add_perm("evaluations.finance_board", is_finance_reviewer)
rules.add_perm("evaluations.view_financereview", is_finance_reviewer & review_is_own_bureau)
rules.add_perm(
    "evaluations.review_financereview",
    is_finance_reviewer & review_is_own_bureau & review_target_reached_submission & year_is_unlocked,
)
# Who acts for the year at all (the services then say what its state allows); the rest: what may be done now.
rules.add_perm("evaluations.act_for_year", may_act_for_bureau)
rules.add_perm("evaluations.draw_sample", may_act_for_bureau & year_is_unlocked)
rules.add_perm("evaluations.close_fiscalyear", may_act_for_bureau & year_is_open)
rules.add_perm("evaluations.finalise_fiscalyear", may_act_for_bureau & year_is_finalisable)
rules.add_perm("evaluations.publish_fiscalyear", may_act_for_bureau & year_is_finalised)
rules.add_perm("evaluations.reopen_fiscalyear", may_act_for_bureau & year_is_locked)
# Finance results (grades, reviewer scores, opinions, self-vs-finance findings and the charts built from them)
# are the bureau's own until the year is published; then every user who sees the record sees them (§12).
rules.add_perm(
    "evaluations.view_finance_results",
    (is_bureau_staff & year_is_own_bureau_staff) | (has_organisation & year_is_own_bureau & year_is_published),
)

# --- reports, dashboards, quality checks ---------------------------------------------------------------------

rules.add_perm("evaluations.view_dashboard", is_department_or_bureau)
rules.add_perm("evaluations.view_quality", is_department_or_bureau)
rules.add_perm("evaluations.view_summary", is_department_or_bureau & year_is_own_bureau)
rules.add_perm("evaluations.view_exports", is_department_or_bureau)
rules.add_perm("evaluations.manage_data", is_admin)

# --- audit trail ----------------------------------------------------------------------------------------------

# A finance review's history (grades and workings in progress) is for the bureau's own staff.
rules.add_perm("audit.view_review_history", is_bureau_staff & year_is_own_bureau_staff)
# The auditor's export: finance bureau staff for their bureau's years, departments for their own units.
rules.add_perm("audit.open_export", is_department_or_bureau)
rules.add_perm("audit.export", is_department_or_bureau & year_is_own_bureau)
# The bureau's organisations and accounts in the export: its administrators only.
rules.add_perm("audit.export_accounts", is_admin)

# --- imports (SPEC §10) ---------------------------------------------------------------------------------------


@rules.predicate
def import_is_own_bureau(user, record):
    return record is not None and record.finance_bureau_id == bureau_id_of(user)


rules.add_perm("imports.add_importrecord", is_admin)
rules.add_perm("imports.view_importrecord", is_admin & import_is_own_bureau)
rules.add_perm("imports.commit_importrecord", is_admin & import_is_own_bureau)

# --- the admin site (SPEC §12) -------------------------------------------------------------------------------


@rules.predicate
def is_operator(user):
    """The installation's operator: a superuser outside every bureau (``manage.py create_operator``)."""
    return _active(user) and user.is_superuser and user.organisation_id is None


rules.add_perm("admin.open_site", (is_admin & rules.predicate(lambda user: user.is_staff)) | is_operator)
