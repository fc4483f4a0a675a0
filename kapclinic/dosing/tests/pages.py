"""Helpers of the session pages' tests: a booked IV infusion of a weighed patient in the
demo's first clinic, stock for it, and the clock set to its start (``time_machine``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from kapclinic.accounts.models import Role, User
from kapclinic.dosing.models import DosingSession
from kapclinic.ledger.models import Entry
from kapclinic.ledger.tests.conftest import Stock
from kapclinic.patients.selectors import latest_weight_kg
from kapclinic.scheduling.models import Appointment


def booked_infusions(stock: Stock) -> list[Appointment]:
    """Booked IV infusions of weighed patients in the stock's clinic, from tomorrow on."""
    tomorrow = timezone.now() + timedelta(days=1)
    found = Appointment.objects.filter(
        clinic=stock.clinic,
        session_type="infusion",
        status=Appointment.Status.BOOKED,
        starts_at__gte=tomorrow,
    ).select_related("patient", "course__protocol")
    return [a for a in found.order_by("starts_at") if latest_weight_kg(a.patient) is not None]


@dataclass
class Booked:
    stock: Stock
    appointment: Appointment

    @property
    def at(self) -> datetime:
        return self.appointment.starts_at

    def session(self) -> DosingSession:
        return DosingSession.objects.get(appointment=self.appointment)

    def dose_mg(self, per_kg: str = "0.5") -> Decimal:
        weight = latest_weight_kg(self.appointment.patient)
        assert weight is not None
        return (Decimal(per_kg) * weight).quantize(Decimal("0.1"))


@pytest.fixture
def booked(stock: Stock, receive: Callable[..., Entry]) -> Booked:
    receive(stock, stock.vials, 2)
    infusions = booked_infusions(stock)
    if not infusions:
        pytest.fail("the demo books IV infusions for weighed patients")
    return Booked(stock, infusions[0])


@contextmanager
def at(moment: datetime) -> Iterator[None]:
    with time_machine.travel(moment, tick=False):
        yield


def signed_in(user: User) -> Client:
    """Signed in for a year, so the test may travel to the session's day (``at``)."""
    client = Client()
    client.force_login(user)
    session = client.session
    session.set_expiry(timedelta(days=365))
    session.save()
    return client


def nurse_client(stock: Stock) -> Client:
    return signed_in(stock.nurse.user)


def prescriber_client(stock: Stock) -> Client:
    return signed_in(stock.prescriber.user)


__all__ = ["Booked", "Role", "at", "booked", "nurse_client", "prescriber_client", "signed_in"]
