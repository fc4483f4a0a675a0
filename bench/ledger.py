"""`make bench-ledger`: the controlled-substance ledger's figures (issue 14, Performance),
in-process on PostgreSQL.

1. A fresh database (BENCH_LEDGER_PG_URL; its name must contain ``bench``: it is dropped and
   recreated), migrated, with a small demo (``generate_clinic``, BENCH_LEDGER_PATIENTS
   patients: its clinics, staff, patients and their own stock histories).
2. **build**: one account of the first clinic gets BENCH_LEDGER_ENTRIES entries over two years
   (``bench.ledger_data``: sealed in Python with the real seal, bulk-inserted, the triggers in
   place); the time is printed.
3. **record an entry**: BENCH_LEDGER_REPEAT administrations posted one by one through
   ``kapclinic.ledger.services.record_administration`` (the one writer: lock, rules, balance,
   seal, audit) to that account; p50/p95/max ms. Target: p95 under 30 ms.
4. **two-year report**: the report selector of that account over two years (balances, totals,
   its first page, the audit entry) BENCH_LEDGER_REPORT_REPEAT times; p50/p95 ms and its
   queries. Target: p95 under 150 ms with a constant number of queries. (``make bench``
   measures the same page over HTTP: the "ledger report 2y" scenario.)
5. **verify**: the chain extended to BENCH_LEDGER_VERIFY_ENTRIES entries, then the ledger's
   verification over all of them, timed. Target: under 60 s. Until ``kapclinic.ledger.
   integrity`` (issue 14.3) offers the command's function, this times
   ``kapclinic.audit.verification.verify_trail(LEDGER_TRAIL)``, the verifier it builds on.

Prints a table and the targets (``bench.targets.LEDGER_TARGETS``) with PASS/FAIL and writes
JSON to BENCH_LEDGER_OUT (var/bench/ledger.json).
"""

from __future__ import annotations

import json
import os
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bench.database import BenchError, parse_target, reachable, recreate_database
from bench.targets import LEDGER_TARGETS, absolute_report

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/kapclinic_bench_ledger"


