"""The demo's calendar out of a test's way.

The demo clinic (kapclinic.demo.courses) gives its staff working hours and leave and books
courses for weeks after its day, so on the real date a test's own bookings could meet the
demo's rota, prescriber coverage and resource holds. Tests that set up their own calendar call
``clear_demo_calendar`` first (inside their transaction: rolled back with the test)."""

from __future__ import annotations

from django.utils import timezone

from kapclinic.scheduling.models import Appointment, ResourceHold, StaffLeave, WorkingHours


def clear_demo_calendar() -> None:
    """No working hours, no leave, no holds, no booked appointment (the demo's are called off)."""
    WorkingHours.objects.all().delete()
    StaffLeave.objects.all().delete()
    ResourceHold.objects.all().delete()
    Appointment.objects.filter(status=Appointment.Status.BOOKED).update(
        status=Appointment.Status.CANCELLED,
        cancelled_at=timezone.now(),
        cancel_reason="Called off: the test keeps a calendar of its own.",
    )
