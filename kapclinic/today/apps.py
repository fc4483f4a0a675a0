from __future__ import annotations

from django.apps import AppConfig


class TodayConfig(AppConfig):
    name = "kapclinic.today"
    label = "today"
    verbose_name = "Today and workspace"
