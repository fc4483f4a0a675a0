"""Issue 12, point 8: audited requests of different clinics append in parallel, and each chain
stays gap-free and ordered under concurrent writers, on both databases.

On PostgreSQL an append locks only its chain's head row: a transaction holding clinic A's head
does not block an append for clinic B, and a second append for clinic A waits for it. On
SQLite every write transaction is IMMEDIATE (one writer at a time, config/settings.py), which
gives each chain the same guarantee; the test database there is an in-memory shared cache,
whose table locks fail at once instead of waiting, so the SQLite writers use a database file
configured like production's (WAL, IMMEDIATE, a busy timeout).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from kapclinic.audit import services as audit
from kapclinic.audit.chain import GLOBAL_CHAIN
from kapclinic.audit.models import AuditChainHead, AuditEvent, Operation
from kapclinic.audit.tests.helpers import CHAIN_A, CHAIN_B, CLINIC_A, CLINIC_B, SampleAuditAction
from kapclinic.audit.verification import VerificationResult, verify_chain

pytestmark = pytest.mark.django_db(transaction=True)

# Two writers each for clinics A and B, one without a clinic, started together.
WRITERS: list[UUID | None] = [CLINIC_A, CLINIC_B, None, CLINIC_A, CLINIC_B]
APPENDS_PER_WRITER = 12
WAIT = 10.0  # seconds: far longer than any append takes, so a timeout means "blocked"


def _append(clinic: UUID | None, number: int = 0) -> AuditEvent:
    with transaction.atomic():
        return audit.record(
            actor=None,
            operation=Operation.READ,
            action=SampleAuditAction.CONCURRENCY_PROBE,
            clinic_id=clinic,
            detail={"n": number},
        )


class _Thread(threading.Thread):
    """Runs `work` on a connection of its own (`use_database` installs it), keeps the error."""

    def __init__(self, work: Callable[[], object], use_database: Callable[[], None]) -> None:
        super().__init__(daemon=True)
        self.work, self.use_database = work, use_database
        self.error: BaseException | None = None
        self.value: object = None

    def run(self) -> None:
        try:
            self.use_database()
            self.value = self.work()
        except BaseException as error:  # reported by the test thread
            self.error = error
        finally:
            connections[DEFAULT_DB_ALIAS].close()


def _test_database() -> None:
    """A thread's own connection to the test database (Django opens one per thread)."""


def _sqlite_file(path: Path) -> Callable[[], None]:
    """A SQLite database file with the audit tables, set up like production's; returns what a
    thread calls to make it its default database."""
    default = connections[DEFAULT_DB_ALIAS]
    settings_dict = {**default.settings_dict, "NAME": str(path)}

    def wrapper() -> BaseDatabaseWrapper:
        return type(default)(settings_dict, DEFAULT_DB_ALIAS)

    setup = wrapper()
    with setup.schema_editor() as editor:
        for model in (get_user_model(), AuditChainHead, AuditEvent):
            editor.create_model(model)
    setup.close()

    def use() -> None:
        connections[DEFAULT_DB_ALIAS] = wrapper()

    return use


def _run(threads: list[_Thread]) -> None:
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    errors = [thread.error for thread in threads if thread.error is not None]
    assert not errors, errors


def _writers(use_database: Callable[[], None]) -> list[_Thread]:
    start = threading.Barrier(len(WRITERS))

    def writer(clinic: UUID | None) -> Callable[[], object]:
        def work() -> None:
            start.wait(timeout=WAIT)
            for number in range(APPENDS_PER_WRITER):
                _append(clinic, number)

        return work

    return [_Thread(writer(clinic), use_database) for clinic in WRITERS]


def _chains_and_verdict() -> tuple[dict[str, list[int]], VerificationResult]:
    positions: dict[str, list[int]] = {}
    for chain, position in AuditEvent.objects.order_by("id").values_list("chain", "position"):
        positions.setdefault(chain, []).append(position)
    return positions, verify_chain()


