"""The admin site's bureau scoping (SPEC §12, §13): every registered ModelAdmin and inline asks this module.

A bureau's 管理员 (role 管理员, ``organisation`` = their 财政局, staff) administers that bureau only: every list,
object page, history page, password page, autocomplete answer, form choice and list filter is cut to the rows
of their bureau, and a row outside it answers 404 exactly like one that does not exist. Shared rule profiles
and library entries (no bureau) they read and do not change. Only the installation's operator
(``policy.rules.is_operator``) acts across bureaus. A record of a 已定稿/已公开 year is read-only for everyone
(``policy.locks`` refuses the write underneath too).

The answers are the policy's, not Django's model permissions: a bureau admin is no superuser and holds no model
permission, and nothing here depends on one being granted by hand. Django's own permissions apply to the
operator only, who is a superuser, so that a ModelAdmin that refuses something (axes' logs, the audit trail)
refuses it to the operator too.
"""

from dataclasses import dataclass

from django.contrib import admin
from django.contrib.admin.options import InlineModelAdmin
from django.contrib.admin.utils import NotRelationField, get_fields_from_path, unquote
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist, PermissionDenied
from django.db.models import Q
from django.http import Http404

from policy import access
from policy.locks import YearLocked, year_of

# --- where each model's rows belong ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Tenancy:
    """The lookups from a model to the pk of the finance bureau its rows belong to; any one places a row.

    ``shared``: a row none of whose lookups reaches a bureau belongs to every bureau, read-only for them.
    """

    paths: tuple[str, ...]
    shared: bool = False

    def owned_by(self, bureau_id: int) -> Q:
        condition = Q()
        for path in self.paths:
            condition |= Q(**{path: bureau_id})
        return condition

    def visible_to(self, bureau_id: int) -> Q:
        if not self.shared:
            return self.owned_by(bureau_id)
        return self.owned_by(bureau_id) | Q(*(Q(**{f"{path}__isnull": True}) for path in self.paths))

    def bureau_ids_of(self, obj) -> set[int]:
        """The bureaus ``obj`` belongs to as it stands in memory (unsaved, or rebuilt from its history, too)."""
        return {value for value in (_follow(obj, path) for path in self.paths) if value is not None}


def _follow(obj, path: str):
    """The value at the end of ``path`` (a lookup ending in a foreign key or ``pk``), or None where it breaks."""
    *hops, last = path.split("__")
    node = obj
    for hop in hops:
        try:
            node = getattr(node, hop)
        except ObjectDoesNotExist:
            return None
        if node is None:
            return None
    if last == "pk":
        return node.pk
    return getattr(node, node._meta.get_field(last).attname)


def tenancy_of(model) -> Tenancy | None:
    """Where ``model``'s rows belong, from its own ``bureau_paths`` (and ``shared_when_unowned``).

    A model that declares none (auth's groups, axes' login logs, the import records) is the operator's alone;
    policy/tests/test_admin_tenancy.py walks the admin registry so none is forgotten.
    """
    model = model._meta.concrete_model
    paths = getattr(model, "bureau_paths", None)
    if not paths:
        return None
    return Tenancy(tuple(paths), shared=getattr(model, "shared_when_unowned", False))


def locked_year_of(obj):
    """The 已定稿/已公开 year ``obj`` belongs to, as it stands in memory; None when its year is open or it has none."""
    year = year_of(obj)
    return year if year is not None and year.is_locked else None


# --- who is asking ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Actor:
    """The admin-site user of a request: the installation's operator, a bureau's admin, or neither."""

    operator: bool
    bureau_id: int | None

    @property
    def bureau_admin(self) -> bool:
        return not self.operator and self.bureau_id is not None


def actor_of(request) -> Actor:
    actor = getattr(request, "_policy_admin_actor", None)
    if actor is None:
        user = request.user
        if access.is_operator(user):
            actor = Actor(operator=True, bureau_id=None)
        elif access.can(user, "admin.open_site") and access.bureau_id_of(user) == user.organisation_id:
            # Only an admin attached to the bureau itself administers it (not one misfiled under a department).
            actor = Actor(operator=False, bureau_id=user.organisation_id)
        else:
            actor = Actor(operator=False, bureau_id=None)
        request._policy_admin_actor = actor
    return actor


def scope_queryset(request, queryset, *, owned_only: bool = False):
    """``queryset`` cut to what the request's user may see in the admin (``owned_only``: may change)."""
    actor = actor_of(request)
    if actor.operator:
        return queryset
    tenancy = tenancy_of(queryset.model)
    if not actor.bureau_admin or tenancy is None:
        return queryset.none()
    condition = tenancy.owned_by(actor.bureau_id) if owned_only else tenancy.visible_to(actor.bureau_id)
    return queryset.filter(condition)


