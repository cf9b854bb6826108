from django.contrib.admin import AdminSite, ModelAdmin

from policy.access import can
from policy.admin import bureau_scoped


class JixiaoAdminSite(AdminSite):
    site_header = "绩效自评 · 系统管理"
    site_title = "绩效自评管理"
    index_title = "数据管理"

    def has_permission(self, request):
        """The policy decides who reaches the admin: a bureau's 管理员 or the installation's operator."""
        return can(request.user, "admin.open_site")

    def register(self, model_or_iterable, admin_class=None, **options):
        # Every registration is bureau-scoped, third-party ones too (auth's groups, axes' login logs): a model
        # registered without the policy would show every bureau's rows.
        return super().register(model_or_iterable, bureau_scoped(admin_class or ModelAdmin), **options)
