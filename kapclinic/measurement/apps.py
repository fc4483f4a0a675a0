from __future__ import annotations

from django.apps import AppConfig


class MeasurementConfig(AppConfig):
    name = "kapclinic.measurement"
    label = "measurement"
    verbose_name = "Measurement"

    def ready(self) -> None:
        from kapclinic.measurement.outcomes import timeline
        from kapclinic.measurement.safety import services as safety

        safety.register_timeline()
        timeline.register()
