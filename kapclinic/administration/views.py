"""The clinic admin's pages: staff and roles, rooms, opening hours, details and limits.

Everything acts on the admin's *current* clinic (ClinicMiddleware picks it among their own
memberships); objects of another clinic answer 404 like missing ones. Issue 10 moved this here
from the Django admin site, which is now for the operator's superusers only.
"""

from __future__ import annotations

from collections import Counter
from uuid import UUID

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.tokens import default_token_generator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from kapclinic.accounts import services
from kapclinic.accounts.models import User
from kapclinic.accounts.permissions import Capability, current_clinic, requires
from kapclinic.accounts.selectors import (
    access_clinic_staff_member,
    access_membership,
    access_room,
    find_invited_user,
    list_clinic_rooms,
    list_clinic_staff,
    list_opening_hours,
    reload_clinic,
)
from kapclinic.accounts.services.staffing import InvitationLink
from kapclinic.accounts.types import ClinicRequest
from kapclinic.administration.forms import (
    INTERVALS_PER_DAY,
    ClinicForm,
    EndRoleForm,
    GrantRoleForm,
    OpeningHoursForm,
    RoomForm,
)
from kapclinic.core.exceptions import DomainError


def _invitation_link(request: ClinicRequest) -> InvitationLink:
    def link(user: User) -> str:
        token = services.invitation_token(user)
        return request.build_absolute_uri(
            reverse("administration:welcome", args=[user.public_id, token])
        )

    return link


def _status(form: forms.BaseForm) -> int:
    # A refused form comes back with its messages and everything typed: 422, not 200.
    return 422 if form.is_bound else 200


@never_cache
@requires(Capability.MANAGE_STAFF)
def staff(request: ClinicRequest) -> HttpResponse:
    clinic = current_clinic(request)
    return render(
        request,
        "administration/staff.html",
        {"clinic": clinic, "rows": list_clinic_staff(clinic)},
    )