def _env(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip().replace("_", "")
    return int(raw) if raw else default


def _ms(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "count": len(samples),
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(p95 * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


def _timed(repeat: int, call: Callable[[int], object]) -> list[float]:
    samples = []
    for n in range(repeat):
        began = time.perf_counter()
        call(n)
        samples.append(time.perf_counter() - began)
    return samples


def _setup(url: str) -> None:
    try:
        target = parse_target(url)  # its name must contain "bench": it is dropped
    except BenchError as error:
        raise SystemExit(str(error)) from None
    problem = reachable(target.maintenance_url)
    if problem:
        msg = f"no PostgreSQL at {url}: {problem}"
        raise SystemExit(msg)
    recreate_database(target)
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "AUDIT_KEY": secrets.token_urlsafe(48),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": url,
            "LOG_LEVEL": "WARNING",
        }
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _verify() -> tuple[str, Callable[[], bool]]:
    """The ledger's verification: issue 14.3's when it exists, else the audit verifier's."""
    from kapclinic.audit.verification import verify_trail
    from kapclinic.ledger.trail import LEDGER_TRAIL

    def run() -> bool:
        return not verify_trail(LEDGER_TRAIL).problems

    return "kapclinic.audit.verification.verify_trail(LEDGER_TRAIL)", run


def main() -> int:
    url = os.environ.get("BENCH_LEDGER_PG_URL") or DEFAULT_URL
    entries = _env("BENCH_LEDGER_ENTRIES", 100_000)
    verify_entries = _env("BENCH_LEDGER_VERIFY_ENTRIES", 1_000_000)
    repeat = _env("BENCH_LEDGER_REPEAT", 200)
    report_repeat = _env("BENCH_LEDGER_REPORT_REPEAT", 20)
    patients = _env("BENCH_LEDGER_PATIENTS", 200)
    out = Path(os.environ.get("BENCH_LEDGER_OUT") or ROOT / "var" / "bench" / "ledger.json")
    began = time.perf_counter()
    _setup(url)

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from bench.ledger_data import account_with_entries, extend_chain, staff
    from kapclinic.accounts.actor import Actor
    from kapclinic.accounts.models import Clinic, Role
    from kapclinic.demo.generator import generate_clinic
    from kapclinic.ledger import services
    from kapclinic.ledger.models import Entry
    from kapclinic.ledger.reports.selectors import ReportQuery, view_ledger_report
    from kapclinic.patients.models import Patient

    now = timezone.now()
    generate_clinic(patients=patients, seed=1, today=timezone.localdate(now), now=now)
    clinic = Clinic.objects.order_by("id")[0]
    print(
        f"ledger bench  {url.rsplit('/', 1)[-1]}: demo of {patients} patients in "
        f"{time.perf_counter() - began:.1f} s"
    )
    results: dict[str, dict[str, Any]] = {}

    built = time.perf_counter()
    account = account_with_entries(clinic, entries, now)
    lot = Entry.objects.filter(account=account).select_related("lot__product")[0].lot
    results["build"] = {"entries": entries, "seconds": round(time.perf_counter() - built, 1)}
    print(f"build: {entries:,} entries sealed and inserted in {results['build']['seconds']} s")

    nurse = Actor.for_user(staff(clinic, Role.NURSE), clinic)
    patient_list = list(Patient.objects.filter(clinic=clinic).order_by("id")[:50])

    def record(n: int) -> None:
        at = timezone.now()
        services.record_administration(
            actor=nurse,
            account=account,
            lot=lot,
            patient=patient_list[n % len(patient_list)],
            mg="56",
            administered_by=nurse.user,
            occurred_at=at,
            source_key=f"bench:{n}",
            now=at,
        )

    results["entry"] = _ms(_timed(repeat, record))
    entry = results["entry"]
    print(
        f"record an entry at {entries:,} entries x{repeat}: p50 {entry['p50_ms']} ms, "
        f"p95 {entry['p95_ms']} ms, max {entry['max_ms']} ms"
    )

    prescriber = Actor.for_user(staff(clinic, Role.PRESCRIBER), clinic)
    today = timezone.localdate(now, clinic.tzinfo)
    query = ReportQuery(account, None, today.replace(year=today.year - 2), today)
    with CaptureQueriesContext(connection) as queries:
        first = view_ledger_report(actor=prescriber, query=query, page_number=1)
    results["report"] = _ms(
        _timed(
            report_repeat,
            lambda _: view_ledger_report(actor=prescriber, query=query, page_number=1),
        )
    )
    results["report"]["queries"] = len(queries.captured_queries)
    results["report"]["entries_in_range"] = first.page.count
    report = results["report"]
    print(
        f"two-year report ({first.page.count:,} entries) x{report_repeat}: p50 "
        f"{report['p50_ms']} ms, p95 {report['p95_ms']} ms, {report['queries']} queries"
    )

    have = Entry.objects.filter(account=account).count()
    if verify_entries > have:
        grown = time.perf_counter()
        extend_chain(
            account=account,
            lot=lot,
            entries=verify_entries - have,
            start=now - timedelta(days=729),
            end=now,
            progress=True,
        )
        print(f"extended to {verify_entries:,} entries in {time.perf_counter() - grown:.1f} s")
    total = Entry.objects.count()
    name, verify = _verify()
    checked = time.perf_counter()
    ok = verify()
    seconds = time.perf_counter() - checked
    results["verify"] = {"entries": total, "seconds": round(seconds, 1), "ok": ok, "function": name}
    print(
        f"verify: {total:,} entries in {seconds:.1f} s ({'verified' if ok else 'BROKEN'}; {name})"
    )

    summary = absolute_report("targets (issue 14, Performance):", LEDGER_TARGETS, results)
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
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
