"""Signing in and out, the second step (TOTP), the account's security page, clinic switching,
a clinic admin's reset of a colleague's 2FA, and patients' one-time sign-in links.

Sign-in is two steps: the password (or a patient's e-mailed link) signs the user in with an
unverified session, and TwoFactorMiddleware holds that session to the code page (or to
enrolment) until the second step is passed. See docs/security.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kapclinic.accounts import services
from kapclinic.accounts.actor import Actor
from kapclinic.accounts.credentials import (
    LINK_REQUESTS_PER_ACCOUNT,
    SIGN_IN_LINK_LIFETIME,
    new_totp_secret,
    provisioning_uri,
    qr_code_svg,
)
from kapclinic.accounts.forms import (
    ConfirmPasswordForm,
    EnrolmentForm,
    LoginForm,
    PasswordChangeForm,
    ResetTwoFactorForm,
    SecondFactorForm,
    SignInLinkForm,
    SwitchClinicForm,
)
from kapclinic.accounts.middleware import SESSION_CLINIC_KEY
from kapclinic.accounts.models import AuthThrottleEvent, User
from kapclinic.accounts.permissions import Capability, current_clinic, requires
from kapclinic.accounts.selectors import (
    access_clinic_staff_member,
    has_two_factor,
    list_staff_two_factor,
    lockout_until,
    second_step_for,
    two_factor_status,
)
from kapclinic.accounts.session_state import (
    NEXT_KEY,
    PENDING_SECRET_KEY,
    is_verified,
    mark_unverified,
    mark_verified,
)
from kapclinic.accounts.types import ClinicRequest
from kapclinic.core.exceptions import DomainError
from kapclinic.core.redirects import local_url
from kapclinic.core.request_context import current_request_context

INVALID_LOGIN = "That email and password do not match an active account."
INVALID_LINK = (
    "This sign-in link cannot be used: each link works once, within "
    f"{int(SIGN_IN_LINK_LIFETIME.total_seconds() // 60)} minutes. Ask for a new one below."
)
WRONG_CODE = (
    "That code is not right. Enter the newest code your app shows (your phone's clock must be "
    "set automatically), or a recovery code you have not used yet."
)
MODEL_BACKEND = "kapclinic.accounts.backends.Backend"


def _client_address() -> str | None:
    context = current_request_context()
    return context.ip_address if context else None


def _safe_next(request: HttpRequest, candidate: object) -> str:
    """The page to go to after signing in: ``candidate`` if it is a page of this site, else the
    user's home page (an unsafe or unresolvable ``next`` is dropped, never an error)."""
    return local_url(request, candidate) or resolve_url(settings.LOGIN_REDIRECT_URL)


def lockout_message(until: datetime, now: datetime) -> str:
    """The same words for a locked account, a locked address and an e-mail with no account."""
    minutes = max(1, math.ceil((until - now).total_seconds() / 60))
    unit = "minute" if minutes == 1 else "minutes"
    return (
        "Too many failed sign-in attempts. For your security, signing in is paused: "
        f"try again in {minutes} {unit}."
    )


def _locked_out(request: HttpRequest, until: datetime, now: datetime) -> HttpResponse:
    """End a half or fully signed-in session that just got locked out; say so at sign-in."""
    logout(request)
    messages.error(request, lockout_message(until, now))
    return redirect("accounts:login")


def _signed_in_by_first_factor(
    request: HttpRequest, user: User, *, next_url: str, method: str
) -> HttpResponse:
    """The password (or link) was right: sign in, then the second step if one is due."""
    login(request, user, backend=MODEL_BACKEND)
    mark_unverified(request.session)
    target = _safe_next(request, next_url)
    step = second_step_for(user, demo_mode=settings.DEMO_MODE)
    if step in ("verify", "enrol"):
        request.session[NEXT_KEY] = target
        services.record_password_accepted(user=user, next_step=step)
        return redirect("accounts:two-factor" if step == "verify" else "accounts:two-factor-enrol")
    method = "demo" if step == "demo" else method
    services.complete_sign_in(actor=Actor(user=user), method=method)
    mark_verified(request.session, method)
    return redirect(target)


