from __future__ import annotations

from django.urls import path

from kapclinic.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.logout, name="logout"),
    path("clinic/", views.switch_clinic, name="switch-clinic"),
]
