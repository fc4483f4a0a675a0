"""The course as a CP-SAT model (OR-Tools): each session picks one of its options
(``candidates``), under the course rules of the protocol, and the solver minimises the
course's length and the patient's trips, then prefers earlier.

The rules are those ``rules.course_problems`` checks (the tests assert every proposal passes
it), written as constraints:

- order: each outline step's sessions come after every session of the step before (R-SL-1,
  R-IV-2, ...), and after the integration sessions of that step;
- spacing: consecutive doses are at least and at most the days apart their stage allows, the
  stage chosen by the course week of the later dose (week 1 starts on the first dose), and no
  week holds more doses than its stage's most (R-ESK-1, R-ESK-3, R-IV-2, R-MNT-4, ...);
- integration: each dose the cadence names (R-INT-2) is followed by its integration session in
  the window (R-INT-1), never on a dosing day unless the window starts on the day of the dose;
- the patient is in one place at a time (no overlap of the course's sessions). Room chairs and
  staff units are shared with other patients' holds, which the options already leave free;
  two sessions of this course never overlap, so they never compete for a chair or a nurse.

Weights: a day of course length and a trip each weigh as much as starting a week later (7 days
of delay); among plans equal on those, the earlier starts win.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from ortools.sat.python import cp_model

from kapclinic.scheduling.planner.candidates import Candidate
from kapclinic.scheduling.planner.course import Item
from kapclinic.scheduling.protocols.definition import Protocol

TIME_LIMIT_SECONDS: Final = 2.0
MAX_ROUNDS: Final = 8
SEED: Final = 13
_LOG = False
LENGTH_WEIGHT: Final = 7
TRIP_WEIGHT: Final = 7
DELAY_WEIGHT: Final = 1


class SolverTimeoutError(RuntimeError):
    """The time limit ran out before the solver found a plan or proved there is none."""


@dataclass(frozen=True)
class Solution:
    chosen: tuple[Candidate, ...]  # one per item, in item order
    optimal: bool


def solve(
    protocol: Protocol,
    items: Sequence[Item],
    options: Sequence[Sequence[Candidate]],
    *,
    time_limit: float | None = None,
) -> Solution | None:
    """The best choice of one option per item, or None when no choice keeps the rules (or the
    solver found none within ``time_limit``).

    Two passes: the days (length, trips, delay: a model over one day variable per session),
    then, those days fixed, the times (the patient's no-overlap, then the earliest times).
    Should the times of some day not fit together, that set of days is excluded and the days
    are chosen again."""
    if any(not found for found in options):
        return None
    time_limit = TIME_LIMIT_SECONDS if time_limit is None else time_limit
    excluded: list[list[tuple[int, int]]] = []
    for _ in range(MAX_ROUNDS):
        found = _days(protocol, items, options, excluded, time_limit)
        if found is None:
            return None
        days, optimal = found
        same_day = [[c for c in opts if c.day == d] for opts, d in zip(options, days, strict=True)]
        picked = _times(items, same_day, time_limit)
        if picked is not None:
            return Solution(tuple(picked), optimal)
        # Exclude the combination on the days that hold more than one session.
        shared = [i for i, d in enumerate(days) if days.count(d) > 1]
        excluded.append([(i, days[i]) for i in shared])
    return None


def _days(
    protocol: Protocol,
    items: Sequence[Item],
    options: Sequence[Sequence[Candidate]],
    excluded: list[list[tuple[int, int]]],
    time_limit: float,
) -> tuple[list[int], bool] | None:
    model = cp_model.CpModel()
    day: list[cp_model.IntVar] = []
    for item, found in zip(items, options, strict=True):
        values = sorted({c.day for c in found})
        day.append(
            model.new_int_var_from_domain(cp_model.Domain.from_values(values), f"day{item.index}")
        )
    max_day = max(c.day for found in options for c in found)
    _order_days(model, items, day)
    _integration(model, items, day)
    _spacing(model, protocol, items, day, max_day)
    for combination in excluded:
        flags = []
        for index, value in combination:
            flag = model.new_bool_var(f"not{index}_{value}")
            model.add(day[index] != value).only_enforce_if(flag)
            flags.append(flag)
        model.add_bool_or(flags)
    # Trips: a session on the same day as an earlier one of the course adds none. Two sessions
    # share a day only where their times fit together (the patient in one place, in order).
    by_day = [_by_day(found) for found in options]
    fits: dict[tuple[str, str, bool, int], bool] = {}
    shares = []
    for j in range(len(items)):
        earlier = []
        for i in range(j):
            if items[i].session_type.code == items[j].session_type.code:
                continue
            common = by_day[i].keys() & by_day[j].keys()
            if not common:
                continue
            same = model.new_bool_var(f"same{i}_{j}")
            model.add(day[i] == day[j]).only_enforce_if(same)
            model.add(day[i] != day[j]).only_enforce_if(~same)
            ordered = _precedes(items[i], items[j])
            for value in sorted(common):
                key = (items[i].session_type.code, items[j].session_type.code, ordered, value)
                if key not in fits:
                    fits[key] = _fit_together(by_day[i][value], by_day[j][value], ordered)
                if not fits[key]:
                    model.add(day[i] != value).only_enforce_if(same)
            earlier.append(same)
        if earlier:
            shared = model.new_bool_var(f"shared{j}")
            model.add_bool_or(earlier).only_enforce_if(shared)
            shares.append(shared)
    trips = len(items) - sum(shares)
    first = model.new_int_var(0, max_day, "first")
    last = model.new_int_var(0, max_day, "last")
    model.add_min_equality(first, day)
    model.add_max_equality(last, day)
    # Ties go to the plan whose sessions come earlier.
    scale = len(items) * (max_day + 1)
    model.minimize(
        scale * (LENGTH_WEIGHT * (last - first) + TRIP_WEIGHT * trips + DELAY_WEIGHT * first)
        + sum(day)
    )
    # Earliest days first: a good first answer at once, then improved.
    model.add_decision_strategy(day, cp_model.CHOOSE_FIRST, cp_model.SELECT_MIN_VALUE)
    solver = _solver(time_limit)
    status = solver.solve(model)
    if status == cp_model.UNKNOWN:
        msg = f"The solver found no plan within its {time_limit:g} s."
        raise SolverTimeoutError(msg)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return [solver.value(d) for d in day], status == cp_model.OPTIMAL


def _times(
    items: Sequence[Item], options: Sequence[Sequence[Candidate]], time_limit: float
) -> list[Candidate] | None:
    model = cp_model.CpModel()
    chosen: list[list[cp_model.IntVar]] = []
    start: list[cp_model.IntVar] = []
    end: list[cp_model.IntVar] = []
    intervals = []
    for item, found in zip(items, options, strict=True):
        picks = [model.new_bool_var(f"x{item.index}_{n}") for n in range(len(found))]
        model.add_exactly_one(picks)
        chosen.append(picks)
        s = model.new_int_var_from_domain(
            cp_model.Domain.from_values(sorted({c.minute for c in found})), f"start{item.index}"
        )
        model.add(s == sum(c.minute * x for c, x in zip(found, picks, strict=True)))
        e = model.new_int_var(0, max(c.minute for c in found) + 24 * 60, f"end{item.index}")
        intervals.append(model.new_interval_var(s, item.session_type.minutes, e, f"v{item.index}"))
        start.append(s)
        end.append(e)
    # The patient is in one place at a time, and the outline's order holds within a day.
    model.add_no_overlap(intervals)
    _order_times(model, items, start, end)
    model.minimize(sum(start))
    solver = _solver(time_limit)
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return [
        next(c for c, x in zip(found, picks, strict=True) if solver.value(x))
        for found, picks in zip(options, chosen, strict=True)
    ]


def _by_day(options: Sequence[Candidate]) -> dict[int, list[Candidate]]:
    found: dict[int, list[Candidate]] = defaultdict(list)
    for candidate in options:
        found[candidate.day].append(candidate)
    return found


def _precedes(first: Item, second: Item) -> bool:
    """Whether ``second`` must start after ``first`` ends on a day they share."""
    return (second.step > first.step and second.follows is None) or second.follows == first.index


def _fit_together(first: Sequence[Candidate], second: Sequence[Candidate], ordered: bool) -> bool:
    return any(
        a.ends_at <= b.starts_at or (not ordered and b.ends_at <= a.starts_at)
        for a in first
        for b in second
    )


def _solver(time_limit: float) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = SEED
    solver.parameters.log_search_progress = _LOG
    return solver


def _steps(items: Sequence[Item]) -> list[tuple[list[Item], list[Item]]]:
    """Per outline step (in order): its own sessions and its integration sessions."""
    by_step: dict[int, list[Item]] = defaultdict(list)
    for item in items:
        by_step[item.step].append(item)
    return [
        (
            [item for item in by_step[step] if item.follows is None],
            [item for item in by_step[step] if item.follows is not None],
        )
        for step in sorted(by_step)
    ]


def _order_days(model: cp_model.CpModel, items: Sequence[Item], day: list[cp_model.IntVar]) -> None:
    steps = _steps(items)
    for (mains, extras), (after, _) in itertools.pairwise(steps):
        for earlier in mains + extras:
            for later in after:
                model.add(day[later.index] >= day[earlier.index])
    # Sessions of one type of a step come one a day, in order.
    for mains, extras in steps:
        for group in (mains, extras):
            for one, two in itertools.pairwise(group):
                model.add(day[two.index] >= day[one.index] + 1)


def _order_times(
    model: cp_model.CpModel,
    items: Sequence[Item],
    start: list[cp_model.IntVar],
    end: list[cp_model.IntVar],
) -> None:
    steps = _steps(items)
    for (mains, extras), (after, _) in itertools.pairwise(steps):
        for earlier in mains + extras:
            for later in after:
                model.add(start[later.index] >= end[earlier.index])
    for item in items:
        if item.follows is not None:
            model.add(start[item.index] >= end[item.follows])


def _integration(
    model: cp_model.CpModel, items: Sequence[Item], day: list[cp_model.IntVar]
) -> None:
    dosing = [item.index for item in items if item.session_type.kind == "dosing"]
    for item in items:
        window = item.integration
        if item.follows is None or window is None:
            continue
        gap = day[item.index] - day[item.follows]
        model.add(gap >= window.min_days_after)
        model.add(gap <= window.max_days_after)
        if window.min_days_after >= 1:
            for dose in dosing:
                model.add(day[item.index] != day[dose])


def _spacing(
    model: cp_model.CpModel,
    protocol: Protocol,
    items: Sequence[Item],
    day: list[cp_model.IntVar],
    max_day: int,
) -> None:
    counted = [item for item in items if item.counted]
    if not counted:
        return
    stages = protocol.spacing.stages
    first = day[counted[0].index]
    weeks: list[cp_model.IntVar] = []
    in_stage: list[list[cp_model.IntVar]] = []
    for k, item in enumerate(counted):
        since = model.new_int_var(0, max_day, f"since{k}")
        model.add(since == day[item.index] - first)
        week = model.new_int_var(0, max_day // 7 + 1, f"week{k}")  # 0-based course week
        model.add_division_equality(week, since, 7)
        weeks.append(week)
        flags = []
        for n, stage in enumerate(stages):
            flag = model.new_bool_var(f"stage{k}_{n}")
            model.add(week >= stage.from_week - 1).only_enforce_if(flag)
            if stage.to_week is not None:
                model.add(week <= stage.to_week - 1).only_enforce_if(flag)
            flags.append(flag)
        model.add_exactly_one(flags)  # a dose beyond the last stage breaks the rules
        in_stage.append(flags)
        if k == 0:
            continue
        gap = day[item.index] - day[counted[k - 1].index]
        for flag, stage in zip(flags, stages, strict=True):
            model.add(gap >= stage.min_days_between).only_enforce_if(flag)
            if stage.max_days_between is not None:
                model.add(gap <= stage.max_days_between).only_enforce_if(flag)
    for k in range(len(counted)):
        for flag, stage in zip(in_stage[k], stages, strict=True):
            cap = stage.max_per_week
            if cap is not None and k + cap < len(counted):
                model.add(weeks[k + cap] >= weeks[k] + 1).only_enforce_if(flag)
