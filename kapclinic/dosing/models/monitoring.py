"""What is watched during a session (issue 15.5): vital-sign sets with their sedation and
dissociation ratings, the alerts they raise, and the adverse events staff record."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from kapclinic.core.models import PublicIdModel
from kapclinic.dosing.models.sessions import DosingSession
from kapclinic.dosing.rules.adverse import KIND_LABELS, OUTCOME_LABELS
from kapclinic.dosing.rules.alerts import SessionAlertSeverity
from kapclinic.dosing.rules.vitals import VitalKind

CADSS_MAX = 92  # 23 items scored 0-4 (the longest form in use, reference §3.4)


def _vital() -> models.DecimalField:  # type: ignore[type-arg]
    return models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)


class VitalsSet(models.Model):
    """One set of readings at one time (R-COD-1: units and LOINC codes in rules.vitals)."""

    session = models.ForeignKey(DosingSession, on_delete=models.PROTECT, related_name="vitals")
    taken_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    pre_dose = models.BooleanField(default=False)
    systolic = _vital()
    diastolic = _vital()
    heart_rate = _vital()
    spo2 = _vital()
    respiratory_rate = _vital()
    temperature = _vital()
    # Sedation (MOAA/S 0-5, R-ALR-5) observed with the set; 5 = responds readily.
    moaas = models.PositiveSmallIntegerField(null=True, blank=True)
    # Dissociation (CADSS total, R-ALR-6: above 4 = present), rated with the set.
    cadss_total = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["taken_at", "id"]
        indexes = [models.Index(fields=["session", "taken_at"], name="dosing_vitals_time")]
        constraints = [
            models.CheckConstraint(
                condition=Q(moaas__isnull=True) | Q(moaas__lte=5), name="dosing_moaas_0_to_5"
            ),
            models.CheckConstraint(
                condition=Q(cadss_total__isnull=True) | Q(cadss_total__lte=CADSS_MAX),
                name="dosing_cadss_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Vitals at {self.taken_at:%H:%M}"

    def readings(self) -> dict[VitalKind, Decimal]:
        return {
            kind: value for kind in VitalKind if (value := getattr(self, kind.value)) is not None
        }


class SessionAlert(models.Model):
    """An alert a rule raised (R-ALR-*): shown until someone acknowledges it with the action."""

    session = models.ForeignKey(DosingSession, on_delete=models.PROTECT, related_name="alerts")
    rule_id = models.CharField(max_length=12)
    severity = models.CharField(
        max_length=16, choices=[(s.value, s.value.replace("_", " ")) for s in SessionAlertSeverity]
    )
    text = models.CharField(max_length=300)
    raised_at = models.DateTimeField()
    # The reading time that raised it: with the rule, a key so a re-evaluation never repeats it.
    reading_at = models.DateTimeField()
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    action_taken = models.TextField(blank=True)

    class Meta:
        ordering = ["raised_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "rule_id", "reading_at"], name="dosing_alert_once"
            ),
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True) | ~Q(action_taken=""),
                name="dosing_alert_acknowledged_with_action",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id}: {self.text}"


class AdverseEvent(PublicIdModel):
    """An adverse event in a session (issue 15.5): what happened, what was done, how it ended.
    Recorded by staff; an alert that implies one (R-ALR-5: MOAA/S 0 is loss of consciousness)
    names it, and stays prompting until one is recorded."""

    session = models.ForeignKey(
        DosingSession, on_delete=models.PROTECT, related_name="adverse_events"
    )
    kind = models.CharField(
        max_length=24, choices=[(k.value, label) for k, label in KIND_LABELS.items()]
    )
    onset_at = models.DateTimeField()
    description = models.TextField(blank=True)
    interventions = models.TextField()  # what was done, in words ("none" is a word)
    outcome = models.CharField(
        max_length=24, choices=[(o.value, label) for o, label in OUTCOME_LABELS.items()]
    )
    # Serious (the REMS Patient Monitoring Form's serious-adverse-event block, reference U.1).
    serious = models.BooleanField(default=False)
    alert = models.ForeignKey(
        SessionAlert, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["onset_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(interventions=""), name="dosing_adverse_event_has_interventions"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.onset_at:%H:%M}"
