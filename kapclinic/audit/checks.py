"""Deploy checks for the audit trail's checkpoints (issue 10, point 4)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register

from kapclinic.audit.checkpoints import DEFAULT_SINK


@register(Tags.security, deploy=True)
def audit_checkpoints_are_configured(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """Without signed checkpoints outside the database, truncation of the trail goes unseen."""
    if settings.AUDIT_CHECKPOINT_SINK == DEFAULT_SINK and not settings.AUDIT_CHECKPOINT_FILE:
        return [
            Warning(
                "AUDIT_CHECKPOINT_FILE is not set: deleting the newest audit entries (with the "
                "chain head rolled back) or wiping the trail cannot be detected.",
                hint=(
                    "Point it at append-only storage the database's users cannot rewrite and run "
                    "manage.py audit_checkpoint from cron every few minutes (docs/security.md)."
                ),
                id="kapclinic.W002",
            )
        ]
    return []
