"""Session notes, their addenda and the REMS form submissions (issue 15.8), and the database's
refusal to change what was signed, on both databases, as for the audit trail and the ledger
(kapclinic/ledger/migrations/0002_entries_append_only.py):

- a signed note: no UPDATE, no DELETE (a draft may change and be discarded);
- an addendum and a REMS submission: no UPDATE, no DELETE at all;
- an addendum only to a signed note.

SQLite's DELETE triggers are named ``*_no_delete``, so ``manage.py flush`` (Django's test flush)
drops and re-creates them (kapclinic/audit/management/commands/flush.py). A later migration that
rebuilds one of these tables on SQLite must re-create its triggers; ``test_notes.py`` fails if
it does not.
"""

import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from kapclinic.core.vendor_sql import VendorSQL, vendor_sql

SIGNED = "signed notes never change: add an addendum"
APPEND_ONLY = "addenda and REMS submissions are append-only"
APPEND_ONLY_TABLES = ("dosing_noteaddendum", "dosing_remsformsubmission")


def _sqlite_append_only(table: str) -> tuple[str, str]:
    return (
        f"""CREATE TRIGGER {table}_append_only BEFORE UPDATE ON {table}
BEGIN
    SELECT RAISE(ABORT, '{APPEND_ONLY}');
END""",
        f"""CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
BEGIN
    SELECT RAISE(ABORT, '{APPEND_ONLY}');
END""",
    )


FORWARD = VendorSQL(
    postgresql=(
        f"""CREATE OR REPLACE FUNCTION dosing_note_signed_locked() RETURNS trigger AS $$
BEGIN
    IF OLD.signed_at IS NOT NULL THEN
        RAISE EXCEPTION '{SIGNED}';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql""",
        """CREATE TRIGGER dosing_sessionnote_signed
    BEFORE UPDATE OR DELETE ON dosing_sessionnote
    FOR EACH ROW EXECUTE FUNCTION dosing_note_signed_locked()""",
        f"""CREATE OR REPLACE FUNCTION dosing_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{APPEND_ONLY}';
END;
$$ LANGUAGE plpgsql""",
        *(
            f"""CREATE TRIGGER {table}_append_only
    BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION dosing_append_only()"""
            for table in APPEND_ONLY_TABLES
        ),
        """CREATE OR REPLACE FUNCTION dosing_addendum_to_signed_note() RETURNS trigger AS $$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM dosing_sessionnote WHERE id = NEW.note_id AND signed_at IS NOT NULL
    ) THEN
        RAISE EXCEPTION 'an addendum is added to a signed note only';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql""",
        """CREATE TRIGGER dosing_noteaddendum_signed_note
    BEFORE INSERT ON dosing_noteaddendum
    FOR EACH ROW EXECUTE FUNCTION dosing_addendum_to_signed_note()""",
    ),
    sqlite=(
        f"""CREATE TRIGGER dosing_sessionnote_signed BEFORE UPDATE ON dosing_sessionnote
WHEN OLD.signed_at IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, '{SIGNED}');
END""",
        f"""CREATE TRIGGER dosing_sessionnote_no_delete BEFORE DELETE ON dosing_sessionnote
WHEN OLD.signed_at IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, '{SIGNED}');
END""",
        *(sql for table in APPEND_ONLY_TABLES for sql in _sqlite_append_only(table)),
        """CREATE TRIGGER dosing_noteaddendum_signed_note BEFORE INSERT ON dosing_noteaddendum
WHEN NOT EXISTS (
    SELECT 1 FROM dosing_sessionnote WHERE id = NEW.note_id AND signed_at IS NOT NULL
)
BEGIN
    SELECT RAISE(ABORT, 'an addendum is added to a signed note only');
END""",
    ),
)
REVERSE = VendorSQL(
    postgresql=(
        "DROP TRIGGER IF EXISTS dosing_noteaddendum_signed_note ON dosing_noteaddendum",
        "DROP FUNCTION IF EXISTS dosing_addendum_to_signed_note()",
        *(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}" for table in APPEND_ONLY_TABLES),
        "DROP FUNCTION IF EXISTS dosing_append_only()",
        "DROP TRIGGER IF EXISTS dosing_sessionnote_signed ON dosing_sessionnote",
        "DROP FUNCTION IF EXISTS dosing_note_signed_locked()",
    ),
    sqlite=(
        "DROP TRIGGER IF EXISTS dosing_noteaddendum_signed_note",
        *(
            f"DROP TRIGGER IF EXISTS {table}_{suffix}"
            for table in APPEND_ONLY_TABLES
            for suffix in ("append_only", "no_delete")
        ),
        "DROP TRIGGER IF EXISTS dosing_sessionnote_no_delete",
        "DROP TRIGGER IF EXISTS dosing_sessionnote_signed",
    ),
)


class Migration(migrations.Migration):
    dependencies = [
        ("dosing", "0002_checklist"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="SessionNote",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("public_id", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                (
                    "author_role",
                    models.CharField(
                        choices=[
                            ("nurse", "Nurse"),
                            ("therapist", "Therapist"),
                            ("prescriber", "Prescriber"),
                        ],
                        max_length=12,
                    ),
                ),
                ("text", models.TextField()),
                ("created_at", models.DateTimeField()),
                ("updated_at", models.DateTimeField()),
                ("signed_at", models.DateTimeField(blank=True, null=True)),
                ("text_sha256", models.CharField(blank=True, max_length=64)),
                (
                    "author",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "session",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="notes",
                        to="dosing.dosingsession",
                    ),
                ),
            ],
            options={
                "ordering": ["created_at", "id"],
            },
        ),
        migrations.CreateModel(
            name="NoteAddendum",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("public_id", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                (
                    "author_role",
                    models.CharField(
                        choices=[
                            ("nurse", "Nurse"),
                            ("therapist", "Therapist"),
                            ("prescriber", "Prescriber"),
                        ],
                        max_length=12,
                    ),
                ),
                ("text", models.TextField()),
                ("signed_at", models.DateTimeField()),
                ("text_sha256", models.CharField(max_length=64)),
                (
                    "author",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "note",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="addenda",
                        to="dosing.sessionnote",
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "note addenda",
                "ordering": ["signed_at", "id"],
            },
        ),
        migrations.CreateModel(
            name="RemsFormSubmission",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("public_id", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ("submitted_on", models.DateField()),
                ("due_on", models.DateField()),
                ("recorded_at", models.DateTimeField()),
                ("confirmation_number", models.CharField(max_length=40)),
                ("content", models.JSONField()),
                ("content_sha256", models.CharField(max_length=64)),
                (
                    "session",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="rems_submission",
                        to="dosing.dosingsession",
                    ),
                ),
                (
                    "submitted_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-submitted_on", "-id"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("confirmation_number", ""), _negated=True),
                        name="dosing_rems_confirmation_given",
                    )
                ],
            },
        ),
        migrations.AddConstraint(
            model_name="sessionnote",
            constraint=models.UniqueConstraint(
                condition=models.Q(("signed_at__isnull", True)),
                fields=("session", "author"),
                name="dosing_note_one_draft_per_author",
            ),
        ),
        migrations.AddConstraint(
            model_name="sessionnote",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("signed_at__isnull", True),
                    models.Q(("text_sha256", ""), _negated=True),
                    _connector="OR",
                ),
                name="dosing_note_signed_with_hash",
            ),
        ),
        vendor_sql(forward=FORWARD, reverse=REVERSE),
    ]
