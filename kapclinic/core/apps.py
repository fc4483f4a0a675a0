from __future__ import annotations

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "kapclinic.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from kapclinic.core import checks  # noqa: F401 - registers the system checks
