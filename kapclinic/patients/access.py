"""A view's way to a patient's record: ``access_patient(request, public_id, action=...)``, and
to a record of a patient (a screening, a safety task...) through its app's access selector:
``access_record(request, access_screening, public_id, action=...)``.

The capability is the one the view declares with ``@requires`` (recorded on the request), and
the actor the one ClinicMiddleware built; the rules are those of
``kapclinic.patients.selectors.access_patient``: one 404 for a record that is missing and one
the user may not open, and the audited READ entry named ``action``.
"""

from __future__ import annotations

from typing import Protocol, TypeVar
from uuid import UUID

from django.core.exceptions import ImproperlyConfigured

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.permissions import Capability
from kapclinic.accounts.types import ClinicRequest
from kapclinic.audit.actions import AuditAction
from kapclinic.patients import selectors
from kapclinic.patients.selectors import PatientAccess

T_co = TypeVar("T_co", covariant=True)
# The audit action an access selector takes: a member of its app's catalogue.
A_contra = TypeVar("A_contra", bound=AuditAction, contravariant=True)
A = TypeVar("A", bound=AuditAction)


class RecordAccess(Protocol[T_co, A_contra]):
    """An app's access selector: the record if the actor may use ``capability`` on its
    patient, else Http404 (``kapclinic.patients.selectors.access_patient`` underneath)."""

    def __call__(
        self, *, actor: Actor, public_id: UUID, capability: Capability, action: A_contra
    ) -> T_co: ...


def view_capability(request: ClinicRequest) -> Capability:
    """The capability the running view declares with ``@requires``."""
    capability: Capability | None = getattr(request, "capability", None)
    if capability is None:
        msg = "Record access from a request needs a view declared with @requires(capability)."
        raise ImproperlyConfigured(msg)
    return capability


def access_patient(
    request: ClinicRequest, public_id: UUID, *, action: AuditAction | None
) -> PatientAccess:
    """The patient ``public_id`` if the request's actor may use the view's capability on them;
    otherwise Http404. ``action=None``: the request only writes, and audits that write."""
    return selectors.access_patient(
        actor=request.actor,
        public_id=public_id,
        capability=view_capability(request),
        action=action,
    )


def access_record(
    request: ClinicRequest, selector: RecordAccess[T_co, A], public_id: UUID, *, action: A
) -> T_co:
    """``selector``'s record ``public_id`` for the request's actor and the view's capability."""
    return selector(
        actor=request.actor,
        public_id=public_id,
        capability=view_capability(request),
        action=action,
    )
