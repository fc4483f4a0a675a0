"""Is the patient ready for the course's dosing? (issue 13.2)

Consent's ``can_start_dosing`` for the course's treatment (a protocol's modality is one of
consent's treatment types): valid consent, a signed eligibility decision, no urgent safety
alert without a prescriber's clearing evaluation, and the REMS records for esketamine. Planning
and booking show it and warn about what is missing; they do not refuse (checking in to a dosing
session will require it). Read-only.
"""

from __future__ import annotations

from datetime import datetime

from kapclinic.consent.models import TreatmentType
from kapclinic.consent.readiness import Readiness, can_start_dosing
from kapclinic.patients.models import Patient
from kapclinic.scheduling.models import Course, ProtocolVersion


def course_readiness(patient: Patient, of: Course | ProtocolVersion, *, now: datetime) -> Readiness:
    """Whether ``patient`` may start dosing in a course of ``of`` (a course, or the protocol
    version a course is being planned on) at ``now``; ``blocking_reasons`` says what is
    missing, in words."""
    return can_start_dosing(patient, TreatmentType(of.modality), now=now)
