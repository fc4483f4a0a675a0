"""The ledger's pages, by sub-domain."""

from __future__ import annotations

from django.urls import include, path

app_name = "ledger"

urlpatterns = [
    path("", include("kapclinic.ledger.books.urls")),
    path("counts/", include("kapclinic.ledger.counts.urls")),
    path("reports/", include("kapclinic.ledger.reports.urls")),
]
