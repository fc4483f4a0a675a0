"""The pages of session notes and of the REMS Patient Monitoring Form (issue 15.8), under
/dosing/ (kapclinic.dosing.urls)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from kapclinic.dosing.notes import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("sessions/<uuid:session_id>/notes/", views.notes, name="notes"),
    path("sessions/<uuid:session_id>/notes/draft/", views.note_draft, name="note_draft"),
    path(
        "sessions/<uuid:session_id>/notes/<uuid:note_id>/addenda/",
        views.note_addendum,
        name="note_addendum",
    ),
    path("sessions/<uuid:session_id>/rems-form/", views.rems_form, name="rems_form"),
    path("rems-forms/", views.rems_forms, name="rems_forms"),
]
