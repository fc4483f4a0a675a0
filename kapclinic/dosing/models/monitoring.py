"""What is watched during a session (issue 15.5): vital-sign sets and the alerts they raise."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from kapclinic.dosing.models.sessions import DosingSession
from kapclinic.dosing.rules.alerts import SessionAlertSeverity
from kapclinic.dosing.rules.vitals import VitalKind


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

    class Meta:
        ordering = ["taken_at", "id"]
        indexes = [models.Index(fields=["session", "taken_at"], name="dosing_vitals_time")]
        constraints = [
            models.CheckConstraint(
                condition=Q(moaas__isnull=True) | Q(moaas__lte=5), name="dosing_moaas_0_to_5"
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
