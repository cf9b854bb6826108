"""Who may read the audit trail (deny by default; the record pages also need the record's own view rule)."""

import rules

from accounts.rules import has_organisation, is_bureau_staff, is_department_reviewer
from budgets.rules import fiscal_year_is_own_bureau

# A finance review's history (grades and workings in progress) is for the bureau's own staff.
rules.add_perm("audit.view_review_history", is_bureau_staff & fiscal_year_is_own_bureau)
# The auditor's export: finance bureau staff for their bureau's years, departments for their own units.
may_export = (is_bureau_staff | is_department_reviewer) & has_organisation
rules.add_perm("audit.open_export", may_export)
rules.add_perm("audit.export", may_export & fiscal_year_is_own_bureau)
