from __future__ import annotations

from django.urls import URLPattern, path

from kapclinic.scheduling import views

app_name = "scheduling"
urlpatterns: list[URLPattern] = [
    path("", views.protocols, name="protocols"),
    path("<uuid:public_id>/", views.protocol, name="protocol"),
    path("<uuid:public_id>/publish/", views.publish, name="publish"),
    path("<uuid:public_id>/retire/", views.retire, name="retire"),
]
