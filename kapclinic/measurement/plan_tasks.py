"""Background work for measurement plans (Django tasks API; the database backend runs them)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django_tasks import task


@task()
def send_questionnaire_link(*, recipient: str, url: str, clinic_name: str, hours: int) -> int:
    """E-mail a patient a one-time questionnaire link. Nothing about their care: no name, no
    diagnosis, no instrument; only the clinic's name, "a short questionnaire" and the link."""
    return send_mail(
        subject=f"{clinic_name}: a short questionnaire for you",
        message=(
            f"{clinic_name} asks you to fill in a short questionnaire:\n\n"
            f"{url}\n\n"
            f"The link works once, within {hours} hours. If it no longer works, ask the "
            "clinic for a new one.\n"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[recipient],
    )
