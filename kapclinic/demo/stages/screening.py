"""Screening of the intake stages (kapclinic.demo.stages): the work-up from the patient's
record, its answers through the real safety rules, the engine's result, the prescriber's
overrides and the signed eligibility decision; an eligible patient goes on to consent."""

from __future__ import annotations

from datetime import datetime

from kapclinic.accounts.models import Clinic, Role
from kapclinic.demo.screening_safety import item9, positive_item9
from kapclinic.demo.stages.consent import ConsentStage
from kapclinic.demo.stages.rows import Batch, PatientHistory, new_uuid
from kapclinic.demo.stages.tables import (
    DIAGNOSIS_FINDINGS,
    HARD_STOPS,
    MEDICATION_CLASS,
    NO_OVERRIDE,
    OVERRIDE_REASONS,
    RARE_FINDINGS,
)
from kapclinic.patients.models import BodyMeasurement, PregnancyPotential, Sex
from kapclinic.screening.facts import Finding, PregnancyStatus
from kapclinic.screening.models import (
    DecisionOutcome,
    EligibilityDecision,
    FlagOverride,
    Screening,
    ScreeningOutcome,
)
from kapclinic.screening.rules import Family
from kapclinic.screening.services import SIGNABLE, facts_of


class ScreeningStage(ConsentStage):
    def _screening(
        self,
        history: PatientHistory,
        clinic: Clinic,
        at: datetime,
        weight: BodyMeasurement | None,
        batch: Batch,
        *,
        showcase_item9: bool = False,
    ) -> None:
        rng, patient = self.rng, history.patient
        day = at.astimezone(clinic.tzinfo).date()
        age = patient.age_on(day)
        codes = {d.icd10_code for d in history.diagnoses}
        depressive = any(c.startswith(("F32", "F33")) for c in codes)
        family = rng.choices(
            [Family.RACEMIC_KETAMINE, Family.ESKETAMINE, Family.TALK_THERAPY],
            [70, 25 if depressive else 0, 10],
        )[0]
        findings = {
            finding
            for code, (finding, p) in DIAGNOSIS_FINDINGS.items()
            if code in codes and rng.random() < p
        }
        findings |= {finding for finding, p in RARE_FINDINGS if rng.random() < p}
        showcase = self.showcase[clinic.pk]
        if "hard_stop" in showcase:
            findings.add(rng.choice(HARD_STOPS))
        if any(a.substance == "Ketamine" for a in history.allergies):
            findings.add(Finding.HYPERSENSITIVITY_KETAMINE)
        if any("buprenorphine" in m.name.casefold() for m in history.medications):
            findings.add(Finding.OPIOID_USE_DISORDER)
        could_be_pregnant = age <= 50 and (
            patient.sex == Sex.FEMALE
            or (patient.sex in (Sex.OTHER, Sex.UNKNOWN) and rng.random() < 0.3)
        )
        patient.pregnancy_potential = (
            PregnancyPotential.YES if could_be_pregnant else PregnancyPotential.NO
        )
        pregnancy = PregnancyStatus.NOT_APPLICABLE
        if could_be_pregnant:
            pregnancy = rng.choices(
                [PregnancyStatus.NOT_PREGNANT, PregnancyStatus.POSSIBLE, PregnancyStatus.PREGNANT],
                [94, 3, 3],
            )[0]
            if rng.random() < 0.03:
                findings.add(Finding.BREASTFEEDING)
        hypertensive = "I10" in codes
        systolic = 2 * round(rng.gauss(134 if hypertensive else 122, 11) / 2)
        if "bp_override" in showcase and "hard_stop" not in showcase:
            systolic = max(systolic, 148)
        diastolic = min(systolic - 30, 2 * round(rng.gauss(86 if hypertensive else 78, 7) / 2))
        phq9_level = 2 if any(c in ("F33.2", "F32.2") for c in codes) else 1
        screening = Screening(
            patient=patient,
            clinic=clinic,
            family=family.value,
            ruleset_version=self.engine.rulesets[family].version,
            status=Screening.Status.EVALUATED,
            age_years=age,
            pregnancy_status=pregnancy.value,
            findings=sorted(f.value for f in findings),
            medication_classes=sorted(
                {
                    MEDICATION_CLASS[m.interaction_class].value
                    for m in history.medications
                    if m.interaction_class in MEDICATION_CLASS
                }
            ),
            medical_history_reviewed=True,
            medications_reviewed=True,
            weight_kg=weight.weight_kg if weight is not None else None,
            systolic_mmhg=max(90, min(200, systolic)),
            diastolic_mmhg=max(50, min(120, diastolic)),
            heart_rate_bpm=max(48, min(120, round(rng.gauss(74, 9)))),
            spo2_percent=rng.choice([95, 96, 97, 97, 98, 98, 98, 99, 99, 100]),
            has_psychiatric_diagnosis=True,
            substance_use_history_answered=True,
            psychosis_history_answered=True,
            cssrs_screener_completed=True,
            phq9_answers=[
                min(3, max(0, round(rng.gauss(phq9_level + 0.4, 0.8)))) for _ in range(9)
            ],
            gad7_answers=[min(3, max(0, round(rng.gauss(1.3, 0.8)))) for _ in range(7)],
            recorded_by=self.staff.pick(rng, clinic.pk, Role.NURSE, Role.NURSE, Role.PRESCRIBER),
            recorded_at=at,
            public_id=new_uuid(rng),
        )
        if rng.random() < 0.04:  # an item of the work-up still to do
            gap = rng.choice(["cssrs_screener_completed", "gad7_answers", "spo2_percent"])
            setattr(screening, gap, None if gap != "cssrs_screener_completed" else False)
        if screening.phq9_answers is not None:  # item 9 by its own share (screening_safety)
            screening.phq9_answers[8] = (
                positive_item9(self.safety.rng)
                if showcase_item9
                else item9(self.safety.rng, phq9_level)
            )
        self.safety.record(
            screening,
            self.staff.pick(self.safety.rng, clinic.pk, Role.NURSE),
            self.staff.pick(self.safety.rng, clinic.pk, Role.PRESCRIBER),
            keep_open=showcase_item9,
        )
        if self.safety.holds(screening) and day == self.today:
            self.open_today.add(clinic.pk)
        self._evaluate(screening, family, {})
        batch.screenings.append(screening)
        self.counts.screenings += 1
        self._review(screening, family, clinic, batch)

    def _evaluate(self, screening: Screening, family: Family, overrides: dict[str, str]) -> None:
        outcome, explanation, result = self.engine.evaluate(
            family,
            facts_of(screening),
            self.policies[(screening.clinic_id, family)],
            overrides,
        )
        screening.outcome, screening.explanation, screening.result = outcome, explanation, result

    def _review(self, screening: Screening, family: Family, clinic: Clinic, batch: Batch) -> None:
        rng = self.rng
        prescriber = self.staff.pick(rng, clinic.pk, Role.PRESCRIBER)
        # An urgent suicide-risk alert is evaluated before the decision (R-OUT-1, issue 11).
        evaluated = self.safety.handled_by.get(id(screening), screening.recorded_at)
        at = self._after(clinic, max(screening.recorded_at, evaluated), (0, 3))
        open_flags = screening.open_flags
        if (
            open_flags
            and screening.outcome == ScreeningOutcome.NEEDS_PRESCRIBER_REVIEW
            and all(f in OVERRIDE_REASONS for f in open_flags)
            and not NO_OVERRIDE.intersection(open_flags)
            and (rng.random() < 0.75 or "bp_override" in self.showcase[clinic.pk])
            and self._past(at)
        ):
            if "R-SCR-4.bp_elevated" in open_flags:
                self.showcase[clinic.pk].discard("bp_override")
            overrides = {rule_id: OVERRIDE_REASONS[rule_id] for rule_id in open_flags}
            for rule_id, reason in overrides.items():
                override = FlagOverride(
                    rule_id=rule_id,
                    reason=reason,
                    prescriber=prescriber,
                    at=at,
                    public_id=new_uuid(rng),
                )
                batch.overrides.append((screening, override))
            self._evaluate(screening, family, overrides)
            self.counts.flag_overrides += len(overrides)
            at = self._after(clinic, at, (0, 0))
        signed = SIGNABLE.get(screening.outcome)
        showcased = (
            signed == DecisionOutcome.NOT_ELIGIBLE and "hard_stop" in self.showcase[clinic.pk]
        )
        # An urgent task still open: no eligible decision before its evaluation (R-OUT-1).
        held = self.safety.holds(screening) and signed != DecisionOutcome.NOT_ELIGIBLE
        if signed is None or (rng.random() >= 0.92 and not showcased) or not self._past(at) or held:
            self.counts.awaiting_review += 1
            return
        screening.status = Screening.Status.SIGNED
        batch.decisions.append(
            (
                screening,
                EligibilityDecision(
                    outcome=signed,
                    signed_by=prescriber,
                    signed_at=at,
                    notes="" if rng.random() < 0.7 else "Discussed the result with the patient.",
                    public_id=new_uuid(rng),
                ),
            )
        )
        self.counts.decisions += 1
        if signed == DecisionOutcome.NOT_ELIGIBLE:
            self.showcase[clinic.pk].discard("hard_stop")
            self.counts.not_eligible += 1
            return
        if signed == DecisionOutcome.ELIGIBLE:
            self.counts.eligible += 1
        else:
            self.counts.eligible_with_precautions += 1
        self._consent(screening, family, clinic, at, batch)
