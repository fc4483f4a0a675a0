"""Sign-in writes: the password step, failure counting and lockouts, finished sign-ins,
sign-out (everywhere), idle timeouts and password changes. Each writes its AUTH audit entry in
the transaction of its change."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth import authenticate
from django.db import transaction

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.audit_actions import AccountAuditAction
from kapclinic.accounts.credentials import (
    ACCOUNT_FAILURES,
    ADDRESS_FAILURES,
    THROTTLE_RETENTION,
    ThrottleRule,
    account_key,
    normalise_email,
)
from kapclinic.accounts.models import AuthLockout, AuthThrottleEvent, User
from kapclinic.accounts.selectors import count_throttle_events, find_active_user, lockout_until
from kapclinic.audit import services as audit
from kapclinic.audit.models import Operation
from kapclinic.audit.services import target_of

_FAILURE_KINDS = (
    AuthThrottleEvent.Kind.PASSWORD_FAILED,
    AuthThrottleEvent.Kind.CODE_FAILED,
    AuthThrottleEvent.Kind.LINK_FAILED,
)
_FAILURE_ACTIONS = {
    AuthThrottleEvent.Kind.PASSWORD_FAILED: AccountAuditAction.LOGIN_FAILED,
    AuthThrottleEvent.Kind.CODE_FAILED: AccountAuditAction.TWO_FACTOR_FAILED,
    AuthThrottleEvent.Kind.LINK_FAILED: AccountAuditAction.LINK_FAILED,
}


def _lock(
    *,
    scope: AuthLockout.Scope,
    key: str,
    rule: ThrottleRule,
    failures: int,
    now: datetime,
    actor: User | None,
    detail: dict[str, Any],
) -> datetime:
    until = now + rule.lock_for
    AuthLockout.objects.create(scope=scope, key=key, locked_at=now, locked_until=until)
    audit.record(
        actor=actor,
        operation=Operation.AUTH,
        action=AccountAuditAction.LOCKOUT,
        detail={
            **detail,
            "scope": scope.value,
            "failures": failures,
            "minutes": rule.lock_minutes,
            "until": until,
        },
    )
    return until


def record_sign_in_failure(
    *,
    kind: AuthThrottleEvent.Kind,
    email: str | None,
    ip_address: str | None,
    now: datetime,
    actor: User | None,
    detail: dict[str, Any] | None = None,
) -> datetime | None:
    """Count and audit one failed sign-in step; lock the account (the e-mail typed, whether or
    not an account has it) and the client address once they reach their limits.

    Returns when signing in is allowed again if this failure caused a lockout, else None.
    """
    detail = detail or {}
    locks: list[datetime] = []
    with transaction.atomic():
        # The audit append takes the global chain's head lock first (the entry names no clinic;
        # issue 12.8), which serialises concurrent failures (on every app server), so the counts
        # below are exact. Naming a clinic here would lock only that clinic's chain.
        audit.record(
            actor=actor, operation=Operation.AUTH, action=_FAILURE_ACTIONS[kind], detail=detail
        )
        AuthThrottleEvent.objects.create(
            kind=kind,
            account_key=account_key(email) if email else "",
            ip_address=ip_address,
            occurred_at=now,
        )
        AuthThrottleEvent.objects.filter(occurred_at__lt=now - THROTTLE_RETENTION).delete()
        AuthLockout.objects.filter(locked_until__lt=now - THROTTLE_RETENTION).delete()
        if email:
            failures = count_throttle_events(
                kinds=_FAILURE_KINDS, since=now - ACCOUNT_FAILURES.window, email=email
            )
            if failures >= ACCOUNT_FAILURES.limit:
                locks.append(
                    _lock(
                        scope=AuthLockout.Scope.ACCOUNT,
                        key=account_key(email),
                        rule=ACCOUNT_FAILURES,
                        failures=failures,
                        now=now,
                        actor=actor,
                        detail=detail,
                    )
                )
        if ip_address:
            failures = count_throttle_events(
                kinds=_FAILURE_KINDS, since=now - ADDRESS_FAILURES.window, ip_address=ip_address
            )
            if failures >= ADDRESS_FAILURES.limit:
                locks.append(
                    _lock(
                        scope=AuthLockout.Scope.ADDRESS,
                        key=ip_address,
                        rule=ADDRESS_FAILURES,
                        failures=failures,
                        now=now,
                        actor=None,
                        detail={"address": ip_address},
                    )
                )
    return max(locks) if locks else None


def refused_while_locked(*, actor: User | None, step: str, email: str | None) -> None:
    with transaction.atomic():
        detail: dict[str, Any] = {"step": step, "reason": "locked"}
        if actor is None and email:
            detail["email"] = email
        audit.record(
            actor=actor,
            operation=Operation.AUTH,
            action=AccountAuditAction.LOGIN_REFUSED,
            detail=detail,
        )


@dataclass(frozen=True)
class PasswordCheck:
    """The first sign-in step: the user when the password is right, or when to retry."""

    user: User | None
    locked_until: datetime | None = None


def check_password(
    *, email: str, password: str, ip_address: str | None, now: datetime
) -> PasswordCheck:
    """Check an e-mail and password unless the account or address is locked out.

    While locked, the password is not even checked (a lockout must not confirm a guess).
    Wrong e-mail and wrong password are one failure kind, so nothing tells them apart.
    """
    email = normalise_email(email)
    if lockout_until(email=email, ip_address=ip_address, now=now) is not None:
        refused_while_locked(actor=find_active_user(email), step="password", email=email)
        return PasswordCheck(None, lockout_until(email=email, ip_address=ip_address, now=now))
    user = authenticate(None, username=email, password=password)
    if not isinstance(user, User):
        known = find_active_user(email)
        detail: dict[str, Any] = {"step": "password"}
        if known is None:
            detail["email"] = email  # who was tried; there is no account to point at
        locked = record_sign_in_failure(
            kind=AuthThrottleEvent.Kind.PASSWORD_FAILED,
            email=email,
            ip_address=ip_address,
            now=now,
            actor=known,
            detail=detail,
        )
        return PasswordCheck(None, locked)
    return PasswordCheck(user)


def record_password_accepted(*, user: User, next_step: str) -> None:
    """The password was right; the second step (``verify`` or ``enrol``) comes next."""
    with transaction.atomic():
        audit.record(
            actor=user,
            operation=Operation.AUTH,
            action=AccountAuditAction.PASSWORD_ACCEPTED,
            detail={"next_step": next_step},
        )


def complete_sign_in_in_transaction(*, actor: Actor, method: str) -> None:
    # A full sign-in forgives the account's earlier failures (not the address's).
    AuthThrottleEvent.objects.filter(
        account_key=account_key(actor.user.email), kind__in=_FAILURE_KINDS
    ).delete()
    audit.record(
        actor=actor.user,
        operation=Operation.AUTH,
        action=AccountAuditAction.LOGIN,
        actor_roles=actor.roles,
        clinic_id=actor.clinic.public_id if actor.clinic else None,
        detail={"method": method},
    )


def complete_sign_in(*, actor: Actor, method: str) -> None:
    """Record a finished sign-in (``method``: password, link or demo; codes go through
    verify_second_factor)."""
    with transaction.atomic():
        complete_sign_in_in_transaction(actor=actor, method=method)


def rotate_session_salt(user: User) -> None:
    user.session_salt = secrets.token_hex(16)
    user.save(update_fields=["session_salt"])


def sign_out_everywhere(*, actor: Actor) -> None:
    """End every session of the actor (each dies on its next request), this one included."""
    with transaction.atomic():
        rotate_session_salt(actor.user)
        audit.record(
            actor=actor.user,
            operation=Operation.AUTH,
            action=AccountAuditAction.SIGN_OUT_EVERYWHERE,
            actor_roles=actor.roles,
            clinic_id=actor.clinic.public_id if actor.clinic else None,
            target=target_of(actor.user),
        )


def record_sign_out(*, actor: Actor) -> None:
    with transaction.atomic():
        audit.record(
            actor=actor.user,
            operation=Operation.AUTH,
            action=AccountAuditAction.LOGOUT,
            actor_roles=actor.roles,
            clinic_id=actor.clinic.public_id if actor.clinic else None,
        )


def record_idle_timeout(*, actor: Actor, minutes: int) -> None:
    with transaction.atomic():
        audit.record(
            actor=actor.user,
            operation=Operation.AUTH,
            action=AccountAuditAction.IDLE_TIMEOUT,
            actor_roles=actor.roles,
            clinic_id=actor.clinic.public_id if actor.clinic else None,
            detail={"idle_minutes": minutes},
        )


def change_password(*, actor: Actor, new_password: str) -> None:
    """Set a new password (already validated by the form). Other sessions end (their hash no
    longer matches); the caller keeps the current one with update_session_auth_hash."""
    user = actor.user
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        audit.record(
            actor=user,
            operation=Operation.AUTH,
            action=AccountAuditAction.PASSWORD_CHANGED,
            actor_roles=actor.roles,
            target=target_of(user),
        )
