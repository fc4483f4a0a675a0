"""What staff record for a session's pre-dose checklist (issue 15.3), and prescribers' overrides.

Each recording is a new ``CheckAnswer`` (the latest per item is the answer; earlier ones stay as
the history); each override is one ``CheckOverride`` per item, with its reason. Only
``kapclinic.dosing.services.checklist`` writes them, and audits each write.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from kapclinic.dosing.models.sessions import DosingSession
from kapclinic.scheduling.protocols.definition import CheckItem

ITEM_CHOICES = [(item.value, item.value.replace("_", " ")) for item in CheckItem]


class CheckAnswer(models.Model):
    """One recorded answer to a checklist item: who, when, and what was found."""

    class Answer(models.TextChoices):
        YES = "yes", "Yes"
        NO = "no", "No"
        NOT_PREGNANT = "not_pregnant", "Not pregnant"
        PREGNANT = "pregnant", "Pregnant"
        UNSURE = "unsure", "Unsure"
        TIMES = "times", "Times recorded"  # fasting: the times below

    session = models.ForeignKey(
        DosingSession, on_delete=models.PROTECT, related_name="check_answers"
    )
    item = models.CharField(max_length=24, choices=ITEM_CHOICES)
    answer = models.CharField(max_length=16, choices=Answer.choices)
    last_food_at = models.DateTimeField(null=True, blank=True)  # fasting (R-REMS-8)
    last_liquid_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["recorded_at", "id"]
        indexes = [models.Index(fields=["session", "item"], name="dosing_check_answer_item")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(answer="times")
                | Q(last_food_at__isnull=False, last_liquid_at__isnull=False),
                name="dosing_check_fasting_has_times",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item}: {self.answer}"


class CheckOverride(models.Model):
    """A prescriber's decision that an item that did not pass does not block this dose."""

    session = models.ForeignKey(
        DosingSession, on_delete=models.PROTECT, related_name="check_overrides"
    )
    item = models.CharField(max_length=24, choices=ITEM_CHOICES)
    # What the item said when it was overridden (e.g. the blood pressure), kept with the reason.
    finding = models.CharField(max_length=400)
    reason = models.TextField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "item"], name="dosing_check_override_once"),
            models.CheckConstraint(condition=~Q(reason=""), name="dosing_check_override_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.item} overridden"
