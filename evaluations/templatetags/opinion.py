"""Showing a finance opinion with its paragraphs: sanitised again on the way out, never raw markup."""

from django import template
from django.utils.safestring import mark_safe

from evaluations.richtext import sanitise_opinion

register = template.Library()


@register.filter
def opinion(value):
    """The stored opinion, cleaned once more with the same allow-list (defence in depth), marked safe."""
    return mark_safe(sanitise_opinion(value))  # noqa: S308 - nh3 has just removed every tag and attribute not allowed
