from __future__ import annotations

from django.urls import path

from kapclinic.today import views

app_name = "today"
urlpatterns = [
    path("", views.home, name="home"),
    path("today/", views.today, name="today"),
    path("outcomes/", views.outcomes, name="outcomes"),
    path("aggregates/", views.aggregates, name="aggregates"),
    path("notices/<uuid:public_id>/read/", views.dismiss_notice, name="dismiss-notice"),
]
