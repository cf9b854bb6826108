"""Who is acting, and why, for history rows written outside a request (imports, commands, Celery tasks).

Inside a request django-simple-history's middleware gives the signed-in user. Code that writes on someone's
behalf elsewhere wraps the work in ``acting_as(user, reason)``; the reason lands in every history row written
inside it (e.g. "Excel 导入：2024年自评表.xlsx") so an auditor can tell typed changes from imported ones.
"""

from contextlib import contextmanager
from contextvars import ContextVar

_actor: ContextVar = ContextVar("audit_actor", default=None)
_reason: ContextVar[str] = ContextVar("audit_reason", default="")

REASON_LENGTH = 100  # django-simple-history's history_change_reason column


@contextmanager
def acting_as(user=None, reason: str = ""):
    """History written inside the block is attributed to ``user`` (when given) with ``reason``."""
    actor_token = _actor.set(user if user is not None else _actor.get())
    reason_token = _reason.set(reason[:REASON_LENGTH] or _reason.get())
    try:
        yield
    finally:
        _actor.reset(actor_token)
        _reason.reset(reason_token)


def history_user(request=None, instance=None, **kwargs):
    """django-simple-history's ``get_user``: the acting user, else the request's signed-in user, else nobody."""
    actor = _actor.get()
    if actor is not None:
        return actor
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def current_reason() -> str:
    return _reason.get()


def fill_reason(sender, history_instance, **kwargs):
    """Signal receiver: a history row written without its own reason takes the block's."""
    if not history_instance.history_change_reason:
        history_instance.history_change_reason = current_reason() or None
