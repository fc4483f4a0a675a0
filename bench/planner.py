"""`make bench`, the course planner (issue 13.3): the solver alone, in-process, on a generated
clinic of 10 rooms and 20 staff with 90 days of existing bookings (no database: the planner is
pure; reading the facts and holds is a constant handful of queries, measured with the pages).

Two scenarios, with the targets of ``bench.targets.PLANNER_TARGETS``:

* **one course**: a 6-infusion IV induction (and its review) for one patient at a time, each
  with their own weekdays, hours and earliest start, with the alternatives a NoFit offers, as
  the page asks for it; BENCH_PLANNER_REPEAT plans, p50/p95/max milliseconds.
* **waiting list**: BENCH_PLANNER_PATIENTS waiting patients (a mix of protocols and
  availabilities) planned in one batch, each against the bookings and the plans before it;
  seconds in all, and room utilisation against its bound: for each room kind, the chair-minutes
  the batch booked over ``min(demand, free capacity)``, where demand is the chair-minutes the
  waiting courses ask for and free capacity the chair-minutes the rooms are open in the
  batch's period less the existing bookings' (summed over the kinds).

``python -m bench.planner`` prints a table and the targets with PASS/FAIL and writes JSON to
BENCH_PLANNER_OUT (var/bench/planner.json). Settings: BENCH_PLANNER_REPEAT (50),
BENCH_PLANNER_PATIENTS (200), BENCH_PLANNER_SEED (1).
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bench.targets import planner_report
from kapclinic.scheduling.planner.batch import Waiting, plan_batch, take
from kapclinic.scheduling.planner.candidates import HeldIndex
from kapclinic.scheduling.planner.course import course_items
from kapclinic.scheduling.planner.propose import propose
from kapclinic.scheduling.planner.values import PatientAvailability, PlanRequest, Proposal
from kapclinic.scheduling.protocols.definition import Equipment, Protocol, RoomKind
from kapclinic.scheduling.protocols.shipped import shipped_protocols
from kapclinic.scheduling.resources import room_chair
from kapclinic.scheduling.slots import ClinicFacts, RoomFacts, Span, StaffFacts

TZ = ZoneInfo("America/New_York")
START = date(2027, 1, 4)  # a Monday
DAYS = 90
# The waiting patients may start over the first twelve weeks after the next Monday.
ARRIVALS_DAYS = 84
# Courses already booked, started each week of the 90 days (about a third of the treatment
# rooms' time; BENCH_PLANNER_EXISTING to change).
EXISTING_PER_WEEK = int(os.environ.get("BENCH_PLANNER_EXISTING", "12"))
KIT = frozenset(
    {
        Equipment.RECLINER,
        Equipment.EYE_MASKS_AND_HEADPHONES,
        Equipment.BP_MONITOR,
        Equipment.PULSE_OXIMETER,
    }
)


def _env(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _span(day: date, start: clock, end: clock) -> Span:
    return Span(datetime.combine(day, start, tzinfo=TZ), datetime.combine(day, end, tzinfo=TZ))


def _days(first: date, count: int) -> list[date]:
    return [first + timedelta(days=n) for n in range(count)]


def clinic_facts(days: int) -> ClinicFacts:
    """10 rooms (6 treatment, 2 therapy, 2 consult), 20 staff (4 prescribers, 8 nurses,
    6 therapists, 2 who both prescribe and do therapy), open Monday-Friday 8-18; staff work
    full weeks or Monday-Thursday."""
    calendar = _days(START, days)
    opening = tuple(_span(d, clock(8), clock(18)) for d in calendar if d.weekday() < 5)
    rooms = [RoomFacts(n, f"Treatment {n}", RoomKind.TREATMENT, KIT, 1) for n in range(1, 7)]
    rooms += [
        RoomFacts(7, "Therapy 1", RoomKind.THERAPY, frozenset(), 1),
        RoomFacts(8, "Integration room", RoomKind.THERAPY, frozenset(), 6),
        RoomFacts(9, "Consult 1", RoomKind.CONSULT, frozenset(), 1),
        RoomFacts(10, "Consult 2", RoomKind.CONSULT, frozenset(), 1),
    ]
    staff = []
    roles = ([("prescriber",)] * 4 + [("nurse",)] * 8 + [("therapist",)] * 6) + [
        ("prescriber", "therapist")
    ] * 2
    for n, held_roles in enumerate(roles, start=100):
        weekdays = range(5) if n % 3 else (0, 1, 2, 3)
        working = tuple(_span(d, clock(8), clock(18)) for d in calendar if d.weekday() in weekdays)
        staff.append(StaffFacts(n, f"Staff {n}", frozenset(held_roles), working, working))
    return ClinicFacts(
        clinic_id=1,
        tz=TZ,
        first_day=START,
        last_day=START + timedelta(days=days - 1),
        opening=opening,
        rooms={room.id: room for room in rooms},
        staff={person.id: person for person in staff},
    )


def protocol(code: str) -> Protocol:
    return next(p for p in shipped_protocols() if p.code == code)


def availability(rng: random.Random) -> PatientAvailability:
    if rng.random() < 0.6:
        return PatientAvailability(frozenset(range(5)), clock(8), clock(18))
    # Some patients come on two to four weekdays only, some in the morning or the afternoon.
    days = frozenset(rng.sample(range(5), rng.randint(2, 4)))
    start = rng.choice([8, 9, 10, 12])
    return PatientAvailability(days, clock(start), clock(min(start + rng.randint(5, 8), 18)))


def existing_bookings(facts: ClinicFacts, rng: random.Random) -> dict[str, tuple[Span, ...]]:
    """90 days of bookings: earlier courses planned by the same planner (so they keep every
    rule), about half the clinic's dosing capacity."""
    index = HeldIndex({}, TZ)
    mix = [protocol("iv-ketamine-induction")] * 5 + [protocol("kap-im-sl")] * 3
    mix += [protocol("ketamine-maintenance")] * 2 + [protocol("cbt-comparison")]
    patient = 10_000
    for week in range(0, DAYS // 7):
        for _ in range(EXISTING_PER_WEEK):
            patient += 1
            chosen = rng.choice(mix)
            request = PlanRequest(
                chosen,
                facts,
                {},
                availability(rng),
                START + timedelta(days=7 * week + rng.randint(0, 4)),
                horizon_days=DAYS - 7 * week,
                patient_id=patient,
            )
            answer = propose(request, alternatives=False, held=index)
            if isinstance(answer, Proposal):
                for session in answer.sessions:
                    take(index, facts, chosen, session, patient)
    return index.export()


@dataclass
class Timing:
    samples: list[float]

    def summary(self) -> dict[str, float]:
        ordered = sorted(self.samples)
        return {
            "p50_ms": round(statistics.median(ordered), 1),
            "p95_ms": round(ordered[max(0, round(0.95 * len(ordered)) - 1)], 1),
            "max_ms": round(ordered[-1], 1),
            "count": len(ordered),
        }


def one_course(
    facts: ClinicFacts, held: dict[str, tuple[Span, ...]], repeat: int, rng: random.Random
) -> dict[str, Any]:
    iv = protocol("iv-ketamine-induction")
    samples = []
    proposals = 0
    for n in range(repeat):
        request = PlanRequest(
            iv,
            facts,
            held,
            availability(rng),
            START + timedelta(days=rng.randint(0, 30)),
            horizon_days=56,
            patient_id=90_000 + n,
        )
        began = time.perf_counter()
        answer = propose(request)
        samples.append((time.perf_counter() - began) * 1000)
        proposals += isinstance(answer, Proposal)
    return {**Timing(samples).summary(), "proposals": proposals}


def _chair_minutes(spans: Iterable[Span]) -> float:
    return float(sum((s.ends_at - s.starts_at).total_seconds() / 60 for s in spans))


def waiting_list(
    facts: ClinicFacts, held: dict[str, tuple[Span, ...]], count: int, rng: random.Random
) -> dict[str, Any]:
    mix = [protocol("iv-ketamine-induction")] * 4 + [protocol("kap-im-sl")] * 3
    mix += [
        protocol("esketamine-rems"),
        protocol("ketamine-maintenance"),
        protocol("cbt-comparison"),
    ]
    first = START + timedelta(days=7)
    waiting = [
        Waiting(
            50_000 + n,
            rng.choice(mix),
            availability(rng),
            first + timedelta(days=rng.randint(0, ARRIVALS_DAYS - 1)),
        )
        for n in range(count)
    ]
    horizon = 90
    began = time.perf_counter()
    answers = plan_batch(facts, held, waiting, horizon_days=horizon)
    seconds = time.perf_counter() - began
    # Demand: the chair-minutes of the courses that fit the patient's own days and hours in the
    # clinic with no other booking (a patient who can never fit is not the planner's loss).
    servable = []
    for patient in waiting:
        alone = PlanRequest(
            patient.protocol, facts, {}, patient.availability, patient.earliest_start, horizon
        )
        if isinstance(propose(alone, alternatives=False), Proposal):
            servable.append(patient)
    demand: dict[RoomKind, float] = defaultdict(float)
    for patient in servable:
        for item in course_items(patient.protocol):
            demand[item.session_type.resources.room_kind] += item.session_type.minutes
    # Free capacity in the batch's period: open chair-minutes less the existing bookings'.
    period_end = first + timedelta(days=ARRIVALS_DAYS - 1 + horizon)
    free: dict[RoomKind, float] = defaultdict(float)
    for room in facts.rooms.values():
        open_minutes = _chair_minutes(
            s for s in facts.opening if first <= s.starts_at.date() < period_end
        )
        taken = sum(
            _chair_minutes(
                s
                for s in held.get(room_chair(room.id, chair), ())
                if first <= s.starts_at.date() < period_end
            )
            for chair in range(1, room.capacity + 1)
        )
        free[room.kind] += room.capacity * open_minutes - taken
    booked: dict[RoomKind, float] = defaultdict(float)
    for answer in answers:
        if isinstance(answer, Proposal):
            for session in answer.sessions:
                kind = facts.rooms[session.room_id].kind
                booked[kind] += (session.ends_at - session.starts_at).total_seconds() / 60
    bound = sum(min(demand[k], free[k]) for k in demand)
    achieved = sum(booked.values())
    return {
        "patients": count,
        "planned": sum(isinstance(a, Proposal) for a in answers),
        "servable": len(servable),
        "seconds": round(seconds, 2),
        "ms_per_patient": round(1000 * seconds / count, 1),
        "utilisation": round(achieved / bound, 4) if bound else None,
        "by_kind": {
            k.value: {"demand": demand[k], "free": round(free[k]), "booked": booked[k]}
            for k in demand
        },
    }


def main() -> int:
    repeat = _env("BENCH_PLANNER_REPEAT", 50)
    patients = _env("BENCH_PLANNER_PATIENTS", 200)
    seed = _env("BENCH_PLANNER_SEED", 1)
    rng = random.Random(seed)
    facts = clinic_facts(7 + ARRIVALS_DAYS + 90)
    began = time.perf_counter()
    held = existing_bookings(facts, rng)
    prepared = time.perf_counter() - began
    holds = sum(len(spans) for spans in held.values())
    period_end = START + timedelta(days=DAYS)
    treatment = [r for r in facts.rooms.values() if r.kind is RoomKind.TREATMENT]
    open_minutes = _chair_minutes(s for s in facts.opening if s.starts_at.date() < period_end)
    taken = sum(
        _chair_minutes(held.get(room_chair(room.id, chair), ()))
        for room in treatment
        for chair in range(1, room.capacity + 1)
    )
    load = taken / (open_minutes * sum(r.capacity for r in treatment))
    print(
        f"course planner bench  seed {seed}: 10 rooms, 20 staff, {holds:,} existing holds over "
        f"{DAYS} days, {load:.0%} of the treatment rooms' time (built in {prepared:.1f} s)"
    )
    one = one_course(facts, held, repeat, rng)
    print(
        f"one course (IV induction, 6 infusions and a review) x{one['count']}: "
        f"p50 {one['p50_ms']} ms, p95 {one['p95_ms']} ms, max {one['max_ms']} ms; "
        f"{one['proposals']} proposals"
    )
    batch = waiting_list(facts, held, patients, rng)
    print(
        f"waiting list: {batch['planned']} of {batch['patients']} planned "
        f"({batch['servable']} fit their own days and hours in an empty clinic) in "
        f"{batch['seconds']} s ({batch['ms_per_patient']} ms each); room utilisation "
        f"{batch['utilisation']:.1%} of its bound"
    )
    for kind, figures in batch["by_kind"].items():
        print(
            f"  {kind}: demand {figures['demand']:,.0f}, free {figures['free']:,.0f}, "
            f"booked {figures['booked']:,.0f} chair-minutes"
        )
    results = {"one course": one, "waiting list": batch}
    verdicts = planner_report(results)
    for line in verdicts["lines"]:
        print(line)
    out = Path(os.environ.get("BENCH_PLANNER_OUT", "var/bench/planner.json"))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {"seed": seed, "results": results, "targets": verdicts["targets"]},
            indent=2,
            default=str,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
