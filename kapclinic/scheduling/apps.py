from __future__ import annotations

from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "kapclinic.scheduling"
    label = "scheduling"
    verbose_name = "Treatment protocols and scheduling"

    def ready(self) -> None:
        from kapclinic.measurement.outcomes.sessions import register_session_source
        from kapclinic.scheduling.graph_marks import attended_sessions

        # The outcome graph (measurement, a layer below) marks the sessions booked here.
        register_session_source("scheduling", attended_sessions)
