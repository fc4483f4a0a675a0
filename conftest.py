"""Project-wide pytest fixtures: the synthetic clinic, signed-in clients per role, the browser."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.test import Client

from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.demo.generator import DEMO_LOGINS, DEMO_PASSWORD, GenerationResult, generate_clinic

# Live-server tests run the ORM from Playwright's event loop thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEMO_TODAY = date(2026, 11, 25)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if shutil.which(CHROMIUM) is not None:
        return
    if os.environ.get("CI") == "true":
        raise pytest.UsageError(f"CI=true but {CHROMIUM} is missing: browser tests must run in CI.")
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is not installed (apt-get install chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture
def demo(db: None) -> GenerationResult:
    """A small synthetic organisation: 2 clinics, their rooms and staff, 60 patients."""
    return generate_clinic(patients=60, seed=11, today=DEMO_TODAY)


@pytest.fixture
def clinics(demo: GenerationResult) -> list[Clinic]:
    return list(Clinic.objects.order_by("id"))


@pytest.fixture
def demo_user() -> Callable[[Role], User]:
    def get(role: Role) -> User:
        return User.objects.get(email=DEMO_LOGINS[role][0])

    return get


@pytest.fixture
def client_for(
    demo: GenerationResult, demo_user: Callable[[Role], User]
) -> Callable[[Role], Client]:
    """A test client signed in as the demo user of ``role``."""

    def make(role: Role) -> Client:
        client = Client()
        client.force_login(demo_user(role))
        return client

    return make


@pytest.fixture
def demo_password() -> str:
    return DEMO_PASSWORD
