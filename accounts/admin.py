from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from simple_history.admin import SimpleHistoryAdmin

from accounts.models import Organisation, User
from policy.access import is_operator
from policy.admin import BureauScopedAdmin


@admin.register(Organisation)
class OrganisationAdmin(BureauScopedAdmin, SimpleHistoryAdmin):
    list_display = ["name", "kind", "parent", "code"]
    list_filter = ["kind"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["parent"]

    def bureau_admin_readonly_fields(self, request, obj):
        # The bureau itself stays a root: a bureau admin renames it, never moves it under another organisation.
        return ["kind", "parent"] if obj is not None and obj.parent_id is None else []

    def bureau_admin_may_delete(self, request, obj):
        return obj.parent_id is not None

    # The tree has three levels (SPEC §2), which is what places an organisation in its bureau (policy.admin).
    PARENT_KINDS = {
        Organisation.Kind.DEPARTMENT: (Organisation.Kind.FINANCE_BUREAU, "主管部门的上级须是财政局。"),
        Organisation.Kind.UNIT: (Organisation.Kind.DEPARTMENT, "预算单位的上级须是主管部门。"),
    }

    def record_problems(self, request, instance):
        parent_kind, message = self.PARENT_KINDS.get(instance.kind, (None, ""))
        if parent_kind is not None and instance.parent is not None and instance.parent.kind != parent_kind:
            return [message]
        return []


@admin.register(User)
class UserAdmin(BureauScopedAdmin, SimpleHistoryAdmin, BaseUserAdmin):
    """Accounts, with the history of every change (who changed a role or organisation, and when)."""

    list_display = ["username", "full_name", "role", "organisation", "is_active", "last_login"]
    list_filter = ["role", "is_active"]
    search_fields = ["username", "full_name", "organisation__name"]
    autocomplete_fields = ["organisation"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("身份与角色", {"fields": ["full_name", "phone", "email", "role", "organisation"]}),
        ("状态", {"fields": ["is_active", "is_staff", "is_superuser", "last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["username", "password1", "password2", "role", "organisation"]}),
    ]
    readonly_fields = ["last_login", "date_joined"]

    def bureau_admin_readonly_fields(self, request, obj):
        return ["is_superuser"]

    def bureau_admin_may_change(self, request, obj):
        # A superuser's account (the operator's, or a bureau admin made before bureau admins stopped being
        # superusers) is the operator's to change: its password page would otherwise hand it over.
        return not obj.is_superuser

    def record_problems(self, request, instance):
        problems = []
        if instance.is_superuser and not is_operator(request.user):
            problems.append("只有系统运维账号可以设置超级用户。")
        kinds = User.ROLE_ORGANISATION_KINDS.get(instance.role, ())
        if instance.organisation is not None and instance.organisation.kind not in kinds:
            allowed = "或".join(str(Organisation.Kind(kind).label) for kind in kinds)
            problems.append(f"角色“{instance.get_role_display()}”的所属组织须是{allowed}。")
        return problems
