from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from kapclinic.accounts.models import Clinic, StaffMembership, User
from kapclinic.accounts.permissions import PATIENT
from kapclinic.accounts.selectors import list_active_memberships

SESSION_CLINIC_KEY = "kapclinic.clinic"


def choose_clinic(memberships: list[StaffMembership], wanted: str | None) -> Clinic | None:
    """The clinic named in the session if the user still works there, else their first one."""
    for membership in memberships:
        if str(membership.clinic.public_id) == wanted:
            return membership.clinic
    return memberships[0].clinic if memberships else None


class ClinicMiddleware:
    """Attach the signed-in user's memberships, current clinic and roles there, and work in the
    clinic's time zone. A portal user's only role is "patient"."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.clinic = None  # type: ignore[attr-defined]
        request.memberships = []  # type: ignore[attr-defined]
        request.roles = frozenset()  # type: ignore[attr-defined]
        user = request.user
        if isinstance(user, User) and user.is_patient:
            request.roles = frozenset({PATIENT})  # type: ignore[attr-defined]
        elif isinstance(user, User):
            memberships = list_active_memberships(user)
            clinic = choose_clinic(memberships, request.session.get(SESSION_CLINIC_KEY))
            request.memberships = memberships  # type: ignore[attr-defined]
            request.clinic = clinic  # type: ignore[attr-defined]
            if clinic is not None:
                request.roles = frozenset(  # type: ignore[attr-defined]
                    m.role for m in memberships if m.clinic_id == clinic.pk
                )
                timezone.activate(clinic.tzinfo)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
