"""Every app's catalogue of audit actions, for the audit report: its filter and its labels.

Audit sits below the domain apps and knows none of them; oversight sits above them, so the
catalogues are collected here. An app that starts writing the trail adds its catalogue below
(tests/architecture/test_audit_actions.py fails until it does).
"""

from __future__ import annotations

from typing import Final

from kapclinic.accounts.audit_actions import AccountAuditAction
from kapclinic.audit.actions import AuditAction
from kapclinic.consent.audit_actions import ConsentAuditAction
from kapclinic.dosing.audit_actions import DosingAuditAction
from kapclinic.ledger.audit_actions import LedgerAuditAction
from kapclinic.measurement.audit_actions import MeasurementAuditAction
from kapclinic.oversight.audit_actions import OversightAuditAction
from kapclinic.patients.audit_actions import PatientAuditAction
from kapclinic.referrals.audit_actions import ReferralAuditAction
from kapclinic.scheduling.audit_actions import SchedulingAuditAction
from kapclinic.screening.audit_actions import ScreeningAuditAction

# (heading in the report's filter, catalogue), in the order the filter lists them.
CATALOGUES: Final[tuple[tuple[str, type[AuditAction]], ...]] = (
    ("Sign-in, staff access and clinic set-up", AccountAuditAction),
    ("Patients", PatientAuditAction),
    ("Referrals", ReferralAuditAction),
    ("Screening", ScreeningAuditAction),
    ("Consent", ConsentAuditAction),
    ("Treatment protocols", SchedulingAuditAction),
    ("Questionnaires and safety tasks", MeasurementAuditAction),
    ("Controlled-substance ledger", LedgerAuditAction),
    ("Dosing sessions", DosingAuditAction),
    ("Audit report", OversightAuditAction),
)

ACTION_LABELS: Final[dict[str, str]] = {
    action.value: action.label for _, catalogue in CATALOGUES for action in catalogue
}


def action_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The catalogues as grouped form choices: (heading, [(stored value, label), ...])."""
    return [(heading, list(catalogue.choices)) for heading, catalogue in CATALOGUES]
