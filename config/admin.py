from django.contrib.admin import AdminSite


class JixiaoAdminSite(AdminSite):
    site_header = "绩效自评 · 系统管理"
    site_title = "绩效自评管理"
    index_title = "数据管理"

    def has_permission(self, request):
        """Only the 管理员 role reaches the admin, whatever its staff flag says."""
        user = request.user
        return user.is_active and user.is_staff and getattr(user, "role", None) == "admin"
