"""The monitoring console and a session's vitals (issue 15.5, 15.6)."""

from __future__ import annotations

from django.urls import path

from kapclinic.dosing.console import views

urlpatterns = [
    path("console/", views.console, name="console"),
    path("console/cards/", views.cards, name="console-cards"),
    path("sessions/<uuid:session_id>/vitals/", views.vitals, name="vitals"),
    path("sessions/<uuid:session_id>/vitals/form/", views.vitals_form, name="vitals-form"),
    path(
        "sessions/<uuid:session_id>/alerts/<int:alert_id>/acknowledge/",
        views.acknowledge,
        name="acknowledge-alert",
    ),
    path(
        "sessions/<uuid:session_id>/adverse-events/new/",
        views.adverse_event,
        name="adverse-event",
    ),
]
