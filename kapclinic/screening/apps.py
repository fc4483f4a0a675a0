from __future__ import annotations

from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "kapclinic.screening"
    label = "screening"
    verbose_name = "Screening"

    def ready(self) -> None:
        from kapclinic.screening import timeline_sources

        timeline_sources.register()
