from django.contrib.admin.apps import AdminConfig


class JixiaoAdminConfig(AdminConfig):
    default_site = "config.admin.JixiaoAdminSite"
