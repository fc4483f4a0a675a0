"""No double booking, ever (issue 13.4): many bookings of one slot fired at once, from threads
of this process and threads of several other processes, and exactly one wins, on each database.

Every contender is another patient's course booking a dose in the same one-chair room with the
same therapist and nurse at the same time; the booking checks pass for each (nothing is booked
yet when they read), so only the database decides: on PostgreSQL the exclusion constraint over
the holds' time ranges, on SQLite the overlap trigger inside write transactions that run one at
a time (BEGIN IMMEDIATE). The losers are refused as taken (the chair, or the therapist's or
nurse's time, whichever their retry meets first) and leave nothing behind.

The test database must be shared by processes: on PostgreSQL it is; on SQLite the in-memory
test database is copied to a file configured like production's (WAL, IMMEDIATE, a busy
timeout), which every contender opens.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections

from kapclinic.accounts.models import Clinic
from kapclinic.patients.models import Patient
from kapclinic.scheduling.models import Appointment, ResourceHold
from kapclinic.scheduling.services import plan_course
from kapclinic.scheduling.tests.booking_setup import Scene, make_scene, room
from kapclinic.scheduling.tests.concurrent_booking import (
    WAIT,
    Job,
    in_threads,
    process_main,
)

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 6  # in this process
PROCESSES = 3
THREADS_PER_PROCESS = 3


def _jobs(scene: Scene, new_patient: Callable[..., Patient], count: int) -> list[Job]:
    jobs = []
    for _ in range(count):
        course = plan_course(
            actor=scene.actor, patient=new_patient(scene.clinic), protocol=scene.protocol
        )
        jobs.append(
            Job(
                user=scene.actor.user.pk,
                clinic=scene.clinic.pk,
                course=course.pk,
                room=scene.treatment.pk,
                therapist=scene.therapist.pk,
                nurse=scene.nurse.pk,
                starts_at=scene.at(1, 9),
                now=scene.now,
            )
        )
    return jobs


def _shared_database(tmp_path: Path) -> tuple[str, Callable[[], None] | None]:
    """The NAME of a database every process can open, and what a thread of this process calls
    to use it (None: Django's own per-thread connection reaches it already)."""
    if connection.vendor != "sqlite":
        return str(connection.settings_dict["NAME"]), None
    path = tmp_path / "booking.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(path)
    connection.connection.backup(target)
    # WAL before any contender opens it: switching the journal mode needs the file to itself,
    # and contenders switching it at once would find it locked.
    target.execute("PRAGMA journal_mode=WAL")
    target.close()
    default = connections[DEFAULT_DB_ALIAS]
    settings_dict = {**default.settings_dict, "NAME": str(path)}

    def use() -> None:
        connections[DEFAULT_DB_ALIAS] = type(default)(settings_dict, DEFAULT_DB_ALIAS)

    return str(path), use


def _count_in(use_database: Callable[[], None] | None, scene: Scene) -> tuple[int, int]:
    """Live appointments of the contested slot and holds of its chair, read in the shared
    database."""
    found: list[tuple[int, int]] = []

    def read() -> None:
        if use_database is not None:
            use_database()
        try:
            slot = Appointment.objects.filter(room=scene.treatment, starts_at=scene.at(1, 9))
            holds = ResourceHold.objects.filter(resource=f"room:{scene.treatment.pk}:1")
            found.append((slot.count(), holds.count()))
        finally:
            connections.close_all()

    import threading

    reader = threading.Thread(target=read)
    reader.start()
    reader.join(timeout=WAIT)
    return found[0]


def test_exactly_one_of_many_concurrent_bookings_of_a_slot_wins(
    clinics: list[Clinic], new_patient: Callable[..., Patient], tmp_path: Path
) -> None:
    scene = make_scene(clinics[0], new_patient)
    jobs = _jobs(scene, new_patient, THREADS + PROCESSES * THREADS_PER_PROCESS)
    name, use_database = _shared_database(tmp_path)
    spawn = multiprocessing.get_context("spawn")
    barrier = spawn.Barrier(len(jobs))
    results: Any = spawn.Queue()
    processes = [
        spawn.Process(
            target=process_main,
            args=(
                name,
                jobs[THREADS + n * THREADS_PER_PROCESS : THREADS + (n + 1) * THREADS_PER_PROCESS],
                barrier,
                results,
            ),
            daemon=True,
        )
        for n in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    outcomes = in_threads(jobs[:THREADS], barrier, use_database)
    for _ in processes:
        outcomes += results.get(timeout=2 * WAIT)
    for process in processes:
        process.join(timeout=WAIT)
    # Each loser is refused as taken: mostly the room's one chair; on PostgreSQL a loser that
    # retries while the winner commits may first meet the therapist's or nurse's time.
    assert Counter(o if o == "won" else o.split(":")[0] for o in outcomes) == {
        "won": 1,
        "taken": len(jobs) - 1,
    }, outcomes
    assert _count_in(use_database, scene) == (1, 1)


def test_two_bookings_of_one_course_at_once_are_checked_one_after_the_other(
    clinics: list[Clinic], new_patient: Callable[..., Patient], tmp_path: Path
) -> None:
    """Two doses of one course a day apart, in different rooms, booked at the same moment: no
    resource is shared, but together they break the course's spacing (R-SL-1). The course row
    is locked for each booking (PostgreSQL; SQLite writes one at a time), so the second is
    checked against the first and refused."""
    scene = make_scene(clinics[0], new_patient)
    other_room = room(scene.clinic, "Second treatment", "treatment")
    base = Job(
        user=scene.actor.user.pk,
        clinic=scene.clinic.pk,
        course=scene.course.pk,
        room=scene.treatment.pk,
        therapist=scene.therapist.pk,
        nurse=scene.nurse.pk,
        starts_at=scene.at(1, 9),
        now=scene.now,
    )
    jobs = [base, dataclasses.replace(base, room=other_room.pk, starts_at=scene.at(2, 9))]
    _name, use_database = _shared_database(tmp_path)
    barrier = threading.Barrier(len(jobs))
    outcomes = in_threads(jobs, barrier, use_database)  # type: ignore[arg-type]
    assert sorted(outcomes) == ["refused", "won"], outcomes
