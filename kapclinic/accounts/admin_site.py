from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from kapclinic.accounts.permissions import Capability, allows


class KapAdminSite(admin.AdminSite):
    """The Django admin, for reference data only, open to clinic admins (and superusers).

    Being ``is_staff`` is not enough: the permission matrix must allow MANAGE_CLINIC through a
    role the user holds in some clinic. Model permissions then limit what each admin may change.
    """

    site_header = "kapclinic administration"
    site_title = "kapclinic admin"
    index_title = "Reference data"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        if not (user.is_active and user.is_staff):
            return False
        if user.is_superuser:
            return True
        roles = {m.role for m in getattr(request, "memberships", [])}
        return allows(roles, Capability.MANAGE_CLINIC)
