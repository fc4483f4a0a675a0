"""Template tags of the accounts app."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings

register = template.Library()


@register.inclusion_tag("accounts/partials/demo_banner.html")
def demo_banner() -> dict[str, Any]:
    """The banner every page shows in the demo profile, where demo logins skip 2FA."""
    return {"demo_mode": bool(settings.DEMO_MODE)}
