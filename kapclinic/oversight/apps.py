from __future__ import annotations

from django.apps import AppConfig


class OversightConfig(AppConfig):
    name = "kapclinic.oversight"
    label = "oversight"
    verbose_name = "Oversight (audit report)"
