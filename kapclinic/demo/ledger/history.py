"""A demo clinic's stock history, in time order, through the ledger's services
(kapclinic.demo.ledger: the package docstring says what is generated)."""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Final

from django.db import transaction

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role, StaffMembership, User
from kapclinic.demo.ledger.setup import DEMO_SUPPLIER, ClinicStock, set_up_stock
from kapclinic.ledger import services
from kapclinic.ledger.counts import services as counts
from kapclinic.ledger.models import Lot, Product, StockCount
from kapclinic.ledger.services import WitnessSignature
from kapclinic.patients.models import BodyMeasurement, Patient
from kapclinic.scheduling.models import Appointment
from kapclinic.scheduling.protocols.definition import Modality, SessionKind

BATCH: Final = 200  # entries per transaction
RECEIPT_EVERY: Final = timedelta(days=21)
FIRST_RECEIPT_BEFORE: Final = timedelta(days=10)
NO_DOSING_HISTORY: Final = timedelta(days=84)  # a clinic with no dosing yet still has stock
SHELF_LIFE: Final = timedelta(days=730)
SHORT_DATED: Final = timedelta(days=40)  # the newest vial lot expires this soon after today
PACK: Final = {"vial": 5, "device": 6, "lozenge": 30}
LOT_PREFIX: Final = {"vial": "KV", "device": "ES", "lozenge": "KL"}
IV_MG_PER_KG: Final = Decimal("0.5")
IV_MG_WITHOUT_WEIGHT: Final = Decimal("35.0")
TRANSFERRED_VIALS: Final = 2
COUNT_DAYS: Final = 10  # daily close-of-business counts of the main safe, the last weekdays
COUNT_AT: Final = time(18, 30)
WASTE_REASON: Final = (
    "Remainder of the vial after the patient's dose: vial opened for one patient, not kept."
)
PRODUCT_OF: Final = {
    Modality.RACEMIC_KETAMINE_OFF_LABEL: "vial",
    Modality.ESKETAMINE_REMS: "device",
    Modality.KETAMINE_ASSISTED_PSYCHOTHERAPY: "lozenge",
}


@dataclass
class LedgerCounts:
    receipts: int = 0
    administrations: int = 0
    wastes: int = 0
    transfers: int = 0
    lots: int = 0
    counts: int = 0

    def summary(self) -> str:
        return (
            f"{self.receipts} receipts ({self.lots} lots), {self.administrations} "
            f"administrations, {self.wastes} witnessed wastes, {self.transfers} transfers, "
            f"{self.counts} two-person counts"
        )


@dataclass(frozen=True)
class Dose:
    at: datetime
    appointment: str  # public id
    patient_id: int
    nurse_id: int | None
    product: str  # a key of PACK
    mg: Decimal
    units: int  # whole units used (vials: the one opened)


@dataclass
class Receipt:
    at: datetime
    containers: dict[str, int] = field(default_factory=dict)


def add_stock_histories(
    *, seed: int, clinics: list[Clinic], cutoffs: dict[int, datetime], password: str
) -> LedgerCounts:
    """Every clinic's stock history up to its cutoff (kapclinic.demo.ledger); ``password`` is
    the demo staff's, with which the witnesses sign."""
    counts = LedgerCounts()
    for index, clinic in enumerate(clinics):
        rng = random.Random(seed * 15485863 + index)  # its own stream per clinic
        _ClinicHistory(clinic, rng, cutoffs[clinic.pk], counts, password).write()
    return counts


def _staff(clinic: Clinic, role: Role) -> list[User]:
    return [
        m.user
        for m in StaffMembership.objects.filter(clinic=clinic, role=role, is_active=True)
        .select_related("user")
        .order_by("id")
    ]


