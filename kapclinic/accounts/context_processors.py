from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from kapclinic.accounts.permissions import Capability, allows, request_roles


def clinic(request: HttpRequest) -> dict[str, Any]:
    """The current clinic, the user's clinics and roles and what the roles allow (``can``); no
    query (the layout's notices: kapclinic.today.context_processors)."""
    actor = getattr(request, "actor", None)
    memberships = actor.memberships if actor is not None else ()
    current = getattr(request, "clinic", None)
    roles = request_roles(request)
    clinics = list({m.clinic.pk: m.clinic for m in memberships}.values())
    role_labels = [
        m.get_role_display() for m in memberships if current and m.clinic_id == current.pk
    ]
    can = {capability.value: allows(roles, capability) for capability in Capability}
    return {
        "current_clinic": current,
        "user_clinics": clinics,
        "current_roles": role_labels,
        "can": can,
    }
