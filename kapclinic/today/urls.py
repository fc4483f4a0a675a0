from __future__ import annotations

from django.urls import path

from kapclinic.today import views

app_name = "today"
urlpatterns = [
    path("", views.today, name="today"),
    path("schedule/", views.upcoming_area, {"area": "schedule"}, name="schedule"),
    path("monitoring/", views.upcoming_area, {"area": "monitoring"}, name="monitoring"),
    path("outcomes/", views.upcoming_area, {"area": "outcomes"}, name="outcomes"),
    path("ledger/", views.upcoming_area, {"area": "ledger"}, name="ledger"),
]
