"""Bureau administrators made before tenancy (SPEC §12) were superusers; only the installation's operator, who
belongs to no bureau (manage.py create_operator), may be one now."""

from django.db import migrations


def clear_bureau_superusers(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    User.objects.filter(is_superuser=True, organisation__isnull=False).update(is_superuser=False)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_audit_history")]

    operations = [migrations.RunPython(clear_bureau_superusers, migrations.RunPython.noop)]
