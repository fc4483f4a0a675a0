from __future__ import annotations

from django.apps import AppConfig


class AdministrationConfig(AppConfig):
    """A clinic's administration by its clinic admins: staff and roles, rooms, opening hours,
    details and limits. Pages only; the writes are accounts.services (audited)."""

    name = "kapclinic.administration"
    label = "administration"
    verbose_name = "Clinic administration"
