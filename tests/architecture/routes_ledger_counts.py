"""One real request per count route of the ledger (issue 14.4), for the route-by-role tests."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Role, User
from kapclinic.accounts.permissions import Capability
from kapclinic.demo.generator.organisation import DEMO_LOGINS
from kapclinic.ledger import services as ledger
from kapclinic.ledger.counts import services
from kapclinic.ledger.models import (
    ComplianceTask,
    DosageForm,
    Lot,
    StockAccount,
    StockCount,
    Substance,
    UnitKind,
)
from tests.architecture.routing import Call, World


def count_routes(world: World) -> dict[str, Call]:
    prescriber = Actor.for_user(User.objects.get(email=DEMO_LOGINS[Role.PRESCRIBER][0]), world.home)
    now = timezone.now()
    # _routes runs more than once per test: the stock is set up once.
    account = StockAccount.objects.filter(clinic=world.home, name="Route safe").first()
    if account is None:
        account = ledger.open_account(actor=prescriber, name="Route safe", location="Room 1")
        product = ledger.add_product(
            actor=prescriber,
            name="Route esketamine 28 mg device",
            substance=Substance.ESKETAMINE,
            form=DosageForm.NASAL_SPRAY,
            unit_kind=UnitKind.DEVICE,
            mg_per_unit="28",
        )
        ledger.add_lot(
            actor=prescriber, product=product, number="R-1", expires_on=now.date() + timedelta(9)
        )
    lot = Lot.objects.get(product__clinic=world.home, number="R-1")
    count = services.start_count(
        actor=prescriber,
        account=account,
        kind=StockCount.Kind.DAY,
        moment=StockCount.Moment.OPENING,
        now=now,
    )
    task = ComplianceTask.objects.create(
        clinic=world.home, kind=ComplianceTask.Kind.BIENNIAL_INVENTORY, due_at=now
    )
    line = reverse("ledger:count-line", args=[count.public_id])
    return {
        "ledger:counts": Call("GET", reverse("ledger:counts"), Capability.VIEW_LEDGER),
        "ledger:count-account": Call(
            "GET", reverse("ledger:count-account", args=[account.public_id]), Capability.VIEW_LEDGER
        ),
        # An empty form: allowed roles get the page back with its errors.
        "ledger:count-start": Call(
            "POST",
            reverse("ledger:count-start", args=[account.public_id]),
            Capability.COUNT_STOCK,
            ok=frozenset({422}),
        ),
        "ledger:count": Call(
            "GET", reverse("ledger:count", args=[count.public_id]), Capability.VIEW_LEDGER
        ),
        "ledger:count-line": Call(
            "POST",
            line,
            Capability.COUNT_STOCK,
            data={"lot": str(lot.public_id), "counted_units": "-1"},
            ok=frozenset({422}),
        ),
        "ledger:count-submit": Call(
            "POST",
            reverse("ledger:count-submit", args=[count.public_id]),
            Capability.COUNT_STOCK,
            ok=frozenset({422}),
        ),
        "ledger:discrepancies": Call(
            "GET", reverse("ledger:discrepancies"), Capability.VIEW_LEDGER
        ),
        # No discrepancy of this clinic has this id: 404 to those allowed, 403 to others.
        "ledger:discrepancy": Call(
            "GET",
            reverse("ledger:discrepancy", args=[task.public_id]),
            Capability.VIEW_LEDGER,
            ok=frozenset({404}),
        ),
        "ledger:discrepancy-close": Call(
            "POST",
            reverse("ledger:discrepancy-close", args=[task.public_id]),
            Capability.CORRECT_LEDGER,
            ok=frozenset({404}),
        ),
        "ledger:tasks": Call("GET", reverse("ledger:tasks"), Capability.REPORT_LEDGER),
        "ledger:task": Call(
            "GET", reverse("ledger:task", args=[task.public_id]), Capability.REPORT_LEDGER
        ),
        "ledger:expiry": Call("GET", reverse("ledger:expiry"), Capability.VIEW_LEDGER),
    }
