from __future__ import annotations

from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "kapclinic.demo"
    label = "demo"
    verbose_name = "Synthetic clinic generator"
