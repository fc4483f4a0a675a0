"""The typed shape of a treatment protocol (what ``parser`` builds from a JSON document).

A protocol says what a course of one treatment is made of: its session types (phases with
durations, the resources each needs, the instructions the patient gets beforehand), the course
outline (how many sessions of each type, in which order, and the integration that follows a
dose), the spacing rules between sessions, the measurement plan the patient is enrolled in, and
the sources every value comes from. Everything here is immutable plain data: the rules
(``kapclinic.scheduling.rules``), the pages and, later, the course planner read it and never
change it. docs/scheduling.md describes the JSON format.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final


class Modality(StrEnum):
    """What is given. The values are those of consent's ``TreatmentType`` (a test keeps them in
    step), so that a course can ask for consent to exactly its treatment."""

    ESKETAMINE_REMS = "esketamine_rems"
    RACEMIC_KETAMINE_OFF_LABEL = "racemic_ketamine_off_label"
    KETAMINE_ASSISTED_PSYCHOTHERAPY = "ketamine_assisted_psychotherapy"
    TALK_THERAPY = "talk_therapy"


MODALITY_LABELS: Final[dict[Modality, str]] = {
    Modality.ESKETAMINE_REMS: "Esketamine nasal spray (Spravato, REMS)",
    Modality.RACEMIC_KETAMINE_OFF_LABEL: "Racemic ketamine (off-label)",
    Modality.KETAMINE_ASSISTED_PSYCHOTHERAPY: "Ketamine-assisted psychotherapy (IM or sublingual)",
    Modality.TALK_THERAPY: "Talk therapy",
}


class SessionKind(StrEnum):
    PREPARATION = "preparation"
    DOSING = "dosing"
    INTEGRATION = "integration"
    THERAPY = "therapy"
    REVIEW = "review"


SESSION_KIND_LABELS: Final[dict[SessionKind, str]] = {
    SessionKind.PREPARATION: "Preparation",
    SessionKind.DOSING: "Dosing",
    SessionKind.INTEGRATION: "Integration",
    SessionKind.THERAPY: "Therapy",
    SessionKind.REVIEW: "Review",
}


class RoomKind(StrEnum):
    """The values of ``accounts.Room.Kind`` (a test keeps them in step)."""

    TREATMENT = "treatment"
    THERAPY = "therapy"
    CONSULT = "consult"


ROOM_KIND_LABELS: Final[dict[RoomKind, str]] = {
    RoomKind.TREATMENT: "a treatment room",
    RoomKind.THERAPY: "a therapy room",
    RoomKind.CONSULT: "a consultation room",
}


class Equipment(StrEnum):
    """A room's equipment: each value names the room's ``has_<value>`` field (a test checks)."""

    RECLINER = "recliner"
    EYE_MASKS_AND_HEADPHONES = "eye_masks_and_headphones"
    BP_MONITOR = "bp_monitor"
    PULSE_OXIMETER = "pulse_oximeter"
    CARDIAC_MONITOR = "cardiac_monitor"
    OXYGEN = "oxygen"


EQUIPMENT_LABELS: Final[dict[Equipment, str]] = {
    Equipment.RECLINER: "recliner",
    Equipment.EYE_MASKS_AND_HEADPHONES: "eye masks and headphones",
    Equipment.BP_MONITOR: "blood-pressure monitor",
    Equipment.PULSE_OXIMETER: "pulse oximeter",
    Equipment.CARDIAC_MONITOR: "cardiac monitor",
    Equipment.OXYGEN: "oxygen",
}


class IntegrationCadence(StrEnum):
    """R-INT-2: after every dose (the default), or after doses 1 and 2 and then after every
    second dose (the NCT05604794 pattern, clinical-reference §12.2)."""

    EVERY_DOSE = "every_dose"
    DOSES_1_2_THEN_EVERY_2ND = "doses_1_2_then_every_2nd"

    def follows(self, dose_number: int) -> bool:
        """Whether the ``dose_number``-th dose (1-based) is followed by integration."""
        if self is IntegrationCadence.EVERY_DOSE:
            return True
        return dose_number <= 2 or dose_number % 2 == 0


CADENCE_LABELS: Final[dict[IntegrationCadence, str]] = {
    IntegrationCadence.EVERY_DOSE: "after every dose",
    IntegrationCadence.DOSES_1_2_THEN_EVERY_2ND: "after doses 1 and 2, then after every second",
}


@dataclass(frozen=True)
class Source:
    """A rule of the clinical reference (R-...) the protocol follows, with what it takes from it."""

    rule_id: str
    text: str


@dataclass(frozen=True)
class ClinicSetting:
    """A value the reference does not source (NOT FOUND): the clinic's own choice, shown as such."""

    what: str
    value: str
    why: str


