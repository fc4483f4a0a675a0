"""Background jobs for responses (Django tasks API; the database backend runs them)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django_tasks import task


@task()
def send_questionnaire_link(
    *, recipient: str, urls: list[str], clinic_name: str, hours: int
) -> int:
    """E-mail a patient one message with one-time questionnaire links. Nothing about their care:
    no name, no diagnosis, no instrument; only the clinic's name, "short questionnaire(s)" and
    the links."""
    many = len(urls) > 1
    asked = f"{len(urls)} short questionnaires" if many else "a short questionnaire"
    works = "Each link works once" if many else "The link works once"
    again = "If one no longer works" if many else "If it no longer works"
    return send_mail(
        subject=f"{clinic_name}: {'short questionnaires' if many else 'a short questionnaire'} "
        "for you",
        message=(
            f"{clinic_name} asks you to fill in {asked}:\n\n"
            + "".join(f"{url}\n" for url in urls)
            + f"\n{works}, within {hours} hours. {again}, ask the clinic for a new one.\n"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[recipient],
    )