@login_not_required
@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next", "")
    user = request.user
    if isinstance(user, User) and user.is_authenticated:
        if is_verified(request.session, user.email):
            return redirect(_safe_next(request, next_url))
        return redirect("accounts:two-factor")
    form = LoginForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        now = timezone.now()
        check = services.check_password(
            email=form.cleaned_data["username"],
            password=form.cleaned_data["password"],
            ip_address=_client_address(),
            now=now,
        )
        if check.user is not None:
            return _signed_in_by_first_factor(
                request, check.user, next_url=next_url, method="password"
            )
        form.add_error(
            None, lockout_message(check.locked_until, now) if check.locked_until else INVALID_LOGIN
        )
    return render(request, "accounts/login.html", {"form": form, "next": next_url})


@require_POST
@requires(Capability.MANAGE_OWN_ACCOUNT)
def sign_out(request: ClinicRequest) -> HttpResponse:
    services.record_sign_out(actor=request.actor)
    logout(request)
    return redirect(settings.LOGOUT_REDIRECT_URL)


@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
@requires(Capability.MANAGE_OWN_ACCOUNT)
def two_factor(request: ClinicRequest) -> HttpResponse:
    """The second sign-in step: a TOTP code or a recovery code."""
    user = request.user
    if is_verified(request.session, user.email):
        return redirect(_safe_next(request, request.session.get(NEXT_KEY)))
    if not has_two_factor(user):
        return redirect("accounts:two-factor-enrol")
    form = SecondFactorForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        now = timezone.now()
        check = services.verify_second_factor(
            actor=request.actor,
            code=form.cleaned_data["code"],
            ip_address=_client_address(),
            now=now,
        )
        if check.method is not None:
            request.session.cycle_key()
            mark_verified(request.session, check.method)
            if check.recovery_codes_left is not None:
                messages.warning(
                    request,
                    f"You signed in with a recovery code; {check.recovery_codes_left} left. "
                    "Make new ones on your account's security page if you are running low.",
                )
            return redirect(_safe_next(request, request.session.pop(NEXT_KEY, None)))
        if check.locked_until is not None:
            return _locked_out(request, check.locked_until, now)
        form.add_error("code", WRONG_CODE)
    # No notices or clinic details before the second step is passed.
    return render(request, "accounts/two_factor.html", {"form": form, "notices": []})


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
@requires(Capability.MANAGE_OWN_ACCOUNT)
def two_factor_enrol(request: ClinicRequest) -> HttpResponse:
    """Set up an authenticator: QR code and key, confirmed by a code; then recovery codes."""
    user = request.user
    verified = is_verified(request.session, user.email)
    if has_two_factor(user):
        if not verified:
            return redirect("accounts:two-factor")
        messages.info(request, "Two-factor authentication is already on for your account.")
        return redirect("accounts:security")
    secret = request.session.get(PENDING_SECRET_KEY)
    if not isinstance(secret, str) or not secret:
        secret = new_totp_secret()
        request.session[PENDING_SECRET_KEY] = secret
    form = EnrolmentForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            codes = services.confirm_two_factor(
                actor=request.actor,
                secret=secret,
                code=form.cleaned_data["code"],
                now=timezone.now(),
                completes_sign_in=not verified,
            )
        except DomainError as error:
            messages.info(request, error.message)
            return redirect("accounts:security")
        if codes is not None:
            if not verified:
                request.session.cycle_key()
            mark_verified(request.session, "totp")
            next_url = (
                reverse("accounts:security")
                if verified
                else _safe_next(request, request.session.pop(NEXT_KEY, None))
            )
            # Shown in this response only: the codes are stored hashed and never again readable.
            return render(
                request,
                "accounts/recovery_codes.html",
                {"codes": codes, "next_url": next_url, "enrolled": True},
            )
        form.add_error(
            "code",
            "That code does not match. Add the account with the QR code or key on this page, "
            "then enter the newest 6-digit code.",
        )
    uri = provisioning_uri(secret, user.email)
    # The SVG is built by the qrcode library from our own URI (title escaped): no user markup.
    qr_svg = mark_safe(qr_code_svg(uri, title="QR code for your authenticator app"))  # noqa: S308
    context: dict[str, Any] = {
        "form": form,
        "qr_svg": qr_svg,
        "secret": _grouped(secret),
        "verified": verified,
        # Before the second step: the sign-in layout, without navigation or notices.
        "layout": "base.html" if verified else "accounts/signin_base.html",
        **({} if verified else {"notices": []}),
    }
    return render(request, "accounts/two_factor_enrol.html", context)


