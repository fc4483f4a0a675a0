from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest


class KapAdminSite(admin.AdminSite):
    """The Django admin, for the operator's superusers only: never for clinic roles.

    Issue 10: open to clinic admins, it let an admin of one clinic read every clinic, list every
    user (patients' e-mail addresses included) and grant themself a role in another clinic. A
    clinic's administration now happens in the app's own pages (kapclinic.administration),
    scoped to the admin's current clinic and audited; a role is granted only through
    ``accounts.services.grant_role``, which the admin site shows read-only.
    """

    site_header = "kapclinic operator administration"
    site_title = "kapclinic operator admin"
    index_title = "Reference data (operators only)"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and user.is_superuser)
