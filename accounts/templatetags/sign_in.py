"""Wording for the sign-in pages."""

from datetime import timedelta

from django import template
from django.utils.dateparse import parse_duration

register = template.Library()


@register.filter
def duration_zh(value) -> str:
    """A lockout's length in words: django-axes passes it as ISO 8601 ("PT15M"), shown as "15 分钟"."""
    length = value if isinstance(value, timedelta) else parse_duration(str(value or ""))
    if length is None or length <= timedelta(0):
        return "一段时间"
    minutes = round(length.total_seconds() / 60)
    hours, minutes = divmod(minutes, 60)
    parts = ([f"{hours} 小时"] if hours else []) + ([f"{minutes} 分钟"] if minutes else [])
    return " ".join(parts) or "不到 1 分钟"
