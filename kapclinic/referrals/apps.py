from __future__ import annotations

from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "kapclinic.referrals"
    label = "referrals"
    verbose_name = "Referrals and self-check"
