"""Writes for calendar feeds and reminders, each in one transaction with its audit entry.

Feeds: a token of 32 random bytes (``secrets.token_urlsafe``) is made, only its SHA-256 is
stored, and the token is returned once for the page to show. Issuing a feed revokes the live
feed it replaces (one live feed per staff member, room or patient), so a lost or leaked address
is fixed by making a new one. Revoking answers 404 from then on.

Reminders: ``send_due_reminders`` (the sweep behind ``manage.py send_reminders`` and the
``send_reminders`` task) sends each due reminder in its own transaction: the appointment row is
locked and checked again (booked, not started), the ``ReminderDelivery`` rows are written, and
only then is the message sent; the unique constraint on (appointment, lead time, channel)
makes a second sweep, or two at once, send nothing more. A message that fails to send rolls
its rows back and goes at the next sweep.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from django.db import DatabaseError, IntegrityError, transaction

from kapclinic.accounts.actor import SYSTEM, Actor
from kapclinic.accounts.models import Clinic, Room
from kapclinic.accounts.permissions import PATIENT, Capability
from kapclinic.audit import services as audit
from kapclinic.audit.models import Operation
from kapclinic.patients.models import Patient
from kapclinic.scheduling.audit_actions import SchedulingAuditAction
from kapclinic.scheduling.exceptions import SchedulingError
from kapclinic.scheduling.models import (
    Appointment,
    CalendarFeed,
    ReminderDelivery,
    SchedulingSettings,
)
from kapclinic.scheduling.notify.channels import ReminderChannel, reminder_channels
from kapclinic.scheduling.notify.selectors import (
    clinics_with_reminders,
    due_reminders,
    hash_token,
    reminder_hours,
    reminder_message,
)

logger = logging.getLogger(__name__)

TOKEN_BYTES = 32
# A client fetching one feed more often than this is answered 429 (calendar clients poll
# every few minutes at most; anything faster is a script).
MIN_SECONDS_BETWEEN_READS = 5
# The clinic's lead times (not in the clinical reference, NOT FOUND: the clinic's choice).
MIN_LEAD_HOURS = 1
MAX_LEAD_HOURS = 14 * 24
MAX_LEAD_TIMES = 4
# Reminders sent per clinic and channel in one sweep (the next sweep sends the rest).
SWEEP_LIMIT = 500


@dataclass(frozen=True)
class IssuedFeed:
    feed: CalendarFeed
    token: str  # shown once; never stored


def _owner_detail(feed: CalendarFeed) -> dict[str, str]:
    detail = {"owner": feed.owner}
    if feed.room is not None:
        detail["room"] = str(feed.room.public_id)
    if feed.user is not None:
        detail["user"] = str(feed.user.public_id)
    return detail


def _patient_id(feed: CalendarFeed) -> UUID | None:
    return feed.patient.public_id if feed.patient is not None else None


def _revoke(actor: Actor, feed: CalendarFeed, now: datetime, why: str) -> None:
    feed.revoked_at = now
    feed.revoked_by = actor.user
    feed.save(update_fields=["revoked_at", "revoked_by"])
    audit.record(
        actor=actor.user,
        operation=Operation.UPDATE,
        action=SchedulingAuditAction.FEED_REVOKED,
        actor_roles=actor.roles,
        clinic_id=feed.clinic.public_id,
        patient_id=_patient_id(feed),
        target=audit.target_of(feed),
        detail={**_owner_detail(feed), "why": why},
    )


def _issue(actor: Actor, feed: CalendarFeed, now: datetime) -> IssuedFeed:
    owner = {"user": feed.user, "room": feed.room, "patient": feed.patient}
    live = CalendarFeed.objects.select_for_update(of=("self",)).filter(
        revoked_at__isnull=True, clinic=feed.clinic, owner=feed.owner, **owner
    )
    for old in live.select_related("clinic", "user", "room", "patient"):
        _revoke(actor, old, now, "replaced by a new feed")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    feed.token_sha256 = hash_token(token)
    feed.created_by = actor.user
    feed.full_clean()
    feed.save()
    audit.record(
        actor=actor.user,
        operation=Operation.CREATE,
        action=SchedulingAuditAction.FEED_ISSUED,
        actor_roles=actor.roles,
        clinic_id=feed.clinic.public_id,
        patient_id=_patient_id(feed),
        target=audit.target_of(feed),
        detail=_owner_detail(feed),
    )
    return IssuedFeed(feed=feed, token=token)


@transaction.atomic
def issue_staff_feed(*, actor: Actor, now: datetime) -> IssuedFeed:
    """A feed of the sessions the actor works in their current clinic (as therapist or nurse).
    Raises SchedulingError for someone without a staff role there."""
    clinic = actor.current_clinic
    if not actor.can(Capability.VIEW_SCHEDULE):
        msg = "Only staff who see the schedule have a calendar feed of their sessions."
        raise SchedulingError(msg)
    feed = CalendarFeed(clinic=clinic, owner=CalendarFeed.Owner.STAFF, user=actor.user)
    return _issue(actor, feed, now)


@transaction.atomic
def issue_room_feed(*, actor: Actor, room: Room | None, now: datetime) -> IssuedFeed:
    """A feed of one room's sessions; the clinic's admins issue it (SchedulingError for others,
    for another clinic's room and for none: the page found no such room)."""
    if room is None:
        msg = "Choose one of the clinic's rooms."
        raise SchedulingError(msg)
    if room.clinic_id != actor.current_clinic.pk or not actor.can(Capability.MANAGE_CLINIC):
        msg = "Only the clinic's admins issue a room's calendar feed."
        raise SchedulingError(msg)
    if not room.is_active:
        msg = f"{room.name} is retired: it has no sessions to show."
        raise SchedulingError(msg)
    feed = CalendarFeed(clinic=room.clinic, owner=CalendarFeed.Owner.ROOM, room=room)
    return _issue(actor, feed, now)


def _is_own_record(actor: Actor, patient: Patient) -> bool:
    return PATIENT in actor.roles and patient.portal_user_id == actor.user.pk


@transaction.atomic
def issue_patient_feed(*, actor: Actor, patient: Patient, now: datetime) -> IssuedFeed:
    """A feed of the patient's own appointments, issued by the patient in the portal
    (SchedulingError for anyone else, and for a merged record)."""
    if not _is_own_record(actor, patient) or patient.merged_into_id is not None:
        msg = "A patient makes the calendar feed of their own appointments in the portal."
        raise SchedulingError(msg)
    feed = CalendarFeed(clinic=patient.clinic, owner=CalendarFeed.Owner.PATIENT, patient=patient)
    return _issue(actor, feed, now)


def _may_revoke(actor: Actor, feed: CalendarFeed) -> bool:
    if feed.patient is not None:
        return _is_own_record(actor, feed.patient)
    if actor.clinic is None or actor.clinic.pk != feed.clinic_id:
        return False
    if feed.owner == CalendarFeed.Owner.ROOM:
        return actor.can(Capability.MANAGE_CLINIC)
    return feed.user_id == actor.user.pk


@transaction.atomic
def revoke_feed(*, actor: Actor, feed: CalendarFeed | None, now: datetime) -> CalendarFeed:
    """Revoke a live feed: its address answers 404 from now on. The owner revokes their own
    (a staff member, a patient); a clinic admin a room's. Raises SchedulingError otherwise, for
    a feed already revoked, and for none (``feed`` None: the page found no live feed)."""
    if feed is None:
        msg = "There is no calendar feed to revoke."
        raise SchedulingError(msg)
    locked = (
        CalendarFeed.objects.select_for_update(of=("self",))
        .select_related("clinic", "user", "room", "patient")
        .get(pk=feed.pk)
    )
    if not _may_revoke(actor, locked):
        msg = "You cannot revoke this calendar feed."
        raise SchedulingError(msg)
    if locked.revoked_at is not None:
        msg = "This calendar feed was revoked already."
        raise SchedulingError(msg)
    _revoke(actor, locked, now, "revoked by its owner")
    return locked


def record_feed_read(feed: CalendarFeed, *, now: datetime) -> bool:
    """Note that the feed was fetched; False (and nothing written) when it was fetched less
    than ``MIN_SECONDS_BETWEEN_READS`` ago: the caller answers 429. Reads are not audited
    (a subscribed client fetches every hour or so); ``last_read_at`` shows the feed in use."""
    if feed.last_read_at is not None and now - feed.last_read_at < timedelta(
        seconds=MIN_SECONDS_BETWEEN_READS
    ):
        return False
    CalendarFeed.objects.filter(pk=feed.pk).update(last_read_at=now)
    return True


# --- the clinic's lead times ----------------------------------------------------------------


def lead_time_problems(hours: list[int]) -> list[str]:
    problems = []
    if len(hours) > MAX_LEAD_TIMES:
        problems.append(f"At most {MAX_LEAD_TIMES} lead times, not {len(hours)}.")
    outside = [h for h in hours if not MIN_LEAD_HOURS <= h <= MAX_LEAD_HOURS]
    if outside:
        problems.append(
            f"Each lead time is {MIN_LEAD_HOURS} to {MAX_LEAD_HOURS} hours (two weeks), not "
            + ", ".join(str(h) for h in outside)
            + "."
        )
    if len(set(hours)) != len(hours):
        problems.append("Each lead time once.")
    return problems


@transaction.atomic
def set_reminder_hours(*, actor: Actor, clinic: Clinic, hours: list[int]) -> list[int]:
    """Set how many hours before an appointment the clinic's reminders go (none: no reminders).
    Raises SchedulingError naming every problem. Writes SchedulingSettings and an UPDATE audit
    entry with the old and new values (nothing when they are the same)."""
    if not actor.can(Capability.MANAGE_CLINIC) or actor.current_clinic.pk != clinic.pk:
        msg = "Only the clinic's admins change its reminders."
        raise SchedulingError(msg)
    problems = lead_time_problems(hours)
    if problems:
        raise SchedulingError(" ".join(problems), field="hours")
    new = sorted(hours, reverse=True)
    settings, _created = SchedulingSettings.objects.select_for_update().get_or_create(clinic=clinic)
    old = sorted(settings.reminder_hours_before, reverse=True)
    if old == new and not _created:
        return new
    settings.reminder_hours_before = new
    settings.save(update_fields=["reminder_hours_before"])
    audit.record(
        actor=actor.user,
        operation=Operation.UPDATE,
        action=SchedulingAuditAction.REMINDER_HOURS_CHANGED,
        actor_roles=actor.roles,
        clinic_id=clinic.public_id,
        target=f"scheduling.SchedulingSettings:{clinic.public_id}",
        changes={"reminder_hours_before": (old, new)},
    )
    return new


# --- sending reminders ----------------------------------------------------------------------


def _send_one(
    appointment_id: int, channel: ReminderChannel, hours: list[int], now: datetime
) -> bool:
    """Send the due reminder of one appointment through ``channel`` (module docstring). One
    message covers every lead time that has passed unsent (an appointment booked 10 hours ahead
    gets one reminder, not one per lead time); nothing when the nearest lead time that has
    passed was sent already. Returns whether a message went."""
    with transaction.atomic():
        appointment = (
            Appointment.objects.select_for_update(of=("self",))
            .select_related("clinic", "patient", "room", "course__protocol")
            .get(pk=appointment_id)
        )
        address = channel.address_of(appointment.patient)
        if (
            appointment.status != Appointment.Status.BOOKED
            or appointment.starts_at <= now
            or appointment.patient.merged_into_id is not None
            or not address
        ):
            return False
        passed = [h for h in hours if appointment.starts_at - timedelta(hours=h) <= now]
        sent = set(
            ReminderDelivery.objects.filter(
                appointment=appointment, channel=channel.name
            ).values_list("hours_before", flat=True)
        )
        if not passed or min(passed) in sent:
            return False
        covered = sorted(set(passed) - sent, reverse=True)
        ReminderDelivery.objects.bulk_create(
            [
                ReminderDelivery(
                    appointment=appointment, hours_before=h, channel=channel.name, sent_at=now
                )
                for h in covered
            ]
        )
        audit.record(
            actor=None,
            operation=Operation.CREATE,
            action=SchedulingAuditAction.REMINDER_SENT,
            actor_roles=SYSTEM.roles,
            clinic_id=appointment.clinic.public_id,
            patient_id=appointment.patient.public_id,
            target=audit.target_of(appointment),
            detail={"channel": channel.name, "hours_before": covered},
        )
        channel.deliver(address, reminder_message(appointment))
    return True


@dataclass(frozen=True)
class ReminderRun:
    sent: int
    failed: int


def send_due_reminders(*, now: datetime, limit: int = SWEEP_LIMIT) -> ReminderRun:
    """Send every due reminder of every active clinic through every channel (each in its own
    transaction; idempotent). A reminder that fails to send is logged by the appointment's
    public id, counted, and tried again by the next sweep."""
    sent = failed = 0
    for clinic in clinics_with_reminders():
        hours = reminder_hours(clinic)
        for channel in reminder_channels():
            due = due_reminders(
                clinic,
                hours,
                channel=channel.name,
                reachable=channel.reachable(),
                now=now,
                limit=limit,
            )
            for appointment_id in due:
                try:
                    sent += _send_one(appointment_id, channel, hours, now)
                except (DatabaseError, OSError) as error:
                    # IntegrityError: another sweep sent it first (the unique constraint).
                    if not isinstance(error, IntegrityError):
                        failed += 1
                        logger.exception(
                            "Could not send the reminder of appointment id %s.", appointment_id
                        )
    return ReminderRun(sent=sent, failed=failed)
