from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class JixiaoAdminConfig(AdminConfig):
    default_site = "config.admin.JixiaoAdminSite"


class SiteConfig(AppConfig):
    """The installation itself: settings, URLs, health, and its operations (``manage.py backup`` / ``restore``)."""

    name = "config"
    verbose_name = "系统"
