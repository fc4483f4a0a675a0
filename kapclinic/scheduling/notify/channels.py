"""The ways an appointment reminder reaches a patient: each channel says who it can reach (as
a query on appointments, so the sweep only loads those) and delivers one message.

E-mail, through Django's mail backend, is the one channel kapclinic ships (the demo prints
mail to the console; tests read ``mail.outbox``). Another channel (SMS, a patient app) is a
class with the same three members, added with ``register_channel``; its name is stored in
``ReminderDelivery.channel``, so a reminder goes once per channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Q

from kapclinic.patients.models import Patient, ReminderConsent


@dataclass(frozen=True)
class ReminderMessage:
    subject: str
    body: str


class ReminderChannel(Protocol):
    name: str

    def reachable(self) -> Q:
        """Appointments whose patient this channel can reach (a filter on Appointment)."""
        ...

    def address_of(self, patient: Patient) -> str:
        """Where the message goes ("" when the patient cannot be reached this way)."""
        ...

    def deliver(self, address: str, message: ReminderMessage) -> None:
        """Send the message; raise when it could not be sent (the reminder is tried again)."""
        ...


class EmailChannel:
    name = "email"

    def reachable(self) -> Q:
        """Patients with an address who agreed to e-mail reminders (no consent: none)."""
        return Q(patient__email__gt="", patient__email_reminders=ReminderConsent.YES)

    def address_of(self, patient: Patient) -> str:
        """The address to send to, or "" when the patient has not agreed to e-mail reminders
        (checked again on the locked row before each message)."""
        if patient.email_reminders != ReminderConsent.YES:
            return ""
        return patient.email

    def deliver(self, address: str, message: ReminderMessage) -> None:
        send_mail(
            subject=message.subject,
            message=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[address],
            fail_silently=False,
        )


_CHANNELS: dict[str, ReminderChannel] = {"email": EmailChannel()}


def register_channel(channel: ReminderChannel) -> None:
    """Add a channel (or replace the one of that name) for every later sweep."""
    _CHANNELS[channel.name] = channel


def reminder_channels() -> list[ReminderChannel]:
    return list(_CHANNELS.values())
