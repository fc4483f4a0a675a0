"""One real request per ledger books route, for the route-by-role tests (issue 14): a storage
account holding vials and lozenges, a receipt and a dispensing, set up through the ledger's
services once per database. POSTed actions are refused by the service (an account that holds
stock does not close) or change nothing a later role's request depends on."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.urls import reverse
from django.utils import timezone

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Role, User
from kapclinic.accounts.permissions import Capability
from kapclinic.ledger import services
from kapclinic.ledger.models import (
    DispensingUse,
    DosageForm,
    Entry,
    EntryKind,
    StockAccount,
    Substance,
    UnitKind,
)
from tests.architecture.routing import Call, World

SAFE = "Route safe"


def _stock(world: World) -> tuple[StockAccount, Entry, Entry]:
    found = StockAccount.objects.filter(clinic=world.home, name=SAFE).first()
    if found is not None:
        entries = Entry.objects.filter(account=found)
        return (
            found,
            entries.get(kind=EntryKind.RECEIPT),
            entries.get(kind=EntryKind.DISPENSING),
        )
    prescriber = User.objects.filter(
        memberships__clinic=world.home, memberships__role=Role.PRESCRIBER
    ).first()
    assert prescriber is not None
    actor = Actor.for_user(prescriber, world.home)
    now = timezone.now()
    safe = services.open_account(actor=actor, name=SAFE)
    product = services.add_product(
        actor=actor,
        name="Route ketamine 100 mg lozenge",
        substance=Substance.KETAMINE,
        form=DosageForm.LOZENGE,
        unit_kind=UnitKind.LOZENGE,
        mg_per_unit="100",
    )
    lot = services.add_lot(actor=actor, product=product, number="R-1", expires_on=date(2030, 1, 1))
    receipt = services.receive(
        actor=actor,
        account=safe,
        lot=lot,
        containers=10,
        supplier_name="Route Supply",
        supplier_address="1 Route Way",
        supplier_dea="RE1234563",
        invoice_number="R-INV-1",
        occurred_at=now,
        now=now,
    )
    dispensing = services.dispense(
        actor=actor,
        account=safe,
        lot=lot,
        patient=world.patient,
        units=2,
        use=DispensingUse.AT_HOME,
        occurred_at=now,
        now=now,
    )
    return safe, receipt, dispensing


def ledger_routes(world: World) -> dict[str, Call]:
    safe, receipt, dispensing = _stock(world)
    account = [safe.public_id]
    product = receipt.lot.product.public_id

    def form(name: str, capability: Capability, args: Sequence[object] = account) -> Call:
        return Call("GET", reverse(f"ledger:{name}", args=args), capability)

    return {
        "ledger:home": Call("GET", reverse("ledger:home"), Capability.VIEW_LEDGER),
        "ledger:account": form("account", Capability.VIEW_LEDGER),
        "ledger:entry": form("entry", Capability.VIEW_LEDGER, [dispensing.public_id]),
        "ledger:receive": form("receive", Capability.RECEIVE_STOCK),
        "ledger:waste": form("waste", Capability.RECORD_STOCK_USE),
        "ledger:dispense": form("dispense", Capability.RECORD_STOCK_USE),
        "ledger:return": form("return", Capability.RECORD_STOCK_USE, [dispensing.public_id]),
        "ledger:transfer": form("transfer", Capability.TRANSFER_STOCK),
        "ledger:destroy": form("destroy", Capability.CORRECT_LEDGER),
        "ledger:adjust": form("adjust", Capability.CORRECT_LEDGER),
        "ledger:reverse": form("reverse", Capability.CORRECT_LEDGER, [receipt.public_id]),
        "ledger:setup": Call("GET", reverse("ledger:setup"), Capability.MANAGE_STOCK),
        "ledger:add-product": Call("GET", reverse("ledger:add-product"), Capability.MANAGE_STOCK),
        "ledger:add-lot": Call("GET", reverse("ledger:add-lot"), Capability.MANAGE_STOCK),
        "ledger:open-account": Call("GET", reverse("ledger:open-account"), Capability.MANAGE_STOCK),
        "ledger:settings": Call("GET", reverse("ledger:settings"), Capability.MANAGE_STOCK),
        # The account holds stock: the service refuses to close it, and says why.
        "ledger:close-account": Call(
            "POST",
            reverse("ledger:close-account", args=account),
            Capability.MANAGE_STOCK,
            ok=frozenset({302}),
        ),
        # Retiring twice is refused with a message; either way back to the set-up page.
        "ledger:retire-product": Call(
            "POST",
            reverse("ledger:retire-product", args=[product]),
            Capability.MANAGE_STOCK,
            ok=frozenset({302}),
        ),
    }
