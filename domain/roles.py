"""The four roles of SPEC §1, as an account stores them.

The codes live here, below every app, so that the access rules (``policy.rules``) can name a role without
importing the account model; ``accounts.models.User.Role`` gives them their Chinese labels.
"""

UNIT_FILLER = "unit_filler"
DEPARTMENT_REVIEWER = "department_reviewer"
FINANCE_REVIEWER = "finance_reviewer"
ADMIN = "admin"
