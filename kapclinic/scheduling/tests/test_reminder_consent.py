"""Appointment reminders only to patients who agreed (the patient's consent to e-mail
reminders): intake records none, so a patient gets nothing until the patient (portal) or staff
(chart) records a yes, audited; the reminders page counts who gets none and why."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role
from kapclinic.accounts.tests.helpers import staff_of
from kapclinic.audit.models import AuditEvent
from kapclinic.patients.audit_actions import PatientAuditAction
from kapclinic.patients.exceptions import ReminderConsentError
from kapclinic.patients.models import Patient, ReminderConsent
from kapclinic.patients.services.reminders import set_email_reminders
from kapclinic.scheduling.models import Appointment, ReminderDelivery
from kapclinic.scheduling.notify.selectors import reminder_reach
from kapclinic.scheduling.notify.services import send_due_reminders
from kapclinic.scheduling.tests.booked import book, course_for, with_email, with_portal_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic(clinics: list[Clinic]) -> Clinic:
    return clinics[0]


@pytest.fixture
def now() -> datetime:
    return timezone.now().replace(microsecond=0)


@pytest.fixture(autouse=True)
def _only_these_bookings(now: datetime) -> None:
    """The demo's own bookings are called off (rolled back with the test)."""
    Appointment.objects.filter(status=Appointment.Status.BOOKED).update(
        status=Appointment.Status.CANCELLED, cancelled_at=now, cancel_reason="Called off."
    )
    mail.outbox.clear()


def test_a_new_patient_has_no_consent_and_gets_no_reminder_until_agreeing(
    clinic: Clinic, new_patient: Callable[..., Patient], now: datetime
) -> None:
    patient = new_patient(clinic)
    assert patient.email_reminders == ReminderConsent.NOT_RECORDED
    patient = with_email(patient, reminders=ReminderConsent.NOT_RECORDED)
    appointment = book(course_for(patient), "kap-dose", now + timedelta(hours=20))
    declined = with_email(new_patient(clinic), reminders=ReminderConsent.NO)
    book(course_for(declined), "kap-dose", now + timedelta(hours=20))
    no_address = new_patient(clinic)
    Patient.objects.filter(pk=no_address.pk).update(email="", email_reminders=ReminderConsent.YES)
    book(course_for(no_address), "kap-dose", now + timedelta(hours=20))

    assert send_due_reminders(now=now).sent == 0
    assert mail.outbox == []
    assert not ReminderDelivery.objects.exists()
    reach = reminder_reach(clinic, now=now)
    assert (reach.sent_to, reach.not_recorded, reach.declined, reach.no_address) == (0, 1, 1, 1)

    desk = Actor.for_user(staff_of(clinic, Role.FRONT_DESK), clinic)
    set_email_reminders(actor=desk, patient=patient, consent=ReminderConsent.YES, now=now)
    assert send_due_reminders(now=now).sent == 1
    assert [m.to for m in mail.outbox] == [[patient.email]]
    assert ReminderDelivery.objects.filter(appointment=appointment).exists()
    entry = AuditEvent.objects.get(action=PatientAuditAction.REMINDER_CONSENT_CHANGED)
    assert entry.patient_public_id == patient.public_id
    assert entry.detail == {"by": "staff"}
    assert entry.changes == {"email_reminders": ["not_recorded", "yes"]}
    assert reminder_reach(clinic, now=now).sent_to == 1


def test_saying_no_stops_reminders_even_between_the_query_and_the_send(
    clinic: Clinic, new_patient: Callable[..., Patient], now: datetime
) -> None:
    patient = with_email(new_patient(clinic))
    book(course_for(patient), "kap-dose", now + timedelta(hours=20))
    Patient.objects.filter(pk=patient.pk).update(email_reminders=ReminderConsent.NO)
    assert send_due_reminders(now=now).sent == 0
    assert mail.outbox == []


def test_only_the_patient_or_staff_who_edit_the_record_change_it(
    clinic: Clinic, clinics: list[Clinic], new_patient: Callable[..., Patient], now: datetime
) -> None:
    patient = new_patient(clinic)
    researcher = Actor.for_user(staff_of(clinic, Role.RESEARCHER), clinic)
    with pytest.raises(ReminderConsentError, match="Only the patient"):
        set_email_reminders(actor=researcher, patient=patient, consent="yes", now=now)
    desk = Actor.for_user(staff_of(clinic, Role.FRONT_DESK), clinic)
    with pytest.raises(ReminderConsentError, match="Choose yes or no"):
        set_email_reminders(actor=desk, patient=patient, consent="not_recorded", now=now)
    elsewhere = Actor.for_user(staff_of(clinics[1], Role.FRONT_DESK), clinics[1])
    with pytest.raises(ReminderConsentError):
        set_email_reminders(actor=elsewhere, patient=patient, consent="yes", now=now)
    set_email_reminders(actor=desk, patient=patient, consent="no", now=now)
    set_email_reminders(actor=desk, patient=patient, consent="no", now=now)  # no change
    assert (
        AuditEvent.objects.filter(
            action=PatientAuditAction.REMINDER_CONSENT_CHANGED, patient_public_id=patient.public_id
        ).count()
        == 1
    )


def test_staff_record_it_on_the_chart_and_the_patient_in_the_portal(
    client_for: Callable[[Role], Client], clinic: Clinic, new_patient: Callable[..., Patient]
) -> None:
    patient = new_patient(clinic)
    desk = client_for(Role.FRONT_DESK)
    chart = desk.get(reverse("patients:chart", args=[patient.public_id])).content.decode()
    assert "Not recorded: no reminders until the patient agrees" in chart
    url = reverse("patients:email-reminders", args=[patient.public_id])
    assert desk.post(url, {"email_reminders": "maybe"}).status_code == 302
    patient.refresh_from_db()
    assert patient.email_reminders == ReminderConsent.NOT_RECORDED
    assert desk.post(url, {"email_reminders": "yes"}).status_code == 302
    patient.refresh_from_db()
    assert patient.email_reminders == ReminderConsent.YES

    client = Client()
    client.force_login(with_portal_login(patient))
    home = client.get(reverse("portal:home")).content.decode()
    assert "Reminders of my appointments by e-mail" in home
    assert (
        client.post(reverse("portal:email-reminders"), {"email_reminders": "no"}).status_code == 302
    )
    patient.refresh_from_db()
    assert patient.email_reminders == ReminderConsent.NO
    entry = AuditEvent.objects.filter(action=PatientAuditAction.REMINDER_CONSENT_CHANGED).latest(
        "id"
    )
    assert entry.detail == {"by": "patient"}


def test_the_reminders_page_says_why_none_is_sent(
    client_for: Callable[[Role], Client],
    clinic: Clinic,
    new_patient: Callable[..., Patient],
    now: datetime,
) -> None:
    patient = new_patient(clinic)
    book(course_for(patient), "kap-dose", now + timedelta(days=2))
    page = client_for(Role.CLINIC_ADMIN).get(reverse("notify:reminders")).content.decode()
    assert "the patient's consent is not recorded" in page
