"""The audit actions accounts writes: sign-in and security, staff access, clinic set-up.

Values are stored in the audit trail and covered by its hashes: never change one; add a member
instead (kapclinic/audit/actions.py).
"""

from __future__ import annotations

from kapclinic.audit.actions import AuditAction


class AccountAuditAction(AuditAction):
    # Sign-in and security
    LOGIN = "auth.login", "Signed in"
    LOGIN_FAILED = "auth.login_failed", "Sign-in failed (wrong password)"
    LOGIN_REFUSED = "auth.login_refused", "Sign-in refused (account locked)"
    LOCKOUT = "auth.lockout", "Account locked after failed attempts"
    PASSWORD_ACCEPTED = "auth.password_accepted", "Password accepted (second factor next)"
    PASSWORD_CHANGED = "auth.password_changed", "Password changed"
    LOGOUT = "auth.logout", "Signed out"
    IDLE_TIMEOUT = "auth.idle_timeout", "Signed out after inactivity"
    SIGN_OUT_EVERYWHERE = "auth.sign_out_everywhere", "Signed out on every device"
    TWO_FACTOR_ENROLLED = "auth.2fa_enrolled", "Two-factor sign-in set up"
    TWO_FACTOR_FAILED = "auth.2fa_failed", "Two-factor code refused"
    TWO_FACTOR_RESET = "auth.2fa_reset", "Two-factor sign-in reset"
    RECOVERY_CODE_USED = "auth.recovery_code_used", "Recovery code used"
    RECOVERY_CODES_REGENERATED = "auth.recovery_codes_regenerated", "Recovery codes regenerated"
    LINK_SENT = "auth.link_sent", "Sign-in link sent"
    LINK_USED = "auth.link_used", "Sign-in link used"
    LINK_FAILED = "auth.link_failed", "Sign-in link refused"
    INVITATION_ACCEPTED = "auth.invitation_accepted", "Invitation accepted"
    # Staff access
    ROLE_GRANTED = "access.role_granted", "Role granted"
    ROLE_ENDED = "access.role_ended", "Role ended"
    INVITATION_SENT = "access.invitation_sent", "Invitation sent again"
    # Clinic set-up
    CLINIC_UPDATED = "clinic.updated", "Clinic details changed"
    HOURS_CHANGED = "clinic.hours_changed", "Opening hours changed"
    ROOM_ADDED = "clinic.room_added", "Room added"
    ROOM_CHANGED = "clinic.room_changed", "Room changed"
