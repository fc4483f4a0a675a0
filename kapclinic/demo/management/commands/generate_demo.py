from __future__ import annotations

import time
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from tqdm import tqdm

from kapclinic.accounts.models import Organization
from kapclinic.demo.generator import (
    DEMO_LOGINS,
    DEMO_PASSWORD,
    DEMO_PATIENT_LOGIN,
    generate_clinic,
)
from kapclinic.demo.plans import enrol_portal_patient
from kapclinic.demo.workweek import working_days


def _iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        msg = f"--today must be a date like 2026-11-25, got {value!r}"
        raise CommandError(msg) from None


class Command(BaseCommand):
    help = (
        "Build the synthetic clinic: an organisation with clinics, rooms, staff of every role and "
        "patients, deterministic for --seed and --today. Refuses to run on a database that "
        "already has an organisation (use --if-empty to make that a no-op)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--patients", type=int, default=500, help="number of patients (default 500)"
        )
        parser.add_argument("--seed", type=int, default=2026, help="PRNG seed (default 2026)")
        parser.add_argument(
            "--today",
            type=_iso_date,
            default=None,
            help=(
                "the date the data is built around, its history ending at the start of it "
                "(default: the real date, history up to the real time)"
            ),
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing (but print the demo logins) if data exists",
        )
        parser.add_argument("--batch-size", type=int, default=5000)

    def handle(self, *args: Any, **options: Any) -> None:
        patients: int = options["patients"]
        if patients < 0 or patients > 2_000_000:
            msg = f"--patients must be between 0 and 2,000,000, got {patients}"
            raise CommandError(msg)
        if options["batch_size"] < 1:
            msg = "--batch-size must be at least 1"
            raise CommandError(msg)
        if Organization.objects.exists():
            if options["if_empty"]:
                self.stdout.write("The database already holds data; the demo was not loaded again.")
                self._print_logins()
                return
            msg = "The database already holds an organisation; generate into an empty database."
            raise CommandError(msg)

        # On the real date, history runs up to now: what the staff see at timezone.now() is
        # what the demo recorded (a session this morning happened, this afternoon's is due).
        now = None if options["today"] else timezone.now()
        today: date = options["today"] or timezone.localdate(now)
        started = time.monotonic()
        with tqdm(total=patients, unit="patient", disable=None, desc="patients") as bar:
            result = generate_clinic(
                patients=patients,
                seed=options["seed"],
                today=today,
                progress=bar.update,
                batch_size=options["batch_size"],
                plans=True,
                now=now,
            )
        # The portal's demo patient has questionnaires due on their page (make run).
        portal_due = enrol_portal_patient(email=DEMO_PATIENT_LOGIN, today=today)
        elapsed = time.monotonic() - started
        left, escalated = result.safety_tasks_left
        still_open = f" ({left} still open, {escalated} escalated)" if left else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated {result.clinics} clinics, {result.rooms} rooms, {result.staff} staff "
                f"({result.memberships} memberships), {result.patients} patients and "
                f"{result.diagnoses} diagnoses, {result.measurements} weights, "
                f"{result.medications} medications, {result.allergies} allergies, "
                f"{result.consent_documents} consent documents; intake: "
                f"{result.stages.summary()}{still_open}; measurement: "
                f"{result.trajectories.courses} courses with "
                f"{result.trajectories.responses + result.plans.responses} questionnaire "
                f"responses; plans: {result.plans.summary()}; calendar: "
                f"{result.courses.summary()}; ledger: {result.ledger.summary()}"
                f"{' (and the portal patient)' if portal_due else ''}; "
                f"in {elapsed:.1f} s (seed {options['seed']}, "
                f"today {today.isoformat()}, {working_days(today)})."
            )
        )
        self._print_logins()

    def _print_logins(self) -> None:
        self.stdout.write("\nDemo logins (password for all: " + DEMO_PASSWORD + "):")
        for role, (email, _name, _cred) in DEMO_LOGINS.items():
            self.stdout.write(f"  {role.label:<14} {email}")
        self.stdout.write(f"  {'Patient':<14} {DEMO_PATIENT_LOGIN}  (portal)")
