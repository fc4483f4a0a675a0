"""What the ledger counts: products, their lots, the storage accounts that hold them, and the
running balance of each lot in each account (R-CS-1, R-CS-6; 21 CFR 1304.22(c)).

Quantities are exact decimals of milligrams (three places, never floats) and whole units: the
product's containers (vials, devices) or dosage units (lozenges). See ``kapclinic.ledger.
quantities`` for the arithmetic and the invariants a balance keeps.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from kapclinic.accounts.models import Clinic
from kapclinic.core.models import PublicIdModel, TimeStampedModel

MG_DIGITS = 14
MG_PLACES = 3


def mg_field(**kwargs: object) -> models.DecimalField:  # type: ignore[type-arg]
    return models.DecimalField(max_digits=MG_DIGITS, decimal_places=MG_PLACES, **kwargs)  # type: ignore[arg-type]


class Substance(models.TextChoices):
    KETAMINE = "ketamine", "Ketamine (racemic)"
    ESKETAMINE = "esketamine", "Esketamine"


class DosageForm(models.TextChoices):
    INJECTION = "injection", "Injectable solution"
    NASAL_SPRAY = "nasal_spray", "Nasal spray"
    LOZENGE = "lozenge", "Sublingual lozenge / rapid-dissolve tablet"
    ORAL = "oral", "Oral solution or troche"


class UnitKind(models.TextChoices):
    VIAL = "vial", "vial"
    DEVICE = "device", "device"
    LOZENGE = "lozenge", "lozenge"
    BOTTLE = "bottle", "bottle"


# Devices and lozenges are used whole: an entry of one moves whole units, milligrams follow.
WHOLE_UNIT_KINDS = frozenset({UnitKind.DEVICE, UnitKind.LOZENGE})


class Product(PublicIdModel, TimeStampedModel):
    """A finished form of a controlled substance as the clinic stocks it (R-CS-1: substance,
    finished form, units or volume per container)."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="cs_products")
    name = models.CharField(max_length=200)  # "Ketamine HCl injection 50 mg/mL, 10 mL vial"
    substance = models.CharField(max_length=20, choices=Substance.choices)
    dea_schedule = models.CharField(max_length=4, default="III")  # 64 FR 37673; esketamine CIII
    form = models.CharField(max_length=20, choices=DosageForm.choices)
    unit_kind = models.CharField(max_length=10, choices=UnitKind.choices)
    # Milligrams of the substance in one unit (a vial's whole content, one device, one lozenge).
    mg_per_unit = mg_field(validators=[MinValueValidator(Decimal("0.001"))])
    # For solutions: the concentration and the volume of one container (shown on records).
    concentration_mg_per_ml = mg_field(null=True, blank=True)
    ml_per_unit = mg_field(null=True, blank=True)
    # Codes, where known: NDC (11 digits, hyphenated as printed), RxNorm where verified (§7.1).
    ndc = models.CharField("NDC", max_length=13, blank=True)
    rxnorm = models.CharField("RxNorm RxCUI", max_length=12, blank=True)
    rxnorm_verified = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "name"], name="ledger_product_name_unique"),
            models.CheckConstraint(condition=Q(mg_per_unit__gt=0), name="ledger_product_mg_gt_0"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def whole_units(self) -> bool:
        return self.unit_kind in WHOLE_UNIT_KINDS


class Lot(PublicIdModel, TimeStampedModel):
    """A manufacturer's lot of a product, with its expiry."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="lots")
    number = models.CharField(max_length=40)
    expires_on = models.DateField()

    class Meta:
        ordering = ["expires_on", "number"]
        constraints = [
            models.UniqueConstraint(fields=["product", "number"], name="ledger_lot_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.product} lot {self.number}"


class StockAccount(PublicIdModel, TimeStampedModel):
    """A storage location in a clinic (a safe, a locked cabinet): its own chain of entries.

    Also the lock that serialises its entries: posting locks the account's chain head row
    (kapclinic.ledger.services.posting)."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="cs_accounts")
    name = models.CharField(max_length=120)  # "Main safe, room 2"
    location = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "name"], name="ledger_account_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def chain_key(self) -> str:
        return f"account:{self.public_id}"


class Holding(models.Model):
    """The running balance of one lot in one account: the newest entry's balance after it.

    Written only by the posting service, under the account's lock, in the entry's transaction;
    ``verify_ledger`` checks it against the entries. Never negative (also a database check)."""

    account = models.ForeignKey(StockAccount, on_delete=models.PROTECT, related_name="holdings")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="holdings")
    balance_mg = mg_field(default=Decimal(0))
    balance_units = models.IntegerField(default=0)
    last_position = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "lot"], name="ledger_holding_unique"),
            models.CheckConstraint(
                condition=Q(balance_mg__gte=0, balance_units__gte=0),
                name="ledger_holding_never_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lot}: {self.balance_mg} mg in {self.account}"


class LedgerSettings(models.Model):
    """Per-clinic choices the reference leaves to the clinic (R-CS-3, R-CS-6: NOT FOUND or
    'configurable upward')."""

    clinic = models.OneToOneField(Clinic, on_delete=models.CASCADE, related_name="ledger_settings")
    # R-CS-6: at least two years (21 CFR 1304.04(a)); a state may require longer.
    retention_years = models.PositiveSmallIntegerField(
        default=2, validators=[MinValueValidator(2), MaxValueValidator(50)]
    )
    # R-CS-3: federal law requires the waste record; a witness is the institutional default.
    waste_needs_witness = models.BooleanField(default=True)

    # Counts (issue 14.4): how often the safe is counted by two people.
    class CountCadence(models.TextChoices):
        SHIFT = "shift", "Every shift"
        DAY = "day", "Every clinic day"

    count_cadence = models.CharField(
        max_length=10, choices=CountCadence.choices, default=CountCadence.DAY
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(retention_years__gte=2), name="ledger_retention_at_least_2_years"
            ),
        ]

    def __str__(self) -> str:
        return f"Ledger settings of {self.clinic}"
