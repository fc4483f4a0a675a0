"""The database refuses two holds of one resource at overlapping times (issue 13.4).

A resource is a chair of a room, a unit of a staff member's time or a patient
(``kapclinic.scheduling.resources``); the booking service writes one ``ResourceHold`` per
resource a live appointment occupies. Times are half-open: a hold ending at 10:00 does not
overlap one starting at 10:00.

- PostgreSQL: an exclusion constraint over the resource key and the time range (btree_gist
  gives ``=`` on text inside a GiST index). Two concurrent transactions cannot both commit.
- SQLite: a trigger refuses an overlapping insert or update. SQLite has one writer at a time,
  and kapclinic opens every write transaction with BEGIN IMMEDIATE (settings), so the check
  and the insert cannot interleave with another booking.

Both raise an integrity error, which the booking service turns into "already taken".

On SQLite a table rebuild drops the triggers: a later migration that rebuilds
scheduling_resourcehold must re-create them (the double-booking tests fail if it does not).
"""

from __future__ import annotations

from django.db import migrations

from kapclinic.core.vendor_sql import VendorSQL, vendor_sql

MESSAGE = "kapclinic: resource already held at an overlapping time"

# A constant (no input reaches it), so the f-string is not an injection.
_OVERLAP = (
    f"SELECT RAISE(ABORT, '{MESSAGE}') WHERE EXISTS ("  # noqa: S608
    "SELECT 1 FROM scheduling_resourcehold h WHERE h.resource = NEW.resource "
    "AND h.id IS NOT NEW.id AND h.starts_at < NEW.ends_at AND NEW.starts_at < h.ends_at)"
)

FORWARD = VendorSQL(
    postgresql=(
        "CREATE EXTENSION IF NOT EXISTS btree_gist",
        "ALTER TABLE scheduling_resourcehold ADD CONSTRAINT hold_no_overlap EXCLUDE USING gist "
        "(resource WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)",
    ),
    sqlite=(
        "CREATE TRIGGER scheduling_hold_no_overlap_insert "
        f"BEFORE INSERT ON scheduling_resourcehold BEGIN {_OVERLAP}; END",
        "CREATE TRIGGER scheduling_hold_no_overlap_update "
        f"BEFORE UPDATE ON scheduling_resourcehold BEGIN {_OVERLAP}; END",
    ),
)
REVERSE = VendorSQL(
    postgresql=("ALTER TABLE scheduling_resourcehold DROP CONSTRAINT IF EXISTS hold_no_overlap",),
    sqlite=(
        "DROP TRIGGER IF EXISTS scheduling_hold_no_overlap_insert",
        "DROP TRIGGER IF EXISTS scheduling_hold_no_overlap_update",
    ),
)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0003_courses_appointments_availability")]
    operations = [vendor_sql(forward=FORWARD, reverse=REVERSE)]
