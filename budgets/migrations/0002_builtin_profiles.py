from django.db import migrations

from budgets.profiles import install_builtin_profiles


def forwards(apps, schema_editor):
    install_builtin_profiles(apps)


class Migration(migrations.Migration):
    dependencies = [("budgets", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
