from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import PasswordChangeForm as DjangoPasswordChangeForm

from kapclinic.accounts.credentials import (
    clean_code,
    looks_like_recovery_code,
    looks_like_totp,
    normalise_email,
)
from kapclinic.core.reasons import clean_reason

# Attributes of every field that takes a one-time code (WCAG 1.3.5: the purpose is declared).
_CODE_ATTRS = {
    "autocomplete": "one-time-code",
    "autocapitalize": "off",
    "spellcheck": "false",
    "autofocus": True,
}


class LoginForm(forms.Form):
    """The first sign-in step. Whether the pair is right is the view's (and service's) call."""

    username = forms.EmailField(
        label="Email",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def clean_username(self) -> str:
        return normalise_email(str(self.cleaned_data["username"]))


class SecondFactorForm(forms.Form):
    code = forms.CharField(
        label="Authentication code",
        max_length=32,
        help_text="The 6-digit code from your authenticator app, or one of your recovery codes.",
        widget=forms.TextInput(attrs=_CODE_ATTRS),
    )

    def clean_code(self) -> str:
        code = clean_code(str(self.cleaned_data["code"]))
        if not (looks_like_totp(code) or looks_like_recovery_code(code)):
            msg = (
                "Enter the 6 digits your authenticator app shows, or a recovery code "
                "like ABCD-EFGH-JKMN."
            )
            raise forms.ValidationError(msg)
        return code


class EnrolmentForm(forms.Form):
    code = forms.CharField(
        label="Code from your app",
        max_length=32,
        help_text="After adding the account, your app shows a 6-digit code. Enter it here.",
        widget=forms.TextInput(attrs={**_CODE_ATTRS, "inputmode": "numeric"}),
    )

    def clean_code(self) -> str:
        code = clean_code(str(self.cleaned_data["code"]))
        if not looks_like_totp(code):
            msg = "Enter the 6 digits your authenticator app shows now."
            raise forms.ValidationError(msg)
        return code


class PasswordChangeForm(DjangoPasswordChangeForm):
    """Django's form (current password, new twice, every AUTH_PASSWORD_VALIDATORS rule) with
    field-level errors only: a mismatch is reported at the second new-password field."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = "Current password"
        self.fields["new_password1"].label = "New password"
        self.fields["new_password2"].label = "New password again"

    error_messages = {
        **DjangoPasswordChangeForm.error_messages,
        "password_incorrect": "That is not your current password.",
    }


class ConfirmPasswordForm(forms.Form):
    """Re-enter the password before a sensitive change (the view checks it, with throttling)."""

    password = forms.CharField(
        label="Your password",
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )


class ResetTwoFactorForm(forms.Form):
    reason = forms.CharField(
        label="Reason for the reset",
        max_length=500,
        help_text="Kept in the audit trail, e.g. “lost phone; identity checked in person”.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean_reason(self) -> str:
        return clean_reason(self.cleaned_data["reason"], error=forms.ValidationError)


class SignInLinkForm(forms.Form):
    email = forms.EmailField(
        label="Email",
        max_length=254,
        help_text="The address your clinic has for you.",
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    def clean_email(self) -> str:
        return normalise_email(str(self.cleaned_data["email"]))


class SwitchClinicForm(forms.Form):
    clinic = forms.UUIDField()