@never_cache
@require_http_methods(["GET", "POST"])
@requires(Capability.MANAGE_STAFF)
def grant(request: ClinicRequest) -> HttpResponse:
    """Give someone a role here: a colleague who already has an account, or someone new (they
    are e-mailed a link to choose a password)."""
    clinic = current_clinic(request)
    roles = services.grantable_roles(request.actor.roles)
    form = GrantRoleForm(request.POST if request.method == "POST" else None, roles=roles)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            result = services.grant_role(
                actor=request.actor,
                clinic=clinic,
                email=data["email"],
                role=data["role"],
                full_name=data["full_name"],
                credentials=data["credentials"],
                link=_invitation_link(request),
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            person = result.membership.user
            role = result.membership.get_role_display()
            if result.new_account:
                messages.success(
                    request,
                    f"{person.full_name} is now {role} here. They were e-mailed a link to "
                    "choose a password; they set up two-factor authentication at first sign-in.",
                )
            else:
                messages.success(request, f"{person.full_name} is now {role} here.")
            return redirect("administration:staff")
    context = {"clinic": clinic, "form": form}
    return render(request, "administration/grant.html", context, status=_status(form))


@never_cache
@require_http_methods(["GET", "POST"])
@requires(Capability.MANAGE_STAFF)
def end_role(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    clinic = current_clinic(request)
    membership = access_membership(clinic, public_id)
    form = EndRoleForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            services.end_role(
                actor=request.actor,
                membership=membership,
                reason=form.cleaned_data["reason"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                f"The {membership.get_role_display()} role of {membership.user.full_name} "
                "has ended.",
            )
            return redirect("administration:staff")
    context = {
        "clinic": clinic,
        "membership": membership,
        "form": form,
        "is_self": membership.user_id == request.user.pk,
    }
    return render(request, "administration/end_role.html", context, status=_status(form))


@require_POST
@requires(Capability.MANAGE_STAFF)
def resend_invitation(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    clinic = current_clinic(request)
    person = access_clinic_staff_member(clinic, public_id)
    try:
        services.resend_invitation(
            actor=request.actor,
            clinic=clinic,
            user=person,
            link=_invitation_link(request),
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"A new invitation was e-mailed to {person.full_name}.")
    return redirect("administration:staff")


@never_cache
@requires(Capability.MANAGE_CLINIC)
def rooms(request: ClinicRequest) -> HttpResponse:
    clinic = current_clinic(request)
    return render(
        request, "administration/rooms.html", {"clinic": clinic, "rooms": list_clinic_rooms(clinic)}
    )


@never_cache
@require_http_methods(["GET", "POST"])
@requires(Capability.MANAGE_CLINIC)
def room_add(request: ClinicRequest) -> HttpResponse:
    return _room_form(request, public_id=None)


@never_cache
@require_http_methods(["GET", "POST"])
@requires(Capability.MANAGE_CLINIC)
def room_edit(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    return _room_form(request, public_id=public_id)


def _room_form(request: ClinicRequest, *, public_id: UUID | None) -> HttpResponse:
    clinic = current_clinic(request)
    room = access_room(clinic, public_id) if public_id else None
    form = RoomForm(request.POST if request.method == "POST" else None, instance=room)
    if form.is_bound and form.is_valid():
        try:
            saved = services.save_room(
                actor=request.actor,
                clinic=clinic,
                room=room,
                values=form.cleaned_data,
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"Room {saved.name} saved.")
            return redirect("administration:rooms")
    context = {"clinic": clinic, "form": form, "room": room}
    return render(request, "administration/room_form.html", context, status=_status(form))


@never_cache
@require_http_methods(["GET", "POST"])
@requires(Capability.MANAGE_CLINIC)
def clinic_settings(request: ClinicRequest) -> HttpResponse:
    clinic = current_clinic(request)
    # The form works on a copy: a refused change must not show on the page's header.
    form = ClinicForm(
        request.POST if request.method == "POST" else None,
        instance=reload_clinic(clinic),
    )
    if form.is_bound and form.is_valid():
        try:
            services.update_clinic(
                actor=request.actor,
                clinic=clinic,
                values=form.cleaned_data,
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Clinic details saved.")
            return redirect("administration:settings")
    context = {"clinic": clinic, "form": form}
    return render(request, "administration/settings.html", context, status=_status(form))


@never_cache
@require_http_methods(["GET", "POST"])
@requires(Capability.MANAGE_CLINIC)
def opening_hours(request: ClinicRequest) -> HttpResponse:
    clinic = current_clinic(request)
    current = [(h.weekday, h.opens_at, h.closes_at) for h in list_opening_hours(clinic)]
    # This page shows two openings a day; a clinic set up with more (by an operator) is shown
    # read-only here rather than losing the others on save.
    too_many = any(n > INTERVALS_PER_DAY for n in Counter(w for w, _o, _c in current).values())
    form = OpeningHoursForm(
        request.POST if request.method == "POST" and not too_many else None,
        initial=OpeningHoursForm.initial_from(current),
    )
    if form.is_bound and form.is_valid():
        try:
            services.set_opening_hours(
                actor=request.actor,
                clinic=clinic,
                hours=form.cleaned_data["hours"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Opening hours saved.")
            return redirect("administration:hours")
    context = {"clinic": clinic, "form": form, "too_many": too_many, "current": current}
    return render(request, "administration/hours.html", context, status=_status(form))


# --- the invited person's first password (public: they cannot sign in yet) ------------------

INVITATION_SESSION_KEY = "kapclinic.invitation"
# The token's place in the address once it has moved into the session.
SPENT = "set"


@login_not_required
@never_cache
@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
def welcome(request: HttpRequest, public_id: UUID, token: str) -> HttpResponse:
    """The e-mailed invitation link. The token moves into the session at once so that it does
    not stay in the address bar or the browser history, as Django's password reset does."""
    if token != SPENT:
        request.session[INVITATION_SESSION_KEY] = {"user": str(public_id), "token": token}
        return redirect("administration:welcome", public_id=public_id, token=SPENT)
    stored = request.session.get(INVITATION_SESSION_KEY) or {}
    token = str(stored.get("token", "")) if stored.get("user") == str(public_id) else ""
    user = find_invited_user(public_id)
    if user is None or not token or not default_token_generator.check_token(user, token):
        return render(request, "administration/welcome_invalid.html", status=410)
    form = SetPasswordForm(user, request.POST if request.method == "POST" else None)
    form.fields["new_password1"].label = "Choose a password"
    form.fields["new_password2"].label = "The same password again"
    if form.is_bound and form.is_valid():
        try:
            services.accept_invitation(
                user=user, token=token, new_password=form.cleaned_data["new_password1"]
            )
        except DomainError:
            return render(request, "administration/welcome_invalid.html", status=410)
        request.session.pop(INVITATION_SESSION_KEY, None)
        messages.success(
            request,
            "Your password is set. Sign in now; you will then set up two-factor "
            "authentication with an authenticator app.",
        )
        return redirect("accounts:login")
    status = 422 if form.is_bound else 200
    return render(
        request, "administration/welcome.html", {"form": form, "person": user}, status=status
    )
