"""Writes about users and the organisation.

A package by sub-domain: the organisation's writes live here, sign-in security in
``signin`` (passwords, throttling, sessions), ``two_factor`` and ``links`` (patients' one-time
sign-in links). Everything is re-exported, so callers import from ``kapclinic.accounts.services``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from kapclinic.accounts.models import Clinic, Role, StaffNotice, User
from kapclinic.accounts.services.links import (
    LinkUse,
    consume_sign_in_link,
    request_sign_in_link,
)
from kapclinic.accounts.services.signin import (
    PasswordCheck,
    change_password,
    check_password,
    complete_sign_in,
    record_idle_timeout,
    record_password_accepted,
    record_sign_in_failure,
    record_sign_out,
    sign_out_everywhere,
)
from kapclinic.accounts.services.two_factor import (
    SecondFactorCheck,
    confirm_two_factor,
    regenerate_recovery_codes,
    reset_two_factor,
    verify_second_factor,
)
from kapclinic.accounts.tasks import send_attention_email

__all__ = [
    "CLINIC_ADMIN_GROUP",
    "CLINIC_ADMIN_PERMISSIONS",
    "LinkUse",
    "PasswordCheck",
    "SecondFactorCheck",
    "change_password",
    "check_password",
    "complete_sign_in",
    "confirm_two_factor",
    "consume_sign_in_link",
    "ensure_clinic_admin_group",
    "grant_admin_site_access",
    "mark_notice_read",
    "notify_clinic_admins",
    "record_idle_timeout",
    "record_password_accepted",
    "record_sign_in_failure",
    "record_sign_out",
    "regenerate_recovery_codes",
    "request_sign_in_link",
    "reset_two_factor",
    "sign_out_everywhere",
    "verify_second_factor",
]

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


@transaction.atomic
def notify_clinic_admins(*, clinic: Clinic, subject: str, body: str, link: str = "") -> int:
    """Leave a notice for each active admin of ``clinic`` and e-mail them after commit.

    The e-mail says only that something needs attention (no patient details leave the app).
    Returns how many admins were notified.
    """
    admins = list(
        User.objects.filter(
            memberships__clinic=clinic,
            memberships__role=Role.CLINIC_ADMIN,
            memberships__is_active=True,
            is_active=True,
        ).distinct()
    )
    StaffNotice.objects.bulk_create(
        StaffNotice(recipient=admin, clinic=clinic, subject=subject, body=body, link=link)
        for admin in admins
    )
    emails = [admin.email for admin in admins]
    if emails:
        transaction.on_commit(
            lambda: send_attention_email.enqueue(clinic_name=clinic.name, recipients=emails)
        )
    return len(admins)


@transaction.atomic
def mark_notice_read(*, actor: User, notice: StaffNotice, now: datetime) -> None:
    """The recipient has read ``notice``; it stops showing on their pages."""
    if notice.read_at is None:
        notice.read_at = now
        notice.save(update_fields=["read_at"])
