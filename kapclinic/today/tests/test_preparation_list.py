"""The "Sessions to prepare" list of Today (issue 15.2, R-INT-3), from the generated clinic's
coming dosing sessions."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Role
from kapclinic.dosing.models import RoomCheck
from kapclinic.dosing.tests.preparing import Prep, make_prep
from kapclinic.ledger.tests.books import client_for
from kapclinic.today.todo import list_todo

pytestmark = pytest.mark.django_db


@pytest.fixture
def prep(demo: object) -> Prep:
    return make_prep()


def _url(prep: Prep, name: str) -> str:
    return reverse(name, args=[prep.session.public_id])


def _note_data() -> dict[str, str]:
    return {
        "intention": "To rest",
        "expectations": "Talked through the arc",
        "touch_consent": "yes",
        "preferred_playlist": "",
        "music_preference": "Strings",
        "eye_mask": "wants",
        "support_person": "Sam, partner",
    }


def test_the_nurse_and_the_care_therapist_see_the_sessions_to_prepare(prep: Prep) -> None:
    """R-INT-3: a coming dosing session without its note or room check is on the to-do list of
    the clinicians who run it, and leaves it once both are written."""
    nurse = prep.appointment.nurse
    assert nurse is not None
    lists = {t.key: t for t in list_todo(prep.clinic, {Role.NURSE}, prep.now, user=nurse)}
    urls = [item.url for item in lists["to_prepare"].items]
    assert reverse("dosing:prepare-appointment", args=[prep.appointment.public_id]) in urls
    client = client_for(Actor.for_user(nurse, prep.clinic))
    client.post(_url(prep, "dosing:preparation-note"), _note_data())
    client.post(_url(prep, "dosing:preparation-room"), {f: "on" for f, _l in RoomCheck.ITEMS})
    lists = {t.key: t for t in list_todo(prep.clinic, {Role.NURSE}, prep.now, user=nurse)}
    urls = [item.url for item in lists["to_prepare"].items]
    assert reverse("dosing:prepare-appointment", args=[prep.appointment.public_id]) not in urls
    assert "to_prepare" not in {
        t.key for t in list_todo(prep.clinic, {Role.FRONT_DESK}, prep.now, user=nurse)
    }
