"""Appointment reminders (issue 13.7): sent by the sweep (the task, the command) through the
e-mail channel at the clinic's lead times, once each, with the protocol's preparation
instructions and nothing clinical; never for cancelled or past sessions, nor to a patient
without an address; the clinic admin's page sets the lead times."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role
from kapclinic.accounts.tests.helpers import staff_of
from kapclinic.audit.models import AuditEvent
from kapclinic.patients.models import Patient
from kapclinic.scheduling.audit_actions import SchedulingAuditAction
from kapclinic.scheduling.exceptions import SchedulingError
from kapclinic.scheduling.models import Appointment, ReminderDelivery, SchedulingSettings
from kapclinic.scheduling.notify import channels
from kapclinic.scheduling.notify.channels import ReminderMessage
from kapclinic.scheduling.notify.selectors import due_reminders, reminder_hours
from kapclinic.scheduling.notify.services import send_due_reminders, set_reminder_hours
from kapclinic.scheduling.notify.tasks import send_reminders
from kapclinic.scheduling.tests.booked import book, cancel, course_for, with_email

pytestmark = pytest.mark.django_db

CLINICAL = re.compile(
    r"ketamine|spravato|\bmg\b|dose|dosing|infusion|diagnos|depress|phq|score|rems|induction",
    re.IGNORECASE,
)


@pytest.fixture
def clinic(clinics: list[Clinic]) -> Clinic:
    return clinics[0]


@pytest.fixture
def now() -> datetime:
    return timezone.now().replace(microsecond=0)


@pytest.fixture
def patient(clinic: Clinic, new_patient: Callable[..., Patient]) -> Patient:
    return with_email(new_patient(clinic))


@pytest.fixture(autouse=True)
def _empty_outbox() -> None:
    mail.outbox.clear()


def _deliveries(appointment: Appointment) -> list[int]:
    return sorted(
        ReminderDelivery.objects.filter(appointment=appointment).values_list(
            "hours_before", flat=True
        )
    )


def test_due_reminders_go_once_each_at_the_clinics_lead_times(
    patient: Patient, now: datetime
) -> None:
    appointment = book(course_for(patient), "kap-dose", now + timedelta(hours=30))

    first = send_due_reminders(now=now)  # 72 h has passed, 24 h not yet

    assert (first.sent, first.failed) == (1, 0)
    assert _deliveries(appointment) == [72]
    assert [m.to for m in mail.outbox] == [[patient.email]]
    assert send_due_reminders(now=now).sent == 0  # a second run sends nothing
    assert send_due_reminders(now=now + timedelta(hours=5)).sent == 0  # still 25 h ahead

    later = now + timedelta(hours=7)  # 23 h ahead: the 24-hour reminder
    assert send_due_reminders(now=later).sent == 1
    assert send_due_reminders(now=later).sent == 0
    assert _deliveries(appointment) == [24, 72]
    assert len(mail.outbox) == 2
    entries = AuditEvent.objects.filter(
        action=SchedulingAuditAction.REMINDER_SENT,
        target=f"scheduling.Appointment:{appointment.public_id}",
    )
    assert sorted(e.detail["hours_before"][0] for e in entries) == [24, 72]
    assert {e.patient_public_id for e in entries} == {patient.public_id}


def test_the_reminder_holds_when_where_and_the_protocols_instructions_only(
    clinic: Clinic, patient: Patient, now: datetime
) -> None:
    book(course_for(patient, "esketamine-rems"), "induction-dose", now + timedelta(hours=20))

    send_due_reminders(now=now)

    (message,) = mail.outbox
    assert message.subject == f"Reminder: your appointment at {clinic.name}"
    body = message.body
    assert f"your treatment session at {clinic.name}" in body
    assert f"{clinic.address_line}, {clinic.city}" in body
    assert "Do not eat for 2 hours and do not drink for 30 minutes before the session." in body
    assert "no driving or machinery until the next day after a restful sleep" in body
    assert not CLINICAL.findall(body + message.subject)
    for word in (patient.given_name, patient.family_name, patient.mrn):
        assert word not in body


def test_a_late_booking_gets_one_reminder_for_every_lead_time_passed(
    patient: Patient, now: datetime
) -> None:
    appointment = book(course_for(patient), "kap-dose", now + timedelta(hours=10))

    assert send_due_reminders(now=now).sent == 1

    assert len(mail.outbox) == 1
    assert _deliveries(appointment) == [24, 72]
    assert send_due_reminders(now=now + timedelta(hours=9)).sent == 0


def test_never_for_cancelled_past_or_unreachable_sessions(
    clinic: Clinic, patient: Patient, new_patient: Callable[..., Patient], now: datetime
) -> None:
    cancelled = book(course_for(patient), "kap-dose", now + timedelta(hours=20))
    cancel(cancelled, now - timedelta(hours=1))
    past = book(course_for(with_email(new_patient(clinic))), "kap-dose", now - timedelta(hours=1))
    no_address = new_patient(clinic)
    Patient.objects.filter(pk=no_address.pk).update(email="")
    book(course_for(no_address), "kap-dose", now + timedelta(hours=20))
    far = book(course_for(with_email(new_patient(clinic))), "kap-dose", now + timedelta(hours=80))

    assert send_due_reminders(now=now).sent == 0

    assert mail.outbox == []
    assert not ReminderDelivery.objects.filter(appointment__in=[cancelled, past, far]).exists()
    assert not ReminderDelivery.objects.exists()


def test_a_session_cancelled_after_its_first_reminder_gets_no_more(
    patient: Patient, now: datetime
) -> None:
    appointment = book(course_for(patient), "kap-dose", now + timedelta(hours=30))
    assert send_due_reminders(now=now).sent == 1
    cancel(appointment, now + timedelta(hours=1))

    assert send_due_reminders(now=now + timedelta(hours=7)).sent == 0
    assert _deliveries(appointment) == [72]


def test_the_clinics_own_lead_times_are_respected(
    clinic: Clinic, patient: Patient, new_patient: Callable[..., Patient], now: datetime
) -> None:
    admin = Actor.for_user(staff_of(clinic, Role.CLINIC_ADMIN), clinic)
    set_reminder_hours(actor=admin, clinic=clinic, hours=[2, 48])
    inside = book(course_for(patient), "kap-dose", now + timedelta(hours=30))
    outside = book(
        course_for(with_email(new_patient(clinic))), "kap-dose", now + timedelta(hours=50)
    )

    assert send_due_reminders(now=now).sent == 1
    assert _deliveries(inside) == [48]
    assert _deliveries(outside) == []

    set_reminder_hours(actor=admin, clinic=clinic, hours=[])
    assert send_due_reminders(now=now + timedelta(hours=29)).sent == 0  # none: reminders off


def test_a_failed_send_writes_nothing_and_goes_at_the_next_run(
    patient: Patient, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    appointment = book(course_for(patient), "kap-dose", now + timedelta(hours=20))

    class Down(channels.EmailChannel):
        def deliver(self, address: str, message: ReminderMessage) -> None:
            raise ConnectionRefusedError

    monkeypatch.setitem(channels._CHANNELS, "email", Down())
    run = send_due_reminders(now=now)
    assert (run.sent, run.failed) == (0, 1)
    assert _deliveries(appointment) == []
    assert not AuditEvent.objects.filter(action=SchedulingAuditAction.REMINDER_SENT).exists()

    monkeypatch.setitem(channels._CHANNELS, "email", channels.EmailChannel())
    assert send_due_reminders(now=now).sent == 1
    assert _deliveries(appointment) == [24, 72]


def test_the_database_refuses_a_second_delivery_of_one_reminder(
    patient: Patient, now: datetime
) -> None:
    appointment = book(course_for(patient), "kap-dose", now + timedelta(hours=20))
    ReminderDelivery.objects.create(
        appointment=appointment, hours_before=24, channel="email", sent_at=now
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        ReminderDelivery.objects.create(
            appointment=appointment, hours_before=24, channel="email", sent_at=now
        )
    assert _deliveries(appointment) == [24]


def test_the_due_query_is_bounded_and_soonest_first(
    clinic: Clinic, new_patient: Callable[..., Patient], now: datetime
) -> None:
    booked = [
        book(course_for(with_email(new_patient(clinic))), "kap-dose", now + timedelta(hours=h))
        for h in (5, 3, 4)
    ]
    reachable = channels.EmailChannel().reachable()

    due = due_reminders(clinic, [24], channel="email", reachable=reachable, now=now, limit=2)

    assert due == [booked[1].pk, booked[2].pk]
    assert due_reminders(clinic, [], channel="email", reachable=reachable, now=now, limit=2) == []


def test_the_task_and_the_command_run_the_sweep(
    patient: Patient, new_patient: Callable[..., Patient], clinic: Clinic, now: datetime
) -> None:
    book(course_for(patient), "kap-dose", timezone.now() + timedelta(hours=20))

    result = send_reminders.enqueue()  # the immediate backend of tests runs it at once

    assert result.return_value == 1
    assert len(mail.outbox) == 1
    book(
        course_for(with_email(new_patient(clinic))), "kap-dose", timezone.now() + timedelta(hours=5)
    )
    out = StringIO()
    call_command("send_reminders", stdout=out)
    assert out.getvalue() == "Sent 1 reminder(s).\n"
    out = StringIO()
    call_command("send_reminders", "--enqueue", stdout=out)
    assert out.getvalue().startswith("Queued the reminder sweep")
    assert len(mail.outbox) == 2


def test_lead_times_are_checked_and_audited(clinic: Clinic) -> None:
    admin = Actor.for_user(staff_of(clinic, Role.CLINIC_ADMIN), clinic)
    nurse = Actor.for_user(staff_of(clinic, Role.NURSE), clinic)
    assert reminder_hours(clinic) == [72, 24]  # kapclinic's defaults

    for hours, problem in (
        ([0], "1 to 336 hours"),
        ([337], "not 337"),
        ([1, 2, 3, 4, 5], "At most 4"),
        ([24, 24], "once"),
    ):
        with pytest.raises(SchedulingError, match=problem):
            set_reminder_hours(actor=admin, clinic=clinic, hours=hours)
    with pytest.raises(SchedulingError, match="admins"):
        set_reminder_hours(actor=nurse, clinic=clinic, hours=[24])
    assert not SchedulingSettings.objects.filter(clinic=clinic).exists()

    assert set_reminder_hours(actor=admin, clinic=clinic, hours=[1, 336]) == [336, 1]
    assert set_reminder_hours(actor=admin, clinic=clinic, hours=[336, 1]) == [336, 1]
    assert reminder_hours(clinic) == [336, 1]
    (entry,) = AuditEvent.objects.filter(action=SchedulingAuditAction.REMINDER_HOURS_CHANGED)
    assert entry.changes == {"reminder_hours_before": [[72, 24], [336, 1]]}


def test_the_reminders_page_saves_valid_lead_times_and_explains_others(
    clinic: Clinic, client_for: Callable[[Role], Client]
) -> None:
    client = client_for(Role.CLINIC_ADMIN)
    url = reverse("notify:reminders")
    page = client.get(url).content.decode()
    assert 'value="72, 24"' in page
    assert "72 and 24 hours before" in page

    for text, problem in (
        ("abc", "not a whole number"),
        ("0", "1 to 336 hours"),
        ("1, 2, 3, 4, 5", "At most 4"),
        ("٣", "not a whole number"),
    ):
        refused = client.post(url, {"hours": text})
        assert refused.status_code == 422
        assert problem in refused.content.decode()
    assert not SchedulingSettings.objects.filter(clinic=clinic).exists()

    saved = client.post(url, {"hours": "48; 2"}, follow=True)

    assert "Reminder lead times saved." in saved.content.decode()
    assert reminder_hours(clinic) == [48, 2]
    missing = client.post(url, {})  # a post without the field never turns reminders off
    assert missing.status_code == 422
    assert "or none, to send no reminders" in missing.content.decode()
    assert reminder_hours(clinic) == [48, 2]
    assert client.post(url, {"hours": " None "}).status_code == 302
    assert reminder_hours(clinic) == []
    page = client.get(url).content.decode()
    assert "Now: no reminders" in page
    assert 'value="none"' in page
