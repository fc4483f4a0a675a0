from __future__ import annotations

from django.apps import AppConfig


class DosingConfig(AppConfig):
    name = "kapclinic.dosing"
    label = "dosing"
    verbose_name = "Dosing sessions"
