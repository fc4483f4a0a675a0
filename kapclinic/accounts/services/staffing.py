"""Who works in a clinic: granting and ending staff roles, inviting new staff.

The one write path for StaffMembership (issue 10: a clinic admin could grant themself a role in
another clinic through the Django admin site). Every grant and every end:
- is made by a clinic admin *of that clinic*, read from the database, never from the request;
- never changes the actor's own roles (another admin must), and never grants a role above the
  actor's own (``GRANTABLE_ROLES``);
- is audited in the same transaction and notifies the clinic's other admins.
The Django admin site shows memberships read-only; operators bootstrap a clinic's first admin
with ``manage.py grant_role`` (actor: none, audited as an operator action).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final

from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.urls import reverse

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.audit_actions import AccountAuditAction
from kapclinic.accounts.credentials import normalise_email
from kapclinic.accounts.models import Clinic, Role, StaffMembership, User
from kapclinic.accounts.services.notices import notify_clinic_admins
from kapclinic.accounts.tasks import send_security_notice
from kapclinic.audit import services as audit
from kapclinic.audit.models import Operation
from kapclinic.audit.services import target_of
from kapclinic.core.exceptions import DomainError
from kapclinic.core.reasons import clean_reason

# What a holder of each role may grant in the same clinic. Only clinic admins grant, and no
# role is above theirs inside a clinic; superuser status is never granted in the app.
GRANTABLE_ROLES: Final[dict[str, frozenset[str]]] = {
    Role.CLINIC_ADMIN: frozenset(Role.values),
}

# Builds the absolute set-password URL for an invited user (the view knows the host).
InvitationLink = Callable[[User], str]


def grantable_roles(roles: Iterable[str]) -> frozenset[str]:
    """The roles a holder of ``roles`` may grant in the clinic where they hold them."""
    granted: frozenset[str] = frozenset()
    for role in roles:
        granted |= GRANTABLE_ROLES.get(role, frozenset())
    return granted


def roles_in(user: User, clinic: Clinic) -> frozenset[str]:
    """The user's active roles in ``clinic``, read from the database (not from the request)."""
    if not user.is_active:
        return frozenset()
    return frozenset(
        StaffMembership.objects.filter(user=user, clinic=clinic, is_active=True).values_list(
            "role", flat=True
        )
    )


def invitation_token(user: User) -> str:
    """A set-password token (Django's reset tokens: spent once the password is set, expires
    after PASSWORD_RESET_TIMEOUT)."""
    return default_token_generator.make_token(user)


@dataclass(frozen=True)
class Grant:
    membership: StaffMembership
    new_account: bool


def _check_grantor(*, actor: User | None, clinic: Clinic, role: str) -> None:
    if actor is None:
        return  # an operator's command (manage.py grant_role), audited as such
    if role not in grantable_roles(roles_in(actor, clinic)):
        # The views already refuse non-admins; this guards every other caller.
        msg = "Only a clinic admin of this clinic can grant this role here."
        raise DomainError(msg)


def _notify_other_admins(*, actor: User | None, clinic: Clinic, subject: str) -> None:
    by = actor.display_name if actor else "An operator (manage.py grant_role)"
    notify_clinic_admins(
        clinic=clinic,
        subject=subject,
        body=f"{by} made this change. Check it on the Staff page.",
        link=reverse("administration:staff"),
        exclude=actor,
    )


def _invite(*, user: User, clinic: Clinic, link: InvitationLink) -> None:
    url = link(user)
    recipient, clinic_name = user.email, clinic.name
    transaction.on_commit(
        lambda: send_security_notice.enqueue(
            recipient=recipient,
            subject=f"kapclinic: you were invited to {clinic_name}",
            body=(
                f"You were given an account in kapclinic at {clinic_name}.\n\n"
                f"Choose your password here:\n{url}\n\n"
                "The link works once and expires in 3 days. After choosing a password you "
                "sign in and set up two-factor authentication with an authenticator app.\n"
                "If you were not expecting this, ignore this e-mail.\n"
            ),
        )
    )


