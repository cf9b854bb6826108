"""Who may read the audit trail (deny by default; the record pages also need the record's own view rule)."""

import rules

from accounts.rules import is_bureau_staff, is_department_reviewer
from budgets.rules import fiscal_year_is_own_bureau

# A finance review's history (grades and workings in progress) is for the bureau's own staff.
rules.add_perm("audit.view_review_history", is_bureau_staff & fiscal_year_is_own_bureau)
# The auditor's export: finance bureau staff for their bureau's years, departments for their own units.
rules.add_perm("audit.export", (is_bureau_staff | is_department_reviewer) & fiscal_year_is_own_bureau)
