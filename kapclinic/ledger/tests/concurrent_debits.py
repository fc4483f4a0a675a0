"""The contenders of the ledger's concurrency test (test_concurrency): one administration
debiting a lot, and a process that sets Django up against the test's database and runs a few
in threads. Nothing here imports Django at module level: a spawned process imports this module
before Django is set up (kapclinic/scheduling/tests/concurrent_booking.py does the same)."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from typing import Any

WAIT = 60.0  # seconds for every contender to be ready: spawned processes import Django first


@dataclass(frozen=True)
class Debit:
    """One administration, by primary keys (it crosses into other processes)."""

    user: int
    clinic: int
    account: int
    lot: int
    patient: int
    mg: str
    source_key: str
    now: datetime


def attempt(debit: Debit) -> str:
    """Post ``debit``: "posted:<entry public id>", "refused" when the ledger refused it (the
    balance cannot cover it), or "error:<what>" for anything else (the test fails on those)."""
    from kapclinic.accounts.actor import Actor
    from kapclinic.accounts.models import Clinic, User
    from kapclinic.ledger import services
    from kapclinic.ledger.exceptions import LedgerError
    from kapclinic.ledger.models import Lot, StockAccount
    from kapclinic.patients.models import Patient

    try:
        user = User.objects.get(pk=debit.user)
        entry = services.record_administration(
            actor=Actor.for_user(user, Clinic.objects.get(pk=debit.clinic)),
            account=StockAccount.objects.get(pk=debit.account),
            lot=Lot.objects.select_related("product").get(pk=debit.lot),
            patient=Patient.objects.get(pk=debit.patient),
            mg=debit.mg,
            administered_by=user,
            occurred_at=debit.now,
            source_key=debit.source_key,
            now=debit.now,
        )
    except LedgerError as error:
        return "refused" if "below zero" in " ".join(error.problems) else f"error:{error!r}"
    except Exception as error:
        return f"error:{error!r}"
    return f"posted:{entry.public_id}"


def in_threads(debits: list[Debit], barrier: Barrier, use_database: Any = None) -> list[str]:
    """Run each debit in its own thread, all released together by ``barrier``; their outcomes.
    ``use_database`` (optional) installs the thread's connection first."""
    from django.db import connections

    outcomes: list[str] = []
    lock = threading.Lock()

    def run(debit: Debit) -> None:
        try:
            if use_database is not None:
                use_database()
            barrier.wait(timeout=WAIT)
            outcome = attempt(debit)
        except Exception as error:
            outcome = f"error:{error!r}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(debit,), daemon=True) for debit in debits]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=2 * WAIT)
    return outcomes + ["error:thread did not finish"] * (len(debits) - len(outcomes))


def process_main(database: str, debits: list[Debit], barrier: Barrier, results: Queue[Any]) -> None:
    """A spawned process: Django against the test database ``database`` (its NAME), then the
    debits in threads; puts its outcomes on ``results``."""
    try:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")
        import django
        from django.conf import settings

        settings.DATABASES["default"]["NAME"] = database
        django.setup()
        outcomes = in_threads(debits, barrier)
    except Exception as error:
        barrier.abort()
        outcomes = [f"error:{error!r}"] * len(debits)
    results.put(outcomes)
