"""System checks for settings that must never reach production, or that production needs."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def demo_profile_is_off(app_configs: Any, **kwargs: Any) -> list[Error]:
    """The demo profile lets demo accounts skip two-factor authentication."""
    if getattr(settings, "DEMO_MODE", False):
        return [
            Error(
                "KAPCLINIC_DEMO is on: demo accounts may skip two-factor "
                "authentication. Never deploy the demo profile.",
                id="kapclinic.E001",
            )
        ]
    return []


@register(deploy=True)
def base_url_is_set(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """Links sent by the worker (questionnaire links falling due) need the site's address."""
    if not getattr(settings, "BASE_URL", ""):
        return [
            Warning(
                "KAPCLINIC_BASE_URL is not set: questionnaire links are not e-mailed "
                "automatically when they fall due (staff can still send them from the worklist).",
                hint="Set it to the public origin, e.g. https://kap.example.org.",
                id="kapclinic.W001",
            )
        ]
    return []
