from __future__ import annotations

from django.urls import path

from kapclinic.referrals import views

app_name = "referrals"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("new/", views.new_clinician_referral, name="new"),
    path("<uuid:public_id>/", views.detail, name="detail"),
    path("<uuid:public_id>/register/", views.register, name="register"),
    path("<uuid:public_id>/link/", views.link, name="link"),
]
