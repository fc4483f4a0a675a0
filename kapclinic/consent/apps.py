from __future__ import annotations

from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "kapclinic.consent"
    label = "consent"
    verbose_name = "Informed consent"

    def ready(self) -> None:
        from kapclinic.consent import timeline_sources

        timeline_sources.register()
