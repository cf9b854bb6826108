"""Display of amounts, rates and points the way the published tables print them."""

from django import template

from domain import formatting

register = template.Library()


@register.filter
def wan2(value):
    """万元 with two decimals: 579.83."""
    return formatting.amount(value)


@register.filter
def pct(rate):
    """A fraction as a percentage with two decimals: 0.9745 → 97.45%."""
    return formatting.percent(rate)


@register.filter
def points(value):
    return formatting.points(value)


@register.filter
def lookup(mapping, key):
    """``mapping[key]`` in a template, or an empty dict/list when absent."""
    if not mapping:
        return {}
    return mapping.get(key, {})


@register.filter
def value_for(mapping, key):
    """``mapping[key]`` or "" — for plain values looked up by id."""
    return (mapping or {}).get(key, "")
