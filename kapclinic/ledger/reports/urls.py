from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from kapclinic.ledger.reports import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.report, name="report"),
    path("report.csv", views.export_csv, name="report-csv"),
]
