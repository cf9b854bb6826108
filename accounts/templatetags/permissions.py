from django import template

from accounts.permissions import can as can_check

register = template.Library()


@register.simple_tag
def can(perm, user, obj=None):
    """``{% can "budgets.change_project" request.user project as allowed %}`` — the same check the view makes."""
    return can_check(user, perm, obj)
