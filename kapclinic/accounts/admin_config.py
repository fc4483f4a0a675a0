from __future__ import annotations

from django.contrib.admin.apps import AdminConfig


class KapAdminConfig(AdminConfig):
    """django.contrib.admin with the matrix-checked site (kapclinic.accounts.admin_site)."""

    default_site = "kapclinic.accounts.admin_site.KapAdminSite"
