"""Fill the search fields of existing patients; on PostgreSQL add trigram indexes so that
"any part of a name" searches (LIKE '%...%') stay fast with 100,000+ patients."""

from __future__ import annotations

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

from kapclinic.patients.search import phone_digits, search_key


def backfill(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Patient = apps.get_model("patients", "Patient")
    batch = []
    for patient in Patient.objects.only("given_name", "family_name", "phone").iterator():
        patient.search_name = search_key(patient.given_name, patient.family_name)
        patient.phone_digits = phone_digits(patient.phone)
        batch.append(patient)
        if len(batch) == 2000:
            Patient.objects.bulk_update(batch, ["search_name", "phone_digits"])
            batch = []
    Patient.objects.bulk_update(batch, ["search_name", "phone_digits"])


def trigram_indexes(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS patient_search_name_trgm "
        "ON patients_patient USING gin (search_name gin_trgm_ops)"
    )
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS patient_phone_digits_trgm "
        "ON patients_patient USING gin (phone_digits gin_trgm_ops)"
    )


def drop_trigram_indexes(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS patient_search_name_trgm")
        schema_editor.execute("DROP INDEX IF EXISTS patient_phone_digits_trgm")


class Migration(migrations.Migration):
    dependencies = [("patients", "0003_search_fields")]
    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.RunPython(trigram_indexes, drop_trigram_indexes),
    ]
