"""Issue 14.3: an entry changed, removed, inserted or reordered, a cut at the tail and a
re-sealed chain, and a running balance changed, each caught by ``verify_ledger``, which names
the first bad entry (position and public id). Every test tampers in raw SQL with the triggers
switched off, as someone with the database owner's rights (but not the audit key, and not the
checkpoint store) could; the ones only checkpoints catch are shown passing without one.

The history (``histories.safe_history``): six entries in the safe, over vials and lozenges.
"""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from kapclinic.accounts.actor import SYSTEM
from kapclinic.audit.checkpoints import FileSink, write_checkpoint
from kapclinic.audit.keys import current_key
from kapclinic.audit.verification import verify_chain
from kapclinic.ledger import services
from kapclinic.ledger.integrity.services import LedgerVerification, verify_ledger
from kapclinic.ledger.models import ChainCheck, Entry, Holding
from kapclinic.ledger.tests.conftest import Stock
from kapclinic.ledger.tests.histories import patients, safe_history
from kapclinic.ledger.tests.tampering import (
    Sealer,
    entry_at,
    execute,
    forge_copy,
    guessed_key,
    holder_of,
    move,
    plain_sha256,
    reseal_from,
    set_head,
    set_holding,
    without_append_only_triggers,
)
from kapclinic.ledger.trail import LEDGER_TRAIL


@pytest.fixture
def history(stock: Stock, demo_password: str) -> list[Entry]:
    return safe_history(stock, demo_password)


@pytest.fixture
def sink(tmp_path: Path) -> FileSink:
    return FileSink(tmp_path / "checkpoints.jsonl")


def _verify(stock: Stock, sink: FileSink | None = None) -> LedgerVerification:
    return verify_ledger(actor=SYSTEM, now=stock.now, checkpoints=sink)


def _caught(stock: Stock, position: int, *words: str, sink: FileSink | None = None) -> None:
    """verify_ledger fails the safe at `position`, names it, and the cart still verifies; the
    command exits 1 naming it; the safe's badge shows it."""
    entry = Entry.objects.filter(chain=stock.safe.chain_key, position=position).first()
    result = _verify(stock, sink)
    verdicts = {verdict.account.pk: verdict for verdict in result.accounts}
    bad = verdicts[stock.safe.pk].first_bad
    assert not result.ok
    assert bad is not None
    assert bad.position == position, bad
    if entry is not None:
        assert bad.public_id == entry.public_id
    for word in words:
        assert word in bad.problem, bad.problem
    assert verdicts[stock.cart.pk].ok
    check = ChainCheck.objects.filter(account=stock.safe).order_by("-pk").first()
    assert check is not None
    assert (check.ok, check.first_bad_position) == (False, position)
    args = ["--checkpoints", str(sink.path)] if sink is not None else []
    with pytest.raises(CommandError, match=f"first bad entry #{position}"):
        call_command("verify_ledger", *args, stdout=StringIO())


def test_an_intact_ledger_verifies_and_records_a_check_per_account(
    stock: Stock, history: list[Entry], sink: FileSink
) -> None:
    write_checkpoint(sink=sink, now=stock.now, trail=LEDGER_TRAIL)
    demo = Entry.objects.exclude(account__in=[stock.safe, stock.cart]).count()  # the demo's stock
    result = _verify(stock, sink)
    assert result.ok, [verdict.line() for verdict in result.accounts]
    assert result.chains.checked == 6 + demo
    checks = {check.account_id: check for check in ChainCheck.objects.all()}
    assert checks[stock.safe.pk].ok
    assert checks[stock.safe.pk].entries_checked == 6
    assert checks[stock.safe.pk].used_checkpoints
    assert checks[stock.cart.pk].ok
    assert checks[stock.cart.pk].entries_checked == 0
    out = StringIO()
    call_command("verify_ledger", "--checkpoints", str(sink.path), stdout=out)
    assert "Test safe" in out.getvalue()
    assert "6 entries, verified" in out.getvalue()
    assert f"Ledger verified: {6 + demo} entries in" in out.getvalue()


def test_verification_reads_entries_in_chunks_with_a_constant_number_of_queries(
    stock: Stock, history: list[Entry], django_assert_max_num_queries: object
) -> None:
    from kapclinic.ledger.integrity.services import check_ledger

    with django_assert_max_num_queries(12):  # type: ignore[operator]
        assert check_ledger(checkpoints=None, chunk_size=2).ok


