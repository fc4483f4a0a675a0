"""Eligibility screening records: the encounter, the prescriber's flag overrides and the signed
decision. The facts are plain columns (so the database enforces plausible ranges); the engine's
result is stored as evaluated, so a past screening stays explainable after rule sets change.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThanOrEqual

from kapclinic.accounts.models import Clinic, User
from kapclinic.core.models import PublicIdModel, TimeStampedModel
from kapclinic.patients.models import Patient
from kapclinic.screening.rules import MIN_OVERRIDE_REASON_CHARS, RuleStatus, Severity

PHQ9_ITEMS = 9
GAD7_ITEMS = 7
# A screening marked entered in error keeps a written reason of at least this many characters,
# as a flag override does (the same bar for every written clinical justification here).
MIN_ENTERED_IN_ERROR_REASON_CHARS = MIN_OVERRIDE_REASON_CHARS


class ProtocolFamily(models.TextChoices):
    ESKETAMINE = "esketamine", "Esketamine (Spravato)"
    RACEMIC_KETAMINE = "racemic_ketamine", "Racemic ketamine"
    TALK_THERAPY = "talk_therapy", "Talk therapy only"


class PregnancyChoice(models.TextChoices):
    PREGNANT = "pregnant", "Pregnant"
    POSSIBLE = "possible", "Possibly pregnant / not excluded"
    NOT_PREGNANT = "not_pregnant", "Not pregnant"
    NOT_APPLICABLE = "not_applicable", "Not applicable"


class ScreeningOutcome(models.TextChoices):
    ELIGIBLE = "eligible", "Eligible"
    ELIGIBLE_WITH_PRECAUTIONS = "eligible_with_precautions", "Eligible with precautions"
    NEEDS_PRESCRIBER_REVIEW = "needs_prescriber_review", "Needs prescriber review"
    NOT_ELIGIBLE = "not_eligible", "Not eligible"
    INCOMPLETE = "incomplete", "Incomplete"


class DecisionOutcome(models.TextChoices):
    ELIGIBLE = "eligible", "Eligible"
    ELIGIBLE_WITH_PRECAUTIONS = "eligible_with_precautions", "Eligible with precautions"
    NOT_ELIGIBLE = "not_eligible", "Not eligible"

    @property
    def allows_treatment(self) -> bool:
        """The one definition of "eligible": a signed decision that lets treatment go ahead
        (with its precautions, if any). What the portal offers consent for and what readiness to
        dose (kapclinic.consent.readiness) requires both ask this, through
        ``EligibilityDecision.allows_treatment``."""
        return self in (DecisionOutcome.ELIGIBLE, DecisionOutcome.ELIGIBLE_WITH_PRECAUTIONS)


class ScreeningStatus(models.TextChoices):
    """Also ``Screening.Status``; module level so Screening's constraints can name a member."""

    DRAFT = "draft", "Draft"
    EVALUATED = "evaluated", "Evaluated"
    SIGNED = "signed", "Signed"
    ENTERED_IN_ERROR = "entered_in_error", "Entered in error"


def _between(field: str, low: int, high: int) -> Q:
    return Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gte": low, f"{field}__lte": high})


