"""Referrals of the intake stages (kapclinic.demo.stages): the registered patients' and the
open ones that are not (yet) patients."""

from __future__ import annotations

from datetime import datetime, timedelta

from kapclinic.accounts.models import Clinic, Role
from kapclinic.demo import names
from kapclinic.demo.stages.clock import StagesBase
from kapclinic.demo.stages.rows import PatientHistory, new_uuid
from kapclinic.demo.stages.tables import DECLINE_NOTES, REFERRERS, UNANSWERED
from kapclinic.patients.models import Sex
from kapclinic.referrals.models import Referral


class ReferralStage(StagesBase):
    def _referral_of(
        self, history: PatientHistory, clinic: Clinic, registered: datetime
    ) -> Referral:
        rng, patient = self.rng, history.patient
        # 3+ days before: a weekend day moves to Monday, still before the registration day.
        received = self._slot(clinic, registered.date() - timedelta(days=rng.randint(3, 30)))
        referral = self._referral(clinic, patient.given_name, patient.family_name, received)
        referral.birth_date = patient.birth_date if rng.random() < 0.8 else None
        referral.phone, referral.email = patient.phone, patient.email
        if not patient.email:
            referral.contact_preference = Referral.ContactPreference.PHONE
        referral.status = Referral.Status.REGISTERED
        referral.patient = patient
        referral.handled_by = self.staff.pick(rng, clinic.pk, Role.FRONT_DESK)
        referral.updated_at = registered
        if referral.source == Referral.Source.SELF and rng.random() < 0.5:
            codes = {d.icd10_code for d in history.diagnoses}
            referral.prescreen_answers = {
                **UNANSWERED,
                "adult": patient.age_on(received.date()) >= 18,
                "depression_or_ptsd": True,
                "vascular": False,
                "psychosis": any(c.startswith("F31") for c in codes),
                "blood_pressure": "I10" in codes and rng.random() < 0.3,
                "pregnant": False,
                "substances": bool(codes & {"F10.20", "F12.20"}),
            }
        self.counts.referrals_registered += 1
        return referral

    def _referral(self, clinic: Clinic, given: str, family: str, received: datetime) -> Referral:
        rng = self.rng
        referral = Referral(
            clinic=clinic,
            source=rng.choices([Referral.Source.SELF, Referral.Source.CLINICIAN], [60, 40])[0],
            given_name=given,
            family_name=family,
            contact_preference=rng.choice(list(Referral.ContactPreference)),
            public_id=new_uuid(rng),
        )
        referral.created_at = referral.updated_at = received
        if referral.source == Referral.Source.CLINICIAN:
            referral.referring_clinician, referral.referring_organisation = rng.choice(REFERRERS)
            referral.referring_contact = (
                f"+1-555-{rng.randint(200, 999)}-{rng.randint(0, 9999):04d}"
            )
            referral.recorded_by = self.staff.pick(rng, clinic.pk, Role.FRONT_DESK)
            referral.message = "Treatment-resistant depression after two adequate trials."
        else:
            referral.message = rng.choice(["", "", "Could I come on Friday afternoons?"])
        return referral

    def _open_referral(self) -> Referral:
        rng = self.rng
        clinic = rng.choice(list(self.clinics.values()))
        sex = rng.choice([Sex.FEMALE, Sex.MALE])
        pool = names.GIVEN_FEMALE if sex == Sex.FEMALE else names.GIVEN_MALE
        given, family = rng.choice(pool), rng.choice(names.FAMILY)
        received = self._slot(clinic, self.today - timedelta(days=rng.randint(1, 60)))
        if not self._past(received):
            received = self._slot(clinic, self.today - timedelta(days=7))
        referral = self._referral(clinic, given, family, received)
        referral.phone = f"+1-555-{rng.randint(200, 999)}-{rng.randint(0, 9999):04d}"
        if referral.contact_preference == Referral.ContactPreference.EMAIL:
            local = f"{names.ascii_fold(given)}.{names.ascii_fold(family)}{rng.randint(1, 999)}"
            referral.email = f"{local}@example.org"
        if referral.source == Referral.Source.SELF and rng.random() < 0.5:
            referral.prescreen_answers = {
                **UNANSWERED,
                "adult": True,
                "depression_or_ptsd": True,
                "vascular": rng.random() < 0.05,
                "psychosis": rng.random() < 0.1,
            }
        referral.status = rng.choices(
            [Referral.Status.NEW, Referral.Status.CONTACTED, Referral.Status.DECLINED], [45, 35, 20]
        )[0]
        if referral.status != Referral.Status.NEW:
            referral.handled_by = self.staff.pick(rng, clinic.pk, Role.FRONT_DESK)
            referral.updated_at = self._after(clinic, received, (0, 3))
            if not self._past(referral.updated_at):
                referral.updated_at = received
            referral.triage_note = (
                rng.choice(DECLINE_NOTES)
                if referral.status == Referral.Status.DECLINED
                else "Left a message; call back to book the screening visit."
            )
        self.counts.referrals_open += 1
        return referral
