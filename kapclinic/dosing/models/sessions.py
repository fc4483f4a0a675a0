"""A dosing session: one booked dosing appointment, from check-in to discharge (issue 15.1).

Its state changes only through ``kapclinic.dosing.services.sessions.move`` (the one transition
function), which checks ``rules.workflow`` and records each move as a ``SessionMove``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from kapclinic.accounts.models import Clinic
from kapclinic.core.models import PublicIdModel, TimeStampedModel
from kapclinic.dosing.rules.workflow import State
from kapclinic.ledger.models import Entry, Lot, StockAccount
from kapclinic.patients.models import Patient
from kapclinic.scheduling.models import Appointment

STATE_CHOICES = [(state.value, state.value.replace("_", " ").capitalize()) for state in State]


class Drug(models.TextChoices):
    """What the session gives; decides the dose check (R-IV-1 or R-ESK-*) and the REMS rules."""

    ESKETAMINE = "esketamine", "Esketamine nasal spray"
    KETAMINE_IV = "ketamine_iv", "Ketamine, intravenous"
    KETAMINE_IM = "ketamine_im", "Ketamine, intramuscular"
    KETAMINE_SL = "ketamine_sl", "Ketamine, sublingual"


class Route(models.TextChoices):
    """How the dose was given (issue 15.4); the drug decides which routes are allowed."""

    INTRAVENOUS = "iv", "Intravenous infusion"
    INTRAMUSCULAR = "im", "Intramuscular injection"
    SUBLINGUAL = "sl", "Sublingual"
    INTRANASAL = "nasal", "Intranasal (nasal spray devices)"


# The routes each drug may be given by (R-ESK-5: esketamine only by its devices).
ROUTES_OF: dict[str, tuple[Route, ...]] = {
    "esketamine": (Route.INTRANASAL,),
    "ketamine_iv": (Route.INTRAVENOUS,),
    "ketamine_im": (Route.INTRAMUSCULAR, Route.SUBLINGUAL),
    "ketamine_sl": (Route.SUBLINGUAL, Route.INTRAMUSCULAR),
}


class DosingSession(PublicIdModel, TimeStampedModel):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="dosing_sessions")
    appointment = models.OneToOneField(
        Appointment, on_delete=models.PROTECT, related_name="dosing_session"
    )
    drug = models.CharField(max_length=12, choices=Drug.choices)
    state = models.CharField(max_length=20, choices=STATE_CHOICES, default=State.BOOKED.value)
    state_changed_at = models.DateTimeField()
    # The protocol's minimum observation after the dose (R-DC-2); at least 120 for esketamine
    # (R-REMS-4), which the discharge rule enforces whatever is stored here.
    minimum_observation_minutes = models.PositiveSmallIntegerField()
    dosed_at = models.DateTimeField(null=True, blank=True)  # first device / start of the dose
    escort_name = models.CharField(max_length=120, blank=True)  # R-DC-1
    no_driving_acknowledged_at = models.DateTimeField(null=True, blank=True)  # R-DC-1
    stable_attested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )  # R-REMS-4: sedation, dissociation and breathing resolved
    # The pre-dose checklist's overrides are per item (models.checklist.CheckOverride).
    discharge_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    discharge_override_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-state_changed_at"]
        indexes = [models.Index(fields=["clinic", "state"], name="dosing_session_clinic_state")]
        constraints = [
            models.CheckConstraint(
                condition=Q(discharge_override_by__isnull=True) | ~Q(discharge_override_reason=""),
                name="dosing_discharge_override_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"Dosing session {self.public_id} ({self.state})"

    @property
    def current(self) -> State:
        return State(self.state)


class SessionMove(models.Model):
    """One state change, as it happened: the session's history (append-only by convention:
    only ``services.sessions.move`` writes it, and the audit trail seals each move)."""

    session = models.ForeignKey(DosingSession, on_delete=models.PROTECT, related_name="moves")
    from_state = models.CharField(max_length=20, choices=STATE_CHOICES)
    to_state = models.CharField(max_length=20, choices=STATE_CHOICES)
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_state} -> {self.to_state}"


class Administration(PublicIdModel):
    """The dose given (issue 15.4), and the ledger entry it debited in the same transaction."""

    session = models.ForeignKey(DosingSession, on_delete=models.PROTECT, related_name="doses")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(StockAccount, on_delete=models.PROTECT, related_name="+")
    dose_mg = models.DecimalField(max_digits=9, decimal_places=3)
    route = models.CharField(max_length=8, choices=Route.choices, blank=True)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()
    administered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    ledger_entry = models.OneToOneField(Entry, on_delete=models.PROTECT, related_name="+")
    arithmetic = models.CharField(max_length=200)  # the dose check as shown (R-IV-1, R-ESK-5)
    confirmed_warning = models.TextField(blank=True)

    class Meta:
        ordering = ["started_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__gte=models.F("started_at")), name="dosing_dose_ends_after"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dose_mg} mg"
