from __future__ import annotations

from django.urls import URLPattern, path

from kapclinic.consent import views

app_name = "consent"
urlpatterns: list[URLPattern] = [
    path("documents/", views.documents, name="documents"),
    path("patients/<uuid:public_id>/", views.patient_consent, name="patient"),
    path("patients/<uuid:public_id>/sign/<str:treatment_type>/", views.sign, name="sign"),
    path("records/<uuid:public_id>/countersign/", views.countersign_view, name="countersign"),
    path("records/<uuid:public_id>/withdraw/", views.withdraw_view, name="withdraw"),
]
