"""The intake stages' tables: shares, findings and what staff write (kapclinic.demo.stages)."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Final

from kapclinic.consent.models import TreatmentType
from kapclinic.patients.interactions import InteractionClass
from kapclinic.referrals.prescreen import QUESTIONS
from kapclinic.screening.facts import Finding, MedicationClass
from kapclinic.screening.rules import Family

# See kapclinic.demo.stages: tests rely on these patients having no screening or consent.
KEPT_UNSCREENED_PER_CLINIC: Final = 3
# At scale, about this many patients go through screening and consent; the others stay
# registered and not yet screened. Each screening stores every rule's explanation (kilobytes),
# so screening all 100,000 patients of the benchmark clinic would multiply the generator's time
# by four for data no benchmark reads. Small demos (up to this size) screen as described above.
SCREENED_AT_SCALE: Final = 10_000
OPEN_REFERRAL_SHARE: Final = 0.03

# The screening's equivalent of the patient's medication list's interaction classes
# (lamotrigine has none: it is a review flag of the medication list, not a screening class).
MEDICATION_CLASS: Final[dict[str, MedicationClass]] = {
    InteractionClass.BENZODIAZEPINE: MedicationClass.BENZODIAZEPINE,
    InteractionClass.HYPNOTIC: MedicationClass.NON_BENZODIAZEPINE_HYPNOTIC,
    InteractionClass.OPIOID: MedicationClass.OPIOID,
    InteractionClass.PSYCHOSTIMULANT: MedicationClass.PSYCHOSTIMULANT,
    InteractionClass.MAOI: MedicationClass.MAOI,
}
# Findings that follow from a diagnosis on the problem list, with their probability.
DIAGNOSIS_FINDINGS: Final[dict[str, tuple[Finding, float]]] = {
    "H40.9": (Finding.GLAUCOMA, 1.0),
    "G40.909": (Finding.RECENT_SEIZURES, 0.5),
    "F10.20": (Finding.SUBSTANCE_USE_DISORDER_ACTIVE, 0.5),
    "F12.20": (Finding.SUBSTANCE_USE_DISORDER_ACTIVE, 0.5),
    "F31.81": (Finding.MANIA_RECENT, 0.3),
    "F31.4": (Finding.MANIA_RECENT, 0.3),
    "I10": (Finding.UNCONTROLLED_HYPERTENSION, 0.2),
}
# Rare findings drawn independently of the record (hard stops first, then flags).
RARE_FINDINGS: Final[tuple[tuple[Finding, float], ...]] = (
    (Finding.ANEURYSMAL_VASCULAR_DISEASE, 0.012),
    (Finding.AVM, 0.006),
    (Finding.INTRACEREBRAL_HAEMORRHAGE, 0.006),
    (Finding.PSYCHOSIS, 0.02),
    (Finding.TBI_SYMPTOMATIC, 0.01),
    (Finding.RECENT_SUICIDE_ATTEMPT, 0.01),
)
# What a prescriber writes when accepting a flag; flags missing here are never overridden.
OVERRIDE_REASONS: Final[dict[str, str]] = {
    "R-SCR-4.bp_elevated": "Repeat reading after 10 minutes' rest was 134/86; white-coat pattern "
    "documented by the GP. Re-check before each dose.",
    "R-SCR-2.psychosis": "Single substance-induced episode over 10 years ago, none since; "
    "psychiatrist agrees. Lower starting dose, close observation.",
    "R-SCR-2.glaucoma": "Open-angle glaucoma controlled on drops; ophthalmologist has no "
    "objection. Eye pressure check after the first session.",
    "R-SCR-2.recent_seizures": "Last seizure over a year ago on stable lamotrigine; neurologist "
    "consulted and agrees.",
    "R-SCR-2.substance_use_disorder": "In sustained remission with weekly counselling; agreed "
    "to abstain and to observed sessions only.",
    "R-SCR-2.uncontrolled_hypertension": "GP adjusted antihypertensives; home readings now "
    "below 140/90. BP before and after each dose.",
    "R-SCR-2.mania_recent": "Hypomania 8 months ago, euthymic on mood stabiliser; "
    "psychiatrist co-manages.",
    "R-SCR-2.tbi_symptomatic": "Mild concussion 3 years ago with residual headaches only; "
    "neurology review found no contraindication.",
}
HARD_STOPS: Final = (
    Finding.ANEURYSMAL_VASCULAR_DISEASE,
    Finding.AVM,
    Finding.INTRACEREBRAL_HAEMORRHAGE,
)
SHOWCASE: Final = frozenset({"hard_stop", "bp_override", "uncountersigned", "withdrawn"})
NO_OVERRIDE: Final = frozenset({"R-SCR-2.pregnancy", "R-SCR-2.age_under_18"})
WITHDRAWAL_REASONS: Final = (
    "Patient moved out of state and will continue care closer to home.",
    "Patient prefers to try a medication change with their psychiatrist first.",
    "Insurance does not cover the treatment; patient decided not to self-pay.",
    "Patient no longer wishes to receive ketamine after discussing it with family.",
)
DECLINE_NOTES: Final = (
    "Under 18: gave details of the adolescent service.",
    "Lives out of state: gave details of a clinic nearer home.",
    "Looking for a prescription to take home; the programme is in-clinic only.",
)
REFERRERS: Final = (
    ("Dr. Alana Brooks", "Riverside Family Practice"),
    ("Dr. Tomás Ferreira", "Northside Community Health"),
    ("Dr. Ruth Okafor", "Mercy Behavioral Health"),
    ("Jamie Collins, PMHNP", "Lakeshore Psychiatry"),
    ("Dr. Hyun-woo Park", "University Psychiatry Associates"),
)
TREATMENTS: Final[dict[Family, tuple[TreatmentType, ...]]] = {
    Family.RACEMIC_KETAMINE: (
        TreatmentType.KETAMINE_ASSISTED_PSYCHOTHERAPY,
        TreatmentType.KETAMINE_ASSISTED_PSYCHOTHERAPY,
        TreatmentType.RACEMIC_KETAMINE_OFF_LABEL,
    ),
    Family.ESKETAMINE: (TreatmentType.ESKETAMINE_REMS,),
    Family.TALK_THERAPY: (TreatmentType.TALK_THERAPY,),
}
# The self-check's answers as the public page stores them: every question, None if unanswered.
UNANSWERED: Final[dict[str, bool | None]] = dict.fromkeys(q.key for q in QUESTIONS)
OPENS: Final = time(8, 30)
DAY_MINUTES: Final = 9 * 60  # 08:30-17:30
# The open-task showcase (with ``now``): a screening is recorded at least this long after the
# clinic opens; its patient is one of the first few of the clinic waiting for a screening.
SHOWCASE_AFTER_OPENING: Final = timedelta(minutes=30)
WAITING_KEPT: Final = 20
