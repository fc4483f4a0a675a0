"""The Django admin site is for the operator's superusers only (issue 10).

Open to clinic admins, it let an admin of one clinic read the other clinic's record, rooms and
staff, list every user (patients' e-mail addresses included), and add themself a prescriber
role in the other clinic. Every admin URL, for every model and for objects of both clinics, is
checked here for every role, so that a newly registered model cannot reopen the hole.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.contrib import admin
from django.db import models
from django.test import Client
from django.urls import NoReverseMatch, reverse

from kapclinic.accounts.models import Clinic, Role, StaffMembership, User
from kapclinic.accounts.permissions import ALL_ROLES
from kapclinic.audit.models import AuditEvent
from kapclinic.demo.generator import GenerationResult
from kapclinic.patients.models import Patient
from tests.architecture.routing import World
from tests.architecture.test_permission_matrix import _client_for_role


@pytest.fixture
def world(demo: GenerationResult, clinics: list[Clinic]) -> World:
    home = clinics[0]
    return World(home=home, patient=Patient.objects.filter(clinic=home).order_by("id")[0])


def _objects_of_each_clinic(model: type[models.Model], clinics: list[Clinic]) -> list[object]:
    """One object of ``model`` per clinic where the model belongs to a clinic, else any one."""
    names = {f.name for f in model._meta.get_fields()}
    manager = model._default_manager
    if model is Clinic:
        return list(clinics)
    if "clinic" in names:
        found = [manager.filter(clinic=c).order_by("pk").first() for c in clinics]
        return [o for o in found if o is not None]
    if model is User:
        return [
            u
            for c in clinics
            if (u := User.objects.filter(memberships__clinic=c).order_by("pk").first())
        ]
    first = manager.order_by("pk").first()
    return [first] if first is not None else []


def admin_urls(clinics: list[Clinic]) -> Iterator[str]:
    """Every page the admin site serves, for objects of every clinic."""
    yield reverse("admin:index")
    labels = set()
    for model in admin.site._registry:
        opts = model._meta
        labels.add(opts.app_label)
        base = f"admin:{opts.app_label}_{opts.model_name}"
        yield reverse(f"{base}_changelist")
        yield reverse(f"{base}_add")
        for obj in _objects_of_each_clinic(model, clinics):
            for view in ("change", "history", "delete"):
                try:
                    yield reverse(f"{base}_{view}", args=[obj.pk])  # type: ignore[attr-defined]
                except NoReverseMatch:
                    continue
    for label in sorted(labels):
        yield reverse("admin:app_list", args=[label])


def test_the_admin_site_covers_the_models_that_hold_clinic_boundaries(
    clinics: list[Clinic],
) -> None:
    urls = list(admin_urls(clinics))
    membership = StaffMembership.objects.filter(clinic=clinics[1]).order_by("pk").first()
    assert membership is not None
    assert reverse("admin:accounts_staffmembership_add") in urls
    assert reverse("admin:accounts_staffmembership_change", args=[membership.pk]) in urls
    assert reverse("admin:accounts_user_changelist") in urls


@pytest.mark.parametrize("role", ALL_ROLES)
def test_no_clinic_role_opens_any_page_of_the_admin_site(
    role: str,
    world: World,
    clinics: list[Clinic],
    demo_user: Callable[[Role], User],
) -> None:
    client = _client_for_role(role, world, demo_user)
    opened = []
    for url in admin_urls(clinics):
        response = client.get(url)
        if not (response.status_code == 302 and response["Location"].startswith("/admin/login/")):
            opened.append(f"{url}: {response.status_code}")
    assert opened == []


def test_a_clinic_admin_cannot_grant_themself_a_role_in_another_clinic_through_the_admin(
    clinics: list[Clinic],
) -> None:
    home, other = clinics
    admin_user = User.objects.get(
        memberships__clinic=home,
        memberships__role=Role.CLINIC_ADMIN,
        email__endswith="@staff.example.org",
    )
    assert not StaffMembership.objects.filter(user=admin_user, clinic=other).exists()
    client = Client()
    client.force_login(admin_user)
    before = AuditEvent.objects.count()
    response = client.post(
        reverse("admin:accounts_staffmembership_add"),
        {"user": admin_user.pk, "clinic": other.pk, "role": Role.PRESCRIBER, "is_active": "on"},
    )
    assert response.status_code == 302
    assert not StaffMembership.objects.filter(user=admin_user, clinic=other).exists()
    changed = client.post(
        reverse("admin:accounts_user_change", args=[admin_user.pk]),
        {"email": admin_user.email, "full_name": "x", "is_superuser": "on", "is_staff": "on"},
    )
    assert changed.status_code == 302
    admin_user.refresh_from_db()
    assert not admin_user.is_superuser
    assert not admin_user.is_staff
    assert AuditEvent.objects.count() == before


def test_superusers_read_the_admin_site_but_grant_roles_only_in_the_app(
    clinics: list[Clinic],
) -> None:
    operator = User.objects.create_superuser("operator@example.org", "x" * 20, full_name="Op")
    client = Client()
    client.force_login(operator)
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("admin:accounts_room_changelist")).status_code == 200
    assert client.get(reverse("admin:accounts_staffmembership_changelist")).status_code == 200
    # Roles are granted through accounts.services (audited, with its rules), never here.
    assert client.get(reverse("admin:accounts_staffmembership_add")).status_code == 403
    membership = StaffMembership.objects.filter(clinic=clinics[0]).order_by("pk").first()
    assert membership is not None
    response = client.post(
        reverse("admin:accounts_staffmembership_change", args=[membership.pk]),
        {"user": membership.user_id, "clinic": clinics[1].pk, "role": membership.role},
    )
    assert response.status_code == 403
    membership.refresh_from_db()
    assert membership.clinic == clinics[0]
