"""The page-cost targets of issue 12.8, as ratios between scenarios of the same run.

Absolute figures move with the machine and whatever else runs on it; ratios within one run do
not (much). Two kinds:

* ``p50``: the scenario's median with one connection is at most ``limit`` times the
  reference's (the time of one request alone: what a page costs over the floor).
* ``rps``: with BENCH_CONNECTIONS connections (8 by default) the scenario serves at least
  ``limit`` times the reference's requests per second (what concurrency buys).

``make bench`` prints each target with PASS or FAIL (or "not run" when BENCH_ONLY or
BENCH_SINGLE=0 left out what it compares) and writes them to the JSON; a missed target does
not make the run fail (errors do).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from bench.scenarios import FLOOR, SIGNED_IN_FLOOR


@dataclass(frozen=True)
class Target:
    scenario: str
    kind: Literal["p50", "rps", "p95"]
    reference: str
    limit: float

    def describe(self, connections: int) -> str:
        if self.kind == "p95":
            return f"{self.scenario}: p95 under {self.limit:g} ms (1 connection)"
        if self.kind == "p50":
            return f"{self.scenario}: p50 at most {self.limit:g}x {self.reference} (1 connection)"
        return (
            f"{self.scenario}: req/s at least {self.limit:.0%} of {self.reference} "
            f"({connections} connections)"
        )


_PAGES: tuple[str, ...] = ("today", "patients list", "search name", "search 2 words")
_PAGES += ("search DOB", "score+store PHQ-9")

TARGETS: list[Target] = [
    Target(SIGNED_IN_FLOOR.name, "p50", FLOOR.name, 3.0),
    *(Target(name, "p50", SIGNED_IN_FLOOR.name, 3.0) for name in _PAGES),
    *(Target(name, "rps", FLOOR.name, 0.15) for name in _PAGES),
    Target("outcome graph 500", "p50", SIGNED_IN_FLOOR.name, 10.0),
    # Issue 14: absolute, as the issue states it (bench/ledger.py measures it in-process too).
    Target("ledger report 2y", "p95", "", 150.0),
]


def _value(row: dict[str, Any] | None, kind: str) -> float | None:
    if row is None:
        return None
    run = row.get("loaded") if kind == "rps" else row.get("single")
    if not run:
        return None
    return float(run["rps"] if kind == "rps" else run[f"{kind}_ms"])


def evaluate(rows: list[dict[str, Any]], connections: int) -> list[dict[str, Any]]:
    """Each target with its measured ratio and whether it is met (None: not measured)."""
    by_name = {row["name"]: row for row in rows}
    results = []
    for target in TARGETS:
        mine = _value(by_name.get(target.scenario), target.kind)
        if target.kind == "p95":  # absolute: the "ratio" is the milliseconds
            ratio = mine
        else:
            theirs = _value(by_name.get(target.reference), target.kind)
            ratio = mine / theirs if mine is not None and theirs else None
        met = None
        if ratio is not None:
            met = ratio >= target.limit if target.kind == "rps" else ratio <= target.limit
        results.append(
            {
                "target": target.describe(connections),
                "scenario": target.scenario,
                "kind": target.kind,
                "reference": target.reference,
                "limit": target.limit,
                "ratio": None if ratio is None else round(ratio, 3),
                "met": met,
            }
        )
    return results


def report_lines(results: list[dict[str, Any]]) -> list[str]:
    lines = ["targets (issue 12.8: ratios within this run; issue 14: absolute ms):"]
    for result in results:
        ratio = result["ratio"]
        if ratio is None:
            verdict, measured = "----", "not run"
        else:
            verdict = "PASS" if result["met"] else "FAIL"
            measured = {"p50": f"{ratio:.1f}x", "p95": f"{ratio:.1f} ms"}.get(
                result["kind"], f"{ratio:.1%}"
            )
        lines.append(f"  {verdict}  {result['target']}: {measured}")
    met = sum(1 for r in results if r["met"])
    measured_count = sum(1 for r in results if r["met"] is not None)
    lines.append(f"  {met} of {measured_count} measured targets met")
    return lines


# The course planner's targets (issue 13.3), absolute: bench/planner.py measures the solver
# in-process, so no server or machine floor is there to compare with.
@dataclass(frozen=True)
class PlannerTarget:
    scenario: str
    figure: str
    at_most: float | None = None
    at_least: float | None = None
    words: str = ""


PLANNER_TARGETS: list[PlannerTarget] = [
    PlannerTarget("one course", "p95_ms", at_most=200.0, words="one course: p95 under 200 ms"),
    PlannerTarget(
        "waiting list", "seconds", at_most=30.0, words="200 waiting patients: under 30 s"
    ),
    PlannerTarget(
        "waiting list",
        "utilisation",
        at_least=0.95,
        words="waiting list: room utilisation within 5% of its bound",
    ),
]


# The ledger's targets (issue 14, Performance), absolute: bench/ledger.py measures in-process
# on PostgreSQL (make bench-ledger); make bench measures the report page over HTTP as well.
LEDGER_TARGETS: list[PlannerTarget] = [
    PlannerTarget(
        "entry", "p95_ms", at_most=30.0, words="record an entry at 100,000 entries: p95 under 30 ms"
    ),
    PlannerTarget(
        "report", "p95_ms", at_most=150.0, words="two-year report of one account: p95 under 150 ms"
    ),
    PlannerTarget(
        "verify", "seconds", at_most=60.0, words="verify the ledger (1,000,000 entries): under 60 s"
    ),
]

# Issue 15, Performance: the monitoring console and recording a vitals set (bench.monitoring).
MONITORING_TARGETS: list[PlannerTarget] = [
    PlannerTarget(
        "console",
        "p95_ms",
        at_most=50.0,
        words="monitoring console refresh, 20 active sessions: p95 under 50 ms",
    ),
    PlannerTarget(
        "console",
        "queries_growth",
        at_most=1.0,
        words="console queries, 20 sessions minus 5 sessions: constant (0)",
    ),
    PlannerTarget("vitals", "p95_ms", at_most=30.0, words="record a vitals set: p95 under 30 ms"),
    PlannerTarget(
        "load",
        "busy_percent",
        at_most=25.0,
        words="20 consoles refreshing every 5 s: a 2-core server under 25% busy",
    ),
]


def planner_report(results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return absolute_report("targets (issue 13.3):", PLANNER_TARGETS, results)


def absolute_report(
    title: str, targets_list: list[PlannerTarget], results: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """Each absolute target with its measured value, PASS/FAIL ("----": not measured)."""
    lines = [title]
    targets = []
    for target in targets_list:
        value = results.get(target.scenario, {}).get(target.figure)
        met = None
        if value is not None:
            met = (target.at_most is None or value < target.at_most) and (
                target.at_least is None or value >= target.at_least
            )
        verdict = "----" if met is None else ("PASS" if met else "FAIL")
        lines.append(f"  {verdict}  {target.words}: {value}")
        targets.append({"target": target.words, "value": value, "met": met})
    return {"lines": lines, "targets": targets}
