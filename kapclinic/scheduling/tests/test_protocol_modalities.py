"""A treatment protocol's modality is a consent treatment type (issue 13.1): a course asks for
consent to exactly its treatment. Tested here, in the app above both."""

from __future__ import annotations

from kapclinic.consent.models import TreatmentType
from kapclinic.scheduling.protocols.definition import Modality


def test_every_protocol_modality_is_a_consent_treatment_type() -> None:
    assert {modality.value for modality in Modality} == set(TreatmentType.values)