class Screening(PublicIdModel, TimeStampedModel):
    """One screening encounter. Re-screening creates a new one; old ones are kept."""

    Status = ScreeningStatus
    Outcome = ScreeningOutcome

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="screenings")
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    family = models.CharField(max_length=20, choices=ProtocolFamily.choices)
    ruleset_version = models.CharField(max_length=40)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    # --- the recorded facts (None / False = not recorded, never "normal") ---
    age_years = models.PositiveSmallIntegerField(null=True, blank=True)
    pregnancy_status = models.CharField(max_length=20, choices=PregnancyChoice.choices, blank=True)
    findings = models.JSONField(default=list, blank=True)  # Finding values
    medication_classes = models.JSONField(default=list, blank=True)  # MedicationClass values
    medical_history_reviewed = models.BooleanField(default=False)
    medications_reviewed = models.BooleanField(default=False)
    weight_kg = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    systolic_mmhg = models.PositiveSmallIntegerField(null=True, blank=True)
    diastolic_mmhg = models.PositiveSmallIntegerField(null=True, blank=True)
    heart_rate_bpm = models.PositiveSmallIntegerField(null=True, blank=True)
    spo2_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    has_psychiatric_diagnosis = models.BooleanField(null=True, blank=True)
    substance_use_history_answered = models.BooleanField(default=False)
    psychosis_history_answered = models.BooleanField(default=False)
    cssrs_screener_completed = models.BooleanField(default=False)
    ecg_recorded = models.BooleanField(default=False)
    renal_function_recorded = models.BooleanField(default=False)
    liver_function_recorded = models.BooleanField(default=False)
    phq9_answers = models.JSONField(null=True, blank=True)  # 9 ints 0-3, or None
    gad7_answers = models.JSONField(null=True, blank=True)  # 7 ints 0-3, or None
    # The same answers recorded as questionnaire responses (occasion "screening") through
    # measurement's one path, which scores them and raises their safety alerts (R-OUT-1,
    # R-OUT-5; issue 11). Set whenever the answers above are.
    phq9_response = models.ForeignKey(
        "measurement.Assessment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    gad7_response = models.ForeignKey(
        "measurement.Assessment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # --- the engine's result at evaluation time ---
    outcome = models.CharField(max_length=30, choices=ScreeningOutcome.choices, blank=True)
    explanation = models.TextField(blank=True)
    result = models.JSONField(default=list, blank=True)  # one dict per RuleOutcome
    # The clinic's policy as applied when recorded (kapclinic.screening.policy), so later
    # re-evaluations (overrides) use the same thresholds; {} means the defaults.
    policy = models.JSONField(default=dict, blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    # --- set once, by services.mark_entered_in_error (the row itself is never deleted) ---
    entered_in_error_reason = models.TextField(blank=True)
    entered_in_error_at = models.DateTimeField(null=True, blank=True)
    entered_in_error_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["patient", "family", "-recorded_at"])]
        constraints = [
            models.CheckConstraint(
                condition=_between("weight_kg", 20, 300), name="screening_weight_plausible"
            ),
            models.CheckConstraint(
                condition=_between("systolic_mmhg", 60, 260), name="screening_systolic_plausible"
            ),
            models.CheckConstraint(
                condition=_between("diastolic_mmhg", 30, 160),
                name="screening_diastolic_plausible",
            ),
            models.CheckConstraint(
                condition=Q(systolic_mmhg__isnull=True, diastolic_mmhg__isnull=True)
                | Q(
                    systolic_mmhg__isnull=False,
                    diastolic_mmhg__isnull=False,
                    systolic_mmhg__gt=F("diastolic_mmhg"),
                ),
                name="screening_bp_pair_systolic_above_diastolic",
            ),
            models.CheckConstraint(
                condition=_between("heart_rate_bpm", 25, 250), name="screening_hr_plausible"
            ),
            models.CheckConstraint(
                condition=_between("spo2_percent", 50, 100), name="screening_spo2_plausible"
            ),
            # Entered in error always says who, when and why; any other status says none of it.
            models.CheckConstraint(
                condition=Q(
                    GreaterThanOrEqual(
                        Length("entered_in_error_reason"), MIN_ENTERED_IN_ERROR_REASON_CHARS
                    ),
                    status=ScreeningStatus.ENTERED_IN_ERROR,
                    entered_in_error_at__isnull=False,
                    entered_in_error_by__isnull=False,
                )
                | (
                    ~Q(status=ScreeningStatus.ENTERED_IN_ERROR)
                    & Q(
                        entered_in_error_reason="",
                        entered_in_error_at__isnull=True,
                        entered_in_error_by__isnull=True,
                    )
                ),
                name="screening_entered_in_error_has_reason_time_and_author",
            ),
        ]

    def __str__(self) -> str:
        return f"Screening {self.family} {self.recorded_at:%Y-%m-%d}"

    @property
    def is_entered_in_error(self) -> bool:
        return self.status == self.Status.ENTERED_IN_ERROR

    @property
    def phq9_total(self) -> int | None:
        return sum(self.phq9_answers) if self.phq9_answers is not None else None

    @property
    def gad7_total(self) -> int | None:
        return sum(self.gad7_answers) if self.gad7_answers is not None else None

    @property
    def fired_results(self) -> list[dict[str, Any]]:
        return [r for r in self.result if r.get("status") == RuleStatus.FIRED]

    @property
    def open_flags(self) -> list[str]:
        """The rule ids of the flags that fired and no prescriber has overridden yet (R-SCR-2),
        in the order of the result: what an override may still be given for."""
        return [
            r["rule_id"]
            for r in self.result
            if r["status"] == RuleStatus.FIRED
            and r["severity"] == Severity.FLAG
            and not r["overridden"]
        ]


class FlagOverride(PublicIdModel):
    """A prescriber's written reason to proceed despite an R-SCR-2 flag."""

    screening = models.ForeignKey(Screening, on_delete=models.PROTECT, related_name="overrides")
    rule_id = models.CharField(max_length=80)
    reason = models.TextField()
    prescriber = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["screening", "rule_id"], name="flag_override_once_per_rule"
            ),
            models.CheckConstraint(
                condition=GreaterThanOrEqual(Length("reason"), MIN_OVERRIDE_REASON_CHARS),
                name="flag_override_reason_long_enough",
            ),
        ]

    def __str__(self) -> str:
        return f"Override of {self.rule_id}"


class EligibilityDecision(PublicIdModel):
    """The prescriber's signed eligibility decision for one screening."""

    screening = models.OneToOneField(Screening, on_delete=models.PROTECT, related_name="decision")
    outcome = models.CharField(max_length=30, choices=DecisionOutcome.choices)
    signed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField()
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-signed_at"]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} ({self.signed_at:%Y-%m-%d})"

    @property
    def allows_treatment(self) -> bool:
        """``DecisionOutcome.allows_treatment`` of the signed outcome (never for a stored value
        that is no outcome)."""
        return (
            self.outcome in DecisionOutcome.values
            and DecisionOutcome(self.outcome).allows_treatment
        )


class ClinicScreeningPolicy(PublicIdModel, TimeStampedModel):
    """A clinic's settings for one protocol family's rule set (kapclinic.screening.policy):
    thresholds the clinical reference leaves unverified, and the rules its evidence lets a
    clinic turn on, off or soften. No row means the defaults."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    family = models.CharField(max_length=20, choices=ProtocolFamily.choices)
    bp_systolic_max_mmhg = models.PositiveSmallIntegerField()
    bp_diastolic_max_mmhg = models.PositiveSmallIntegerField()
    home_programme = models.BooleanField(default=False)
    enabled_rules = models.JSONField(default=list, blank=True)
    disabled_rules = models.JSONField(default=list, blank=True)
    softened_rules = models.JSONField(default=list, blank=True)
    updated_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "family"], name="screening_policy_one_per_clinic_family"
            ),
            models.CheckConstraint(
                condition=Q(bp_systolic_max_mmhg__gt=F("bp_diastolic_max_mmhg"))
                & Q(bp_diastolic_max_mmhg__gte=40, bp_systolic_max_mmhg__lte=260),
                name="screening_policy_bp_plausible",
            ),
        ]

    def __str__(self) -> str:
        return f"Screening policy {self.family} of clinic {self.clinic_id}"
