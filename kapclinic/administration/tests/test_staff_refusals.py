"""Every refusal of the staffing service (issue 10) says why and writes nothing: an unknown
role, a new account without a name, a deactivated account, a role already held, ending one's
own or an ended role, inviting as a non-admin, and an invitation link used twice."""

from __future__ import annotations

import pytest

from kapclinic.accounts import services
from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role, StaffMembership, User
from kapclinic.accounts.services.staffing import roles_in
from kapclinic.accounts.tests.helpers import staff_of
from kapclinic.audit.models import AuditEvent
from kapclinic.core.exceptions import DomainError

pytestmark = pytest.mark.django_db


def _link(user: User) -> str:
    return f"https://kap.example.org/welcome/{user.public_id}/"


@pytest.fixture
def home(clinics: list[Clinic]) -> Clinic:
    return clinics[0]


@pytest.fixture
def admin(home: Clinic) -> Actor:
    return Actor.for_user(staff_of(home, Role.CLINIC_ADMIN), home)


def _nothing_written(before_memberships: int, before_users: int) -> None:
    assert StaffMembership.objects.count() == before_memberships
    assert User.objects.count() == before_users
    assert not AuditEvent.objects.filter(action__startswith="access.role_").exists()
    assert not AuditEvent.objects.filter(action="access.invitation_sent").exists()


def _counts() -> tuple[int, int]:
    return StaffMembership.objects.count(), User.objects.count()


@pytest.mark.parametrize(
    ("email", "role", "full_name", "message"),
    [
        ("someone@staff.example.org", "surgeon", "Sam Someone", "Choose one of the roles."),
        (
            "nobody.yet@staff.example.org",
            Role.NURSE,
            "  ",
            "Give the new staff member's full name.",
        ),
    ],
)
def test_an_unknown_role_or_a_nameless_new_account_is_refused(
    home: Clinic, admin: Actor, email: str, role: str, full_name: str, message: str
) -> None:
    before = _counts()
    with pytest.raises(DomainError, match=message):
        services.grant_role(
            actor=admin, clinic=home, email=email, role=role, full_name=full_name, link=_link
        )
    _nothing_written(*before)


def test_a_deactivated_account_is_not_given_a_role(home: Clinic, admin: Actor) -> None:
    gone = staff_of(home, Role.THERAPIST)
    User.objects.filter(pk=gone.pk).update(is_active=False)
    before = _counts()
    with pytest.raises(DomainError, match="deactivated"):
        services.grant_role(actor=admin, clinic=home, email=gone.email, role=Role.NURSE, link=_link)
    _nothing_written(*before)


def test_a_role_already_held_is_not_granted_twice(home: Clinic, admin: Actor) -> None:
    nurse = staff_of(home, Role.NURSE)
    before = _counts()
    with pytest.raises(DomainError, match="is already Nurse here"):
        services.grant_role(
            actor=admin, clinic=home, email=nurse.email, role=Role.NURSE, link=_link
        )
    _nothing_written(*before)


def test_nobody_ends_their_own_role_nor_one_already_ended(home: Clinic, admin: Actor) -> None:
    own = StaffMembership.objects.get(user=admin.user, clinic=home, role=Role.CLINIC_ADMIN)
    with pytest.raises(DomainError, match="your own role"):
        services.end_role(actor=admin, membership=own, reason="Left the clinic in November")
    theirs = StaffMembership.objects.filter(clinic=home, role=Role.NURSE).first()
    assert theirs is not None
    StaffMembership.objects.filter(pk=theirs.pk).update(is_active=False)
    with pytest.raises(DomainError, match="already ended"):
        services.end_role(actor=admin, membership=theirs, reason="Left the clinic in November")
    assert StaffMembership.objects.get(pk=own.pk).is_active
    assert not AuditEvent.objects.filter(action="access.role_ended").exists()


def test_only_a_clinic_admin_resends_an_invitation(home: Clinic) -> None:
    nurse = Actor.for_user(staff_of(home, Role.NURSE), home)
    invited = User.objects.create_user("invited@staff.example.org", None, full_name="Ivy Invited")
    with pytest.raises(DomainError, match="Only a clinic admin"):
        services.resend_invitation(actor=nurse, clinic=home, user=invited, link=_link)
    assert not AuditEvent.objects.filter(action="access.invitation_sent").exists()


def test_an_invitation_link_works_once(home: Clinic) -> None:
    invited = User.objects.create_user("once@staff.example.org", None, full_name="Olive Once")
    token = services.invitation_token(invited)
    services.accept_invitation(user=invited, token=token, new_password="a long new passphrase 1")
    invited.refresh_from_db()
    assert invited.check_password("a long new passphrase 1")
    with pytest.raises(DomainError, match="expired or was already used"):
        services.accept_invitation(
            user=invited, token=token, new_password="another long passphrase 2"
        )
    invited.refresh_from_db()
    assert invited.check_password("a long new passphrase 1")


def test_a_user_without_an_active_account_has_no_roles(home: Clinic) -> None:
    nurse = staff_of(home, Role.NURSE)
    assert Role.NURSE in roles_in(nurse, home)
    User.objects.filter(pk=nurse.pk).update(is_active=False)
    nurse.refresh_from_db()
    assert roles_in(nurse, home) == frozenset()
