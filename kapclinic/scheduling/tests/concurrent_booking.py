"""The contenders of the double-booking test (test_booking_concurrency): one booking attempt,
and a process that sets Django up against the test's database and runs a few attempts in
threads. Nothing here imports Django at module level: a spawned process imports this module
before Django is set up."""

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
class Job:
    """One booking attempt, by primary keys (it crosses into other processes)."""

    user: int
    clinic: int
    course: int
    room: int
    therapist: int
    nurse: int
    starts_at: datetime
    now: datetime


def attempt(job: Job) -> str:
    """Book ``job``'s session: "won", "taken:<field>" when the database refused it,
    "refused" when the booking checks did (the course's rules), or "error:<what>" for anything
    else (the tests fail on those)."""
    from kapclinic.accounts.actor import Actor
    from kapclinic.accounts.models import Clinic, Room, User
    from kapclinic.scheduling.exceptions import BookingError, ResourceTakenError
    from kapclinic.scheduling.models import Course
    from kapclinic.scheduling.services import book_appointment

    try:
        actor = Actor.for_user(User.objects.get(pk=job.user), Clinic.objects.get(pk=job.clinic))
        book_appointment(
            actor=actor,
            course=Course.objects.get(pk=job.course),
            session_type="kap-dose",
            starts_at=job.starts_at,
            room=Room.objects.get(pk=job.room),
            therapist=User.objects.get(pk=job.therapist),
            nurse=User.objects.get(pk=job.nurse),
            now=job.now,
        )
    except ResourceTakenError as error:
        return f"taken:{error.field}"
    except BookingError:
        return "refused"
    except Exception as error:
        return f"error:{error!r}"
    return "won"


def in_threads(jobs: list[Job], barrier: Barrier, use_database: Any = None) -> list[str]:
    """Run each job in its own thread, all released together by ``barrier``; their outcomes.
    ``use_database`` (optional) installs the thread's connection first."""
    from django.db import connections

    outcomes: list[str] = []
    lock = threading.Lock()

    def run(job: Job) -> None:
        try:
            if use_database is not None:
                use_database()
            barrier.wait(timeout=WAIT)
            outcome = attempt(job)
        except Exception as error:
            outcome = f"error:{error!r}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(job,), daemon=True) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=2 * WAIT)
    return outcomes + ["error:thread did not finish"] * (len(jobs) - len(outcomes))


def process_main(database: str, jobs: list[Job], barrier: Barrier, results: Queue[Any]) -> None:
    """A spawned process: Django against the test database ``database`` (its NAME), then the
    jobs in threads; puts its outcomes on ``results``."""
    try:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")
        import django
        from django.conf import settings

        settings.DATABASES["default"]["NAME"] = database
        django.setup()
        outcomes = in_threads(jobs, barrier)
    except Exception as error:
        barrier.abort()
        outcomes = [f"error:{error!r}"] * len(jobs)
    results.put(outcomes)
