"""Scheduling's models: treatment protocols, courses and their appointments, the resource holds
that make double booking impossible, staff availability, waitlist, calendar feeds, reminders.

Split by concern; every model is importable from here (``kapclinic.scheduling.models``).
"""

from kapclinic.scheduling.models.availability import StaffLeave, WorkingHours
from kapclinic.scheduling.models.closures import ClinicClosure, ClosureSource
from kapclinic.scheduling.models.courses import Appointment, Course, ResourceHold
from kapclinic.scheduling.models.notify import (
    CalendarFeed,
    ReminderDelivery,
    SchedulingSettings,
)
from kapclinic.scheduling.models.protocols import ProtocolVersion
from kapclinic.scheduling.models.waitlist import WaitlistEntry

__all__ = [
    "Appointment",
    "CalendarFeed",
    "ClinicClosure",
    "ClosureSource",
    "Course",
    "ProtocolVersion",
    "ReminderDelivery",
    "ResourceHold",
    "SchedulingSettings",
    "StaffLeave",
    "WaitlistEntry",
    "WorkingHours",
]
