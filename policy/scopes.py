"""What every list scope shares (SPEC §12). Each record kind's scope lives beside its model, built from the
predicates in ``policy.rules``: ``accounts.scopes`` (units, departments), ``budgets.scopes`` (projects, years,
rule profiles), ``indicators.scopes`` (the library), ``evaluations.scopes`` (department-wide evaluations).
"""

from django.db.models import Q


def shared_or_own(queryset, bureau_id):
    """Rows shared by every bureau (no owner) and those owned by ``bureau_id`` (rule profiles, the library)."""
    return queryset.filter(Q(finance_bureau__isnull=True) | Q(finance_bureau_id=bureau_id))
