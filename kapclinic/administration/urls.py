from __future__ import annotations

from django.urls import path

from kapclinic.administration import instruments, views

app_name = "administration"
urlpatterns = [
    path("staff/", views.staff, name="staff"),
    path("staff/grant/", views.grant, name="grant"),
    path("staff/roles/<uuid:public_id>/end/", views.end_role, name="end-role"),
    path("staff/<uuid:public_id>/invitation/", views.resend_invitation, name="invitation"),
    path("rooms/", views.rooms, name="rooms"),
    path("rooms/add/", views.room_add, name="room-add"),
    path("rooms/<uuid:public_id>/", views.room_edit, name="room-edit"),
    path("settings/", views.clinic_settings, name="settings"),
    path("hours/", views.opening_hours, name="hours"),
    path("instruments/", instruments.instruments, name="instruments"),
    path("instruments/<slug:code>/", instruments.instrument, name="instrument"),
    path(
        "instruments/wording/<uuid:public_id>/retire/",
        instruments.retire,
        name="wording-retire",
    ),
    # The e-mailed invitation (public): the invited person chooses their first password.
    path("welcome/<uuid:public_id>/<str:token>/", views.welcome, name="welcome"),
]
