from __future__ import annotations

from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "kapclinic.scheduling"
    label = "scheduling"
    verbose_name = "Treatment protocols and scheduling"
