from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "kapclinic.accounts"
    label = "accounts"
    verbose_name = "Organisation and staff"
