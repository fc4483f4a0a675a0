"""One real request per referral route, for the route-by-role tests."""

from __future__ import annotations

from django.urls import reverse

from kapclinic.accounts.permissions import Capability
from kapclinic.referrals.models import Referral
from tests.architecture.routing import Call, World


def referral_routes(world: World) -> dict[str, Call]:
    referral = Referral.objects.create(
        clinic=world.home,
        source=Referral.Source.SELF,
        given_name="Rae",
        family_name="Route",
        phone="+1-555-200-1000",
        contact_preference=Referral.ContactPreference.PHONE,
    )
    detail = reverse("referrals:detail", args=[referral.public_id])
    return {
        "referrals:queue": Call("GET", reverse("referrals:queue"), Capability.TRIAGE_REFERRALS),
        "referrals:new": Call("GET", reverse("referrals:new"), Capability.TRIAGE_REFERRALS),
        "referrals:detail": Call("GET", detail, Capability.TRIAGE_REFERRALS),
        # An empty form: allowed roles get the form back with its errors.
        "referrals:register": Call(
            "POST",
            reverse("referrals:register", args=[referral.public_id]),
            Capability.EDIT_PATIENT,
            ok=frozenset({422}),
        ),
        # No record chosen: allowed roles are sent back to the referral with the reason.
        "referrals:link": Call(
            "POST",
            reverse("referrals:link", args=[referral.public_id]),
            Capability.EDIT_PATIENT,
            ok=frozenset({302}),
        ),
    }
