from django import template

from policy.access import can as can_check
from policy.access import sees_finance_results

register = template.Library()


@register.simple_tag
def can(perm, user, obj=None):
    """``{% can "budgets.change_project" request.user project as allowed %}`` — the same check the view makes."""
    return can_check(user, perm, obj)


@register.simple_tag
def finance_results_visible(user, fiscal_year):
    """``{% finance_results_visible request.user year as show %}``: grades and opinions may be shown."""
    return sees_finance_results(user, fiscal_year)
