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
