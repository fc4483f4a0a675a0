"""Who acts: the signed-in person, their roles and the clinic they work in, as one value.

Built once per request by ClinicMiddleware (``request.actor``) from the memberships it loads
anyway, so asking for it costs no query; outside a request (jobs, commands, the demo
generator, tests) ``Actor.for_user`` builds one. Services and selectors take ``actor: Actor``
first (DEVELOPERS.md, "actor first"). A service that may also run on nobody's behalf (a
scheduled job, a command, a patient answering through a one-time link) takes
``actor: AnyActor`` and is passed ``SYSTEM`` or ``PATIENT_BY_LINK``: no signed-in person.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Literal

from django.core.exceptions import PermissionDenied

from kapclinic.accounts.models import Clinic, Role, StaffMembership, User
from kapclinic.accounts.permissions import PATIENT, Capability, allows
from kapclinic.accounts.selectors import list_active_memberships

# A staff role, or "patient" for a portal user (kapclinic.accounts.permissions).
ActorRole = Role | Literal["patient"]


def as_roles(values: Iterable[str]) -> frozenset[ActorRole]:
    """``values`` as roles: Role members, and "patient" kept as it is."""
    return frozenset(PATIENT if value == PATIENT else Role(value) for value in values)


@dataclass(frozen=True)
class Actor:
    """A person acting in one clinic (or none): a frozen value, safe to pass anywhere.

    ``roles`` are their roles in ``clinic`` ({"patient"} for a portal user, who has no
    clinic); ``memberships`` all their active ones, for reads that look at another of their
    clinics (a patient's chart answers with the roles held in the patient's clinic).
    """

    user: User
    roles: frozenset[ActorRole] = frozenset()
    clinic: Clinic | None = None
    memberships: tuple[StaffMembership, ...] = ()

    @classmethod
    def from_memberships(
        cls, user: User, memberships: Iterable[StaffMembership], clinic: Clinic | None
    ) -> Actor:
        """The actor working in ``clinic`` with these (already loaded) memberships: no query."""
        held = tuple(memberships)
        if user.is_patient:
            return cls(user=user, roles=frozenset({PATIENT}), clinic=None, memberships=())
        roles = as_roles(m.role for m in held if clinic is not None and m.clinic_id == clinic.pk)
        return cls(user=user, roles=roles, clinic=clinic, memberships=held)

    @classmethod
    def for_user(cls, user: User, clinic: Clinic | None = None) -> Actor:
        """The actor outside a request (jobs, commands, the demo generator, tests): ``user``'s
        active roles in ``clinic`` (their first clinic when none is named), one query."""
        if user.is_patient:
            return cls.from_memberships(user, (), None)
        memberships = list_active_memberships(user)
        if clinic is None and memberships:
            clinic = memberships[0].clinic
        return cls.from_memberships(user, memberships, clinic)

    def in_clinic(self, clinic: Clinic) -> Actor:
        """The same person acting in ``clinic``, with the roles they hold there (no query)."""
        return Actor.from_memberships(self.user, self.memberships, clinic)

    def can(self, capability: Capability) -> bool:
        return allows(self.roles, capability)

    @property
    def current_clinic(self) -> Clinic:
        """The clinic the actor works in; staff acting behind a staff capability have one."""
        if self.clinic is None:
            raise PermissionDenied
        return self.clinic


@dataclass(frozen=True)
class SystemActor:
    """No signed-in person: a scheduled job or command (no roles), or a patient answering
    through a one-time link (role "patient"). Audited without a user, with these roles."""

    roles: frozenset[ActorRole] = frozenset()

    @property
    def user(self) -> None:
        return None


SYSTEM: Final = SystemActor()
PATIENT_BY_LINK: Final = SystemActor(roles=frozenset({PATIENT}))

# Who a service that may run on nobody's behalf is called by.
AnyActor = Actor | SystemActor
