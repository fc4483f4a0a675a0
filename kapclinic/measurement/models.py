"""Stored questionnaire responses, their one-time links, the safety tasks they raise, the
measurement plans, and each clinic's licensed wording of the instruments that ship without it.

The instruments themselves are data files (instruments/data/*.json), not rows: a response names
its instrument by code and version, and keeps the raw answers and the engine's derived scores
side by side, so a later instrument version never changes what was recorded.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from kapclinic.accounts.models import Clinic, User
from kapclinic.core.models import PublicIdModel, TimeStampedModel
from kapclinic.patients.models import Patient


class Mode(models.TextChoices):
    STAFF = "staff", "With staff in the clinic"
    LINK = "link", "By the patient, through a one-time link"
    PORTAL = "portal", "By the patient, in the portal"


class Occasion(models.TextChoices):
    """Why the response was taken: the time axis of onset and durability (R-OUT-*)."""

    # Answers given at eligibility screening (kapclinic.screening): recorded as responses so
    # that their alerts raise the same safety tasks as any questionnaire (R-OUT-1, issue 11).
    SCREENING = "screening", "At eligibility screening"
    BASELINE = "baseline", "Baseline"
    PRE_SESSION = "pre_session", "Before a session"
    POST_SESSION = "post_session", "Right after a session"
    DAY_AFTER = "day_after", "24 hours after a session"
    END_OF_COURSE = "end_of_course", "End of course"
    FOLLOW_UP = "follow_up", "Follow-up"
    AD_HOC = "ad_hoc", "Unscheduled"


class Assessment(PublicIdModel, TimeStampedModel):
    """One response to one instrument version.

    In progress: answers are saved as they come (partial answers are kept). Completed: scored,
    immutable; a correction is a new Assessment that ``amends`` it (the original turns
    ``amended`` and stays). Entered in error: kept, no longer counts.
    """

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETED = "completed", "Completed"
        AMENDED = "amended", "Replaced by an amended version"
        ENTERED_IN_ERROR = "entered_in_error", "Entered in error"
        EXPIRED = "expired", "Expired unanswered"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="assessments")
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    instrument_code = models.CharField(max_length=40)
    instrument_version = models.CharField(max_length=20)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.IN_PROGRESS)
    mode = models.CharField(max_length=10, choices=Mode.choices)
    occasion = models.CharField(max_length=20, choices=Occasion.choices, default=Occasion.AD_HOC)
    # Raw answers {item id: value}, exactly as given.
    answers = models.JSONField(default=dict, blank=True)
    # Derived, from kapclinic.measurement.instruments.scoring.score at completion: total (also a
    # column for graphs), named scores, band, category, flags, refused reason and the rule that
    # scored it.
    total = models.IntegerField(null=True, blank=True)
    band = models.CharField(max_length=40, blank=True)
    category = models.CharField(max_length=40, blank=True)
    scores = models.JSONField(default=dict, blank=True)
    started_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    # A dosing or therapy session this response belongs to (public id; the session apps come
    # later and link back by this id so measurement never imports them).
    session_ref = models.UUIDField(null=True, blank=True)
    amends = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="amended_by"
    )
    amendment_reason = models.TextField(blank=True)
    status_reason = models.TextField(blank=True)  # entered in error: why

    class Meta:
        ordering = ["-completed_at", "-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["patient", "instrument_code", "completed_at"],
                name="assessment_patient_series_idx",
            ),
            models.Index(fields=["clinic", "status"], name="assessment_clinic_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="in_progress", completed_at__isnull=True)
                | Q(status="expired", completed_at__isnull=True)
                | (~Q(status__in=["in_progress", "expired"]) & Q(completed_at__isnull=False)),
                name="assessment_completed_when_finished",
            ),
            models.CheckConstraint(
                condition=Q(amends__isnull=True) | ~Q(amendment_reason=""),
                name="assessment_amendment_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_code} v{self.instrument_version} ({self.status})"

    @property
    def counts(self) -> bool:
        """Whether this response counts for outcomes (completed, not replaced or withdrawn)."""
        return self.status == self.Status.COMPLETED


class AssessmentLink(PublicIdModel):
    """A one-time link that lets the patient answer one in-progress assessment on their phone
    without signing in. Only a hash of the token is stored; the URL holds nothing else."""

    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="links")
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    # Set when the link is first opened: from then on only that browser session continues.
    opened_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")), name="link_expires_after_issue"
            )
        ]

    def __str__(self) -> str:
        return f"Link for assessment {self.assessment_id}"


class RiskLevel(models.TextChoices):
    """The evaluating clinician's judgement of the patient's suicide risk (SafetyTask)."""

    LOW = "low", "Low"
    MODERATE = "moderate", "Moderate"
    HIGH = "high", "High"
    IMMINENT = "imminent", "Imminent"


class EvaluationMethod(models.TextChoices):
    """How the risk was assessed. The C-SSRS is given on paper: its electronic use needs a
    licence (clinical-reference §4.5); the ASQ is public domain and given in kapclinic."""

    CSSRS_PAPER = "cssrs_paper", "C-SSRS on paper"
    ASQ_IN_APP = "asq_in_app", "ASQ given in kapclinic"
    CLINICAL_INTERVIEW = "clinical_interview", "Clinical interview"
    OTHER = "other", "Other (described in the note)"


class SafetyPlanStatus(models.TextChoices):
    CREATED = "created", "Created"
    REVIEWED = "reviewed", "Reviewed"
    UPDATED = "updated", "Updated"
    DECLINED = "declined", "Declined by the patient"
    NOT_INDICATED = "not_indicated", "Not indicated"


class Disposition(models.TextChoices):
    CONTINUE_OUTPATIENT = "continue_outpatient", "Continue outpatient care"
    MORE_FREQUENT_CONTACT = "more_frequent_contact", "More frequent contact"
    URGENT_PSYCHIATRIC = "urgent_psychiatric", "Referred for urgent psychiatric assessment"
    EMERGENCY_DEPARTMENT = "emergency_department", "Sent to the emergency department"
    EMERGENCY_SERVICES = "emergency_services", "Emergency services called"


def _one_of_or_blank(field: str, choices: type[models.TextChoices]) -> Q:
    return Q(**{f"{field}__in": [*choices.values, ""]})


class SafetyTask(PublicIdModel):
    """An urgent task for the patient's care team raised by a safety alert rule (R-OUT-*:
    PHQ-9 item 9 > 0, QIDS-SR16 item 12 > 0, a positive ASQ, a high-risk C-SSRS).

    Open until a clinician acknowledges it with the action taken; escalated to the clinic's
    admins when not acknowledged in time; blocks dosing until a clinician records their
    evaluation (kapclinic.measurement.safety.services)."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        RESOLVED = "resolved", "Evaluated and resolved"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="safety_tasks")
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    assessment = models.ForeignKey(
        Assessment, on_delete=models.PROTECT, related_name="safety_tasks"
    )
    rule_id = models.CharField(max_length=80)
    severity = models.CharField(max_length=20)  # kapclinic.measurement AlertSeverity value
    message = models.TextField()
    triggered_by = models.JSONField(default=list, blank=True)  # [[item id, answer], ...]
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=40, blank=True)
    action_note = models.TextField(blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    evaluated_at = models.DateTimeField(null=True, blank=True)
    evaluated_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    evaluation_note = models.TextField(blank=True)
    # The structured evaluation (issue 11): blank only on evaluations recorded before it
    # existed; safety.evaluate_safety_task requires every one of them on a new evaluation.
    risk_level = models.CharField(max_length=20, choices=RiskLevel.choices, blank=True)
    evaluation_method = models.CharField(
        max_length=30, choices=EvaluationMethod.choices, blank=True
    )
    risk_factors = models.TextField(blank=True)
    protective_factors = models.TextField(blank=True)
    safety_plan = models.CharField(max_length=20, choices=SafetyPlanStatus.choices, blank=True)
    disposition = models.CharField(max_length=30, choices=Disposition.choices, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["clinic", "status"], name="safety_task_clinic_status_idx"),
            models.Index(fields=["patient", "status"], name="safety_task_patient_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open")
                | Q(acknowledged_at__isnull=False, acknowledged_by__isnull=False) & ~Q(action=""),
                name="safety_task_acknowledged_with_action",
            ),
            models.CheckConstraint(
                condition=~Q(status="resolved")
                | Q(evaluated_at__isnull=False, evaluated_by__isnull=False)
                & ~Q(evaluation_note=""),
                name="safety_task_resolved_with_evaluation",
            ),
            models.CheckConstraint(
                condition=_one_of_or_blank("risk_level", RiskLevel)
                & _one_of_or_blank("evaluation_method", EvaluationMethod)
                & _one_of_or_blank("safety_plan", SafetyPlanStatus)
                & _one_of_or_blank("disposition", Disposition),
                name="safety_task_evaluation_choices",
            ),
            # An urgent task is resolved only by clearing dosing, which high or imminent risk
            # forbids (R-OUT-1/R-OUT-5; ADR 0005).
            models.CheckConstraint(
                condition=~Q(
                    severity="urgent",
                    status="resolved",
                    risk_level__in=[RiskLevel.HIGH, RiskLevel.IMMINENT],
                ),
                name="safety_task_not_cleared_at_high_risk",
            ),
        ]

    def __str__(self) -> str:
        return f"Safety task {self.rule_id} ({self.status})"


