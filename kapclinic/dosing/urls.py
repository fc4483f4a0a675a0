"""The dosing session pages (issue 15). Other panels (pre-dose checks, preparation, the
monitoring console, notes) add their routes here under the same namespace."""

from __future__ import annotations

from django.urls import path

from kapclinic.dosing import views

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
]