def _may(actor: Actor, model, obj, *, write: bool) -> bool:
    """Whether a bureau admin may see (``write``: change) ``obj`` of ``model``, or its rows at all (no ``obj``).

    They see their own bureau's rows and the shared ones; they write their own bureau's rows (never a shared
    one), in a year that is not locked.
    """
    tenancy = tenancy_of(model)
    if not actor.bureau_admin or tenancy is None:
        return False
    if obj is None:
        return True
    bureaus = tenancy.bureau_ids_of(obj)
    if write:
        return actor.bureau_id in bureaus and locked_year_of(obj) is None
    return actor.bureau_id in bureaus or (tenancy.shared and not bureaus)


def _limit_choices(model_admin, db_field, request, kwargs: dict) -> dict:
    """A foreign-key or many-to-many field offers only rows the user may see (may own, for the row's own parent)."""
    if actor_of(request).operator:
        return kwargs
    queryset = kwargs.get("queryset")
    if queryset is None:
        queryset = model_admin.get_field_queryset(kwargs.get("using"), db_field, request)
    if queryset is None:
        queryset = db_field.remote_field.model._default_manager.all()
    # The relation a shared row hangs from (a profile's taxonomy row → its profile): a new row must hang from
    # one of the bureau's own, or it would be shared and out of reach.
    tenancy = tenancy_of(model_admin.model)
    parent = tenancy is not None and tenancy.shared and any(p.split("__")[0] == db_field.name for p in tenancy.paths)
    kwargs["queryset"] = scope_queryset(request, queryset, owned_only=parent)
    return kwargs


# --- the ModelAdmin and inline every registration uses ----------------------------------------------------------


class BureauScopedAdmin(admin.ModelAdmin):
    """A ModelAdmin whose rows, pages, permissions, choices and filters are the policy's for the request's user.

    Hooks for a model's own rules: ``bureau_owner_field``, ``bureau_admin_readonly_fields``,
    ``bureau_admin_may_change``, ``bureau_admin_may_delete`` and ``record_problems``.
    """

    # The field naming the bureau of a row that may also be shared (empty): only the operator sets it; a bureau
    # admin's new rows get their own bureau.
    bureau_owner_field: str | None = None

    # --- the rows ---

    def get_queryset(self, request):
        return scope_queryset(request, super().get_queryset(request))

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            # Another bureau's row answers like a missing one: the two must not be told apart.
            raise Http404(f"{self.opts.verbose_name}不存在或不在您的管理范围内。")
        return obj

    # --- permissions ---

    def has_module_permission(self, request):
        actor = actor_of(request)
        if actor.operator:
            return super().has_module_permission(request)
        return actor.bureau_admin and tenancy_of(self.model) is not None

    def has_view_permission(self, request, obj=None):
        actor = actor_of(request)
        if actor.operator:
            return super().has_view_permission(request, obj)
        return _may(actor, self.model, obj, write=False)

    def has_add_permission(self, request):
        actor = actor_of(request)
        if actor.operator:
            return super().has_add_permission(request)
        return _may(actor, self.model, None, write=True)

    def has_change_permission(self, request, obj=None):
        actor = actor_of(request)
        if actor.operator:
            return super().has_change_permission(request, obj) and locked_year_of(obj) is None
        return _may(actor, self.model, obj, write=True) and (obj is None or self.bureau_admin_may_change(request, obj))

    def has_delete_permission(self, request, obj=None):
        actor = actor_of(request)
        if actor.operator:
            return super().has_delete_permission(request, obj) and locked_year_of(obj) is None
        return _may(actor, self.model, obj, write=True) and (
            obj is None or (self.bureau_admin_may_change(request, obj) and self.bureau_admin_may_delete(request, obj))
        )

    def bureau_admin_may_change(self, request, obj) -> bool:
        """A model's own limit on what a bureau admin changes of their bureau's rows."""
        return True

    def bureau_admin_may_delete(self, request, obj) -> bool:
        return True

    # --- forms ---

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not actor_of(request).operator:
            fields += [name for name in self.bureau_admin_readonly_fields(request, obj) if name not in fields]
        return fields

    def bureau_admin_readonly_fields(self, request, obj) -> list[str]:
        return [self.bureau_owner_field] if self.bureau_owner_field else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return super().formfield_for_foreignkey(db_field, request, **_limit_choices(self, db_field, request, kwargs))

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        return super().formfield_for_manytomany(db_field, request, **_limit_choices(self, db_field, request, kwargs))

    def get_form(self, request, obj=None, change=False, **kwargs):
        return _guarded_form(self, request, super().get_form(request, obj, change=change, **kwargs))

    def claim_for_bureau(self, request, instance) -> None:
        """A bureau admin's new row of a model that may be shared belongs to their bureau."""
        actor = actor_of(request)
        if actor.bureau_admin and self.bureau_owner_field and instance._state.adding:
            setattr(instance, self.opts.get_field(self.bureau_owner_field).attname, actor.bureau_id)

    def tenancy_problems(self, request, instance) -> list[str]:
        """Why the row as the form would save it may not be saved: outside the bureau, or in a locked year."""
        problems = []
        year = locked_year_of(instance)
        if year is not None:
            problems.append(str(YearLocked(year)))
        actor = actor_of(request)
        if not actor.operator:
            tenancy = tenancy_of(self.model)
            if tenancy is None or actor.bureau_id not in tenancy.bureau_ids_of(instance):
                bureau = request.user.organisation
                problems.append(f"只能管理本财政局（{bureau}）的记录：请在本财政局的组织、用户、年度和方案中选择。")
        return problems + self.record_problems(request, instance)

    def record_problems(self, request, instance) -> list[str]:
        """A model's own checks of a row before the admin saves it (Chinese messages)."""
        return []

    # --- list filters ---

    def get_list_filter(self, request):
        filters = super().get_list_filter(request)
        if actor_of(request).operator:
            return filters
        return [_only_related_in_scope(self.model, item) for item in filters]

    # --- django-simple-history's pages ---

    def history_view(self, request, object_id, extra_context=None):
        # simple-history falls back to the last historical version when the row is not in get_queryset; another
        # bureau's row must stay a 404, so the live row is looked up first. A deleted row's history is the
        # operator's.
        if not actor_of(request).operator:
            self.get_object(request, unquote(object_id))
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # simple-history saves a POSTed revert after checking only view permission.
        current = self.get_queryset(request).filter(pk=unquote(object_id)).first()
        if current is None and not actor_of(request).operator:
            raise Http404(f"{self.opts.verbose_name}不存在或不在您的管理范围内。")
        if request.method == "POST" and current is not None and not self.has_change_permission(request, current):
            raise PermissionDenied("您无权恢复该记录的历史版本。")
        return super().history_form_view(request, object_id, version_id, extra_context)


