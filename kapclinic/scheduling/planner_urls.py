from __future__ import annotations

from django.urls import URLPattern, path

from kapclinic.scheduling import planner_views

app_name = "planner"
urlpatterns: list[URLPattern] = [
    path("patients/<uuid:public_id>/", planner_views.plan, name="plan"),
    path("patients/<uuid:public_id>/book/", planner_views.book, name="book"),
]