# --- measurement plans and assignments (kapclinic.measurement.plans) ------------------------


class PlanTrigger(models.TextChoices):
    """What a plan rule hangs its questionnaires on (R-OUT-9)."""

    ENROLMENT = "enrolment", "At enrolment (baseline)"
    BEFORE_SESSION = "before_session", "Before each dosing session"
    AFTER_SESSION = "after_session", "Right after each dosing session"
    HOURS_AFTER_SESSION = "hours_after_session", "Some hours after each dosing session"
    END_OF_COURSE = "end_of_course", "At the end of the course"
    FOLLOW_UP_EVERY_N_DAYS = "follow_up_every_n_days", "Every few days in follow-up"


class MeasurementPlan(PublicIdModel, TimeStampedModel):
    """Which questionnaires a patient is asked, and when: a named, versioned set of rules.

    A version is never edited once patients are enrolled in it: a change is a new version (the
    enrolments keep the rules they were scheduled by). The shipped default is copied into each
    clinic by ``plans.ensure_default_plan``. A treatment protocol (a later app) names its plan
    by ``public_id``; the plan knows nothing about protocols.
    """

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    code = models.SlugField(max_length=40)
    version = models.PositiveIntegerField()
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    source = models.CharField(max_length=200, blank=True)  # the rule id or reference it follows
    is_active = models.BooleanField(default=True)  # offered for new enrolments

    class Meta:
        ordering = ["name", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "code", "version"], name="plan_version_unique_in_clinic"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="plan_version_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class PlanRule(models.Model):
    """One line of a plan: on ``trigger``, assign ``instrument_codes`` (in that order), due
    from ``opens_minutes_before`` the anchor time and overdue ``closes_minutes_after`` it.

    The anchor is the enrolment's start (local midnight), the session's start or end, the
    session's end plus ``offset_hours``, the course's end, or the course's end plus
    ``interval_days`` × n for the n-th follow-up."""

    plan = models.ForeignKey(MeasurementPlan, on_delete=models.PROTECT, related_name="rules")
    position = models.PositiveSmallIntegerField()
    trigger = models.CharField(max_length=30, choices=PlanTrigger.choices)
    instrument_codes = models.JSONField()  # ["phq9", "gad7"]
    mode = models.CharField(max_length=10, choices=Mode.choices)
    offset_hours = models.PositiveIntegerField(null=True, blank=True)
    interval_days = models.PositiveIntegerField(null=True, blank=True)
    opens_minutes_before = models.PositiveIntegerField()
    closes_minutes_after = models.PositiveIntegerField()

    class Meta:
        ordering = ["plan", "position"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "position"], name="plan_rule_position_unique"),
            models.CheckConstraint(
                condition=Q(mode__in=["staff", "link"]), name="plan_rule_mode_staff_or_link"
            ),
            models.CheckConstraint(
                condition=Q(opens_minutes_before__gt=0) | Q(closes_minutes_after__gt=0),
                name="plan_rule_window_not_empty",
            ),
            models.CheckConstraint(
                condition=Q(trigger="hours_after_session", offset_hours__gte=1)
                | (~Q(trigger="hours_after_session") & Q(offset_hours__isnull=True)),
                name="plan_rule_offset_only_hours_after",
            ),
            models.CheckConstraint(
                condition=Q(trigger="follow_up_every_n_days", interval_days__gte=1)
                | (~Q(trigger="follow_up_every_n_days") & Q(interval_days__isnull=True)),
                name="plan_rule_interval_only_follow_up",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id}#{self.position} {self.trigger}"


