"""Patients' one-time sign-in links: request (e-mailed, rate-limited) and use (single use,
expiring). Only a hash of each token is stored."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from kapclinic.accounts.audit_actions import AccountAuditAction
from kapclinic.accounts.credentials import (
    LINK_REQUESTS_PER_ACCOUNT,
    LINK_REQUESTS_PER_ADDRESS,
    SIGN_IN_LINK_LIFETIME,
    account_key,
    is_link_token_shaped,
    link_token_hash,
    new_link_token,
    normalise_email,
)
from kapclinic.accounts.models import AuthThrottleEvent, SignInLink, User
from kapclinic.accounts.selectors import count_throttle_events, lockout_until
from kapclinic.accounts.services.signin import record_sign_in_failure, refused_while_locked
from kapclinic.accounts.tasks import send_sign_in_link
from kapclinic.audit import services as audit
from kapclinic.audit.models import Operation
from kapclinic.audit.services import target_of


def request_sign_in_link(
    *, email: str, ip_address: str | None, now: datetime, link_for: Callable[[str], str]
) -> bool:
    """E-mail a one-time sign-in link if ``email`` belongs to an active patient account.

    Returns False only when rate-limited; otherwise True whether or not such an account
    exists, so the answer never tells. ``link_for`` makes the absolute URL from a token.
    """
    email = normalise_email(email)
    kinds = [AuthThrottleEvent.Kind.LINK_REQUESTED]
    per_account = count_throttle_events(
        kinds=kinds, since=now - LINK_REQUESTS_PER_ACCOUNT.window, email=email
    )
    per_address = (
        count_throttle_events(
            kinds=kinds, since=now - LINK_REQUESTS_PER_ADDRESS.window, ip_address=ip_address
        )
        if ip_address
        else 0
    )
    if (
        per_account >= LINK_REQUESTS_PER_ACCOUNT.limit
        or per_address >= LINK_REQUESTS_PER_ADDRESS.limit
    ):
        return False
    with transaction.atomic():
        AuthThrottleEvent.objects.create(
            kind=AuthThrottleEvent.Kind.LINK_REQUESTED,
            account_key=account_key(email),
            ip_address=ip_address,
            occurred_at=now,
        )
        user = User.objects.filter(email=email, kind=User.Kind.PATIENT, is_active=True).first()
        if user is None:
            return True
        token = new_link_token()
        link = SignInLink.objects.create(
            user=user,
            token_hash=link_token_hash(token),
            created_at=now,
            expires_at=now + SIGN_IN_LINK_LIFETIME,
        )
        audit.record(
            actor=user,
            operation=Operation.AUTH,
            action=AccountAuditAction.LINK_SENT,
            target=target_of(user),
            detail={"expires_at": link.expires_at},
        )
        url = link_for(token)
        minutes = int(SIGN_IN_LINK_LIFETIME.total_seconds() // 60)
        transaction.on_commit(
            lambda: send_sign_in_link.enqueue(recipient=email, url=url, minutes=minutes)
        )
    return True


@dataclass(frozen=True)
class LinkUse:
    user: User | None
    locked_until: datetime | None = None


def consume_sign_in_link(*, token: str, ip_address: str | None, now: datetime) -> LinkUse:
    """Use a one-time link: the patient when it is valid (now spent), else None.

    Unknown, used and expired links get the same answer; each counts as a failure of the
    client address.
    """
    if lockout_until(email=None, ip_address=ip_address, now=now) is not None:
        refused_while_locked(actor=None, step="link", email=None)
        return LinkUse(None, lockout_until(email=None, ip_address=ip_address, now=now))
    reason = "malformed"
    owner: User | None = None
    if is_link_token_shaped(token):
        with transaction.atomic():
            link = (
                SignInLink.objects.select_for_update()
                .filter(token_hash=link_token_hash(token))
                .first()
            )
            if link is None:
                reason = "unknown"
            else:
                owner = User.objects.get(pk=link.user_id)
                if link.used_at is not None:
                    reason = "used"
                elif link.expires_at <= now:
                    reason = "expired"
                elif not (owner.is_active and owner.is_patient):
                    reason = "account inactive"
                else:
                    link.used_at = now
                    link.save(update_fields=["used_at"])
                    audit.record(
                        actor=owner,
                        operation=Operation.AUTH,
                        action=AccountAuditAction.LINK_USED,
                        target=target_of(owner),
                    )
                    return LinkUse(owner)
    locked = record_sign_in_failure(
        kind=AuthThrottleEvent.Kind.LINK_FAILED,
        email=None,
        ip_address=ip_address,
        now=now,
        actor=owner,
        detail={"step": "link", "reason": reason},
    )
    return LinkUse(None, locked)
