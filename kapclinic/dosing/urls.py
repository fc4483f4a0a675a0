"""Dosing's pages (issue 15), by sub-domain, under /dosing/ (one namespace: ``dosing:``); a
session is named by its public id, never by the patient."""

from __future__ import annotations

from django.urls import include, path

from kapclinic.dosing import views

app_name = "dosing"

urlpatterns = [
    path("sessions/<uuid:session_id>/checks/", views.checks, name="checks"),
    path("sessions/<uuid:session_id>/checks/record/", views.record, name="checks-record"),
    path("sessions/<uuid:session_id>/checks/override/", views.override, name="checks-override"),
    path("sessions/<uuid:session_id>/checks/passed/", views.passed, name="checks-passed"),
    path("", include("kapclinic.dosing.notes.urls")),
]
