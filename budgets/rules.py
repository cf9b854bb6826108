"""Who may see and change a project (SPEC §1): object-level, deny-by-default."""

import rules

from accounts.rules import has_organisation, is_unit_filler, organisation_is_within


@rules.predicate
def project_is_visible(user, project):
    if project is None:
        return False
    return organisation_is_within(project.unit, user)


@rules.predicate
def project_is_own_unit(user, project):
    return project is not None and has_organisation(user) and project.unit_id == user.organisation_id


@rules.predicate
def fiscal_year_is_own_bureau(user, fiscal_year):
    return (
        fiscal_year is not None
        and has_organisation(user)
        and user.organisation.finance_bureau.pk == fiscal_year.finance_bureau_id
    )


@rules.predicate
def project_is_editable(user, project):
    evaluation = getattr(project, "evaluation", None)
    return evaluation is None or evaluation.status in evaluation.EDITABLE


rules.add_perm("budgets.view_project", project_is_visible)
rules.add_perm("budgets.change_project", is_unit_filler & project_is_own_unit & project_is_editable)
rules.add_perm("budgets.add_project", is_unit_filler & has_organisation)
rules.add_perm("budgets.view_fiscalyear", fiscal_year_is_own_bureau)
