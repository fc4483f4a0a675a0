"""One real request per calendar route (Calendar, Waitlist, Staff availability, Closures), for
the route-by-role tests. The appointment, waitlist entry, leave and closure are made once per
test (the route list is built more than once)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from django.urls import reverse

from kapclinic.accounts.models import Role, Room, User
from kapclinic.accounts.permissions import Capability
from kapclinic.scheduling.models import Appointment, ClinicClosure, StaffLeave, WaitlistEntry
from kapclinic.scheduling.tests.calendar_booked import book_directly, treatment_room
from tests.architecture.routing import Call, World

ROOM = "Route-test room"
NINE = datetime(2027, 3, 1, 14, 0, tzinfo=UTC)


def _appointment(world: World) -> Appointment:
    found = Appointment.objects.filter(room__name=ROOM, patient=world.patient).first()
    if found is not None:
        return found
    room = Room.objects.filter(clinic=world.home, name=ROOM).first() or treatment_room(
        world.home, ROOM
    )
    return book_directly(world.patient, room, NINE)


def _entry(world: World) -> WaitlistEntry:
    found = WaitlistEntry.objects.filter(patient=world.patient).first()
    return found or WaitlistEntry.objects.create(
        clinic=world.home, patient=world.patient, earliest_day=date(2027, 3, 1)
    )


def _colleague(world: World) -> User:
    user = (
        User.objects.filter(
            memberships__clinic=world.home,
            memberships__role=Role.NURSE,
            email__endswith="@staff.example.org",
        )
        .order_by("id")
        .first()
    )
    assert user is not None
    return user


def _closure(world: World) -> ClinicClosure:
    day = world.home.local_today() + timedelta(days=300)
    found = ClinicClosure.objects.filter(clinic=world.home, label="Route-test closure").first()
    return found or ClinicClosure.objects.create(
        clinic=world.home, first_day=day, last_day=day, label="Route-test closure"
    )


def calendar_routes(world: World) -> dict[str, Call]:
    appointment = _appointment(world).public_id
    entry = _entry(world).public_id
    colleague = _colleague(world)
    leave = StaffLeave.objects.filter(user=colleague).first() or StaffLeave.objects.create(
        user=colleague, first_day=date(2027, 3, 1), last_day=date(2027, 3, 2)
    )
    post = frozenset({302})
    refused = frozenset({422})
    return {
        "calendar:clinic": Call("GET", reverse("calendar:clinic"), Capability.VIEW_SCHEDULE),
        "calendar:mine": Call("GET", reverse("calendar:mine"), Capability.VIEW_SCHEDULE),
        "calendar:patient": Call(
            "GET",
            reverse("calendar:patient", args=[world.patient.public_id]),
            Capability.VIEW_SCHEDULE,
        ),
        "calendar:appointment": Call(
            "GET", reverse("calendar:appointment", args=[appointment]), Capability.VIEW_SCHEDULE
        ),
        "calendar:check": Call(
            "POST", reverse("calendar:check", args=[appointment]), Capability.BOOK_APPOINTMENTS
        ),
        # Empty forms: refused with their errors, nothing written.
        "calendar:move": Call(
            "POST",
            reverse("calendar:move", args=[appointment]),
            Capability.BOOK_APPOINTMENTS,
            ok=refused,
        ),
        "calendar:cancel": Call(
            "POST",
            reverse("calendar:cancel", args=[appointment]),
            Capability.BOOK_APPOINTMENTS,
            ok=refused,
        ),
        "calendar:attended": Call(
            "POST",
            reverse("calendar:attended", args=[appointment]),
            Capability.BOOK_APPOINTMENTS,
            ok=post,
        ),
        "calendar:no-show": Call(
            "POST",
            reverse("calendar:no-show", args=[appointment]),
            Capability.BOOK_APPOINTMENTS,
            ok=post,
        ),
        "calendar:waitlist": Call("GET", reverse("calendar:waitlist"), Capability.VIEW_SCHEDULE),
        "calendar:waitlist-find": Call(
            "POST", reverse("calendar:waitlist-find"), Capability.BOOK_APPOINTMENTS, ok=refused
        ),
        "calendar:waitlist-add": Call(
            "GET",
            reverse("calendar:waitlist-add", args=[world.patient.public_id]),
            Capability.BOOK_APPOINTMENTS,
        ),
        "calendar:waitlist-withdraw": Call(
            "POST",
            reverse("calendar:waitlist-withdraw", args=[entry]),
            Capability.BOOK_APPOINTMENTS,
            ok=refused,
        ),
        # Nothing is on offer: refused with a message, back to the waitlist.
        "calendar:waitlist-book": Call(
            "POST",
            reverse("calendar:waitlist-book", args=[entry]),
            Capability.BOOK_APPOINTMENTS,
            ok=post,
        ),
        "calendar:availability": Call(
            "GET", reverse("calendar:availability"), Capability.MANAGE_STAFF
        ),
        "calendar:my-availability": Call(
            "GET", reverse("calendar:my-availability"), Capability.VIEW_SCHEDULE
        ),
        "calendar:availability-edit": Call(
            "GET",
            reverse("calendar:availability-edit", args=[colleague.public_id]),
            Capability.MANAGE_STAFF,
        ),
        "calendar:leave-add": Call(
            "POST",
            reverse("calendar:leave-add", args=[colleague.public_id]),
            Capability.MANAGE_STAFF,
            ok=refused,
        ),
        # Removed on the first call; a later call finds no such leave.
        "calendar:leave-remove": Call(
            "POST",
            reverse("calendar:leave-remove", args=[leave.public_id]),
            Capability.MANAGE_STAFF,
            ok=frozenset({302, 404}),
        ),
        "calendar:closures": Call("GET", reverse("calendar:closures"), Capability.MANAGE_STAFF),
        "calendar:closure-add": Call(
            "POST", reverse("calendar:closure-add"), Capability.MANAGE_STAFF, ok=refused
        ),
        "calendar:holidays-load": Call(
            "POST", reverse("calendar:holidays-load"), Capability.MANAGE_STAFF, ok=refused
        ),
        # Removed on the first call; a later call finds no such closure.
        "calendar:closure-remove": Call(
            "POST",
            reverse("calendar:closure-remove", args=[_closure(world).public_id]),
            Capability.MANAGE_STAFF,
            ok=frozenset({302, 404}),
        ),
    }
