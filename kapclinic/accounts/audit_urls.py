from __future__ import annotations

from django.urls import path

from kapclinic.accounts import audit_views

app_name = "audit"
urlpatterns = [
    path("", audit_views.report, name="report"),
    path("export.csv", audit_views.export_csv, name="export"),
]
