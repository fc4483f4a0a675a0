from __future__ import annotations

from django.apps import AppConfig


class MeasurementConfig(AppConfig):
    name = "kapclinic.measurement"
    label = "measurement"
    verbose_name = "Measurement"

    def ready(self) -> None:
        from kapclinic.measurement import safety, timeline_sources

        safety.register_timeline()
        timeline_sources.register()