# A changed entry -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("column", "value", "position"),
    [
        ("quantity_mg", "-90.000", 2),  # the administration says 90 mg, not 100
        ("balance_mg", "1900.000", 4),  # the balance after #4 hides 50 mg
        ("units", "-1", 6),
    ],
)
def test_a_changed_quantity_or_balance_is_caught(
    stock: Stock, history: list[Entry], column: str, value: str, position: int
) -> None:
    with without_append_only_triggers():
        execute(
            f"UPDATE ledger_entry SET {column} = %s WHERE id = %s",  # noqa: S608 - test's own
            [value, entry_at(stock.safe, position).pk],
        )
    _caught(stock, position, "does not match its seal")


def test_a_changed_patient_is_caught(stock: Stock, history: list[Entry]) -> None:
    other = patients(stock)[2]
    with without_append_only_triggers():
        execute(
            "UPDATE ledger_entry SET patient_id = %s WHERE id = %s",
            [other.pk, history[1].pk],
        )
    _caught(stock, 2, "does not match its seal")


@pytest.mark.parametrize("sealer", [plain_sha256, guessed_key], ids=["sha256", "guessed-key"])
def test_a_changed_entry_re_sealed_through_to_the_head_without_the_key_is_caught(
    stock: Stock, history: list[Entry], sealer: Sealer
) -> None:
    with without_append_only_triggers():
        execute("UPDATE ledger_entry SET quantity_mg = -10 WHERE id = %s", [history[3].pk])
        execute("UPDATE ledger_entry SET balance_mg = 1890 WHERE id = %s", [history[3].pk])
        reseal_from(stock.safe, 4, sealer)
    _caught(stock, 4)


def test_a_wrong_balance_sealed_with_the_key_is_caught_by_the_arithmetic(
    stock: Stock, history: list[Entry]
) -> None:
    # Someone holding the audit key (or a bug in posting) writes a balance that does not add
    # up, and seals it: the chain verifies, the arithmetic does not.
    with without_append_only_triggers():
        execute("UPDATE ledger_entry SET balance_mg = 1880 WHERE id = %s", [history[4].pk])
        reseal_from(stock.safe, 5, holder_of(current_key()))
        set_holding(stock.safe, Entry.objects.get(pk=history[4].pk))
    assert verify_chain().ok
    _caught(stock, 5, "balance of 1880.000 mg", "1830.000 mg")


# A removed, inserted or reordered entry ---------------------------------------------------
def test_a_deleted_row_is_caught(stock: Stock, history: list[Entry]) -> None:
    with without_append_only_triggers():
        execute("DELETE FROM ledger_entry WHERE id = %s", [history[2].pk])
    _caught(stock, 3, "missing")


def test_the_newest_row_deleted_without_touching_the_head_is_caught(
    stock: Stock, history: list[Entry]
) -> None:
    with without_append_only_triggers():
        execute("DELETE FROM ledger_entry WHERE id = %s", [history[5].pk])
    _caught(stock, 6, "chain head records entry #6")


@pytest.mark.parametrize("sealer", [plain_sha256, guessed_key], ids=["sha256", "guessed-key"])
def test_an_inserted_row_is_caught(stock: Stock, history: list[Entry], sealer: Sealer) -> None:
    with without_append_only_triggers():
        # Make room at #4 (through a free range: positions are unique), forge a debit there,
        # re-link everything after it.
        for entry in reversed(history[3:]):
            move(entry.pk, entry.position + 1000)
            move(entry.pk, entry.position + 1)
        forge_copy(history[1], position=4, sealer=sealer, mg=history[1].balance_mg / 2)
        reseal_from(stock.safe, 5, sealer)
    _caught(stock, 4)


def test_a_forged_newest_row_with_the_head_advanced_is_caught(
    stock: Stock, history: list[Entry]
) -> None:
    with without_append_only_triggers():
        forge = forge_copy(history[4], position=7, sealer=guessed_key, mg=history[4].balance_mg)
        set_head(stock.safe, 7)
        set_holding(stock.safe, forge)
    _caught(stock, 7, "unknown key id")


