"""Background work for accounts (Django tasks API; the database backend runs them)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django_tasks import task


@task()
def send_attention_email(*, clinic_name: str, recipients: list[str]) -> int:
    """Tell staff that something waits for them in the app; no patient details in e-mail."""
    return send_mail(
        subject=f"kapclinic: an alert needs your attention at {clinic_name}",
        message=(
            f"An alert for {clinic_name} is waiting for you in kapclinic.\n"
            "Sign in to read it. (No patient details are sent by e-mail.)\n"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=recipients,
    )


@task()
def send_sign_in_link(*, recipient: str, url: str, minutes: int) -> int:
    """E-mail a patient their one-time sign-in link (nothing about their care)."""
    return send_mail(
        subject="Your kapclinic sign-in link",
        message=(
            "Use this link to sign in to the kapclinic patient portal:\n\n"
            f"{url}\n\n"
            f"It works once, within {minutes} minutes. If you did not ask for it, ignore this "
            "e-mail: nobody can sign in without the link.\n"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[recipient],
    )


@task()
def send_security_notice(*, recipient: str, subject: str, body: str) -> int:
    """Tell a user about a security change to their account (no patient details)."""
    return send_mail(
        subject=subject,
        message=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[recipient],
    )
