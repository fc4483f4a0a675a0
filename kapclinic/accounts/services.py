"""Writes about users and the organisation."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from kapclinic.accounts.models import User

CLINIC_ADMIN_GROUP = "Clinic admins"
# What a clinic admin may manage in the Django admin: reference data only, never clinical records.
CLINIC_ADMIN_PERMISSIONS = [
    ("accounts", "view_organization"),
    *[
        (("accounts"), f"{action}_{model}")
        for model in ("clinic", "room", "openinghours", "staffmembership", "user")
        for action in ("view", "add", "change")
    ],
]


@transaction.atomic
def ensure_clinic_admin_group() -> Group:
    """The Django-admin group of clinic admins, with exactly CLINIC_ADMIN_PERMISSIONS."""
    group, _ = Group.objects.get_or_create(name=CLINIC_ADMIN_GROUP)
    wanted = [
        Permission.objects.get(content_type__app_label=app, codename=codename)
        for app, codename in CLINIC_ADMIN_PERMISSIONS
    ]
    group.permissions.set(wanted)
    return group


@transaction.atomic
def grant_admin_site_access(users: Iterable[User]) -> None:
    """Let clinic admins into the Django admin for reference data (rooms, hours, staff)."""
    group = ensure_clinic_admin_group()
    for user in users:
        if not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        user.groups.add(group)
