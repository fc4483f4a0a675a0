from __future__ import annotations

from django.apps import AppConfig


class MeasurementConfig(AppConfig):
    name = "kapclinic.measurement"
    label = "measurement"
    verbose_name = "Measurement"

    def ready(self) -> None:
        from kapclinic.measurement.assignments import outbox
        from kapclinic.measurement.outcomes import timeline
        from kapclinic.measurement.plans import jobs as plan_jobs
        from kapclinic.measurement.safety import services as safety

        safety.register_timeline()
        timeline.register()
        # The plans layer queues the link e-mails the assignment state says are due (ADR 0007).
        outbox.register_link_queuer("plans", plan_jobs.enqueue_link_sends)
