"""Dosing's pages, by sub-domain."""

from __future__ import annotations

from django.urls import include, path

app_name = "dosing"

urlpatterns = [
    path("", include("kapclinic.dosing.console.urls")),
]
