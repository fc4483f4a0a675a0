"""The demo's calendar: sessions on the clinic's working days, inside the day's hours."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from kapclinic.demo.workweek import Workweek

CHICAGO = ZoneInfo("America/Chicago")
# Monday to Friday 08:00-18:00, Saturday 09:00-13:00 (as some demo clinics).
WEEK = Workweek(
    tz=CHICAGO,
    hours={
        **{d: (time(8), time(18)) for d in range(5)},
        5: (time(9), time(13)),
    },
)
FRIDAY, SATURDAY, SUNDAY = date(2026, 11, 27), date(2026, 11, 28), date(2026, 11, 29)
QUESTIONNAIRES, SESSION = timedelta(minutes=30), timedelta(hours=2, minutes=15)


def test_a_closed_day_moves_to_the_next_working_day() -> None:
    assert WEEK.open_from(FRIDAY) == FRIDAY
    assert WEEK.open_from(SATURDAY) == SATURDAY
    assert WEEK.open_from(SUNDAY) == date(2026, 11, 30)
    weekdays_only = Workweek(tz=CHICAGO, hours={d: (time(8), time(18)) for d in range(5)})
    assert weekdays_only.open_from(SATURDAY) == date(2026, 11, 30)


def test_a_clinic_without_hours_has_no_working_day() -> None:
    with pytest.raises(ValueError, match="no opening hours"):
        Workweek(tz=CHICAGO, hours={}).open_from(FRIDAY)


@pytest.mark.parametrize(
    ("day", "wanted", "start"),
    [
        (FRIDAY, time(11), time(11)),  # fits as asked
        (FRIDAY, time(8), time(8, 30)),  # the questionnaires first, after opening
        (FRIDAY, time(17), time(15, 30)),  # the session and the rating before closing
        (SATURDAY, time(14), time(10, 30)),  # a short day
        (SATURDAY, time(8), time(9, 30)),
    ],
)
def test_a_session_starts_inside_the_days_hours_in_the_clinics_zone(
    day: date, wanted: time, start: time
) -> None:
    at = WEEK.at(day, wanted, before=QUESTIONNAIRES, after=SESSION)
    assert at == datetime.combine(day, start, tzinfo=CHICAGO)
    assert at.utcoffset() == timedelta(hours=-6)  # Chicago in November


def test_a_day_too_short_for_the_session_starts_it_at_opening() -> None:
    short = Workweek(tz=CHICAGO, hours={4: (time(9), time(10))})
    assert short.at(FRIDAY, time(12), before=QUESTIONNAIRES, after=SESSION).time() == time(9)
