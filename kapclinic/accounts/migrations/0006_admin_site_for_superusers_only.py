"""Issue 10: the Django admin site is for superusers only. Clinic admins lose ``is_staff`` and
the "Clinic admins" group (with its add/change permissions on clinics, rooms, memberships and
users) is deleted; they administer their clinic in the app's own pages."""

from __future__ import annotations

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def forwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    user_model = apps.get_model("accounts", "User")
    group_model = apps.get_model("auth", "Group")
    user_model.objects.filter(is_superuser=False, is_staff=True).update(is_staff=False)
    group_model.objects.filter(name="Clinic admins").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_clinic_questionnaire_missed_after_days"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
