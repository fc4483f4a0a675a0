from __future__ import annotations

from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "kapclinic.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from kapclinic.audit import checks  # noqa: F401 - registers the system checks
