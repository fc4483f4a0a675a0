"""The clinic's playlist library (issue 15.2, R-INT-8), under /clinic/playlists/ with the
clinic administration pages."""

from __future__ import annotations

from django.urls import URLPattern, path

from kapclinic.dosing.preparation import playlist_views

app_name = "playlists"
urlpatterns: list[URLPattern] = [
    path("", playlist_views.library, name="library"),
    path("new/", playlist_views.add, name="add"),
    path("<uuid:public_id>/", playlist_views.playlist, name="playlist"),
    path("<uuid:public_id>/retire/", playlist_views.retire, name="retire"),
]
