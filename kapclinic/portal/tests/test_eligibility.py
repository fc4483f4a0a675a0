"""One definition of "eligible" (issue 12.3): the portal's consent offers and readiness to dose
both ask ``DecisionOutcome.allows_treatment``, so for every outcome a prescriber can sign they
agree with it and with each other (the portal used to deny "not_eligible" while readiness
allowed two outcomes)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.utils import timezone

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.consent.models import TreatmentType
from kapclinic.consent.readiness import can_start_dosing
from kapclinic.patients.models import Patient
from kapclinic.portal.views import offered_consents
from kapclinic.screening.facts import Finding
from kapclinic.screening.models import DecisionOutcome, EligibilityDecision
from kapclinic.screening.services import override_flag, record_screening, sign_decision
from kapclinic.screening.tests.factories import answers

pytestmark = pytest.mark.django_db
RACEMIC = TreatmentType.RACEMIC_KETAMINE_OFF_LABEL
# A screening that a prescriber signs with each outcome: its finding, and the flag overridden.
SIGNED_AS: dict[DecisionOutcome, tuple[frozenset[Finding], str]] = {
    DecisionOutcome.ELIGIBLE: (frozenset(), ""),
    DecisionOutcome.ELIGIBLE_WITH_PRECAUTIONS: (
        frozenset({Finding.GLAUCOMA}),
        "R-SCR-2.glaucoma",
    ),
    DecisionOutcome.NOT_ELIGIBLE: (frozenset({Finding.AVM}), ""),
}
ELIGIBILITY_REASONS = ("Eligibility", "Not eligible")


def _signed(
    patient: Patient, demo_user: Callable[[Role], User], outcome: DecisionOutcome
) -> EligibilityDecision:
    findings, overridden = SIGNED_AS[outcome]
    prescriber = Actor(user=demo_user(Role.PRESCRIBER), roles=frozenset({Role.PRESCRIBER}))
    screening = record_screening(
        actor=Actor(user=demo_user(Role.NURSE), roles=frozenset({Role.NURSE})),
        patient=patient,
        answers=answers(findings=findings),
        now=timezone.now(),
    )
    if overridden:
        screening = override_flag(
            actor=prescriber,
            screening=screening,
            rule_id=overridden,
            reason="Ophthalmology cleared the patient.",
            now=timezone.now(),
        )
    decision = sign_decision(actor=prescriber, screening=screening, notes="", now=timezone.now())
    assert decision.outcome == outcome
    return decision


def test_only_the_eligible_outcomes_allow_treatment() -> None:
    assert {o for o in DecisionOutcome if o.allows_treatment} == {
        DecisionOutcome.ELIGIBLE,
        DecisionOutcome.ELIGIBLE_WITH_PRECAUTIONS,
    }


def test_every_outcome_is_signed_here() -> None:
    assert set(SIGNED_AS) == set(DecisionOutcome), "add a screening signed with the new outcome"


@pytest.mark.parametrize("outcome", list(DecisionOutcome))
def test_the_portal_and_readiness_to_dose_agree_for_every_outcome(
    outcome: DecisionOutcome,
    clinics: list[Clinic],
    demo_user: Callable[[Role], User],
    new_patient: Callable[..., Patient],
) -> None:
    patient = new_patient(clinics[0])
    decision = _signed(patient, demo_user, outcome)
    assert decision.allows_treatment is outcome.allows_treatment
    assert _offered(patient) is outcome.allows_treatment
    assert _eligible_for_dosing(patient) is outcome.allows_treatment


def test_both_entry_points_ask_the_one_definition(
    monkeypatch: pytest.MonkeyPatch,
    clinics: list[Clinic],
    demo_user: Callable[[Role], User],
    new_patient: Callable[..., Patient],
) -> None:
    # Were precautions to stop treatment, the portal and readiness would both follow at once.
    patient = new_patient(clinics[0])
    _signed(patient, demo_user, DecisionOutcome.ELIGIBLE_WITH_PRECAUTIONS)
    assert _offered(patient)
    assert _eligible_for_dosing(patient)
    only_eligible = property(lambda outcome: outcome is DecisionOutcome.ELIGIBLE)
    monkeypatch.setattr(DecisionOutcome, "allows_treatment", only_eligible)
    assert not _offered(patient)
    assert not _eligible_for_dosing(patient)


def _offered(patient: Patient) -> bool:
    """The portal offers the racemic ketamine consent."""
    return RACEMIC in {s.treatment_type for s in offered_consents(patient)}


def _eligible_for_dosing(patient: Patient) -> bool:
    """Readiness to dose has no eligibility reason against racemic ketamine."""
    readiness = can_start_dosing(patient, RACEMIC, now=timezone.now())
    return not any(reason.startswith(ELIGIBILITY_REASONS) for reason in readiness.blocking_reasons)
