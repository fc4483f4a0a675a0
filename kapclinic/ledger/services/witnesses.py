"""A witness signs with their own credentials (R-CS-3, R-CS-4; issue 14.2).

On the recorder's screen, the witness types their own e-mail and password. That check is the
sign-in's own (``accounts.services.check_password``: throttled, counted towards the lockout,
audited), so a witness signature cannot be used to guess passwords faster than a sign-in. A
``WitnessSignature`` can only be made here; the posting service accepts no other proof.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction

from kapclinic.accounts import services as accounts
from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import User
from kapclinic.accounts.permissions import Capability
from kapclinic.audit import services as audit
from kapclinic.audit.models import Operation
from kapclinic.ledger.audit_actions import LedgerAuditAction
from kapclinic.ledger.exceptions import LedgerError

_SEAL = object()


@dataclass(frozen=True)
class WitnessSignature:
    user: User
    signed_at: datetime
    _seal: object = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self._seal is not _SEAL:
            msg = "A witness signature is made by sign_as_witness only."
            raise TypeError(msg)

    @property
    def label(self) -> str:
        return self.user.display_name


def sign_as_witness(
    *, actor: Actor, email: str, password: str, ip_address: str | None, now: datetime
) -> WitnessSignature:
    """The witness's signature when their credentials are right and they may witness in the
    recorder's clinic; a refusal (audited) otherwise. The recorder cannot witness themself."""
    clinic = actor.current_clinic
    check = accounts.check_password(email=email, password=password, ip_address=ip_address, now=now)
    problem: str | None = None
    witness = check.user
    if witness is None:
        problem = (
            "The witness's sign-in is locked for a while: another witness must sign."
            if check.locked_until
            else "The witness's e-mail or password is not right."
        )
    elif witness.pk == actor.user.pk:
        problem = "You cannot witness your own entry: another staff member signs as witness."
    elif not Actor.for_user(witness, clinic).can(Capability.WITNESS_STOCK):
        problem = "That person may not witness controlled-substance entries in this clinic."
    if problem is not None or witness is None:
        with transaction.atomic():
            audit.record(
                actor=actor.user,
                operation=Operation.ACCESS,
                action=LedgerAuditAction.WITNESS_REFUSED,
                actor_roles=actor.roles,
                clinic_id=clinic.public_id,
                detail={"reason": problem},
            )
        raise LedgerError([problem or "The witness could not sign."])
    return WitnessSignature(user=witness, signed_at=now, _seal=_SEAL)


def distinct_witnesses(*, actor: Actor, witnesses: tuple[WitnessSignature, ...]) -> list[str]:
    """Why these witnesses cannot sign one entry together, if they cannot."""
    ids = [w.user.pk for w in witnesses]
    problems = []
    if len(set(ids)) != len(ids):
        problems.append("The two witnesses must be two different people.")
    if actor.user.pk in ids:
        problems.append("You cannot witness your own entry: another staff member signs.")
    return problems
