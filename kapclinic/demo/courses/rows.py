"""The demo's course book as rows: courses, their appointments, the resource holds of every
live appointment (the keys the calendar counted: ``kapclinic.scheduling.resources``), and the
waitlist, in bulk."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.utils import timezone

from kapclinic.accounts.models import Clinic, Role
from kapclinic.consent.models import ConsentRecord
from kapclinic.demo.courses.book import Booked, CourseBook, CourseCounts
from kapclinic.demo.courses.planner import Planned
from kapclinic.patients.models import Patient, ReminderConsent
from kapclinic.scheduling.models import Appointment, Course, ResourceHold, WaitlistEntry


def finish_course_book(
    book: CourseBook,
    clinics: list[Clinic],
    *,
    today: date,
    now: datetime | None,
    patients: list[int] | None = None,
) -> CourseCounts:
    """After the trajectories booked the consented patients' courses (and
    ``CourseBook.show_every_stage``): the follow-on maintenance courses, the planned courses
    of consents awaiting countersignature, the waitlist; then every row (``patients``: only
    theirs are new)."""
    cutoffs = book.cutoffs(clinics, today=today, now=now)
    book.add_follow_on_courses(cutoffs)
    pending = ConsentRecord.objects.filter(
        countersigned_at__isnull=True, withdrawn_at__isnull=True
    ).order_by("patient_id", "patient_signed_at")
    if patients is not None:
        pending = pending.filter(patient_id__in=patients)
    book.add_pending_consent_courses(
        [
            (clinic_id, patient_id, treatment_type)
            for clinic_id, patient_id, treatment_type in pending.values_list(
                "patient__clinic_id", "patient_id", "document__treatment_type"
            )
        ],
        cutoffs,
    )
    book.add_waitlist(cutoffs)
    _reminder_consents(clinics, patients, now)
    return write_course_book(book)


def _reminder_consents(
    clinics: list[Clinic], patients: list[int] | None, now: datetime | None
) -> None:
    """Most demo patients with an e-mail address agreed to e-mail reminders (recorded at
    the cutoff); every fifth has not been asked yet and every seventh said no, so the
    reminders page has each reason to show. No random draw: the other data stay as they were."""
    rows = Patient.objects.filter(clinic__in=clinics, email__gt="")
    if patients is not None:
        rows = rows.filter(pk__in=patients)
    answers: dict[str, list[int]] = {ReminderConsent.YES: [], ReminderConsent.NO: []}
    for pk in rows.values_list("pk", flat=True):
        if pk % 5 == 0:
            continue
        answers[ReminderConsent.NO if pk % 7 == 0 else ReminderConsent.YES].append(pk)
    for answer, pks in answers.items():
        Patient.objects.filter(pk__in=pks).update(
            email_reminders=answer, email_reminders_changed_at=now or timezone.now()
        )


def write_course_book(book: CourseBook, batch_size: int = 5000) -> CourseCounts:
    """Save every course, its appointments, their holds, and the waitlist (bulk)."""
    counts = book.counts
    courses: list[Course] = []
    appointments: list[tuple[Appointment, Planned]] = []
    by_planned: dict[int, Appointment] = {}
    for booked in book.courses:
        course = Course(
            clinic_id=booked.clinic_id,
            patient_id=booked.patient_id,
            protocol=booked.version,
            modality=booked.version.modality,
            status=booked.status,
            planned_by_id=book.staff.get((booked.clinic_id, Role.PRESCRIBER)),
            started_at=booked.started_at,
            ended_at=booked.ended_at,
            status_reason=booked.reason,
            public_id=booked.public_id,
        )
        booked.row = course
        courses.append(course)
        counts.by_status[booked.status] += 1
    Course.objects.bulk_create(courses, batch_size=batch_size)
    for booked, course in zip(book.courses, courses, strict=True):
        desk = book.staff.get((booked.clinic_id, Role.FRONT_DESK))
        for planned in sorted(booked.plan.appointments, key=lambda a: a.starts_at):
            row = _appointment(course, planned, booked, desk)
            appointments.append((row, planned))
            by_planned[id(planned)] = row
            counts.appointments[row.status] += 1
            counts.overrides += bool(planned.override_reason)
    Appointment.objects.bulk_create([a for a, _ in appointments], batch_size=batch_size)
    holds = [
        ResourceHold(appointment=row, resource=key, starts_at=row.starts_at, ends_at=row.ends_at)
        for row, planned in appointments
        if row.status != Appointment.Status.CANCELLED
        for key in planned.slot.keys
    ]
    ResourceHold.objects.bulk_create(holds, batch_size=batch_size)
    counts.holds = len(holds)
    entries = []
    for entry, booked_course, offered in book.waitlist:
        entry.course = booked_course.row if booked_course is not None else None
        entry.offered_appointment = by_planned[id(offered)] if offered is not None else None
        entries.append(entry)
    WaitlistEntry.objects.bulk_create(entries, batch_size=batch_size)
    counts.waitlist = len(entries)
    return counts


def _appointment(course: Course, planned: Planned, booked: Booked, desk: int | None) -> Appointment:
    slot = planned.slot
    status = Appointment.Status.BOOKED
    attended_at = ended_at = None
    if planned.cancelled_at is not None:
        status = Appointment.Status.CANCELLED
    elif planned.no_show:
        status = Appointment.Status.NO_SHOW
    elif planned.starts_at < booked.cutoff:
        status = Appointment.Status.ATTENDED
        attended_at = planned.starts_at - timedelta(minutes=10)
        ended_at = planned.ends_at if planned.ends_at < booked.cutoff else None
    return Appointment(
        clinic_id=booked.clinic_id,
        course=course,
        patient_id=booked.patient_id,
        session_type=planned.session_type.code,
        kind=planned.session_type.kind.value,
        starts_at=planned.starts_at,
        ends_at=planned.ends_at,
        room=slot.room,
        chair=slot.chair,
        therapist_id=slot.therapist_id,
        nurse_id=slot.nurse_id,
        status=status,
        booked_by_id=desk,
        override_reason=planned.override_reason,
        attended_at=attended_at,
        ended_at=ended_at,
        cancelled_at=planned.cancelled_at,
        cancelled_by_id=desk if planned.cancelled_at is not None else None,
        cancel_reason=planned.cancel_reason,
        public_id=planned.public_id,
    )