@require_GET
@requires(Capability.MANAGE_OWN_ACCOUNT)
def security(request: ClinicRequest) -> HttpResponse:
    """The account's security page: password, 2FA status, recovery codes, sessions."""
    return render(
        request, "accounts/security.html", {"two_factor": two_factor_status(request.user)}
    )


def _recheck_failed(request: ClinicRequest, step: str) -> HttpResponse | None:
    """Count a wrong current password like a failed sign-in (a stolen session must not guess
    the password freely); sign out when that locks the account."""
    now = timezone.now()
    locked = services.record_sign_in_failure(
        kind=AuthThrottleEvent.Kind.PASSWORD_FAILED,
        email=request.user.email,
        ip_address=_client_address(),
        now=now,
        actor=request.user,
        detail={"step": step},
    )
    return _locked_out(request, locked, now) if locked else None


@dataclass(frozen=True)
class PasswordRecheck:
    """The signed-in user typed their password again: ``ok`` when right; ``signed_out`` (the
    session ended, to sign-in with the lockout message) when the account or address is locked,
    before or because of this attempt."""

    ok: bool
    signed_out: HttpResponse | None = None


def recheck_password(request: ClinicRequest, password: str, *, step: str) -> PasswordRecheck:
    """Check the signed-in user's password again (to leave a protected state, e.g. a tablet
    in patient mode), throttled and audited like the sign-in: while locked it is not even
    checked, and a wrong one counts towards the lockout."""
    if locked := _locked_now(request):
        return PasswordRecheck(ok=False, signed_out=locked)
    if password and request.user.check_password(password):
        return PasswordRecheck(ok=True)
    return PasswordRecheck(ok=False, signed_out=_recheck_failed(request, step))


def _locked_now(request: ClinicRequest) -> HttpResponse | None:
    now = timezone.now()
    until = lockout_until(email=request.user.email, ip_address=_client_address(), now=now)
    return _locked_out(request, until, now) if until else None


@never_cache
@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
@requires(Capability.MANAGE_OWN_ACCOUNT)
def password_change(request: ClinicRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST if request.method == "POST" else None)
    if form.is_bound:
        if locked := _locked_now(request):
            return locked
        if form.is_valid():
            services.change_password(
                actor=request.actor, new_password=form.cleaned_data["new_password1"]
            )
            update_session_auth_hash(request, request.user)
            messages.success(
                request, "Your password was changed. Your other sessions were signed out."
            )
            return redirect("accounts:security")
        wrong_password = "old_password" in form.errors and bool(form.data.get("old_password"))
        if wrong_password and (locked := _recheck_failed(request, "password_change")):
            return locked
    return render(request, "accounts/password_change.html", {"form": form})


@never_cache
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
@requires(Capability.MANAGE_OWN_ACCOUNT)
def recovery_codes(request: ClinicRequest) -> HttpResponse:
    """New recovery codes (the old ones stop working), after the password is re-entered."""
    user = request.user
    if not has_two_factor(user):
        messages.info(
            request, "Set up two-factor authentication first; recovery codes come with it."
        )
        return redirect("accounts:security")
    form = ConfirmPasswordForm(request.POST if request.method == "POST" else None)
    if form.is_bound:
        if locked := _locked_now(request):
            return locked
        if form.is_valid():
            if user.check_password(form.cleaned_data["password"]):
                codes = services.regenerate_recovery_codes(user=user, now=timezone.now())
                return render(
                    request,
                    "accounts/recovery_codes.html",
                    {"codes": codes, "next_url": reverse("accounts:security"), "enrolled": False},
                )
            if locked := _recheck_failed(request, "recovery_codes"):
                return locked
            form.add_error("password", "That is not your current password.")
    return render(request, "accounts/recovery_codes_confirm.html", {"form": form})


