from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from kapclinic.accounts.models import User
from kapclinic.accounts.permissions import Capability, allows
from kapclinic.accounts.selectors import list_unread_notices


def clinic(request: HttpRequest) -> dict[str, Any]:
    """The current clinic, the user's clinics and roles, what the roles allow (``can``), and
    the user's unread notices in that clinic (one query)."""
    memberships = getattr(request, "memberships", [])
    current = getattr(request, "clinic", None)
    roles: frozenset[str] = getattr(request, "roles", frozenset())
    clinics = list({m.clinic.pk: m.clinic for m in memberships}.values())
    role_labels = [
        m.get_role_display() for m in memberships if current and m.clinic_id == current.pk
    ]
    can = {capability.value: allows(roles, capability) for capability in Capability}
    user = getattr(request, "user", None)
    notices = list_unread_notices(user, current) if isinstance(user, User) and current else []
    return {
        "current_clinic": current,
        "user_clinics": clinics,
        "current_roles": role_labels,
        "can": can,
        "notices": notices,
    }
