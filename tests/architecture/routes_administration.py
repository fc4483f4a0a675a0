"""One real request per clinic administration route, for the route-by-role tests."""

from __future__ import annotations

from django.urls import reverse

from kapclinic.accounts.models import Room, StaffMembership
from kapclinic.accounts.permissions import Capability
from kapclinic.measurement.tests.wording import CSSRS, wording_in_use
from tests.architecture.routing import Call, World


def administration_routes(world: World) -> dict[str, Call]:
    membership = (
        StaffMembership.objects.filter(
            clinic=world.home, user__email__endswith="@staff.example.org"
        )
        .order_by("id")
        .first()
    )
    room = Room.objects.filter(clinic=world.home).order_by("id").first()
    assert membership is not None
    assert room is not None
    # A licensed wording loaded in the clinic (dummy text), so that its retire page is probed.
    wording = wording_in_use(world.home)
    return {
        "administration:staff": Call(
            "GET", reverse("administration:staff"), Capability.MANAGE_STAFF
        ),
        "administration:grant": Call(
            "GET", reverse("administration:grant"), Capability.MANAGE_STAFF
        ),
        "administration:end-role": Call(
            "GET",
            reverse("administration:end-role", args=[membership.public_id]),
            Capability.MANAGE_STAFF,
        ),
        # The colleague has chosen a password already: refused with a message, back to Staff.
        "administration:invitation": Call(
            "POST",
            reverse("administration:invitation", args=[membership.user.public_id]),
            Capability.MANAGE_STAFF,
            ok=frozenset({302}),
        ),
        "administration:rooms": Call(
            "GET", reverse("administration:rooms"), Capability.MANAGE_CLINIC
        ),
        "administration:room-add": Call(
            "GET", reverse("administration:room-add"), Capability.MANAGE_CLINIC
        ),
        "administration:room-edit": Call(
            "GET",
            reverse("administration:room-edit", args=[room.public_id]),
            Capability.MANAGE_CLINIC,
        ),
        "administration:settings": Call(
            "GET", reverse("administration:settings"), Capability.MANAGE_CLINIC
        ),
        "administration:hours": Call(
            "GET", reverse("administration:hours"), Capability.MANAGE_CLINIC
        ),
        "administration:instruments": Call(
            "GET", reverse("administration:instruments"), Capability.MANAGE_INSTRUMENTS
        ),
        "administration:instrument": Call(
            "GET", reverse("administration:instrument", args=[CSSRS]), Capability.MANAGE_INSTRUMENTS
        ),
        "administration:wording-retire": Call(
            "GET",
            reverse("administration:wording-retire", args=[wording.public_id]),
            Capability.MANAGE_INSTRUMENTS,
        ),
    }
