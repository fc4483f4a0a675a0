"""`make bench-monitoring`: the monitoring console's figures (issue 15, Performance), in-process
on PostgreSQL.

1. A fresh database (BENCH_MONITORING_PG_URL; its name must contain ``bench``: it is dropped and
   recreated), migrated, with a small demo (``generate_clinic``).
2. Chairs: 5, then 20 dosing sessions of the first clinic opened from its booked dosing
   appointments through the dosing services (``open_session``, ``move``, ``record_vitals``),
   each with BENCH_MONITORING_SETS vitals sets (one in four with a high blood pressure, so
   alerts are open).
3. **console**: the polled fragment (``dosing:console-cards``) through Django's test client
   (every middleware, the session, the template) BENCH_MONITORING_REPEAT times with 20
   sessions; p50/p95 ms, its queries, and the queries with 5 sessions (the growth must be 0).
4. **vitals**: BENCH_MONITORING_REPEAT sets recorded through ``services.record_vitals`` (the
   rules, the alerts, the audit); p50/p95 ms.
5. **load**: 20 consoles every 5 seconds are 4 refreshes a second; the server's busy share of
   2 cores is 4 x (mean wall time of a refresh, which holds the process CPU and the database's
   work on the same machine) / 2. The CPU time of the process alone is reported too.

Prints a table and the targets (``bench.targets.MONITORING_TARGETS``) with PASS/FAIL and writes
JSON to BENCH_MONITORING_OUT (var/bench/monitoring.json).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench.ledger import _env, _ms, _setup, _timed
from bench.targets import MONITORING_TARGETS, absolute_report

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/kapclinic_bench_monitoring"
CONSOLES = 20
EVERY_SECONDS = 5
CORES = 2


def main() -> int:
    url = os.environ.get("BENCH_MONITORING_PG_URL") or DEFAULT_URL
    repeat = _env("BENCH_MONITORING_REPEAT", 200)
    sets = _env("BENCH_MONITORING_SETS", 12)
    patients = _env("BENCH_MONITORING_PATIENTS", 120)
    out = Path(os.environ.get("BENCH_MONITORING_OUT") or ROOT / "var" / "bench" / "monitoring.json")
    began = time.perf_counter()
    _setup(url)

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from django.utils import timezone

    from bench.ledger_data import staff
    from kapclinic.accounts.actor import Actor
    from kapclinic.accounts.middleware import SESSION_CLINIC_KEY
    from kapclinic.accounts.models import Clinic, Role
    from kapclinic.accounts.session_state import LAST_ACTIVITY_KEY, mark_verified
    from kapclinic.demo.generator import generate_clinic
    from kapclinic.dosing import services
    from kapclinic.dosing.models import DosingSession
    from kapclinic.dosing.rules.vitals import VitalKind
    from kapclinic.dosing.rules.workflow import State
    from kapclinic.scheduling.models import Appointment
    from kapclinic.scheduling.protocols.definition import SessionKind
    from kapclinic.scheduling.protocols.parser import parse_protocol

    now = timezone.now()
    generate_clinic(patients=patients, seed=1, today=timezone.localdate(now), now=now)
    clinic = Clinic.objects.order_by("id")[0]
    nurse = Actor.for_user(staff(clinic, Role.NURSE), clinic)
    print(f"monitoring bench: demo of {patients} patients in {time.perf_counter() - began:.1f} s")

    appointments = []
    for appointment in (
        Appointment.objects.filter(clinic=clinic)
        .select_related("course__protocol")
        .order_by("starts_at", "pk")
    ):
        kind = parse_protocol(appointment.course.protocol.document).session_type(
            appointment.session_type
        )
        if kind is not None and kind.kind == SessionKind.DOSING:
            appointments.append(appointment)
        if len(appointments) == CONSOLES:
            break
    if len(appointments) < CONSOLES:
        msg = f"the demo has {len(appointments)} dosing appointments, not {CONSOLES}"
        raise SystemExit(msg)

    def seat(appointment: Appointment) -> DosingSession:
        start = now - timedelta(minutes=5 * sets + 5)
        session = services.open_session(actor=nurse, appointment=appointment, now=start)
        session = services.move(actor=nurse, session=session, target=State.CHECKED_IN, now=start)
        for n in range(sets):
            high = n % 4 == 3
            at = start + timedelta(minutes=5 * n)
            services.record_vitals(
                actor=nurse,
                session=session,
                readings={
                    VitalKind.SYSTOLIC: Decimal(205 if high else 128 + n),
                    VitalKind.DIASTOLIC: Decimal(95 if high else 80),
                    VitalKind.HEART_RATE: Decimal(70 + n),
                    VitalKind.SPO2: Decimal(97),
                },
                moaas=5,
                taken_at=at,
                now=at,
            )
        return session

    client = Client(SERVER_NAME="localhost")  # an allowed host; HTTPS as behind the proxy
    client.force_login(nurse.user)
    session = client.session
    mark_verified(session, "totp")  # as a completed staff sign-in leaves it (bench.prepare)
    session[LAST_ACTIVITY_KEY] = int(time.time()) + 3600
    session[SESSION_CLINIC_KEY] = str(clinic.public_id)
    session.save()
    cards = reverse("dosing:console-cards")

    def queries() -> int:
        client.get(cards, secure=True)
        with CaptureQueriesContext(connection) as captured:
            answer = client.get(cards, secure=True)
        if answer.status_code != 200 or b"console-cards" not in answer.content:
            msg = f"the console answered {answer.status_code}, not its cards"
            raise SystemExit(msg)
        return len(captured.captured_queries)

    seated = [seat(a) for a in appointments[:5]]
    five = queries()
    seated += [seat(a) for a in appointments[5:]]
    twenty = queries()
    results: dict[str, dict[str, Any]] = {}

    cpu_before = time.process_time()
    samples = _timed(repeat, lambda _: client.get(cards, secure=True))
    cpu = (time.process_time() - cpu_before) / repeat
    results["console"] = _ms(samples) | {
        "sessions": len(seated),
        "queries": twenty,
        "queries_5_sessions": five,
        "queries_growth": twenty - five,
    }
    console = results["console"]
    print(
        f"console refresh, {len(seated)} sessions x{repeat}: p50 {console['p50_ms']} ms, "
        f"p95 {console['p95_ms']} ms, {twenty} queries (5 sessions: {five})"
    )

    def record(n: int) -> None:
        at = timezone.now()
        services.record_vitals(
            actor=nurse,
            session=seated[n % len(seated)],
            readings={
                VitalKind.SYSTOLIC: Decimal(130),
                VitalKind.DIASTOLIC: Decimal(82),
                VitalKind.HEART_RATE: Decimal(76),
                VitalKind.SPO2: Decimal(98),
            },
            taken_at=at,
            now=at,
        )

    results["vitals"] = _ms(_timed(repeat, record))
    vitals = results["vitals"]
    print(f"record a vitals set x{repeat}: p50 {vitals['p50_ms']} ms, p95 {vitals['p95_ms']} ms")

    per_second = CONSOLES / EVERY_SECONDS
    mean = statistics.fmean(samples)
    results["load"] = {
        "refreshes_per_second": per_second,
        "mean_ms": round(mean * 1000, 2),
        "process_cpu_ms": round(cpu * 1000, 2),
        "busy_percent": round(100 * per_second * mean / CORES, 1),
        "process_busy_percent": round(100 * per_second * cpu / CORES, 1),
    }
    load = results["load"]
    print(
        f"load: {CONSOLES} consoles every {EVERY_SECONDS} s = {per_second} refreshes/s x "
        f"{load['mean_ms']} ms = {load['busy_percent']}% of {CORES} cores "
        f"(process CPU alone {load['process_busy_percent']}%)"
    )

    summary = absolute_report("targets (issue 15, Performance):", MONITORING_TARGETS, results)
    for line in summary["lines"]:
        print(line)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "when": datetime.now().astimezone().isoformat(timespec="seconds"),
                "results": results,
                "targets": summary["targets"],
            },
            indent=2,
        )
    )
    return 0 if all(t["met"] for t in summary["targets"]) else 1


if __name__ == "__main__":
    sys.exit(main())