class PlanEnrolment(PublicIdModel, TimeStampedModel):
    """A patient measured by one plan version, from ``starts_on``. At most one per patient is
    open (active or in follow-up) at a time."""

    class Status(models.TextChoices):
        ACTIVE = "active", "In the course"
        FOLLOW_UP = "follow_up", "In follow-up"
        ENDED = "ended", "Ended"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    plan = models.ForeignKey(MeasurementPlan, on_delete=models.PROTECT, related_name="enrolments")
    starts_on = models.DateField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    enrolled_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    course_ended_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(status__in=["active", "follow_up"]),
                name="plan_enrolment_one_open_per_patient",
            ),
            models.CheckConstraint(
                condition=~Q(status="follow_up") | Q(course_ended_at__isnull=False),
                name="plan_enrolment_follow_up_after_course_end",
            ),
            models.CheckConstraint(
                condition=~Q(status="ended") | Q(ended_at__isnull=False) & ~Q(end_reason=""),
                name="plan_enrolment_ended_with_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"Enrolment {self.public_id} ({self.status})"


class Assignment(PublicIdModel, TimeStampedModel):
    """One questionnaire a plan rule asks of a patient, with its window.

    Only ``open``, ``completed``, ``cancelled`` and ``missed`` are stored. Whether an open
    assignment is scheduled, due or overdue follows from ``due_at`` and ``overdue_at`` at the
    time asked (``assignments.rules.assignment_state``), so nothing needs a timer to flip it;
    the plan sweep closes one still unanswered long after it turned overdue as ``missed``
    (``plans.missed``).
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"
        MISSED = "missed", "Missed"

    class State(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        DUE = "due", "Due"
        OVERDUE = "overdue", "Overdue"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"
        MISSED = "missed", "Missed"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    enrolment = models.ForeignKey(
        PlanEnrolment, on_delete=models.PROTECT, related_name="assignments"
    )
    rule = models.ForeignKey(PlanRule, on_delete=models.PROTECT, related_name="+")
    instrument_code = models.CharField(max_length=40)
    occasion = models.CharField(max_length=20, choices=Occasion.choices)
    mode = models.CharField(max_length=10, choices=Mode.choices)
    session_ref = models.UUIDField(null=True, blank=True)
    sequence = models.PositiveIntegerField(default=0)  # the n of the n-th follow-up
    # What makes a hook call idempotent: rule, instrument, session and sequence in one string.
    key = models.CharField(max_length=120)
    anchor_at = models.DateTimeField()
    due_at = models.DateTimeField()
    overdue_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    assessment = models.OneToOneField(
        Assessment, on_delete=models.PROTECT, null=True, blank=True, related_name="assignment"
    )
    link_sent_at = models.DateTimeField(null=True, blank=True)
    link_sent_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancel_reason = models.TextField(blank=True)
    missed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(
                fields=["clinic", "status", "due_at"], name="assignment_clinic_worklist_idx"
            ),
            models.Index(fields=["patient", "status", "due_at"], name="assignment_patient_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "key"], name="assignment_key_unique"),
            models.CheckConstraint(
                condition=Q(overdue_at__gt=models.F("due_at")), name="assignment_window_not_empty"
            ),
            models.CheckConstraint(
                condition=Q(
                    status="open",
                    completed_at__isnull=True,
                    cancelled_at__isnull=True,
                    missed_at__isnull=True,
                )
                | Q(status="completed", completed_at__isnull=False, assessment__isnull=False)
                | Q(status="cancelled", cancelled_at__isnull=False) & ~Q(cancel_reason="")
                | Q(status="missed", missed_at__isnull=False),
                name="assignment_status_recorded",
            ),
        ]

    def __str__(self) -> str:
        return f"Assignment {self.instrument_code} ({self.status})"


class LicensedWording(PublicIdModel, TimeStampedModel):
    """The wording (stem, item texts, answer labels) a clinic loaded for one instrument version,
    under the licence its admin declared.

    At most one load per clinic and instrument version is in use. A newer load supersedes it;
    an admin may retire it with a reason. Nothing is deleted: which wording was in use when a
    response was given stays answerable from these rows and the audit trail.
    """

    class Status(models.TextChoices):
        IN_USE = "in_use", "In use"
        SUPERSEDED = "superseded", "Replaced by a newer load"
        RETIRED = "retired", "Retired"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    instrument_code = models.CharField(max_length=40)
    instrument_version = models.CharField(max_length=20)
    # {"stem": "...", "items": {item id: text}, "options": {item id: {"value": label}}}, as
    # checked by licensing.wording.parse_wording (and with_licensed_texts) when it was loaded.
    texts = models.JSONField()
    # SHA-256 of the canonical JSON of ``texts``: what the audit trail records instead of them.
    texts_sha256 = models.CharField(max_length=64)
    # The licence the admin declared when loading (both required).
    licence_holder = models.CharField(max_length=200)
    licence_reference = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.IN_USE)
    loaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    loaded_at = models.DateTimeField()
    # Superseded or retired: when, by whom (the admin who loaded the newer one, or retired it).
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    end_reason = models.TextField(blank=True)
    superseded_by = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="supersedes"
    )

    class Meta:
        ordering = ["-loaded_at", "-id"]
        indexes = [
            models.Index(
                fields=["clinic", "instrument_code", "status"],
                name="licensed_wording_lookup_idx",
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "instrument_code", "instrument_version"],
                condition=Q(status="in_use"),
                name="licensed_wording_one_in_use",
            ),
            models.CheckConstraint(
                condition=(
                    Q(status="in_use", ended_at__isnull=True, superseded_by__isnull=True)
                    # superseded_by is set in the same transaction, once the newer load exists.
                    | Q(status="superseded", ended_at__isnull=False)
                    | (
                        Q(status="retired", ended_at__isnull=False, superseded_by__isnull=True)
                        & ~Q(end_reason="")
                    )
                ),
                name="licensed_wording_status_consistent",
            ),
            models.CheckConstraint(
                condition=~Q(licence_holder="") & ~Q(licence_reference=""),
                name="licensed_wording_licence_declared",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_code} v{self.instrument_version} wording ({self.status})"
