"""Two-factor authentication writes: enrolment, code checks, recovery codes, admin reset."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.audit_actions import AccountAuditAction
from kapclinic.accounts.credentials import (
    clean_code,
    looks_like_recovery_code,
    looks_like_totp,
    matching_totp_step,
    new_recovery_codes,
    recovery_code_hash,
)
from kapclinic.accounts.models import (
    AuthThrottleEvent,
    RecoveryCode,
    TwoFactorDevice,
    User,
)
from kapclinic.accounts.selectors import count_unused_recovery_codes, lockout_until
from kapclinic.accounts.services.signin import (
    complete_sign_in_in_transaction,
    record_sign_in_failure,
    refused_while_locked,
    rotate_session_salt,
)
from kapclinic.accounts.tasks import send_security_notice
from kapclinic.audit import services as audit
from kapclinic.audit.models import Operation
from kapclinic.audit.services import target_of
from kapclinic.core.exceptions import DomainError
from kapclinic.core.reasons import clean_reason


def _issue_recovery_codes(user: User, now: datetime) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    codes = new_recovery_codes()
    salt = str(user.public_id)
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, code_hash=recovery_code_hash(salt, code), created_at=now)
        for code in codes
    )
    return codes


def confirm_two_factor(
    *,
    actor: Actor,
    secret: str,
    code: str,
    now: datetime,
    completes_sign_in: bool = False,
) -> list[str] | None:
    """Turn on 2FA with ``secret`` once ``code`` proves the app has it; returns the recovery
    codes (to show once), or None when the code is wrong. ``completes_sign_in``: this was the
    second step of a sign-in (a staff member's first), recorded in the same transaction."""
    user = actor.user
    step = matching_totp_step(secret, clean_code(code), now)
    if step is None:
        return None
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        if TwoFactorDevice.objects.filter(user=user).exists():
            msg = "Two-factor authentication is already set up for this account."
            raise DomainError(msg)
        TwoFactorDevice.objects.create(
            user=user, secret=secret, confirmed_at=now, last_used_step=step
        )
        codes = _issue_recovery_codes(user, now)
        audit.record(
            actor=user,
            operation=Operation.AUTH,
            action=AccountAuditAction.TWO_FACTOR_ENROLLED,
            target=target_of(user),
            changes={"two_factor": ("off", "on"), "recovery_codes_left": (0, len(codes))},
        )
        if completes_sign_in:
            complete_sign_in_in_transaction(actor=actor, method="totp_enrolment")
    return codes


@dataclass(frozen=True)
class SecondFactorCheck:
    """``method`` ("totp" or "recovery_code") when the code was right, else None."""

    method: str | None
    locked_until: datetime | None = None
    recovery_codes_left: int | None = None


def verify_second_factor(
    *,
    actor: Actor,
    code: str,
    ip_address: str | None,
    now: datetime,
) -> SecondFactorCheck:
    """Check a TOTP or recovery code. A right one completes the sign-in (audited); a wrong one,
    or a TOTP code used before, counts as a failure towards the lockouts."""
    user = actor.user
    if lockout_until(email=user.email, ip_address=ip_address, now=now) is not None:
        refused_while_locked(actor=user, step="second_factor", email=user.email)
        return SecondFactorCheck(
            None, lockout_until(email=user.email, ip_address=ip_address, now=now)
        )
    cleaned = clean_code(code)
    with transaction.atomic():
        device = TwoFactorDevice.objects.select_for_update().filter(user=user).first()
        if device is not None and looks_like_totp(cleaned):
            step = matching_totp_step(device.secret, cleaned, now, newer_than=device.last_used_step)
            if step is not None:
                device.last_used_step = step
                device.save(update_fields=["last_used_step"])
                complete_sign_in_in_transaction(actor=actor, method="totp")
                return SecondFactorCheck("totp")
        elif device is not None and looks_like_recovery_code(cleaned):
            recovery = (
                RecoveryCode.objects.select_for_update()
                .filter(
                    user=user,
                    code_hash=recovery_code_hash(str(user.public_id), cleaned),
                    used_at__isnull=True,
                )
                .first()
            )
            if recovery is not None:
                recovery.used_at = now
                recovery.save(update_fields=["used_at"])
                left = count_unused_recovery_codes(user)
                audit.record(
                    actor=user,
                    operation=Operation.AUTH,
                    action=AccountAuditAction.RECOVERY_CODE_USED,
                    actor_roles=actor.roles,
                    target=target_of(user),
                    changes={"recovery_codes_left": (left + 1, left)},
                )
                complete_sign_in_in_transaction(actor=actor, method="recovery_code")
                return SecondFactorCheck("recovery_code", recovery_codes_left=left)
    locked = record_sign_in_failure(
        kind=AuthThrottleEvent.Kind.CODE_FAILED,
        email=user.email,
        ip_address=ip_address,
        now=now,
        actor=user,
        detail={"step": "second_factor"},
    )
    return SecondFactorCheck(None, locked)


def regenerate_recovery_codes(*, user: User, now: datetime) -> list[str]:
    """Replace all recovery codes (the old ones stop working); returns the new ones to show."""
    with transaction.atomic():
        if not TwoFactorDevice.objects.filter(user=user).exists():
            msg = "Set up two-factor authentication first; recovery codes come with it."
            raise DomainError(msg)
        before = count_unused_recovery_codes(user)
        codes = _issue_recovery_codes(user, now)
        audit.record(
            actor=user,
            operation=Operation.AUTH,
            action=AccountAuditAction.RECOVERY_CODES_REGENERATED,
            target=target_of(user),
            changes={"recovery_codes_left": (before, len(codes))},
        )
    return codes


def reset_two_factor(*, actor: Actor, target: User, reason: str) -> None:
    """A clinic admin turns off ``target``'s 2FA (lost phone): the authenticator and recovery
    codes are deleted, every session of theirs ends, and they must enrol at next sign-in.

    The caller has checked that ``target`` works in the actor's clinic
    (access_clinic_staff_member).
    """
    clinic = actor.current_clinic
    if actor.user.pk == target.pk:
        msg = "You cannot reset your own two-factor authentication; ask another clinic admin."
        raise DomainError(msg)
    reason = clean_reason(reason, error=DomainError)
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=target.pk).first()
        device = TwoFactorDevice.objects.filter(user=target).first()
        if device is None:
            msg = f"{target.full_name} has no two-factor authentication to reset."
            raise DomainError(msg)
        codes_left = count_unused_recovery_codes(target)
        device.delete()
        RecoveryCode.objects.filter(user=target).delete()
        rotate_session_salt(target)
        audit.record(
            actor=actor.user,
            operation=Operation.AUTH,
            action=AccountAuditAction.TWO_FACTOR_RESET,
            actor_roles=actor.roles,
            clinic_id=clinic.public_id,
            target=target_of(target),
            changes={"two_factor": ("on", "off"), "recovery_codes_left": (codes_left, 0)},
            detail={"signed_out_everywhere": True},
            purpose=reason,
        )
        recipient = target.email
        transaction.on_commit(
            lambda: send_security_notice.enqueue(
                recipient=recipient,
                subject="kapclinic: your two-factor authentication was reset",
                body=(
                    "A clinic admin reset the two-factor authentication of your kapclinic "
                    "account, and every session of yours was signed out.\n"
                    "You will set up an authenticator app again the next time you sign in.\n"
                    "If you did not ask for this, tell your clinic admin straight away.\n"
                ),
            )
        )