def test_concurrent_writers_keep_every_chain_gap_free_and_ordered(tmp_path: Path) -> None:
    if connection.vendor == "sqlite":
        use_database = _sqlite_file(tmp_path / "audit.sqlite3")
    else:
        use_database = _test_database
    _run(_writers(use_database))
    reader = _Thread(_chains_and_verdict, use_database)
    _run([reader])
    assert isinstance(reader.value, tuple)
    positions: dict[str, list[int]] = reader.value[0]
    result: VerificationResult = reader.value[1]
    expected = {
        CHAIN_A: 2 * APPENDS_PER_WRITER,
        CHAIN_B: 2 * APPENDS_PER_WRITER,
        GLOBAL_CHAIN: APPENDS_PER_WRITER,
    }
    # Gap-free, and in each chain the order of insertion is the order of positions.
    assert {chain: len(found) for chain, found in positions.items()} == expected
    for chain, found in positions.items():
        assert found == list(range(1, expected[chain] + 1)), chain
    assert result.ok, result.problems
    assert result.checked == sum(expected.values())


def _waiting_for_a_lock() -> int:
    """Backends of this database waiting for a lock another transaction holds (PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        row: Any = cursor.fetchone()
    return int(row[0])


def test_an_append_waits_for_its_own_clinics_head_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one write transaction at a time: nothing runs in parallel")
    _append(CLINIC_A)
    _append(CLINIC_B)  # both heads exist: what follows only locks rows
    holding, release = threading.Event(), threading.Event()

    def hold_clinic_a() -> AuditEvent:
        with transaction.atomic():
            event = audit.record(
                actor=None,
                operation=Operation.READ,
                action=SampleAuditAction.HOLD,
                clinic_id=CLINIC_A,
            )
            holding.set()  # clinic A's head stays locked until this transaction ends
            assert release.wait(timeout=WAIT)
        return event

    holder = _Thread(hold_clinic_a, _test_database)
    holder.start()
    assert holding.wait(timeout=WAIT)

    other_clinic = _Thread(lambda: _append(CLINIC_B), _test_database)
    other_clinic.start()
    other_clinic.join(timeout=WAIT)
    assert not other_clinic.is_alive(), "an append for clinic B waited for clinic A's head"
    assert other_clinic.error is None, other_clinic.error
    assert AuditEvent.objects.filter(chain=CHAIN_B).count() == 2  # committed meanwhile

    same_clinic = _Thread(lambda: _append(CLINIC_A), _test_database)
    same_clinic.start()
    same_clinic.join(timeout=1.0)
    assert same_clinic.is_alive(), "a second append for clinic A did not wait for its head"
    assert _waiting_for_a_lock() == 1
    assert AuditEvent.objects.filter(chain=CHAIN_A).count() == 1  # the holder's is uncommitted

    release.set()
    holder.join(timeout=WAIT)
    same_clinic.join(timeout=WAIT)
    assert not holder.is_alive()
    assert not same_clinic.is_alive()
    assert holder.error is None, holder.error
    assert same_clinic.error is None, same_clinic.error
    held = holder.value
    waited = same_clinic.value
    assert isinstance(held, AuditEvent)
    assert isinstance(waited, AuditEvent)
    assert (held.position, waited.position) == (2, 3)
    assert waited.prev_hash == held.entry_hash
    assert verify_chain().ok


def test_two_first_appends_to_a_new_chain_both_land_in_order() -> None:
    # No head row yet: both create it; the second waits on the unique chain key, takes the
    # IntegrityError for the other writer's head, locks that row and follows its entry.
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one write transaction at a time: nothing runs in parallel")
    holding, release = threading.Event(), threading.Event()

    def first() -> AuditEvent:
        with transaction.atomic():
            event = audit.record(
                actor=None,
                operation=Operation.READ,
                action=SampleAuditAction.FIRST,
                clinic_id=CLINIC_B,
            )
            holding.set()  # the new head row exists, uncommitted
            assert release.wait(timeout=WAIT)
        return event

    creator = _Thread(first, _test_database)
    creator.start()
    assert holding.wait(timeout=WAIT)
    follower = _Thread(lambda: _append(CLINIC_B), _test_database)
    follower.start()
    follower.join(timeout=1.0)
    assert follower.is_alive(), "the second creator of the head did not wait for the first"
    release.set()
    creator.join(timeout=WAIT)
    follower.join(timeout=WAIT)
    assert creator.error is None, creator.error
    assert follower.error is None, follower.error
    assert isinstance(creator.value, AuditEvent)
    assert isinstance(follower.value, AuditEvent)
    assert (creator.value.position, follower.value.position) == (1, 2)
    assert AuditChainHead.objects.filter(chain=CHAIN_B).count() == 1
    assert verify_chain().ok