class _ClinicHistory:
    def __init__(
        self,
        clinic: Clinic,
        rng: random.Random,
        cutoff: datetime,
        counts: LedgerCounts,
        password: str,
    ) -> None:
        self.clinic = clinic
        self.password = password
        self.rng = rng
        self.cutoff = cutoff
        self.counts = counts
        self.nurses = _staff(clinic, Role.NURSE)
        self.manager = Actor.for_user(_staff(clinic, Role.PRESCRIBER)[0], clinic)
        self.actors: dict[int, Actor] = {}
        self.lots: dict[str, list[tuple[Lot, int]]] = defaultdict(list)  # FEFO, units in safe
        self.sequence = 0
        self.patients: dict[int, Patient] = {}

    def actor(self, user_id: int | None) -> Actor:
        user = next((n for n in self.nurses if n.pk == user_id), self.nurses[0])
        if user.pk not in self.actors:
            self.actors[user.pk] = Actor.for_user(user, self.clinic)
        return self.actors[user.pk]

    def write(self) -> None:
        with transaction.atomic():
            stock = set_up_stock(self.manager)
            self.witnesses = self._witnesses()
        doses = self._doses()
        receipts = self._receipts(doses)
        transfer_at = receipts[len(receipts) // 2].at if len(receipts) > 1 else None
        events: list[tuple[datetime, int, object]] = [(r.at, 0, r) for r in receipts]
        events += [(d.at, 1, d) for d in doses]
        events += [(at, 2, at) for at in self._count_times()]
        events.sort(key=lambda e: (e[0], e[1]))
        for batch in _chunks(events, BATCH):
            with transaction.atomic():
                for at, _, event in batch:
                    if isinstance(event, Receipt):
                        self._receive(stock, event, extra_vials=at == transfer_at)
                        if at == transfer_at:
                            self._transfer(stock, at + timedelta(minutes=30))
                    elif isinstance(event, Dose):
                        self._administer(stock, event)
                    else:
                        self._count(stock, at)

    def _witnesses(self) -> list[WitnessSignature]:
        """Two nurses sign once with their own credentials (the sign-in's check: a slow hash
        by design), as the witnesses of the wastes; signed here once, not at every waste.
        Each waste is witnessed by one of them who is not its recorder."""
        return [
            services.sign_as_witness(
                actor=self.manager,
                email=nurse.email,
                password=self.password,
                ip_address=None,
                now=self.cutoff,
            )
            for nurse in self.nurses[:2]
        ]

    def _doses(self) -> list[Dose]:
        rows = list(
            Appointment.objects.filter(
                clinic=self.clinic,
                kind=SessionKind.DOSING.value,
                status=Appointment.Status.ATTENDED,
                starts_at__lt=self.cutoff,
            )
            .order_by("starts_at", "id")
            .values_list(
                "public_id", "starts_at", "patient_id", "nurse_id", "course_id", "course__modality"
            )
        )
        weights: dict[int, list[tuple[date, Decimal]]] = defaultdict(list)
        for patient_id, measured_on, kg in (
            BodyMeasurement.objects.filter(patient_id__in={r[2] for r in rows})
            .order_by("measured_on", "id")
            .values_list("patient_id", "measured_on", "weight_kg")
        ):
            weights[patient_id].append((measured_on, kg))
        self.patients = Patient.objects.in_bulk({r[2] for r in rows})
        seen_courses: set[int] = set()
        doses = []
        for public_id, starts_at, patient_id, nurse_id, course_id, modality in rows:
            product = PRODUCT_OF.get(Modality(modality))
            if product is None:
                continue
            first = course_id not in seen_courses
            seen_courses.add(course_id)
            at = starts_at + timedelta(minutes=15)
            mg, units = self._dose(product, weights[patient_id], at.date(), first=first)
            doses.append(Dose(at, str(public_id), patient_id, nurse_id, product, mg, units))
        return doses

    def _dose(
        self, product: str, weights: list[tuple[date, Decimal]], day: date, *, first: bool
    ) -> tuple[Decimal, int]:
        if product == "vial":
            known = [kg for on, kg in weights if on <= day] or [kg for _, kg in weights]
            mg = (IV_MG_PER_KG * known[-1]).quantize(Decimal("0.1")) if known else None
            return mg or IV_MG_WITHOUT_WEIGHT, 1
        if product == "device":
            devices = 2 if first or self.rng.random() < 0.4 else 3  # 56 mg, else 56 or 84
            return Decimal(28 * devices), devices
        lozenges = self.rng.choice((2, 2, 3))
        return Decimal(100 * lozenges), lozenges

    def _receipts(self, doses: list[Dose]) -> list[Receipt]:
        tz = self.clinic.tzinfo
        first = doses[0].at - FIRST_RECEIPT_BEFORE if doses else self.cutoff - NO_DOSING_HISTORY
        day = first.astimezone(tz).date()
        receipts = []
        while True:
            on = day + timedelta(days=(7 - day.weekday()) % 7 if day.weekday() >= 5 else 0)
            at = datetime.combine(on, time(9, 30), tzinfo=tz)
            if at >= self.cutoff:
                break
            receipts.append(Receipt(at))
            day += RECEIPT_EVERY
        last = len(receipts) - 1
        for i, receipt in enumerate(receipts):
            until = receipts[i + 1].at if i + 1 < len(receipts) else self.cutoff
            for product, pack in PACK.items():
                need = sum(d.units for d in doses if d.product == product and d.at < until)
                need -= sum(d.units for d in doses if d.product == product and d.at < receipt.at)
                # The first delivery stocks every product; the middle one always brings vials
                # (two of them are transferred to the cart), the last too (the short-dated lot
                # the expiry report shows).
                if need or i == 0 or (product == "vial" and i in {len(receipts) // 2, last}):
                    receipt.containers[product] = pack * math.ceil((need + 1) / pack)
        return receipts

    def _lot(self, product: Product, key: str, at: datetime, *, short_dated: bool) -> Lot:
        self.sequence += 1
        expires = (self.cutoff + SHORT_DATED) if short_dated else (at + SHELF_LIFE)
        number = f"{LOT_PREFIX[key]}{at:%y}{self.sequence:04d}"
        self.counts.lots += 1
        return services.add_lot(
            actor=self.manager, product=product, number=number, expires_on=expires.date()
        )

    def _receive(self, stock: ClinicStock, receipt: Receipt, *, extra_vials: bool) -> None:
        newest = receipt.at + RECEIPT_EVERY >= self.cutoff
        for key, containers in receipt.containers.items():
            product = {"vial": stock.vial, "device": stock.device, "lozenge": stock.lozenge}[key]
            more = TRANSFERRED_VIALS if extra_vials and key == "vial" else 0
            lot = self._lot(product, key, receipt.at, short_dated=newest and key == "vial")
            lot.product = product
            services.receive(
                actor=self.actor(None),
                account=stock.safe,
                lot=lot,
                containers=containers + more,
                invoice_number=f"INV-{self.clinic.pk}-{receipt.at:%y%m%d}-{key}",
                occurred_at=receipt.at,
                now=self._recorded(receipt.at),
                **DEMO_SUPPLIER,
            )
            self.lots[key].append((lot, containers + more))
            self.lots[key].sort(key=lambda held: held[0].expires_on)
            self.counts.receipts += 1

    def _take(self, key: str, units: int, day: date) -> Lot:
        """The first lot to expire that holds ``units`` (first expiry, first out)."""
        held = self.lots[key]
        for i, (lot, left) in enumerate(held):
            if left >= units and lot.expires_on > day:
                held[i] = (lot, left - units)
                return lot
        msg = f"The demo's receipts left no {key} lot with {units} units on {day}."
        raise AssertionError(msg)

    def _transfer(self, stock: ClinicStock, at: datetime) -> None:
        lot = self._take("vial", TRANSFERRED_VIALS, at.date())
        services.transfer(
            actor=self.actor(None),
            source=stock.safe,
            destination=stock.cart,
            lot=lot,
            mg=lot.product.mg_per_unit * TRANSFERRED_VIALS,
            units=TRANSFERRED_VIALS,
            occurred_at=at,
            now=self._recorded(at),
        )
        self.counts.transfers += 1

    def _administer(self, stock: ClinicStock, dose: Dose) -> None:
        actor = self.actor(dose.nurse_id)
        lot = self._take(dose.product, dose.units, dose.at.date())
        vial = dose.product == "vial"
        services.record_administration(
            actor=actor,
            account=stock.safe,
            lot=lot,
            patient=self.patients[dose.patient_id],
            mg=dose.mg,
            containers_emptied=0 if vial else dose.units,
            administered_by=actor.user,
            occurred_at=dose.at,
            source_key=f"appointment:{dose.appointment}",
            now=self._recorded(dose.at),
        )
        self.counts.administrations += 1
        if vial:
            at = dose.at + timedelta(minutes=40)
            others = [w for w in self.witnesses if w.user.pk != actor.user.pk]
            services.waste(
                actor=actor,
                account=stock.safe,
                lot=lot,
                mg=lot.product.mg_per_unit - dose.mg,
                containers_emptied=1,
                reason=WASTE_REASON,
                witness=self.rng.choice(others),
                occurred_at=at,
                now=self._recorded(at),
            )
            self.counts.wastes += 1

    def _count_times(self) -> list[datetime]:
        """The close of business of the last COUNT_DAYS weekdays before the cutoff."""
        tz = self.clinic.tzinfo
        day = self.cutoff.astimezone(tz).date()
        times: list[datetime] = []
        while len(times) < COUNT_DAYS:
            at = datetime.combine(day, COUNT_AT, tzinfo=tz)
            if day.weekday() < 5 and at + timedelta(minutes=10) < self.cutoff:
                times.append(at)
            day -= timedelta(days=1)
        return times

    def _count(self, stock: ClinicStock, at: datetime) -> None:
        """R-CS-5: the main safe counted at close of business by a nurse, every lot it holds
        (whole containers: each opened vial was used up and its remainder wasted), and signed by
        a second nurse; through the counts' services (kapclinic.ledger.counts)."""
        second = self.witnesses[0]
        counter = self.actor(next(n.pk for n in self.nurses if n.pk != second.user.pk))
        count = counts.start_count(
            actor=counter,
            account=stock.safe,
            kind=StockCount.Kind.DAY,
            moment=StockCount.Moment.CLOSE,
            now=at,
        )
        for held in self.lots.values():
            for lot, units in held:
                if units:
                    counts.record_line(
                        actor=counter,
                        count=count,
                        lot=lot,
                        counted_mg=None,
                        counted_units=units,
                        estimated=False,
                        now=at + timedelta(minutes=5),
                    )
        counts.submit_count(
            actor=counter, count=count, second_counter=second, now=at + timedelta(minutes=10)
        )
        self.counts.counts += 1

    def _recorded(self, at: datetime) -> datetime:
        """Recorded a few minutes after it happened (never after the history's cutoff)."""
        return max(at, min(at + timedelta(minutes=5), self.cutoff))


Event = tuple[datetime, int, object]


def _chunks(events: list[Event], size: int) -> Iterator[list[Event]]:
    for start in range(0, len(events), size):
        yield events[start : start + size]
