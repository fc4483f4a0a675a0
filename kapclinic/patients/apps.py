from __future__ import annotations

from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "kapclinic.patients"
    label = "patients"
    verbose_name = "Patients"

    def ready(self) -> None:
        from kapclinic.patients import timeline_sources

        timeline_sources.register()
