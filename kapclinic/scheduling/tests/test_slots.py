"""Whether one session fits one slot (kapclinic.scheduling.slots), on plain values: clinic
hours, room kind and equipment, staff roles and working hours, and the on-site prescriber a
dosing session needs (issue 13.5; R-REMS-2 for esketamine's monitoring equipment)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kapclinic.scheduling.protocols.definition import Equipment, Protocol, RoomKind, SessionType
from kapclinic.scheduling.protocols.shipped import shipped_protocols
from kapclinic.scheduling.slots import (
    ClinicFacts,
    Needs,
    RoomFacts,
    SlotProblemKind,
    SlotRequest,
    Span,
    StaffFacts,
    is_covered,
    merged,
    needs,
    rooms_for,
    slot_problems,
    staff_for,
)

TZ = ZoneInfo("America/New_York")
DAY = date(2027, 3, 2)  # a Tuesday
MONITORING = frozenset(
    {
        Equipment.RECLINER,
        Equipment.EYE_MASKS_AND_HEADPHONES,
        Equipment.BP_MONITOR,
        Equipment.PULSE_OXIMETER,
    }
)


def _at(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


def _protocol(code: str) -> Protocol:
    return next(p for p in shipped_protocols() if p.code == code)


def _type(code: str, session_type: str) -> SessionType:
    found = _protocol(code).session_type(session_type)
    assert found is not None
    return found


DOSE = _type("kap-im-sl", "kap-dose")  # treatment room, nurse 1:2, prescriber, therapist
INTEGRATION = _type("kap-im-sl", "integration")  # therapy room, therapist only


def _facts(*, prescriber_on_site: bool = True, leave: bool = False) -> ClinicFacts:
    day_span = (Span(_at(8), _at(18)),)
    working = () if leave else day_span
    return ClinicFacts(
        clinic_id=1,
        tz=TZ,
        first_day=DAY,
        last_day=DAY,
        opening=day_span,
        rooms={
            1: RoomFacts(1, "Treatment 1", RoomKind.TREATMENT, MONITORING, capacity=2),
            2: RoomFacts(2, "Therapy 1", RoomKind.THERAPY, frozenset(), capacity=1),
            3: RoomFacts(3, "Old room", RoomKind.TREATMENT, frozenset(), 1, is_active=False),
        },
        staff={
            10: StaffFacts(10, "Nora Nurse", frozenset({"nurse"}), day_span, day_span),
            11: StaffFacts(11, "Theo Therapist", frozenset({"therapist"}), working, working),
            12: StaffFacts(
                12,
                "Pia Prescriber",
                frozenset({"prescriber"}),
                day_span,
                day_span if prescriber_on_site else (),
            ),
        },
    )


def _dose(start: datetime, **changes: int | None) -> SlotRequest:
    values: dict[str, int | None] = {"room_id": 1, "therapist_id": 11, "nurse_id": 10}
    values.update(changes)
    return SlotRequest(DOSE, start, **values)  # type: ignore[arg-type]


def _kinds(request: SlotRequest, facts: ClinicFacts) -> set[SlotProblemKind]:
    return {problem.kind for problem in slot_problems(request, facts)}


def test_a_dosing_session_fits_a_monitored_room_with_its_staff_in_opening_hours() -> None:
    assert slot_problems(_dose(_at(9)), _facts()) == ()


def test_a_session_running_past_closing_time_does_not_fit() -> None:
    late = _at(18) - timedelta(minutes=DOSE.minutes - 15)
    problems = {p.kind: p for p in slot_problems(_dose(late), _facts())}
    # Everyone's day ends with the clinic's, so staff and cover end too.
    assert set(problems) == {
        SlotProblemKind.CLINIC_CLOSED,
        SlotProblemKind.STAFF_NOT_WORKING,
        SlotProblemKind.NO_PRESCRIBER_ON_SITE,
    }
    assert not problems[SlotProblemKind.CLINIC_CLOSED].overridable


def test_a_dose_needs_a_treatment_room_with_monitoring_equipment() -> None:
    kinds = _kinds(_dose(_at(9), room_id=2), _facts())
    assert kinds == {SlotProblemKind.ROOM_KIND, SlotProblemKind.ROOM_EQUIPMENT}
    assert _kinds(_dose(_at(9), room_id=3), _facts()) == {
        SlotProblemKind.ROOM_INACTIVE,
        SlotProblemKind.ROOM_EQUIPMENT,
    }
    assert _kinds(_dose(_at(9), room_id=99), _facts()) == {SlotProblemKind.UNKNOWN_ROOM}


def test_a_dose_needs_a_nurse_and_a_therapist_who_hold_those_roles() -> None:
    problems = slot_problems(_dose(_at(9), nurse_id=None, therapist_id=None), _facts())
    assert {(p.kind, p.field) for p in problems} == {
        (SlotProblemKind.STAFF_MISSING, "nurse"),
        (SlotProblemKind.STAFF_MISSING, "therapist"),
    }
    swapped = _kinds(_dose(_at(9), nurse_id=11, therapist_id=10), _facts())
    assert swapped == {SlotProblemKind.STAFF_ROLE}


def test_staff_on_leave_can_be_booked_only_with_an_override() -> None:
    problems = slot_problems(_dose(_at(9)), _facts(leave=True))
    assert [(p.kind, p.field, p.overridable) for p in problems] == [
        (SlotProblemKind.STAFF_NOT_WORKING, "therapist", True)
    ]
    assert "Theo Therapist" in problems[0].message


def test_a_dose_is_never_bookable_without_a_prescriber_on_site() -> None:
    problems = slot_problems(_dose(_at(9)), _facts(prescriber_on_site=False))
    assert [(p.kind, p.overridable) for p in problems] == [
        (SlotProblemKind.NO_PRESCRIBER_ON_SITE, False)
    ]
    # Integration needs no prescriber: the same day is fine for it.
    integration = SlotRequest(INTEGRATION, _at(9), room_id=2, therapist_id=11)
    assert slot_problems(integration, _facts(prescriber_on_site=False)) == ()


def test_a_request_outside_the_period_read_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="outside the period"):
        slot_problems(_dose(_at(9, day=DAY + timedelta(days=1))), _facts())


def test_rooms_and_staff_for_a_session_type() -> None:
    facts = _facts()
    assert [room.name for room in rooms_for(DOSE, facts)] == ["Treatment 1"]
    assert [room.name for room in rooms_for(INTEGRATION, facts)] == ["Therapy 1"]
    assert [person.id for person in staff_for("nurse", facts)] == [10]
    assert needs(DOSE) == Needs(
        therapist=True, nurse=True, patients_per_nurse=2, prescriber_on_site=True
    )
    assert not needs(INTEGRATION).nurse


def test_prescriber_cover_is_the_union_of_prescribers_on_site_hours() -> None:
    morning, afternoon = Span(_at(8), _at(12)), Span(_at(12), _at(17))
    facts = ClinicFacts(
        clinic_id=1,
        tz=TZ,
        first_day=DAY,
        last_day=DAY,
        opening=(Span(_at(8), _at(18)),),
        staff={
            1: StaffFacts(1, "A", frozenset({"prescriber"}), (morning,), (morning,)),
            2: StaffFacts(2, "B", frozenset({"prescriber"}), (afternoon,), (afternoon,)),
            3: StaffFacts(3, "C", frozenset({"nurse"}), (Span(_at(17), _at(18)),), ()),
        },
    )
    assert facts.prescriber_cover == (Span(_at(8), _at(17)),)
    assert is_covered(Span(_at(11), _at(13)), facts.prescriber_cover)
    assert not is_covered(Span(_at(16), _at(18)), facts.prescriber_cover)


_minutes = st.integers(min_value=0, max_value=24 * 60)


@given(st.lists(st.tuples(_minutes, _minutes), max_size=8), _minutes, _minutes)
def test_covered_means_every_minute_is_inside_some_span(
    raw: list[tuple[int, int]], a: int, b: int
) -> None:
    base = datetime(2027, 1, 1, tzinfo=UTC)
    spans = [
        Span(base + timedelta(minutes=min(x, y)), base + timedelta(minutes=max(x, y)))
        for x, y in raw
        if x != y
    ]
    if a == b:
        return
    span = Span(base + timedelta(minutes=min(a, b)), base + timedelta(minutes=max(a, b)))
    minutes = range(min(a, b), max(a, b))
    inside = all(
        any(s.starts_at <= base + timedelta(minutes=m) < s.ends_at for s in spans) for m in minutes
    )
    assert is_covered(span, spans) == inside
    union = merged(spans)
    assert all(x.ends_at < y.starts_at for x, y in pairwise(union))
