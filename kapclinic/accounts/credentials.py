"""Pure sign-in security rules: TOTP codes, recovery codes, link tokens, throttling numbers.

No ORM here: functions take plain values and ``now``. Services store and audit the results.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

import pyotp
import qrcode
import qrcode.image.svg
from django.utils.crypto import salted_hmac
from django.utils.html import escape

ISSUER: Final = "kapclinic"
# Codes of the previous and the next 30-second step are accepted too (clock drift on phones).
TOTP_VALID_WINDOW: Final = 1
RECOVERY_CODE_COUNT: Final = 10
# 12 characters from a 32-letter alphabet without look-alikes (0/O, 1/I/L): 60 bits each.
_RECOVERY_ALPHABET: Final = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
RECOVERY_CODE_LENGTH: Final = 12
SIGN_IN_LINK_LIFETIME: Final = timedelta(minutes=15)
# The e-mail domain of the demo logins (kapclinic.demo.generator.DEMO_DOMAIN; a test keeps the
# two equal). Only with settings.DEMO_MODE may these accounts sign in without a second factor.
DEMO_EMAIL_DOMAIN: Final = "demo.kapclinic.test"
# Staff are signed out after this many minutes without activity when they have no clinic.
DEFAULT_IDLE_MINUTES: Final = 15


@dataclass(frozen=True)
class ThrottleRule:
    """``limit`` events within ``window`` lock (or refuse) for ``lock_for``."""

    limit: int
    window: timedelta
    lock_for: timedelta

    @property
    def lock_minutes(self) -> int:
        return int(self.lock_for.total_seconds() // 60)


# Failed sign-in steps (password, 2FA code, recovery code) per account and per client address.
ACCOUNT_FAILURES: Final = ThrottleRule(5, timedelta(minutes=15), timedelta(minutes=15))
ADDRESS_FAILURES: Final = ThrottleRule(20, timedelta(minutes=15), timedelta(minutes=15))
# Requests for a patient sign-in link, per e-mail address typed and per client address.
LINK_REQUESTS_PER_ACCOUNT: Final = ThrottleRule(3, timedelta(minutes=15), timedelta(minutes=15))
LINK_REQUESTS_PER_ADDRESS: Final = ThrottleRule(10, timedelta(minutes=15), timedelta(minutes=15))
# Throttle rows older than this are no longer needed and are pruned.
THROTTLE_RETENTION: Final = timedelta(days=1)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def account_key(email: str) -> str:
    """A keyed hash of the e-mail typed: counts per account without storing the address."""
    return salted_hmac(
        "kapclinic.accounts.throttle", normalise_email(email), algorithm="sha256"
    ).hexdigest()


def is_demo_account(email: str) -> bool:
    return normalise_email(email).endswith("@" + DEMO_EMAIL_DOMAIN)


# --- TOTP ------------------------------------------------------------------------------------


def new_totp_secret() -> str:
    return pyotp.random_base32(length=32)


def provisioning_uri(secret: str, account_name: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=account_name, issuer_name=ISSUER)


def totp_step(now: datetime) -> int:
    return int(now.timestamp()) // 30


def matching_totp_step(
    secret: str, code: str, now: datetime, *, newer_than: int | None = None
) -> int | None:
    """The time step whose code equals ``code`` (within the drift window), else None.

    A step at or before ``newer_than`` (the last accepted one) never matches: no code is
    accepted twice.
    """
    if not re.fullmatch(r"\d{6}", code):
        return None
    totp = pyotp.TOTP(secret)
    current = totp_step(now)
    for step in range(current - TOTP_VALID_WINDOW, current + TOTP_VALID_WINDOW + 1):
        if newer_than is not None and step <= newer_than:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def qr_code_svg(data: str, *, title: str) -> str:
    """An inline <svg> QR code of ``data``: no script, no style attribute (the CSP forbids both),
    with a title for screen readers. Sized by CSS (class ``qr-code``)."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathFillImage, border=4)
    markup = image.to_string(encoding="unicode")
    markup = re.sub(r"^<\?xml[^>]*\?>\s*", "", markup)
    view_box = re.search(r'viewBox="([^"]+)"', markup)
    opening = (
        '<svg class="qr-code" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'aria-labelledby="qr-code-title" viewBox="{view_box.group(1) if view_box else ""}">'
        f'<title id="qr-code-title">{escape(title)}</title>'
    )
    return re.sub(r"^<svg[^>]*>", opening, markup, count=1)


def looks_like_totp(code: str) -> bool:
    return re.fullmatch(r"\d{6}", code) is not None


def clean_code(raw: str) -> str:
    """What the user typed into the code field, without spaces or dashes, upper-cased."""
    return re.sub(r"[\s-]+", "", raw).upper()


# --- Recovery codes --------------------------------------------------------------------------


def new_recovery_codes(count: int = RECOVERY_CODE_COUNT) -> list[str]:
    """Fresh codes, formatted for reading: three groups of four characters joined by hyphens."""
    codes = []
    for _ in range(count):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
        codes.append("-".join(raw[i : i + 4] for i in range(0, RECOVERY_CODE_LENGTH, 4)))
    return codes


def looks_like_recovery_code(code: str) -> bool:
    cleaned = clean_code(code)
    return len(cleaned) == RECOVERY_CODE_LENGTH and all(c in _RECOVERY_ALPHABET for c in cleaned)


def recovery_code_hash(user_salt: str, code: str) -> str:
    """SHA-256 of the code salted per user. The codes carry 60 random bits each, so a fast hash
    is enough (unlike passwords) and lets a code be found by its hash."""
    return hashlib.sha256(f"{user_salt}:{clean_code(code)}".encode()).hexdigest()


# --- One-time sign-in links ------------------------------------------------------------------

_TOKEN_SHAPE: Final = re.compile(r"[A-Za-z0-9_-]{43}")


def new_link_token() -> str:
    """256 random bits, URL-safe. The token says nothing about whom it is for."""
    return secrets.token_urlsafe(32)


def is_link_token_shaped(token: str) -> bool:
    return _TOKEN_SHAPE.fullmatch(token) is not None


def link_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
