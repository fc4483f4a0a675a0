from __future__ import annotations

from django.urls import path

from kapclinic.screening import policy_views, views

app_name = "screening"
urlpatterns = [
    path("policy/", policy_views.policy, name="policy"),
    path("patients/<uuid:public_id>/new/", views.new, name="new"),
    path("patients/<uuid:public_id>/", views.history, name="history"),
    path("<uuid:public_id>/", views.detail, name="detail"),
    path("<uuid:public_id>/override/", views.override, name="override"),
    path("<uuid:public_id>/sign/", views.sign, name="sign"),
    path("<uuid:public_id>/entered-in-error/", views.entered_in_error, name="entered-in-error"),
]
