"""Scheduling's tests keep a calendar of their own (``quiet_calendar``): written before the
demo had a rota and bookings, each sets the hours, leave and appointments it reads."""

from __future__ import annotations

import pytest

from kapclinic.scheduling.tests.quiet_calendar import clear_demo_calendar


@pytest.fixture(autouse=True)
def _calendar_of_the_test(request: pytest.FixtureRequest) -> None:
    if "demo" in request.fixturenames:
        request.getfixturevalue("demo")
        clear_demo_calendar()
