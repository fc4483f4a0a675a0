"""Two concurrent debits never spend the same milligrams (issue 14.2, R-CS-7), on each database.

Fifteen administrations of one esketamine device each are fired at once at a safe holding
five, from threads of this process and threads of three other processes. Exactly five are
posted and ten refused ("below zero"); the balance ends at zero, never below; the five posted
entries are five distinct devices (positions 2-6 after the receipt, each balance one device
less than the one before: no milligram spent twice); and the account's chain is gap-free and
verifies, as does the whole ledger (chains and arithmetic).

Posting locks the account's chain head row (PostgreSQL) or runs in an IMMEDIATE write
transaction (SQLite, one writer at a time): the second debit reads the balance the first left.
The test database must be shared by processes: on PostgreSQL it is; on SQLite the in-memory
test database is copied to a file configured like production's (WAL, IMMEDIATE, a busy
timeout), which every contender opens (as the booking concurrency test does).
"""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections

from kapclinic.ledger.integrity.services import check_ledger
from kapclinic.ledger.models import Entry, Holding
from kapclinic.ledger.tests.concurrent_debits import WAIT, Debit, in_threads, process_main
from kapclinic.ledger.tests.conftest import Stock
from kapclinic.ledger.tests.histories import patients

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 6  # in this process
PROCESSES = 3
THREADS_PER_PROCESS = 3
DEVICES = 5  # in the safe: five of the fifteen debits can be covered


def _shared_database(tmp_path: Path) -> tuple[str, Callable[[], None] | None]:
    """The NAME of a database every process can open, and what a thread of this process calls
    to use it (None: Django's own per-thread connection reaches it already)."""
    if connection.vendor != "sqlite":
        return str(connection.settings_dict["NAME"]), None
    path = tmp_path / "ledger.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(path)
    connection.connection.backup(target)
    target.execute("PRAGMA journal_mode=WAL")  # before any contender opens it
    target.close()
    default = connections[DEFAULT_DB_ALIAS]
    settings_dict = {**default.settings_dict, "NAME": str(path)}

    def use() -> None:
        connections[DEFAULT_DB_ALIAS] = type(default)(settings_dict, DEFAULT_DB_ALIAS)

    return str(path), use


def _read(use_database: Callable[[], None] | None, read: Callable[[], Any]) -> Any:
    """`read()` in a thread of its own, against the shared database."""
    found: list[Any] = []

    def run() -> None:
        if use_database is not None:
            use_database()
        try:
            found.append(read())
        finally:
            connections.close_all()

    reader = threading.Thread(target=run)
    reader.start()
    reader.join(timeout=WAIT)
    return found[0]


def test_concurrent_debits_spend_each_milligram_once(
    stock: Stock, receive: Callable[..., Entry], tmp_path: Path
) -> None:
    receive(stock, stock.devices, DEVICES)
    patient = patients(stock)[0]
    debits = [
        Debit(
            user=stock.nurse.user.pk,
            clinic=stock.clinic.pk,
            account=stock.safe.pk,
            lot=stock.devices.pk,
            patient=patient.pk,
            mg="28",
            source_key=f"dosing-session:concurrent-{n}",
            now=stock.now,
        )
        for n in range(THREADS + PROCESSES * THREADS_PER_PROCESS)
    ]
    name, use_database = _shared_database(tmp_path)
    spawn = multiprocessing.get_context("spawn")
    barrier = spawn.Barrier(len(debits))
    results: Any = spawn.Queue()
    processes = [
        spawn.Process(
            target=process_main,
            args=(
                name,
                debits[THREADS + n * THREADS_PER_PROCESS : THREADS + (n + 1) * THREADS_PER_PROCESS],
                barrier,
                results,
            ),
            daemon=True,
        )
        for n in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    outcomes = in_threads(debits[:THREADS], barrier, use_database)
    for _ in processes:
        outcomes += results.get(timeout=2 * WAIT)
    for process in processes:
        process.join(timeout=WAIT)

    assert Counter(outcome.split(":")[0] for outcome in outcomes) == {
        "posted": DEVICES,
        "refused": len(debits) - DEVICES,
    }, outcomes
    posted = {outcome.split(":", 1)[1] for outcome in outcomes if outcome.startswith("posted")}

    def state() -> tuple[list[tuple[Any, ...]], tuple[Decimal, int], bool, list[str]]:
        entries = list(
            Entry.objects.filter(chain=stock.safe.chain_key)
            .order_by("position")
            .values_list("position", "public_id", "quantity_mg", "balance_mg", "balance_units")
        )
        holding = Holding.objects.get(account=stock.safe, lot=stock.devices)
        ledger = check_ledger(checkpoints=None)
        lines = [verdict.line() for verdict in ledger.accounts] + ledger.general
        return entries, (holding.balance_mg, holding.balance_units), ledger.ok, lines

    entries, balance, verified, lines = _read(use_database, state)
    # Gap-free: the receipt, then exactly the five posted debits, each one device less.
    assert [row[0] for row in entries] == list(range(1, DEVICES + 2))
    assert {str(row[1]) for row in entries[1:]} == posted
    assert [(row[2], row[3], row[4]) for row in entries[1:]] == [
        (Decimal(-28), Decimal(28 * left), left) for left in range(DEVICES - 1, -1, -1)
    ]
    assert balance == (Decimal(0), 0)
    assert verified, lines
