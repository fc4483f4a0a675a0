"""Writes about users and the organisation.

A package by sub-domain: the organisation's writes live here, sign-in security in
``signin`` (passwords, throttling, sessions), ``two_factor`` and ``links`` (patients' one-time
sign-in links), ``staffing`` (granting and ending staff roles, invitations) and
``clinic_setup`` (a clinic's details, rooms and opening hours), ``notices``. Everything is
re-exported, so callers import from ``kapclinic.accounts.services``.
"""

from __future__ import annotations

from kapclinic.accounts.services.clinic_setup import (
    save_room,
    set_opening_hours,
    update_clinic,
)
from kapclinic.accounts.services.links import (
    LinkUse,
    consume_sign_in_link,
    request_sign_in_link,
)
from kapclinic.accounts.services.notices import mark_notice_read, notify_clinic_admins
from kapclinic.accounts.services.signin import (
    PasswordCheck,
    change_password,
    check_password,
    complete_sign_in,
    record_idle_timeout,
    record_password_accepted,
    record_sign_in_failure,
    record_sign_out,
    sign_out_everywhere,
)
from kapclinic.accounts.services.staffing import (
    Grant,
    accept_invitation,
    end_role,
    grant_role,
    grantable_roles,
    invitation_token,
    resend_invitation,
)
from kapclinic.accounts.services.two_factor import (
    SecondFactorCheck,
    confirm_two_factor,
    regenerate_recovery_codes,
    reset_two_factor,
    verify_second_factor,
)

__all__ = [
    "Grant",
    "LinkUse",
    "PasswordCheck",
    "SecondFactorCheck",
    "accept_invitation",
    "change_password",
    "check_password",
    "complete_sign_in",
    "confirm_two_factor",
    "consume_sign_in_link",
    "end_role",
    "grant_role",
    "grantable_roles",
    "invitation_token",
    "mark_notice_read",
    "notify_clinic_admins",
    "record_idle_timeout",
    "record_password_accepted",
    "record_sign_in_failure",
    "record_sign_out",
    "regenerate_recovery_codes",
    "request_sign_in_link",
    "resend_invitation",
    "reset_two_factor",
    "save_room",
    "set_opening_hours",
    "sign_out_everywhere",
    "update_clinic",
    "verify_second_factor",
]
