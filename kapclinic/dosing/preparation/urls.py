"""The preparation pages of a dosing session (issue 15.2), under /dosing/ in the "dosing"
namespace. No ``app_name`` here: config/urls.py gives the namespace, so that these patterns can
join dosing's main URL module (``urlpatterns += preparation.urls.urlpatterns``) unchanged."""

from __future__ import annotations

from django.urls import URLPattern, path

from kapclinic.dosing.preparation import views

urlpatterns: list[URLPattern] = [
    path("sessions/<uuid:public_id>/preparation/", views.preparation, name="preparation"),
    path("sessions/<uuid:public_id>/preparation/note/", views.note, name="preparation-note"),
    path("sessions/<uuid:public_id>/preparation/room/", views.room, name="preparation-room"),
    path(
        "sessions/<uuid:public_id>/preparation/setting/",
        views.setting,
        name="preparation-setting",
    ),
    path(
        "appointments/<uuid:public_id>/preparation/",
        views.prepare_appointment,
        name="prepare-appointment",
    ),
]
