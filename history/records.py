"""The audit trail's model side (django-simple-history).

Every audited model declares ``history = AuditRecords(untracked=...)`` and uses a manager built on
``AuditedQuerySet``. simple-history records ``save()`` and ``delete()`` through signals; Django's
``bulk_create``, ``bulk_update`` and ``QuerySet.update`` send none, so ``AuditedQuerySet`` writes the history
rows for them itself (``bulk_update`` runs through ``update``). That closes the gap in one place instead of
at every importer's call site, and audit/tests/test_trail.py checks every audited model is wired this way.

Fields that are bookkeeping rather than content (the optimistic-lock ``version``, ``updated_at``, derived
totals, ``last_login``, the password hash) are not copied into history, and a write that touches only such
fields leaves no history row.
"""

from functools import cache

from django.db import models
from simple_history.models import HistoricalRecords

from history.context import current_reason, history_user


class AuditRecords(HistoricalRecords):
    """HistoricalRecords with our user lookup, and no row for writes that change only untracked fields."""

    def __init__(self, *, untracked=(), **kwargs):
        kwargs.setdefault("get_user", history_user)
        kwargs.setdefault("excluded_fields", list(untracked))
        super().__init__(**kwargs)

    def post_save(self, instance, created, using=None, **kwargs):
        update_fields = kwargs.get("update_fields")
        if not created and update_fields is not None and set(update_fields) <= untracked_fields(type(instance)):
            return
        super().post_save(instance, created, using=using, **kwargs)


def is_audited(model) -> bool:
    return getattr(model._meta, "simple_history_manager_attribute", None) == "history"


@cache
def untracked_fields(model) -> frozenset[str]:
    """Field names and attnames of ``model`` whose changes leave no history row (fixed once models load)."""
    if not is_audited(model):
        return frozenset()
    tracked = {name for field in model.history.model.tracked_fields for name in (field.name, field.attname)}
    return frozenset(
        name
        for field in model._meta.concrete_fields
        for name in (field.name, field.attname)
        if field.name not in tracked and field.attname not in tracked
    )


def _write_history(model, objs, *, update: bool) -> None:
    rows = [obj for obj in objs if obj.pk is not None]
    if rows:
        model.history.bulk_history_create(rows, update=update, default_change_reason=current_reason() or None)


# Checks run before every bulk write of an audited model, as ``guard(model, objs=..., queryset=...)``; a guard
# refuses by raising. The year lock (policy.locks) registers itself here: bulk writes send no model signals.
BULK_WRITE_GUARDS: list = []


def _guard(model, *, objs=None, queryset=None) -> None:
    for guard in BULK_WRITE_GUARDS:
        guard(model, objs=objs, queryset=queryset)


class AuditedQuerySet(models.QuerySet):
    """A QuerySet whose bulk writes leave history rows like ``save()`` does, and pass the write guards first."""

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        _guard(self.model, objs=objs)
        created = super().bulk_create(objs, *args, **kwargs)
        if is_audited(self.model):
            _write_history(self.model, created, update=False)
        return created

    # bulk_update needs no override: Django carries it out as one update() per batch, recorded below.

    def update(self, **kwargs):
        """Update, then record each updated row as it now stands in the database."""
        _guard(self.model, queryset=self)
        if not is_audited(self.model) or set(kwargs) <= untracked_fields(self.model):
            return super().update(**kwargs)
        pks = list(self.values_list("pk", flat=True))
        count = super().update(**kwargs)
        if pks:
            _write_history(self.model, self.model._base_manager.filter(pk__in=pks), update=True)
        return count

    update.alters_data = True

    def delete(self):
        _guard(self.model, queryset=self)
        return super().delete()

    delete.alters_data = True
    delete.queryset_only = True


AuditedManager = models.Manager.from_queryset(AuditedQuerySet)