@dataclass(frozen=True)
class Phase:
    name: str
    minutes: int
    # The patient is observed after administration (counts towards R-REMS-4's two hours).
    observation: bool = False


@dataclass(frozen=True)
class Resources:
    room_kind: RoomKind
    equipment: tuple[Equipment, ...]
    # How many patients (chairs) one monitoring nurse watches at once; None: no nurse needed.
    patients_per_nurse: int | None
    prescriber_on_site: bool
    therapist: bool


class CheckItem(StrEnum):
    """An item of a dosing session's pre-dose checklist (issue 15.3); the dosing app's
    ``rules.checklist`` decides each one's status."""

    IDENTITY = "identity"
    CONSENT_ELIGIBILITY = "consent_eligibility"
    SAFETY = "safety"
    FASTING = "fasting"
    ESCORT = "escort"
    PREGNANCY = "pregnancy"
    MEDICATIONS = "medications"
    VITALS = "vitals"
    QUESTIONNAIRES = "questionnaires"
    REMS_ENROLMENT = "rems_enrolment"
    REMS_SETTING = "rems_setting"
    REMS_PRESCRIBER = "rems_prescriber"
    REMS_PULSE_OXIMETER = "rems_pulse_oximeter"


# Every dosing session checks these whatever its protocol says (consent, eligibility, R-OUT-5's
# safety hold, the pre-dose blood pressure of §2.3, R-DC-1's escort, R-SCR-3's identity).
REQUIRED_CHECKS: Final = frozenset(
    {
        CheckItem.IDENTITY,
        CheckItem.CONSENT_ELIGIBILITY,
        CheckItem.SAFETY,
        CheckItem.ESCORT,
        CheckItem.VITALS,
    }
)
# R-REMS-1/2: an esketamine dosing session also checks these (checks.py enforces it).
REMS_CHECKS: Final = frozenset(
    {
        CheckItem.REMS_ENROLMENT,
        CheckItem.REMS_SETTING,
        CheckItem.REMS_PRESCRIBER,
        CheckItem.REMS_PULSE_OXIMETER,
    }
)
# R-REMS-8 (esketamine label): no food for 2 hours, no liquids for 30 minutes before the dose.
# For racemic ketamine the reference found no fasting rule (NOT FOUND): the same values are the
# default, a clinic choice each protocol version may change.
DEFAULT_FASTING_FOOD_HOURS: Final = 2
DEFAULT_FASTING_LIQUID_MINUTES: Final = 30
# R-SCR-4: a pre-dose blood pressure above 140/90 holds the dose for a prescriber's documented
# decision. The 140/90 example is the recalled label wording (UNVERIFIED): configurable.
DEFAULT_BP_HOLD_SYSTOLIC: Final = 140
DEFAULT_BP_HOLD_DIASTOLIC: Final = 90


@dataclass(frozen=True)
class PreDoseChecks:
    """A dosing session type's pre-dose checklist: which items apply and their parameters.
    A protocol that names none gets ``default_pre_dose_checks`` for its modality."""

    items: tuple[CheckItem, ...]
    fasting_food_hours: int = DEFAULT_FASTING_FOOD_HOURS
    fasting_liquid_minutes: int = DEFAULT_FASTING_LIQUID_MINUTES
    bp_hold_systolic: int = DEFAULT_BP_HOLD_SYSTOLIC
    bp_hold_diastolic: int = DEFAULT_BP_HOLD_DIASTOLIC


def default_pre_dose_checks(modality: Modality) -> PreDoseChecks:
    """The reference's checklist for ``modality``: every item, the REMS ones for esketamine
    only (R-REMS-1/2), with the default fasting and BP-hold values."""
    rems = modality is Modality.ESKETAMINE_REMS
    return PreDoseChecks(items=tuple(item for item in CheckItem if rems or item not in REMS_CHECKS))


@dataclass(frozen=True)
class SessionType:
    code: str
    name: str
    kind: SessionKind
    phases: tuple[Phase, ...]
    resources: Resources
    instructions: tuple[str, ...]  # what the patient is told before the session
    sources: tuple[str, ...]  # rule ids
    # Dosing session types only; None: the modality's default (``default_pre_dose_checks``).
    pre_dose_checks: PreDoseChecks | None = None

    @property
    def minutes(self) -> int:
        return sum(phase.minutes for phase in self.phases)

    @property
    def observation_minutes(self) -> int:
        return sum(phase.minutes for phase in self.phases if phase.observation)


