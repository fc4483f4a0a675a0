from __future__ import annotations

from django.urls import URLPattern, path

from kapclinic.scheduling.notify import views

app_name = "notify"
urlpatterns: list[URLPattern] = [
    path("", views.my_feed, name="my-feed"),
    path("rooms/", views.room_feeds, name="room-feeds"),
    path("reminders/", views.reminders, name="reminders"),
]
