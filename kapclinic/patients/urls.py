from __future__ import annotations

from django.urls import path

from kapclinic.patients import merge_views, reminder_views, views

app_name = "patients"
urlpatterns = [
    path("", views.patient_list, name="list"),
    path("search/", views.search, name="search"),
    path("new/", views.register, name="register"),
    path("<uuid:public_id>/edit/", views.edit, name="edit"),
    path("<uuid:public_id>/measurements/", views.measurements, name="measurements"),
    path("<uuid:public_id>/history/", views.history, name="history"),
    path("<uuid:public_id>/contacts/", views.contacts, name="contacts"),
    path(
        "<uuid:public_id>/email-reminders/",
        reminder_views.email_reminders,
        name="email-reminders",
    ),
    path("<uuid:public_id>/timeline/", views.timeline, name="timeline"),
    path("<uuid:public_id>/merge/", merge_views.merge, name="merge"),
    path("<uuid:public_id>/diagnoses/", views.diagnoses, name="diagnoses"),
    path("diagnosis-codes/", views.diagnosis_codes, name="diagnosis-codes"),
    path("emergency-access/", views.break_glass, name="break-glass"),
    path("<uuid:public_id>/", views.chart, name="chart"),
]
