"""Staff and roles (issue 10): only a clinic's admins grant and end roles there, never their own,
never in another clinic, every change audited and told to the other admins; someone new is
invited by e-mail and chooses a password through a single-use link."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from kapclinic.accounts import services
from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role, StaffMembership, StaffNotice, User
from kapclinic.accounts.tests.helpers import staff_of
from kapclinic.audit.models import AuditEvent, Operation
from kapclinic.core.exceptions import DomainError

Capture = Callable[..., Any]
WELCOME = re.compile(r"https?://[^/\s]+(/clinic/welcome/[0-9a-f-]+/[^/\s]+/)")


def _admin_of(clinic: Clinic) -> User:
    """A generated clinic admin who works in ``clinic`` only."""
    return staff_of(clinic, Role.CLINIC_ADMIN)


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _link(user: User) -> str:
    return f"https://kap.example.org/welcome/{user.public_id}/"


def test_an_admin_gives_a_colleague_a_second_role_and_the_other_admins_are_told(
    clinics: list[Clinic], django_capture_on_commit_callbacks: Capture
) -> None:
    home = clinics[0]
    admin = _admin_of(home)
    nurse = staff_of(home, Role.NURSE)
    other_admins = set(
        User.objects.filter(memberships__clinic=home, memberships__role=Role.CLINIC_ADMIN)
        .exclude(pk=admin.pk)
        .values_list("pk", flat=True)
    )
    assert other_admins
    client = _signed_in(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("administration:grant"),
            {"email": nurse.email.upper(), "role": Role.THERAPIST},
            follow=True,
        )
    assert response.redirect_chain[-1][0] == reverse("administration:staff")
    assert f"{nurse.full_name} is now Therapist here." in response.content.decode()
    membership = StaffMembership.objects.get(user=nurse, clinic=home, role=Role.THERAPIST)
    assert membership.is_active
    event = AuditEvent.objects.get(action="access.role_granted")
    assert event.operation == Operation.ACCESS
    assert event.actor == admin
    assert event.clinic_public_id == home.public_id
    assert event.detail["role"] == Role.THERAPIST
    assert event.detail["new_account"] is False
    notified = set(
        StaffNotice.objects.filter(
            clinic=home, subject__contains="Therapist role granted"
        ).values_list("recipient", flat=True)
    )
    assert notified == other_admins
    assert admin.pk not in notified
    # No invitation for someone who has an account: one e-mail, to the other admins.
    assert len(mail.outbox) == 1
    assert nurse.email not in mail.outbox[0].recipients()


def test_someone_new_is_invited_chooses_a_password_and_must_then_set_up_2fa(
    clinics: list[Clinic], django_capture_on_commit_callbacks: Capture
) -> None:
    admin = _admin_of(clinics[0])
    client = _signed_in(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("administration:grant"),
            {
                "email": "new.nurse@staff.example.org",
                "full_name": "Noor Newcomer",
                "credentials": "RN",
                "role": Role.NURSE,
            },
        )
    assert response.status_code == 302
    person = User.objects.get(email="new.nurse@staff.example.org")
    assert not person.has_usable_password()
    assert person.kind == User.Kind.STAFF
    assert AuditEvent.objects.get(action="access.role_granted").detail["new_account"] is True
    invitation = next(m for m in mail.outbox if m.to == [person.email])
    match = WELCOME.search(str(invitation.body))
    assert match is not None
    staff_page = client.get(reverse("administration:staff")).content.decode()
    assert "Invited, no password yet" in staff_page
    # The admin's Today keeps it on their list until the newcomer has chosen a password.
    today = client.get(reverse("today:today")).content.decode()
    assert "Invitations not yet accepted <small>(1)</small>" in today
    assert "Invited, has not chosen a password yet" in today

    newcomer = Client()
    opened = newcomer.get(match.group(1))
    # The token leaves the address bar at once.
    assert opened.status_code == 302
    assert opened["Location"] == reverse("administration:welcome", args=[person.public_id, "set"])
    form = newcomer.get(opened["Location"])
    assert form.status_code == 200
    weak = newcomer.post(
        opened["Location"], {"new_password1": "password", "new_password2": "password"}
    )
    assert weak.status_code == 422
    person.refresh_from_db()
    assert not person.has_usable_password()
    chosen = "violet-harbour-lantern-42"
    done = newcomer.post(opened["Location"], {"new_password1": chosen, "new_password2": chosen})
    assert done["Location"] == reverse("accounts:login")
    person.refresh_from_db()
    assert person.check_password(chosen)
    assert AuditEvent.objects.filter(action="auth.invitation_accepted", actor=person).exists()
    assert "not chosen a password yet" not in client.get(reverse("today:today")).content.decode()
    # The link is spent, in this browser and in any other.
    assert newcomer.get(opened["Location"]).status_code == 410
    again = Client()
    assert again.get(again.get(match.group(1))["Location"]).status_code == 410
    # Signing in leads to two-factor enrolment before anything else.
    signed_in = Client()
    step = signed_in.post(reverse("accounts:login"), {"username": person.email, "password": chosen})
    assert step["Location"] == reverse("accounts:two-factor-enrol")


def test_nobody_changes_their_own_roles(clinics: list[Clinic]) -> None:
    admin = _admin_of(clinics[0])
    client = _signed_in(admin)
    before = AuditEvent.objects.count()
    response = client.post(
        reverse("administration:grant"), {"email": admin.email, "role": Role.PRESCRIBER}
    )
    assert response.status_code == 422
    assert "You cannot change your own roles" in response.content.decode()
    own = StaffMembership.objects.get(user=admin, clinic=clinics[0], role=Role.CLINIC_ADMIN)
    ended = client.post(
        reverse("administration:end-role", args=[own.public_id]), {"reason": "testing myself"}
    )
    assert ended.status_code == 422
    own.refresh_from_db()
    assert own.is_active
    assert not StaffMembership.objects.filter(user=admin, role=Role.PRESCRIBER).exists()
    assert AuditEvent.objects.count() == before


def test_an_admin_of_one_clinic_can_do_nothing_in_another(clinics: list[Clinic]) -> None:
    home, other = clinics
    admin = _admin_of(home)
    assert not StaffMembership.objects.filter(user=admin, clinic=other).exists()
    client = _signed_in(admin)
    theirs = (
        StaffMembership.objects.filter(clinic=other, is_active=True)
        .exclude(user__memberships__clinic=home)
        .order_by("pk")[0]
    )
    before = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True)[0]
    # The other clinic's membership is 404, like a missing one.
    assert client.get(reverse("administration:end-role", args=[theirs.public_id])).status_code == (
        404
    )
    assert (
        client.post(
            reverse("administration:end-role", args=[theirs.public_id]), {"reason": "not mine"}
        ).status_code
        == 404
    )
    assert (
        client.post(reverse("administration:invitation", args=[theirs.user.public_id])).status_code
        == 404
    )
    # A clinic named in the form is ignored: the grant is in the admin's current clinic.
    client.post(
        reverse("administration:grant"),
        {
            "email": "someone@staff.example.org",
            "full_name": "Some One",
            "role": Role.NURSE,
            "clinic": str(other.public_id),
        },
    )
    assert not StaffMembership.objects.filter(clinic=other, user__email="someone@staff.example.org")
    # Switching to a clinic where one holds no role is refused by the middleware.
    client.post(reverse("accounts:switch-clinic"), {"clinic": str(other.public_id)})
    client.post(
        reverse("administration:grant"),
        {"email": admin.email, "role": Role.PRESCRIBER},
    )
    assert not StaffMembership.objects.filter(user=admin, clinic=other).exists()
    theirs.refresh_from_db()
    assert theirs.is_active
    grants = AuditEvent.objects.filter(pk__gt=before, action="access.role_granted")
    # The one grant in the home clinic, nothing in the other.
    assert [e.clinic_public_id for e in grants] == [home.public_id]


def test_the_service_refuses_a_grantor_who_is_not_an_admin_of_that_clinic(
    clinics: list[Clinic],
) -> None:
    home, other = clinics
    admin = _admin_of(home)
    prescriber = staff_of(home, Role.PRESCRIBER)
    nurse = staff_of(other, Role.NURSE)
    with pytest.raises(DomainError):
        services.grant_role(
            actor=Actor.for_user(admin, home),
            clinic=other,
            email=nurse.email,
            role=Role.THERAPIST,
            link=_link,
        )
    with pytest.raises(DomainError):
        # Roles passed in by a caller are not trusted: the database says who is admin.
        services.grant_role(
            actor=Actor(user=prescriber, roles=frozenset({Role.CLINIC_ADMIN}), clinic=home),
            clinic=home,
            email=nurse.email,
            role=Role.PRESCRIBER,
            link=_link,
        )
    theirs = StaffMembership.objects.filter(clinic=other).order_by("pk")[0]
    with pytest.raises(DomainError):
        services.end_role(
            actor=Actor.for_user(admin, home), membership=theirs, reason="not my clinic"
        )
    assert not StaffMembership.objects.filter(user=nurse, role=Role.THERAPIST).exists()
    assert not AuditEvent.objects.filter(action__startswith="access.role_").exists()


def test_no_role_above_ones_own_is_grantable() -> None:
    assert services.grantable_roles({Role.CLINIC_ADMIN}) == frozenset(Role.values)
    for role in Role.values:
        if role != Role.CLINIC_ADMIN:
            assert services.grantable_roles({role}) == frozenset()


def test_a_patients_portal_address_is_not_made_a_staff_account(clinics: list[Clinic]) -> None:
    portal_patient_user = User.objects.create_user(
        "portal.person@example.org", "x" * 20, full_name="Portal Person", kind=User.Kind.PATIENT
    )
    client = _signed_in(_admin_of(clinics[0]))
    response = client.post(
        reverse("administration:grant"),
        {"email": portal_patient_user.email, "role": Role.FRONT_DESK},
    )
    assert response.status_code == 422
    assert "belongs to a patient portal account" in response.content.decode()
    assert not StaffMembership.objects.filter(user=portal_patient_user).exists()


def test_ending_a_role_takes_the_access_away_at_the_next_click(
    clinics: list[Clinic], django_capture_on_commit_callbacks: Capture
) -> None:
    home = clinics[0]
    admin = _admin_of(home)
    frontdesk = staff_of(home, Role.FRONT_DESK)
    assert StaffMembership.objects.filter(user=frontdesk, is_active=True).count() == 1
    their_session = _signed_in(frontdesk)
    assert their_session.get(reverse("patients:list")).status_code == 200
    membership = StaffMembership.objects.get(user=frontdesk, clinic=home, role=Role.FRONT_DESK)
    client = _signed_in(admin)
    empty = client.post(reverse("administration:end-role", args=[membership.public_id]), {})
    assert empty.status_code == 422
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            reverse("administration:end-role", args=[membership.public_id]),
            {"reason": "Left the clinic"},
        )
    assert done.status_code == 302
    membership.refresh_from_db()
    assert not membership.is_active
    event = AuditEvent.objects.get(action="access.role_ended")
    assert event.purpose == "Left the clinic"
    assert their_session.get(reverse("patients:list")).status_code == 403
    # Granting the role again reactivates the same membership.
    client.post(reverse("administration:grant"), {"email": frontdesk.email, "role": "front_desk"})
    membership.refresh_from_db()
    assert membership.is_active
    assert their_session.get(reverse("patients:list")).status_code == 200


def test_a_new_invitation_goes_only_to_someone_without_a_password(
    clinics: list[Clinic], django_capture_on_commit_callbacks: Capture
) -> None:
    home = clinics[0]
    admin = _admin_of(home)
    client = _signed_in(admin)
    client.post(
        reverse("administration:grant"),
        {"email": "late@staff.example.org", "full_name": "Lee Late", "role": Role.THERAPIST},
    )
    late = User.objects.get(email="late@staff.example.org")
    with django_capture_on_commit_callbacks(execute=True):
        resent = client.post(reverse("administration:invitation", args=[late.public_id]))
    assert resent.status_code == 302
    assert [m.to for m in mail.outbox] == [[late.email]]
    assert AuditEvent.objects.filter(action="access.invitation_sent").count() == 1
    colleague = staff_of(home, Role.NURSE)
    refused = client.post(
        reverse("administration:invitation", args=[colleague.public_id]), follow=True
    )
    assert "has already chosen a password" in refused.content.decode()
    assert AuditEvent.objects.filter(action="access.invitation_sent").count() == 1


def test_the_operator_gives_a_new_clinic_its_first_admin(clinics: list[Clinic]) -> None:
    home = clinics[0]
    call_command(
        "grant_role",
        clinic=home.code.lower(),
        email="first.admin@staff.example.org",
        name="Fay First",
        role=Role.CLINIC_ADMIN,
        reason="New clinic opening",
        stdout=io.StringIO(),
    )
    person = User.objects.get(email="first.admin@staff.example.org")
    assert StaffMembership.objects.filter(user=person, clinic=home, role=Role.CLINIC_ADMIN)
    event = AuditEvent.objects.get(action="access.role_granted")
    assert event.actor is None
    assert event.detail["operator"] is True
    assert event.purpose == "New clinic opening"
    with pytest.raises(CommandError, match="No clinic has the code"):
        call_command("grant_role", clinic="NOPE", email="x@example.org", role="nurse", reason="r")