def test_two_swapped_rows_are_caught(stock: Stock, history: list[Entry]) -> None:
    with without_append_only_triggers():
        move(history[1].pk, 1000)
        move(history[2].pk, 2)
        move(history[1].pk, 3)
    _caught(stock, 2, "does not link")


def test_a_row_moved_to_another_account_is_caught(stock: Stock, history: list[Entry]) -> None:
    with without_append_only_triggers():
        execute(
            "UPDATE ledger_entry SET account_id = %s WHERE id = %s", [stock.cart.pk, history[2].pk]
        )
    _caught(stock, 3, "does not match its seal")


# A cut at the tail, and a re-sealed chain: checkpoints -----------------------------------
@pytest.mark.parametrize("kept", [4, 0], ids=["cut-at-the-tail", "wiped"])
def test_a_tail_cut_with_the_head_and_balances_rolled_back_needs_a_checkpoint(
    stock: Stock, history: list[Entry], sink: FileSink, kept: int
) -> None:
    write_checkpoint(sink=sink, now=stock.now, trail=LEDGER_TRAIL)
    with without_append_only_triggers():
        execute(
            "DELETE FROM ledger_entry WHERE chain = %s AND position > %s",
            [stock.safe.chain_key, kept],
        )
        set_head(stock.safe, kept)
        if kept:
            set_holding(stock.safe, Entry.objects.get(pk=history[2].pk))  # lozenges after #3
            set_holding(stock.safe, Entry.objects.get(pk=history[3].pk))  # vials after #4
        else:
            execute("DELETE FROM ledger_holding WHERE account_id = %s", [stock.safe.pk])
    # Consistent with itself: without a checkpoint not detectable (docs/ledger.md).
    assert _verify(stock).ok
    _caught(stock, kept + 1, "recorded #6", sink=sink)


def test_a_chain_re_sealed_by_the_application_after_a_cut_needs_a_checkpoint(
    stock: Stock, history: list[Entry], sink: FileSink
) -> None:
    # The attacker cuts the tail and lets the application write new, properly sealed entries
    # (a wholesale re-write): the key cannot tell, the checkpoint can.
    write_checkpoint(sink=sink, now=stock.now, trail=LEDGER_TRAIL)
    with without_append_only_triggers():
        execute(
            "DELETE FROM ledger_entry WHERE chain = %s AND position > 3", [stock.safe.chain_key]
        )
        set_head(stock.safe, 3)
        set_holding(stock.safe, Entry.objects.get(pk=history[1].pk))  # vials after #2
        set_holding(stock.safe, Entry.objects.get(pk=history[2].pk))  # lozenges after #3
    for _ in range(3):
        services.adjust(
            actor=stock.prescriber,
            account=stock.safe,
            lot=stock.vials,
            mg="-1",
            units=0,
            reason="Spilled while drawing up",
            occurred_at=stock.now,
            now=stock.now,
        )
    assert _verify(stock).ok
    _caught(stock, 6, "differs from the checkpoint", "re-sealed", sink=sink)


def test_a_checkpoint_refuses_to_bless_a_cut_chain(
    stock: Stock, history: list[Entry], sink: FileSink
) -> None:
    write_checkpoint(sink=sink, now=stock.now, trail=LEDGER_TRAIL)
    with without_append_only_triggers():
        execute(
            "DELETE FROM ledger_entry WHERE chain = %s AND position > 4", [stock.safe.chain_key]
        )
        set_head(stock.safe, 4)
    with (
        override_settings(AUDIT_CHECKPOINT_FILE=str(sink.path)),
        pytest.raises(CommandError, match=f"REFUSED: chain {stock.safe.chain_key}"),
    ):
        call_command("audit_checkpoint", stdout=StringIO())


# A running balance changed -----------------------------------------------------------------
def test_a_changed_holding_is_caught_and_names_its_lots_newest_entry(
    stock: Stock, history: list[Entry]
) -> None:
    with without_append_only_triggers():
        execute(
            "UPDATE ledger_holding SET balance_mg = balance_mg + 500, balance_units = "
            "balance_units + 1 WHERE account_id = %s AND lot_id = %s",
            [stock.safe.pk, stock.vials.pk],
        )
    _caught(stock, 5, "running balance", "2330.000 mg", "1830.000 mg")
    assert Holding.objects.get(account=stock.safe, lot=stock.vials).balance_units == 5