def _only_related_in_scope(model, item):
    """A list filter over a relation lists only the related rows that occur in the user's own rows."""
    if isinstance(item, str):
        try:
            field = get_fields_from_path(model, item)[-1]
        except (FieldDoesNotExist, NotRelationField):
            return item
        if field.is_relation:
            return (item, admin.RelatedOnlyFieldListFilter)
    elif isinstance(item, tuple | list) and item[1] is admin.RelatedFieldListFilter:
        return (item[0], admin.RelatedOnlyFieldListFilter)
    return item


def _guarded_form(model_admin: BureauScopedAdmin, request, form_class):
    """``form_class`` that claims a new row for the bureau and refuses a row the user may not save."""

    class GuardedForm(form_class):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            model_admin.claim_for_bureau(request, self.instance)

        def _post_clean(self):
            super()._post_clean()
            for problem in model_admin.tenancy_problems(request, self.instance):
                self.add_error(None, problem)

    GuardedForm.__name__ = GuardedForm.__qualname__ = form_class.__name__
    return GuardedForm


class BureauScopedInline(InlineModelAdmin):
    """An inline's rows are changed with their parent: what the parent's admin allows on the parent, it allows."""

    def _parent_admin(self):
        return self.admin_site.get_model_admin(self.parent_model)

    def _may_edit_parent(self, request, obj) -> bool:
        parent = self._parent_admin()
        return parent.has_add_permission(request) if obj is None else parent.has_change_permission(request, obj)

    def get_queryset(self, request):
        return scope_queryset(request, super().get_queryset(request))

    def has_view_permission(self, request, obj=None):
        return self._parent_admin().has_view_permission(request, obj)

    def has_add_permission(self, request, obj):
        return self._may_edit_parent(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._may_edit_parent(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may_edit_parent(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return super().formfield_for_foreignkey(db_field, request, **_limit_choices(self, db_field, request, kwargs))

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        return super().formfield_for_manytomany(db_field, request, **_limit_choices(self, db_field, request, kwargs))


def bureau_scoped(admin_class):
    """``admin_class`` with the bureau scoping mixed in (for third-party admins: auth's groups, axes' logs)."""
    if issubclass(admin_class, BureauScopedAdmin):
        return admin_class
    return type(admin_class.__name__, (BureauScopedAdmin, admin_class), {"__module__": admin_class.__module__})
