from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet
from django.http import Http404

from kapclinic.accounts.models import Clinic
from kapclinic.referrals.models import Referral

OPEN_STATUSES = (Referral.Status.NEW, Referral.Status.CONTACTED)
# Self-referrals stored per sender (keyed hash of the address) in the last hour.
MAX_REQUESTS_PER_HOUR = 5


def sender_is_limited(sender: str, now: datetime) -> bool:
    """Whether ``sender`` already stored the most self-referrals allowed in the last hour.
    Only stored requests count: an invalid submission stores nothing."""
    recent = Referral.objects.filter(sender_key=sender, created_at__gte=now - timedelta(hours=1))
    return recent.count() >= MAX_REQUESTS_PER_HOUR


def page_of_queue(clinic: Clinic, page_number: str | None, *, show_all: bool) -> Page[Referral]:
    """The clinic's referrals, open ones (new, contacted) unless ``show_all``; oldest first so
    nobody waits longest."""
    referrals = Referral.objects.filter(clinic=clinic)
    if not show_all:
        referrals = referrals.filter(status__in=OPEN_STATUSES)
    return Paginator(referrals.order_by("created_at", "id"), 25).get_page(page_number)


def list_open_referrals(clinic: Clinic) -> QuerySet[Referral]:
    """The clinic's referrals nobody has finished with (new, contacted), the oldest first."""
    return Referral.objects.filter(clinic=clinic, status__in=OPEN_STATUSES).order_by(
        "created_at", "id"
    )


def access_referral(clinic_ids: set[int], public_id: UUID) -> Referral:
    """A referral of one of the user's clinics, else 404 (as for none)."""
    referral = (
        Referral.objects.select_related("clinic", "patient")
        .filter(public_id=public_id, clinic_id__in=clinic_ids)
        .first()
    )
    if referral is None:
        raise Http404
    return referral


def count_referrals_by_status(clinic: Clinic) -> dict[str, int]:
    """How many of the clinic's referrals are in each status, none entered in error (one
    query; aggregate pages)."""
    rows = (
        Referral.objects.filter(clinic=clinic)
        .exclude(status=Referral.Status.ENTERED_IN_ERROR)
        .order_by()
        .values("status")
        .annotate(n=Count("id"))
    )
    return {row["status"]: row["n"] for row in rows}
