"""Counts, inventories, discrepancies and the DEA notification tasks (issue 14.4).

A count is taken by two people, blind: the expected balance of each line is fixed when the count
is submitted and shown only after it (the counters never see it first). A line whose counted
quantity differs opens a discrepancy, which is investigated and closed with a finding; a theft
or significant loss creates the two DEA tasks of R-CS-7 (21 CFR 1301.76(b)). Inventories
(R-CS-5, 21 CFR 1304.11) are counts of kind initial or biennial, with opening or close of
business recorded.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from kapclinic.accounts.models import Clinic
from kapclinic.core.models import PublicIdModel, TimeStampedModel
from kapclinic.ledger.models.entries import Entry
from kapclinic.ledger.models.stock import Lot, StockAccount, mg_field


class StockCount(PublicIdModel, TimeStampedModel):
    class Kind(models.TextChoices):
        SHIFT = "shift", "Shift count"
        DAY = "day", "Daily count"
        INITIAL = "initial", "Initial inventory (R-CS-5)"
        BIENNIAL = "biennial", "Biennial inventory (R-CS-5)"

    class Moment(models.TextChoices):
        OPENING = "opening", "Opening of business"
        CLOSE = "close", "Close of business"

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        SUBMITTED = "submitted", "Submitted"

    account = models.ForeignKey(StockAccount, on_delete=models.PROTECT, related_name="counts")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    moment = models.CharField(max_length=10, choices=Moment.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.IN_PROGRESS)
    counted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    counted_by_label = models.CharField(max_length=200)
    second_counter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    second_counter_label = models.CharField(max_length=200, blank=True)
    started_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    # The account's chain position the expected balances were read at (on submission).
    at_position = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="in_progress")
                | Q(submitted_at__isnull=False, second_counter__isnull=False),
                name="ledger_count_submitted_has_two_counters",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.account}"


class CountLine(models.Model):
    count = models.ForeignKey(StockCount, on_delete=models.PROTECT, related_name="lines")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="+")
    counted_mg = mg_field()
    counted_units = models.IntegerField()
    # R-CS-5: an opened Schedule III container may be estimated unless it holds > 1,000 units.
    estimated = models.BooleanField(default=False)
    # Filled on submission only (blind count).
    expected_mg = mg_field(null=True, blank=True)
    expected_units = models.IntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["count", "lot"], name="ledger_count_line_unique"),
            models.CheckConstraint(
                condition=Q(counted_mg__gte=0, counted_units__gte=0),
                name="ledger_count_line_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lot}: {self.counted_mg} mg counted"

    @property
    def differs(self) -> bool:
        return self.expected_mg is not None and (
            self.counted_mg != self.expected_mg or self.counted_units != self.expected_units
        )


class Discrepancy(PublicIdModel, TimeStampedModel):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    class Finding(models.TextChoices):
        COUNTING_ERROR = "counting_error", "Counting error: recounted, no difference"
        RECORDING_ERROR = "recording_error", "Recording error: corrected by an adjustment"
        MINOR_LOSS = "minor_loss", "Minor loss: documented internally, not reported"
        THEFT_OR_SIGNIFICANT_LOSS = "theft_or_significant_loss", "Theft or significant loss"

    account = models.ForeignKey(
        StockAccount, on_delete=models.PROTECT, related_name="discrepancies"
    )
    line = models.OneToOneField(CountLine, on_delete=models.PROTECT, related_name="discrepancy")
    difference_mg = mg_field()  # counted minus expected
    difference_units = models.IntegerField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    opened_at = models.DateTimeField()
    finding = models.CharField(max_length=30, choices=Finding.choices, blank=True)
    investigation = models.TextField(blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    adjustment = models.OneToOneField(
        Entry, on_delete=models.PROTECT, null=True, blank=True, related_name="discrepancy"
    )

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open")
                | (Q(closed_at__isnull=False, closed_by__isnull=False) & ~Q(finding="")),
                name="ledger_discrepancy_closed_with_finding",
            ),
        ]

    def __str__(self) -> str:
        return f"Discrepancy of {self.difference_mg} mg in {self.account}"


class ComplianceTask(PublicIdModel, TimeStampedModel):
    """A regulatory to-do the ledger raises (R-CS-7): shown on the Today list of those who
    report, until done with its reference (e.g. the Form 106 confirmation number)."""

    class Kind(models.TextChoices):
        DEA_WRITTEN_NOTICE = "dea_written_notice", "Written notice to the DEA Field Division"
        DEA_FORM_106 = "dea_form_106", "DEA Form 106 filed electronically"
        BIENNIAL_INVENTORY = "biennial_inventory", "Biennial inventory due (R-CS-5)"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="cs_tasks")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    discrepancy = models.ForeignKey(
        Discrepancy, on_delete=models.PROTECT, null=True, blank=True, related_name="tasks"
    )
    due_at = models.DateTimeField()
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.OPEN)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reference = models.CharField(max_length=100, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["due_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open") | Q(done_at__isnull=False, done_by__isnull=False),
                name="ledger_task_done_by_someone",
            ),
            models.UniqueConstraint(
                fields=["discrepancy", "kind"],
                condition=Q(discrepancy__isnull=False),
                name="ledger_task_once_per_discrepancy",
            ),
        ]
        indexes = [models.Index(fields=["clinic", "status", "due_at"], name="ledger_task_open")]

    def __str__(self) -> str:
        return self.get_kind_display()
