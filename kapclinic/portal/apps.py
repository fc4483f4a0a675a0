from __future__ import annotations

from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "kapclinic.portal"
    label = "portal"
    verbose_name = "Patient portal"
