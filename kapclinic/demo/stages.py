"""Intake stages of the synthetic clinic: referrals, screenings, eligibility decisions, consent.

``generate_clinic`` creates the patients and their history, then hands each batch to
``IntakeStages.add``. The stages draw from their own PRNG stream, so the patients, their public
ids and their history for a seed are the same as without them. Every value is invented.

Distribution (per patient, before the dates cut the story short):

- the first ``KEPT_UNSCREENED_PER_CLINIC`` patients of each clinic (by id) are registered and not
  yet screened, with no referral: tests take ``order_by("id")[0]`` of a clinic and record its
  first screening or consent, so those patients must have none;
- ~40% of patients came from a referral (self-referral from the website 60%, about half of
  them sharing their self-check answers; from an outside clinician 40%), received 2-30 days
  before registration; open referrals that are not (yet) patients add ~3% of the patient count
  (new 45%, contacted 35%, declined with a note 20%);
- registration falls within the last year; patients without a recorded weight are mostly not
  screened yet; otherwise ~80% are screened (a share scaled down above ``SCREENED_AT_SCALE``
  patients) 0-21 days after registration, for racemic ketamine
  (~70%; KAP or off-label infusions), esketamine (~20%, depression only) or talk therapy;
- the screening's facts come from the patient: age on the screening day, weight from the latest
  BodyMeasurement, pregnancy status asked only when they could become pregnant (otherwise "not
  applicable"; the patient's pregnancy potential is set from the answer), medication classes
  from their medication list, findings from their diagnoses (glaucoma, epilepsy, substance
  dependence, bipolar disorder, hypertension), a ketamine allergy and buprenorphine, plus rare
  hard-stop findings (aneurysmal vascular disease, AVM, intracerebral haemorrhage) and
  psychosis history; ~4% of work-ups miss an item (incomplete);
- the stored outcome, explanation and result are the engine's (``kapclinic.demo.evaluation``);
  open flags that a prescriber may reasonably accept (blood pressure, psychosis history,
  glaucoma, ...) are overridden with a written reason ~75% of the time, the others (pregnancy,
  age under 18) wait for review; ~92% of signable outcomes are signed by one of the clinic's
  prescribers 0-3 days later, so some wait for a signature;
- ~80% of patients with a signed eligible decision sign the consent for the treatment type of
  their screening family 1-14 days later (esketamine: REMS, racemic ketamine: off-label or KAP,
  talk therapy), presented by a nurse or therapist; ~92% are countersigned soon after (the same
  day if the clinic is still open) by a nurse or prescriber (the rest await it), and ~5% of those
  are withdrawn later with a reason.
  Nobody with a hard stop (not eligible) is consented.

So that even a small demo shows every stage, each clinic's first patients who reach the point
show the rare ones (``SHOWCASE``): a hard stop (signed not eligible), an overridden
blood-pressure flag, a consent awaiting countersignature and a withdrawn consent.

Timestamps are on weekdays between 08:30 and 17:30 in the clinic's time zone, strictly before
``today``, in the order referral < registration <= screening < overrides < decision < consent <
countersignature < withdrawal. A stage whose date would reach ``today`` does not happen yet.

On the real date (``now`` given: ``generate_demo``), a screening whose slot falls on ``today``
before ``now`` happens too (a working day of its clinic, in the clinic's zone); its urgent
safety task, if item 9 > 0, is still open, so nobody has signed it (R-OUT-1). So that staff
always meet the safety path, ``show_open_safety_tasks`` then makes sure of one open urgent task
in each clinic: a clinic open today with none from the draw screens its first patient waiting
for a screening earlier today, with item 9 above "not at all"; a clinic closed today, or not
open yet, records nothing today, and that patient's screening instead falls on its last working
day, with the task still unacknowledged. An open urgent task nobody acknowledged in time was
escalated when it fell due (``ScreeningSafety.escalate_overdue``). One forced answer per clinic
leaves item 9's share as drawn. Without ``now`` (the tests' clinics) none of this happens.
Like the rest of the generator, no audit entries are written (only the published documents are
audited, as their service does).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from typing import Final

from django.db import connection
from django.db.models import Field, Model

from kapclinic.accounts.models import Clinic, Role, StaffMembership, User
from kapclinic.consent.models import ConsentDocument, ConsentRecord, SignedVia, TreatmentType
from kapclinic.demo import names
from kapclinic.demo.evaluation import CachedEngine
from kapclinic.demo.screening_safety import ScreeningSafety, item9, positive_item9
from kapclinic.demo.workweek import Workweek, workweeks
from kapclinic.patients.interactions import InteractionClass
from kapclinic.patients.models import (
    Allergy,
    BodyMeasurement,
    Diagnosis,
    Medication,
    Patient,
    PregnancyPotential,
    Sex,
)
from kapclinic.referrals.models import Referral
from kapclinic.referrals.prescreen import QUESTIONS
from kapclinic.screening.facts import Finding, MedicationClass, PregnancyStatus
from kapclinic.screening.models import (
    DecisionOutcome,
    EligibilityDecision,
    FlagOverride,
    Screening,
    ScreeningOutcome,
)
from kapclinic.screening.policy import policy_for
from kapclinic.screening.rules import Family
from kapclinic.screening.rulesets import ruleset_for
from kapclinic.screening.services import SIGNABLE, facts_of

# See the module docstring: tests rely on these patients having no screening or consent.
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


@dataclass
class StageCounts:
    referrals_open: int = 0
    referrals_registered: int = 0
    not_screened: int = 0
    screenings: int = 0
    eligible: int = 0
    eligible_with_precautions: int = 0
    not_eligible: int = 0
    awaiting_review: int = 0  # needs a prescriber's review, incomplete, or not yet signed
    flag_overrides: int = 0
    decisions: int = 0
    consents_valid: int = 0
    consents_awaiting_countersignature: int = 0
    consents_withdrawn: int = 0
    safety_tasks: int = 0  # raised by the screenings' answers (screening_safety)

    def summary(self) -> str:
        return ", ".join(
            f"{getattr(self, f.name)} {f.name.replace('_', ' ')}" for f in fields(self)
        )


@dataclass
class PatientHistory:
    """What the generator made for one patient, so the stages need not read it back."""

    patient: Patient
    diagnoses: list[Diagnosis]
    measurements: list[BodyMeasurement]
    medications: list[Medication]
    allergies: list[Allergy]


@dataclass
class _Batch:
    patients: list[Patient]
    referrals: list[Referral]
    screenings: list[Screening]
    overrides: list[tuple[Screening, FlagOverride]]
    decisions: list[tuple[Screening, EligibilityDecision]]
    consents: list[ConsentRecord]


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


class _Staff:
    def __init__(self, clinics: Sequence[Clinic]) -> None:
        self.by_role: dict[tuple[int, str], list[User]] = {}
        for m in (
            StaffMembership.objects.filter(clinic__in=clinics, is_active=True)
            .select_related("user")
            .order_by("id")
        ):
            self.by_role.setdefault((m.clinic_id, m.role), []).append(m.user)

    def pick(self, rng: random.Random, clinic_id: int, *roles: Role) -> User:
        return rng.choice([u for r in roles for u in self.by_role.get((clinic_id, r), [])])


class IntakeStages:
    """Adds the intake stages batch by batch; ``counts`` says how many of each were made."""

    def __init__(
        self,
        *,
        seed: int,
        today: date,
        clinics: Sequence[Clinic],
        documents: dict[int, dict[str, ConsentDocument]],
        patients: int = 0,
        now: datetime | None = None,
    ) -> None:
        self.rng = random.Random(seed * 104729 + 3)
        self.screening_scale = min(1.0, SCREENED_AT_SCALE / patients) if patients else 1.0
        self.today = today
        self.clinics = {c.pk: c for c in clinics}
        self.documents = documents
        self.staff = _Staff(clinics)
        # The rule sets in force on ``today``, as record_screening uses those in force the day it
        # runs (LookupError, as there, when none is).
        self.engine = CachedEngine({family: ruleset_for(family, today) for family in Family})
        self.policies = {
            (c.pk, family): policy_for(c, ruleset)
            for c in clinics
            for family, ruleset in self.engine.rulesets.items()
        }
        self.counts = StageCounts()
        # Its own PRNG stream: the other stages draw exactly as before.
        self.safety = ScreeningSafety(rng=random.Random(seed * 7919 + 11), today=today)
        # The rare stages each clinic still has to show (see the module docstring).
        self.showcase = {c.pk: set(SHOWCASE) for c in clinics}
        # With ``now``: the clinics' opening days, the clinics whose draw left an urgent task
        # open today, and each clinic's first patients waiting for a screening (by id).
        self.now = now
        self.weeks: dict[int, Workweek] = workweeks(clinics) if now is not None else {}
        self.open_today: set[int] = set()
        # Today's screenings draw from their own stream (``_drawing_today``), so the patients
        # after them and their history are the same at whatever time of the day the demo is made.
        self.today_rng = random.Random(seed * 15485863 + 7)
        self.waiting: dict[int, list[tuple[PatientHistory, datetime]]] = {c.pk: [] for c in clinics}

    # --- time -----------------------------------------------------------------------------

    def _slot(self, clinic: Clinic, day: date, not_before: datetime | None = None) -> datetime:
        """A time on the first weekday from ``day`` during clinic hours, after ``not_before``."""
        while True:
            while day.weekday() >= 5:
                day += timedelta(days=1)
            start = datetime.combine(day, OPENS, tzinfo=clinic.tzinfo)
            latest = start + timedelta(minutes=DAY_MINUTES)
            if not_before is not None and not_before > start:
                start = not_before + timedelta(minutes=self.rng.randint(10, 90))
            if start < latest:
                span = int((latest - start).total_seconds() // 60)
                return start + timedelta(minutes=self.rng.randint(0, min(span, 240)))
            day += timedelta(days=1)

    def _after(self, clinic: Clinic, previous: datetime, days: tuple[int, int]) -> datetime:
        day = previous.astimezone(clinic.tzinfo).date() + timedelta(days=self.rng.randint(*days))
        return self._slot(clinic, day, not_before=previous)

    @contextmanager
    def _drawing_today(self) -> Iterator[None]:
        """Make the stages (and the screenings' safety) draw from the stream of today's
        screenings for the duration."""
        saved = self.rng, self.safety.rng
        self.rng = self.safety.rng = self.today_rng
        try:
            yield
        finally:
            self.rng, self.safety.rng = saved

    def _past(self, moment: datetime) -> bool:
        return moment.date() < self.today

    def _happened(self, clinic: Clinic, moment: datetime) -> bool:
        """Before ``today``; or, with ``now``, earlier today on one of the clinic's working
        days (only screenings: the later stages wait for tomorrow)."""
        if self._past(moment):
            return True
        return (
            self.now is not None
            and moment.date() == self.today
            and moment < self.now
            and self.weeks[clinic.pk].is_open(self.today)
        )

    # --- per batch ------------------------------------------------------------------------

    def add(self, histories: Sequence[PatientHistory]) -> None:
        batch = _Batch([], [], [], [], [], [])
        for history in histories:
            self._patient(history, batch)
        for _ in range(round(len(histories) * OPEN_REFERRAL_SHARE)):
            batch.referrals.append(self._open_referral())
        self._save(batch)

    def show_open_safety_tasks(self) -> tuple[int, int]:
        """With ``now``, after the last batch: one open urgent task in each clinic whose draw
        left none today (see the module docstring), then the escalations that fell due.
        Returns how many safety tasks are left open, and how many of those were escalated."""
        now = self.now
        if now is None:
            return 0, 0
        batch = _Batch([], [], [], [], [], [])
        for clinic in self.clinics.values():
            if clinic.pk in self.open_today or not self.weeks[clinic.pk].hours:
                continue
            with self._drawing_today():
                at = self._showcase_slot(clinic, now)
                waiting = next((w for w in self.waiting[clinic.pk] if w[1] < at), None)
                if waiting is None:  # a demo too small to have anyone waiting
                    continue
                history = waiting[0]
                weight = max(history.measurements, key=lambda m: m.measured_on)
                batch.patients.append(history.patient)
                self.counts.not_screened -= 1
                self._screening(history, clinic, at, weight, batch, showcase_item9=True)
        # Registration times are unchanged; the screening set the pregnancy potential.
        self._save(batch)
        self.safety.escalate_overdue(now)
        return self.safety.open_tasks, self.safety.escalated_tasks

    def _showcase_slot(self, clinic: Clinic, now: datetime) -> datetime:
        """A time earlier today when the clinic is open and has been for a while, else one
        during its last working day before today (the clinic has opening hours)."""
        week = self.weeks[clinic.pk]
        day = self.today
        if week.is_open(day):
            opens, closes = week.hours[day.weekday()]
            earliest = datetime.combine(day, opens, tzinfo=week.tz) + SHOWCASE_AFTER_OPENING
            latest = min(now, datetime.combine(day, closes, tzinfo=week.tz))
            if latest > earliest:
                span = int((latest - earliest).total_seconds() // 60) - 1
                return earliest + timedelta(minutes=self.rng.randint(0, max(span, 0)))
        day -= timedelta(days=1)
        while not week.is_open(day):
            day -= timedelta(days=1)
        opens, closes = week.hours[day.weekday()]
        earliest = datetime.combine(day, opens, tzinfo=week.tz) + SHOWCASE_AFTER_OPENING
        latest = datetime.combine(day, closes, tzinfo=week.tz) - SHOWCASE_AFTER_OPENING
        span = int((latest - earliest).total_seconds() // 60)
        return earliest + timedelta(minutes=self.rng.randint(0, max(span, 0)))

    def _save(self, batch: _Batch) -> None:
        # created_at is auto_now_add, so registration and receipt times are set after insert.
        _set_columns(Patient, ["created_at", "pregnancy_potential"], batch.patients)
        stamps = [(r.created_at, r.updated_at) for r in batch.referrals]
        created = Referral.objects.bulk_create(batch.referrals)
        for referral, (created_at, updated_at) in zip(created, stamps, strict=True):
            referral.created_at, referral.updated_at = created_at, updated_at
        _set_columns(Referral, ["created_at", "updated_at"], created)
        self.safety.save()  # the screenings' responses and safety tasks, first (their ids)
        self.counts.safety_tasks = self.safety.open_tasks + self.safety.resolved_tasks
        Screening.objects.bulk_create(batch.screenings)
        for screening, override in batch.overrides:
            override.screening = screening
        FlagOverride.objects.bulk_create(o for _s, o in batch.overrides)
        for screening, decision in batch.decisions:
            decision.screening = screening
        EligibilityDecision.objects.bulk_create(d for _s, d in batch.decisions)
        ConsentRecord.objects.bulk_create(batch.consents)

    def _patient(self, history: PatientHistory, batch: _Batch) -> None:
        rng, patient = self.rng, history.patient
        clinic = self.clinics[patient.clinic_id]
        registered = self._slot(clinic, self.today - timedelta(days=rng.randint(1, 365)))
        if not self._past(registered):
            registered = self._slot(clinic, self.today - timedelta(days=7))
        patient.created_at = registered
        batch.patients.append(patient)
        position = int(patient.mrn.rsplit("-", 1)[1])
        if position > KEPT_UNSCREENED_PER_CLINIC and rng.random() < 0.4:
            batch.referrals.append(self._referral_of(history, clinic, registered))
        weight = max(history.measurements, key=lambda m: m.measured_on, default=None)
        screened_share = (0.8 if weight is not None else 0.15) * self.screening_scale
        screen_at = self._after(clinic, registered, (0, 21))
        if (
            position <= KEPT_UNSCREENED_PER_CLINIC
            or rng.random() >= screened_share
            or not self._happened(clinic, screen_at)
        ):
            self.counts.not_screened += 1
            waiting = self.waiting[clinic.pk]
            if (
                self.now is not None
                and position > KEPT_UNSCREENED_PER_CLINIC
                and weight is not None
                and len(waiting) < WAITING_KEPT
            ):
                waiting.append((history, registered))
            return
        if self._past(screen_at):
            self._screening(history, clinic, screen_at, weight, batch)
            return
        with self._drawing_today():  # earlier today: the rest of the demo is as at opening
            self._screening(history, clinic, screen_at, weight, batch)

    # --- referrals ------------------------------------------------------------------------

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
            public_id=_uuid(rng),
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

    # --- screening ------------------------------------------------------------------------

    def _screening(
        self,
        history: PatientHistory,
        clinic: Clinic,
        at: datetime,
        weight: BodyMeasurement | None,
        batch: _Batch,
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
            public_id=_uuid(rng),
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

    def _review(self, screening: Screening, family: Family, clinic: Clinic, batch: _Batch) -> None:
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
                    public_id=_uuid(rng),
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
                    public_id=_uuid(rng),
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

    # --- consent --------------------------------------------------------------------------

    def _consent(
        self, screening: Screening, family: Family, clinic: Clinic, decided: datetime, batch: _Batch
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
            public_id=_uuid(rng),
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


def _set_columns(model: type[Model], names: list[str], rows: Sequence[Model]) -> None:
    """UPDATE ``names`` of ``rows`` by primary key, one prepared statement for all of them.

    bulk_update builds a CASE expression per field and batch, which costs more than the rest
    of the stages together at 100,000 patients; values are prepared as the ORM prepares them.
    """
    if not rows:
        return
    meta = model._meta
    columns = [meta.get_field(name) for name in names]
    concrete = [f for f in columns if isinstance(f, Field)]
    if len(concrete) != len(columns) or meta.pk is None:
        msg = f"{names} are not all concrete fields of {meta.label}"
        raise TypeError(msg)
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(str(f.column))} = %s" for f in concrete)
    pk_column = quote(str(meta.pk.column))
    # Table and column names come from the model's own metadata, never from input.
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {pk_column} = %s"  # noqa: S608
    params = [
        [f.get_db_prep_save(getattr(row, f.attname), connection) for f in concrete] + [row.pk]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def clinic_documents(clinics: Sequence[Clinic]) -> dict[int, dict[str, ConsentDocument]]:
    """The current consent document of each treatment type, per clinic."""
    documents: dict[int, dict[str, ConsentDocument]] = {c.pk: {} for c in clinics}
    for document in ConsentDocument.objects.filter(clinic__in=clinics).order_by("version"):
        documents[document.clinic_id][document.treatment_type] = document
    return documents
