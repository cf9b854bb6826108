"""One entry point for object permissions, used by views and templates alike.

It asks the django-rules permission set directly rather than ``user.has_perm``: Django lets an active
superuser pass every ``has_perm`` check, and no account, however privileged, may bypass the object rules.
"""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from rules import has_perm


def can(user, perm: str, obj=None) -> bool:
    return has_perm(perm, user, obj)


def get_object_for_user(user, queryset, perm: str, **lookup):
    """The object matching ``lookup`` if ``user`` holds ``perm`` on it: 404 when it does not exist, 403 otherwise."""
    obj = get_object_or_404(queryset, **lookup)
    if not can(user, perm, obj):
        raise PermissionDenied("您无权访问该记录。")
    return obj
