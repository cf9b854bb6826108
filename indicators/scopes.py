"""The 指标库 entries a user may pick (SPEC §12): the shared library and their own bureau's."""

from indicators.models import LibraryIndicator
from policy import rules as r
from policy.scopes import shared_or_own


def library_indicators_for(user):
    """指标库 entries ``user`` may pick: the shared library and their own bureau's."""
    bureau = r.bureau_id_of(user)
    return LibraryIndicator.objects.none() if bureau is None else shared_or_own(LibraryIndicator.objects.all(), bureau)
