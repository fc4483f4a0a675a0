from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def clinic(request: HttpRequest) -> dict[str, Any]:
    memberships = getattr(request, "memberships", [])
    current = getattr(request, "clinic", None)
    clinics = list({m.clinic.pk: m.clinic for m in memberships}.values())
    roles = [m.get_role_display() for m in memberships if current and m.clinic_id == current.pk]
    return {"current_clinic": current, "user_clinics": clinics, "current_roles": roles}