@transaction.atomic
def grant_role(
    *,
    actor: Actor | None,
    clinic: Clinic,
    email: str,
    role: str,
    full_name: str = "",
    credentials: str = "",
    link: InvitationLink,
    purpose: str = "",
) -> Grant:
    """Give the person with ``email`` the ``role`` in ``clinic``; create and invite them if they
    have no account. Refused (DomainError, nothing written) for one's own account, a patient's
    portal account, a deactivated account, a role already held, or a grantor who may not."""
    if role not in Role.values:
        msg = "Choose one of the roles."
        raise DomainError(msg)
    by = actor.user if actor is not None else None
    _check_grantor(actor=by, clinic=clinic, role=role)
    address = normalise_email(email)
    user = User.objects.select_for_update().filter(email=address).first()
    new_account = user is None
    if user is None:
        if not full_name.strip():
            msg = "Give the new staff member's full name."
            raise DomainError(msg)
        user = User.objects.create_user(
            address, None, full_name=full_name.strip(), credentials=credentials.strip()
        )
    elif by is not None and user.pk == by.pk:
        msg = "You cannot change your own roles; ask another clinic admin."
        raise DomainError(msg)
    elif user.is_patient:
        msg = (
            "This e-mail address belongs to a patient portal account. Staff need an account "
            "of their own, with another address."
        )
        raise DomainError(msg)
    elif not user.is_active:
        msg = "This account is deactivated; ask your kapclinic operator to reactivate it."
        raise DomainError(msg)
    membership = (
        StaffMembership.objects.select_for_update()
        .filter(user=user, clinic=clinic, role=role)
        .first()
    )
    if membership is not None and membership.is_active:
        msg = f"{user.full_name} is already {membership.get_role_display()} here."
        raise DomainError(msg)
    if membership is None:
        membership = StaffMembership.objects.create(user=user, clinic=clinic, role=role)
    else:
        membership.is_active = True
        membership.save(update_fields=["is_active", "updated_at"])
    audit.record(
        actor=by,
        operation=Operation.ACCESS,
        action=AccountAuditAction.ROLE_GRANTED,
        actor_roles=actor.roles if actor is not None else (),
        clinic_id=clinic.public_id,
        target=target_of(membership),
        changes={"is_active": (False, True)},
        detail={
            "role": role,
            "user": str(user.public_id),
            "new_account": new_account,
            "operator": actor is None,
        },
        purpose=purpose,
    )
    _notify_other_admins(
        actor=by,
        clinic=clinic,
        subject=f"{membership.get_role_display()} role granted to {user.display_name}",
    )
    if new_account:
        _invite(user=user, clinic=clinic, link=link)
    return Grant(membership=membership, new_account=new_account)


@transaction.atomic
def end_role(*, actor: Actor, membership: StaffMembership, reason: str) -> None:
    """End a staff member's role in the membership's clinic (left the clinic, changed job).
    Never one's own; the membership is kept (audit entries point at it), inactive."""
    locked = StaffMembership.objects.select_for_update().select_related("user", "clinic")
    membership = locked.get(pk=membership.pk)
    clinic = membership.clinic
    if Role.CLINIC_ADMIN not in roles_in(actor.user, clinic):
        msg = "Only a clinic admin of this clinic can end a role here."
        raise DomainError(msg)
    if membership.user_id == actor.user.pk:
        msg = "You cannot end your own role; ask another clinic admin."
        raise DomainError(msg)
    reason = clean_reason(reason, error=DomainError)
    if not membership.is_active:
        msg = "This role has already ended."
        raise DomainError(msg)
    membership.is_active = False
    membership.save(update_fields=["is_active", "updated_at"])
    audit.record(
        actor=actor.user,
        operation=Operation.ACCESS,
        action=AccountAuditAction.ROLE_ENDED,
        actor_roles=actor.roles,
        clinic_id=clinic.public_id,
        target=target_of(membership),
        changes={"is_active": (True, False)},
        detail={"role": membership.role, "user": str(membership.user.public_id)},
        purpose=reason,
    )
    _notify_other_admins(
        actor=actor.user,
        clinic=clinic,
        subject=(f"{membership.get_role_display()} role of {membership.user.display_name} ended"),
    )


@transaction.atomic
def resend_invitation(*, actor: Actor, clinic: Clinic, user: User, link: InvitationLink) -> None:
    """Send a new set-password link to someone who has not chosen a password yet."""
    if Role.CLINIC_ADMIN not in roles_in(actor.user, clinic):
        msg = "Only a clinic admin of this clinic can invite staff here."
        raise DomainError(msg)
    if user.has_usable_password():
        msg = f"{user.full_name} has already chosen a password."
        raise DomainError(msg)
    audit.record(
        actor=actor.user,
        operation=Operation.ACCESS,
        action=AccountAuditAction.INVITATION_SENT,
        actor_roles=actor.roles,
        clinic_id=clinic.public_id,
        target=target_of(user),
    )
    _invite(user=user, clinic=clinic, link=link)


@transaction.atomic
def accept_invitation(*, user: User, token: str, new_password: str) -> None:
    """The invited person chooses their password (already validated by the form). The token
    is checked again under the row lock, so two tabs cannot both use it; once the password is
    set, every token made before stops working (Django's tokens hash the password)."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.has_usable_password() or not default_token_generator.check_token(user, token):
        msg = (
            "This invitation has expired or was already used. Ask your clinic admin for a new one."
        )
        raise DomainError(msg)
    user.set_password(new_password)
    user.save(update_fields=["password"])
    audit.record(
        actor=user,
        operation=Operation.AUTH,
        action=AccountAuditAction.INVITATION_ACCEPTED,
        target=target_of(user),
    )
