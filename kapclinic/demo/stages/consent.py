"""Consent of the intake stages (kapclinic.demo.stages): signed, countersigned, withdrawn."""

from __future__ import annotations

from datetime import datetime

from kapclinic.accounts.models import Clinic, Role
from kapclinic.consent.models import ConsentRecord, SignedVia
from kapclinic.demo.stages.clock import StagesBase
from kapclinic.demo.stages.rows import Batch, new_uuid
from kapclinic.demo.stages.tables import TREATMENTS, WITHDRAWAL_REASONS
from kapclinic.screening.models import Screening
from kapclinic.screening.rules import Family


class ConsentStage(StagesBase):
    def _consent(
        self, screening: Screening, family: Family, clinic: Clinic, decided: datetime, batch: Batch
    ) -> None:
        rng, patient = self.rng, screening.patient
        signed_at = self._after(clinic, decided, (1, 14))
        if rng.random() >= 0.8 or not self._past(signed_at):
            return
        document = self.documents[clinic.pk][rng.choice(TREATMENTS[family])]
        record = ConsentRecord(
            patient=patient,
            document=document,
            patient_typed_name=patient.full_name,
            patient_agreed=True,
            patient_signed_at=signed_at,
            signed_via=SignedVia.IN_CLINIC_TABLET,
            presented_by=self.staff.pick(rng, clinic.pk, Role.NURSE, Role.THERAPIST),
            public_id=new_uuid(rng),
        )
        batch.consents.append(record)
        countersigned_at = self._after(clinic, signed_at, (0, 0))
        showcase = self.showcase[clinic.pk]
        if (
            rng.random() >= 0.92
            or not self._past(countersigned_at)
            or "uncountersigned" in showcase
        ):
            showcase.discard("uncountersigned")
            self.counts.consents_awaiting_countersignature += 1
            return
        record.countersigned_by = self.staff.pick(rng, clinic.pk, Role.NURSE, Role.PRESCRIBER)
        record.countersigned_at = countersigned_at
        withdrawn_at = self._after(clinic, countersigned_at, (3, 60))
        if (rng.random() < 0.05 or "withdrawn" in showcase) and self._past(withdrawn_at):
            showcase.discard("withdrawn")
            record.withdrawn_at = withdrawn_at
            record.withdrawn_reason = rng.choice(WITHDRAWAL_REASONS)
            record.withdrawn_recorded_by = self.staff.pick(rng, clinic.pk, Role.NURSE)
            self.counts.consents_withdrawn += 1
            return
        self.counts.consents_valid += 1