@require_http_methods(["GET", "POST"])
@requires(Capability.MANAGE_OWN_ACCOUNT)
def sign_out_everywhere(request: ClinicRequest) -> HttpResponse:
    """End every session of the user: other devices on their next request, this one now."""
    if request.method == "POST":
        services.sign_out_everywhere(actor=request.actor)
        logout(request)
        messages.success(request, "You were signed out everywhere, including here.")
        return redirect("accounts:login")
    return render(request, "accounts/sign_out_everywhere.html")


@require_GET
@requires(Capability.RESET_STAFF_2FA)
def staff_two_factor(request: ClinicRequest) -> HttpResponse:
    """The clinic's staff and their 2FA status, for the clinic admin."""
    clinic = current_clinic(request)
    return render(
        request,
        "accounts/staff_two_factor.html",
        {"rows": list_staff_two_factor(clinic), "clinic": clinic},
    )


@never_cache
@require_http_methods(["GET", "POST"])
@requires(Capability.RESET_STAFF_2FA)
def staff_two_factor_reset(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    """Reset a colleague's 2FA (lost phone). Only for someone working in the current clinic:
    anyone else is 404, like a person who does not exist."""
    clinic = current_clinic(request)
    person = access_clinic_staff_member(clinic, public_id)
    form = ResetTwoFactorForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            services.reset_two_factor(
                actor=request.actor, target=person, reason=form.cleaned_data["reason"]
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                f"Two-factor authentication of {person.full_name} was reset. They were signed "
                "out everywhere and will set up an authenticator at their next sign-in.",
            )
            return redirect("accounts:staff-two-factor")
    context = {
        "person": person,
        "status": two_factor_status(person),
        "form": form,
        "is_self": person.pk == request.user.pk,
    }
    return render(request, "accounts/staff_two_factor_reset.html", context)


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def sign_in_link_request(request: HttpRequest) -> HttpResponse:
    """Patients ask for a one-time link by e-mail. The answer is the same whether or not the
    address has an account."""
    form = SignInLinkForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        accepted = services.request_sign_in_link(
            email=form.cleaned_data["email"],
            ip_address=_client_address(),
            now=timezone.now(),
            link_for=lambda token: request.build_absolute_uri(
                reverse("accounts:sign-in-link", args=[token])
            ),
        )
        if accepted:
            minutes = int(SIGN_IN_LINK_LIFETIME.total_seconds() // 60)
            return render(request, "accounts/link_sent.html", {"minutes": minutes})
        form.add_error(
            None,
            "Too many sign-in links were asked for. Wait "
            f"{LINK_REQUESTS_PER_ACCOUNT.lock_minutes} minutes, then try again.",
        )
    return render(request, "accounts/link_request.html", {"form": form})


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def sign_in_link(request: HttpRequest, token: str) -> HttpResponse:
    """Open a one-time link. GET only shows a button, so that mail scanners which fetch links
    do not spend it; the POST signs in."""
    if request.method == "POST":
        now = timezone.now()
        use = services.consume_sign_in_link(token=token, ip_address=_client_address(), now=now)
        if use.user is not None:
            return _signed_in_by_first_factor(request, use.user, next_url="", method="link")
        error = lockout_message(use.locked_until, now) if use.locked_until else INVALID_LINK
        return render(request, "accounts/link_consume.html", {"error": error})
    return render(request, "accounts/link_consume.html", {"error": ""})


@require_POST
@requires(Capability.MANAGE_OWN_ACCOUNT)
def switch_clinic(request: ClinicRequest) -> HttpResponse:
    """Work in another of the user's clinics; a clinic they do not belong to is refused."""
    form = SwitchClinicForm(request.POST)
    allowed = {str(m.clinic.public_id): m.clinic for m in request.actor.memberships}
    if not form.is_valid() or str(form.cleaned_data["clinic"]) not in allowed:
        messages.error(request, "You do not work in that clinic.")
        return redirect("today:home")
    clinic = allowed[str(form.cleaned_data["clinic"])]
    request.session[SESSION_CLINIC_KEY] = str(clinic.public_id)
    messages.success(request, f"Now working in {clinic.name}.")
    return redirect(local_url(request, request.POST.get("next")) or "today:home")
