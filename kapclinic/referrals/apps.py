from __future__ import annotations

from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "kapclinic.referrals"
    label = "referrals"
    verbose_name = "Referrals and self-check"

    def ready(self) -> None:
        from kapclinic.referrals import timeline_sources

        timeline_sources.register()
