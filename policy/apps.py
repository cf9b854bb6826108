from django.apps import AppConfig


class PolicyConfig(AppConfig):
    name = "policy"
    verbose_name = "权限与年度锁定"

    def ready(self):
        from policy import locks

        locks.connect()
