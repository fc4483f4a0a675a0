"""The ledger's writes. Every entry goes through ``posting.post`` (the one writer); the
functions here are the entry points the pages, the API, the dosing workflow and the generator
call."""

from kapclinic.ledger.services.entries import (
    adjust,
    destroy,
    dispense,
    receive,
    record_administration,
    record_return,
    reverse,
    transfer,
    waste,
)
from kapclinic.ledger.services.posting import Posting, post
from kapclinic.ledger.services.setup import (
    change_settings,
    close_account,
    receive_new_lot,
    retire_product,
)
from kapclinic.ledger.services.stock import add_lot, add_product, open_account
from kapclinic.ledger.services.witnesses import WitnessSignature, sign_as_witness

__all__ = [
    "Posting",
    "WitnessSignature",
    "add_lot",
    "add_product",
    "adjust",
    "change_settings",
    "close_account",
    "destroy",
    "dispense",
    "open_account",
    "post",
    "receive",
    "receive_new_lot",
    "record_administration",
    "record_return",
    "retire_product",
    "reverse",
    "sign_as_witness",
    "transfer",
    "waste",
]