@dataclass(frozen=True)
class Integration:
    """R-INT-1: an integration session of ``session_type`` follows a dose within
    ``min_days_after``..``max_days_after`` days, at the doses ``cadence`` names (R-INT-2)."""

    session_type: str
    cadence: IntegrationCadence
    min_days_after: int
    max_days_after: int
    rule_id: str


@dataclass(frozen=True)
class OutlineStep:
    """``min_count``..``max_count`` sessions of ``session_type``; the steps come in order."""

    session_type: str
    min_count: int
    max_count: int
    rule_id: str  # the rule the counts and the order come from
    integration: Integration | None = None
    note: str = ""


@dataclass(frozen=True)
class SpacingStage:
    """The spacing of the counted sessions that fall in course weeks ``from_week``..``to_week``
    (None: open-ended); week 1 starts on the day of the first counted session. A taper is a
    sequence of stages whose intervals lengthen."""

    name: str
    from_week: int
    to_week: int | None
    min_days_between: int
    max_days_between: int | None
    max_per_week: int | None
    rule_id: str
    note: str = ""

    def covers(self, week: int) -> bool:
        return self.from_week <= week and (self.to_week is None or week <= self.to_week)


@dataclass(frozen=True)
class Spacing:
    session_types: tuple[str, ...]  # the session types the stages count (the doses)
    stages: tuple[SpacingStage, ...]

    def stage_for(self, week: int) -> SpacingStage | None:
        for stage in self.stages:
            if stage.covers(week):
                return stage
        return None


@dataclass(frozen=True)
class Monitoring:
    """How often the monitoring nurse checks a dosing session (issue 15.5): vital signs every
    ``during_dose_minutes`` while the dose is given (until the session moves to observation),
    every ``after_dose_minutes`` after it until discharge (R-IV-4: 10 and 15 for an infusion),
    and, when ``bp_check_after_dose_minutes`` is set, a blood pressure about that long after the
    first device, within ``bp_check_window_minutes`` either side (R-REMS-3: about 40 minutes;
    the window is a local choice). A check not done ``overdue_after_minutes`` after it fell due
    is overdue (NOT FOUND in the reference: the clinic sets it)."""

    during_dose_minutes: int
    after_dose_minutes: int
    bp_check_after_dose_minutes: int | None
    bp_check_window_minutes: int
    overdue_after_minutes: int
    rule_id: str


# The reference's defaults, for protocol documents written before the monitoring section
# existed: R-IV-4 for racemic ketamine; R-REMS-3's 40-minute blood pressure for esketamine, with
# the clinic's 15 minutes otherwise (the label gives no cadence: NOT FOUND); every 15 minutes
# for KAP (R-SL-2's chaperone check, the only cadence the reference gives for it).
DEFAULT_MONITORING: Final[dict[Modality, Monitoring]] = {
    Modality.RACEMIC_KETAMINE_OFF_LABEL: Monitoring(10, 15, None, 5, 2, "R-IV-4"),
    Modality.ESKETAMINE_REMS: Monitoring(15, 15, 40, 5, 2, "R-REMS-3"),
    Modality.KETAMINE_ASSISTED_PSYCHOTHERAPY: Monitoring(15, 15, None, 5, 2, "R-SL-2"),
}


@dataclass(frozen=True)
class Protocol:
    code: str
    name: str
    modality: Modality
    summary: str
    sources: tuple[Source, ...]
    session_types: tuple[SessionType, ...]
    outline: tuple[OutlineStep, ...]
    spacing: Spacing
    measurement_plan: str  # the code of the clinic's measurement plan (measurement.plans)
    clinic_settings: tuple[ClinicSetting, ...] = ()
    # Issue 15.5: the dosing sessions' monitoring cadence (None: the modality's defaults).
    monitoring: Monitoring | None = None

    @property
    def monitoring_cadence(self) -> Monitoring | None:
        """The cadence the dosing sessions follow: the document's, else the reference's
        default for the modality (None for talk therapy)."""
        return self.monitoring or DEFAULT_MONITORING.get(self.modality)

    def session_type(self, code: str) -> SessionType | None:
        for session_type in self.session_types:
            if session_type.code == code:
                return session_type
        return None

    @property
    def modality_label(self) -> str:
        return MODALITY_LABELS[self.modality]

    def pre_dose_checks(self, session_type: SessionType) -> PreDoseChecks:
        """The pre-dose checklist of ``session_type`` (its own, or the modality's default)."""
        return session_type.pre_dose_checks or default_pre_dose_checks(self.modality)
