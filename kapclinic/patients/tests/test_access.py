"""Record access from a view: the capability comes from the view's @requires."""

from __future__ import annotations

from collections.abc import Callable
from uuid import uuid4

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Role, User
from kapclinic.patients.access import access_patient


def test_record_access_from_a_view_without_a_declared_capability_is_a_programming_error(
    demo: object, demo_user: Callable[[Role], User]
) -> None:
    request = RequestFactory().get("/")
    request.actor = Actor.for_user(demo_user(Role.PRESCRIBER))  # type: ignore[attr-defined]
    with pytest.raises(ImproperlyConfigured, match="@requires"):
        access_patient(request, uuid4(), action="patients.chart_viewed")  # type: ignore[arg-type]
