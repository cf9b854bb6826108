"""The year lock (SPEC §13): from 已定稿 on nothing in the year changes, through any path, until it is reopened.

The permissions in ``policy.rules`` already refuse every change in a locked year to every role; this module
is the second wall under them, at the model layer, for the paths that do not ask a permission (the admin
site, imports, management commands, a shell, a bug): every ``save()`` and ``delete()`` of a record that
belongs to a year (model signals) and every bulk write of one (``history.records.BULK_WRITE_GUARDS``) is
refused with ``YearLocked`` when that year — before or after the write — is 已定稿 or 已公开.

The year's own transitions (finalising marks open records 未提交, publishing marks results 已公开, reopening
puts them back) run inside ``year_unlocked(year)``: the only way through, used by ``evaluations.workflow.lifecycle``.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured, ObjectDoesNotExist, PermissionDenied
from django.db import DatabaseError, connection
from django.db.models.signals import pre_delete, pre_save

from history.records import BULK_WRITE_GUARDS

# Each year-bound model with the lookups from it to its year (the first that is set applies), read from the
# models' own ``year_paths`` when the app registry is ready (``connect``); the year model is where they lead.
YEAR_PATHS: dict[type, tuple[str, ...]] = {}
_year_model = None

_unlocked: ContextVar[frozenset] = ContextVar("policy_unlocked_years", default=frozenset())
# Inside checked_once(): the block's years were checked up front.
_checked: ContextVar[bool] = ContextVar("policy_years_checked", default=False)


class YearLocked(PermissionDenied):
    """A write to a record of a finalised or published year; ``str(error)`` is the Chinese message."""

    def __init__(self, year=None):
        label = f"{year.year}年度" if year is not None else "该年度"
        status = year.get_status_display() if year is not None else "已定稿"
        super().__init__(f"{label}{status}，记录已锁定，不能修改；如需更正，请财政审核员说明原因后重新打开该年度。")


@contextmanager
def year_unlocked(fiscal_year):
    """Writes to ``fiscal_year``'s records pass inside the block (the year's own transitions only).

    On PostgreSQL the session's ``jixiao.unlocked_years`` names the year for the database's own triggers
    (policy/migrations/0001_year_lock_triggers.py) for as the block lasts.
    """
    token = _unlocked.set(_unlocked.get() | {fiscal_year.pk})
    _tell_database(_unlocked.get())
    try:
        yield
    finally:
        _unlocked.reset(token)
        _tell_database(_unlocked.get(), leaving=True)


def _tell_database(years: frozenset, *, leaving: bool = False) -> None:
    if connection.vendor != "postgresql":
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('jixiao.unlocked_years', %s, false)", [",".join(str(pk) for pk in sorted(years))]
            )
    except DatabaseError:
        # Leaving a block whose transaction failed: it will be rolled back, and the setting made inside it
        # goes with it.
        if not leaving:
            raise


def year_of(obj):
    """The fiscal year a record belongs to, as it stands in memory (a year is its own; None without one)."""
    if obj is None or isinstance(obj, _year_model):
        return obj
    for path in YEAR_PATHS.get(obj._meta.concrete_model, ()):
        node = obj
        for hop in path.split("__"):
            try:
                node = getattr(node, hop)
            except ObjectDoesNotExist:
                node = None
            if node is None:
                break
        if node is not None:
            return node
    return None


@contextmanager
def checked_once(fiscal_year_ids):
    """Refuse now if any of the years is locked; inside the block, writes are not checked again one by one.

    For a batch whose rows are known to lie in these years (recomputing an import's totals row by row): one
    query instead of one per write. The caller vouches that the block writes only to these years.
    """
    _refuse_if_locked(fiscal_year_ids)
    token = _checked.set(True)
    try:
        yield
    finally:
        _checked.reset(token)


def _refuse_if_locked(year_ids) -> None:
    ids = {pk for pk in year_ids if pk is not None} - _unlocked.get()
    if not ids:
        return
    locked = _year_model.objects.filter(pk__in=ids, status__in=_year_model.LOCKED).first()
    if locked is not None:
        raise YearLocked(locked)


def _year_ids_of_new(model, objs) -> set:
    """The years instances point at as they stand in memory, through their first foreign key on each path.

    One query per path for any number of instances (an import creates thousands at once).
    """
    ids = set()
    for path in YEAR_PATHS[model]:
        first, _, rest = path.partition("__")
        field = model._meta.get_field(first)
        values = {getattr(obj, field.attname) for obj in objs} - {None}
        if not values:
            continue
        if not rest:
            ids |= values
        else:
            related = field.related_model._base_manager.filter(pk__in=values)
            ids.update(related.order_by().values_list(f"{rest}_id", flat=True).distinct())
    return ids


def _year_ids_of_rows(model, queryset) -> set:
    ids = set()
    for path in YEAR_PATHS[model]:
        ids.update(queryset.order_by().values_list(f"{path}_id", flat=True).distinct())
    return ids


def _check_instance(sender, instance, **kwargs):
    if _checked.get():
        return
    ids = _year_ids_of_new(sender, [instance])
    if instance.pk is not None:
        ids |= _year_ids_of_rows(sender, sender._base_manager.filter(pk=instance.pk))
    _refuse_if_locked(ids)


def _check_fiscal_year(sender, instance, **kwargs):
    """A locked year's own row (its profile, deadlines, status) changes only through its transitions."""
    if instance.pk is None or instance.pk in _unlocked.get():
        return
    stored = _year_model.objects.filter(pk=instance.pk).first()
    if stored is not None and stored.is_locked:
        raise YearLocked(stored)


def _check_bulk(model, *, objs=None, queryset=None):
    if _checked.get():
        return
    if model is _year_model:
        if queryset is not None:
            locked = queryset.filter(status__in=_year_model.LOCKED).exclude(pk__in=_unlocked.get()).first()
            if locked is not None:
                raise YearLocked(locked)
        return
    if model not in YEAR_PATHS:
        return
    ids = set()
    if objs:
        ids |= _year_ids_of_new(model, objs)
    if queryset is not None:
        ids |= _year_ids_of_rows(model, queryset)
    _refuse_if_locked(ids)


def connect() -> None:
    """Guard every model that declares ``year_paths``, and the year's own row (from ``PolicyConfig.ready``)."""
    global _year_model
    for model in apps.get_models():
        paths = getattr(model, "year_paths", None)
        if paths:
            YEAR_PATHS[model] = tuple(paths)
    _year_model = _model_at_end(*next(iter(YEAR_PATHS.items())))
    for model, paths in YEAR_PATHS.items():
        if any(_model_at_end(model, (path,)) is not _year_model for path in paths):
            raise ImproperlyConfigured(f"{model._meta.label}.year_paths 须全部指向同一个年度模型。")
        uid = f"policy.locks.{model._meta.label}"
        pre_save.connect(_check_instance, sender=model, dispatch_uid=f"{uid}.save")
        pre_delete.connect(_check_instance, sender=model, dispatch_uid=f"{uid}.delete")
    pre_save.connect(_check_fiscal_year, sender=_year_model, dispatch_uid="policy.locks.fiscal_year")
    pre_delete.connect(_check_fiscal_year, sender=_year_model, dispatch_uid="policy.locks.fiscal_year.delete")
    if _check_bulk not in BULK_WRITE_GUARDS:
        BULK_WRITE_GUARDS.append(_check_bulk)


def _model_at_end(model, paths):
    """The model a lookup path (``project__fiscal_year``) leads to from ``model``: the first path's."""
    for hop in paths[0].split("__"):
        model = model._meta.get_field(hop).related_model
    return model
