"""System checks for settings that must never reach production."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register


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
