"""Notices to staff inside the app (and an e-mail saying only that something waits)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role, StaffNotice, User
from kapclinic.accounts.tasks import send_attention_email


@transaction.atomic
def notify_clinic_admins(
    *, clinic: Clinic, subject: str, body: str, link: str = "", exclude: User | None = None
) -> int:
    """Leave a notice for each active admin of ``clinic`` and e-mail them after commit.

    The e-mail says only that something needs attention (no patient details leave the app).
    ``exclude``: the admin who made the change (they know). Returns how many were notified.
    """
    others = User.objects.exclude(pk=exclude.pk) if exclude else User.objects.all()
    admins = list(
        others.filter(
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
def mark_notice_read(*, actor: Actor, notice: StaffNotice, now: datetime) -> None:
    """The recipient has read ``notice``; it stops showing on their pages."""
    if notice.read_at is None:
        notice.read_at = now
        notice.save(update_fields=["read_at"])
