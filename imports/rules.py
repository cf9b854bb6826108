"""Only the admin role imports; an import record is visible to admins of the bureau it was made for."""

import rules

from accounts.rules import is_admin


@rules.predicate
def import_is_own_bureau(user, record):
    if record is None or user.organisation_id is None:
        return False
    bureau = user.organisation.finance_bureau
    return bureau is not None and record.finance_bureau_id == bureau.pk


rules.add_perm("imports.add_importrecord", is_admin)
rules.add_perm("imports.view_importrecord", is_admin & import_is_own_bureau)
rules.add_perm("imports.commit_importrecord", is_admin & import_is_own_bureau)
