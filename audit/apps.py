from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "变更记录"

    def ready(self):
        from simple_history.signals import pre_create_historical_record

        from history.context import fill_reason

        pre_create_historical_record.connect(fill_reason, dispatch_uid="audit.fill_reason")
