"""Dosing's pages (issue 15), by sub-domain, under /dosing/ (one namespace: ``dosing:``); a
session is named by its public id, never by the patient."""

from __future__ import annotations

from django.urls import include, path

from kapclinic.dosing import checks_views, views

app_name = "dosing"

urlpatterns = [
    path("", views.today, name="today"),
    path("appointments/<uuid:public_id>/check-in/", views.check_in, name="check-in"),
    path("sessions/<uuid:public_id>/", views.session, name="session"),
    path("sessions/<uuid:public_id>/move/", views.move, name="move"),
    path("sessions/<uuid:public_id>/escort/", views.escort, name="escort"),
    path("sessions/<uuid:public_id>/attest/", views.attest, name="attest"),
    path("sessions/<uuid:public_id>/dose/", views.dose, name="dose"),
    path("sessions/<uuid:public_id>/dose/preview/", views.dose_preview, name="dose-preview"),
    path("sessions/<uuid:public_id>/integration/", views.integration, name="integration"),
    path("sessions/<uuid:session_id>/checks/", checks_views.checks, name="checks"),
    path("sessions/<uuid:session_id>/checks/record/", checks_views.record, name="checks-record"),
    path(
        "sessions/<uuid:session_id>/checks/override/", checks_views.override, name="checks-override"
    ),
    path("sessions/<uuid:session_id>/checks/passed/", checks_views.passed, name="checks-passed"),
    path("", include("kapclinic.dosing.notes.urls")),
    path("", include("kapclinic.dosing.preparation.urls")),
    path("", include("kapclinic.dosing.console.urls")),
]
