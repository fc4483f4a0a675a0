from __future__ import annotations

from django.urls import path

from kapclinic.accounts import session_views, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.sign_out, name="logout"),
    path("two-factor/", views.two_factor, name="two-factor"),
    path("two-factor/setup/", views.two_factor_enrol, name="two-factor-enrol"),
    path("security/", views.security, name="security"),
    path("session/", session_views.this_session, name="this-session"),
    path("security/password/", views.password_change, name="password-change"),
    path("security/recovery-codes/", views.recovery_codes, name="recovery-codes"),
    path("security/sign-out-everywhere/", views.sign_out_everywhere, name="sign-out-everywhere"),
    path("staff-two-factor/", views.staff_two_factor, name="staff-two-factor"),
    path(
        "staff-two-factor/<uuid:public_id>/reset/",
        views.staff_two_factor_reset,
        name="staff-two-factor-reset",
    ),
    path("link/", views.sign_in_link_request, name="sign-in-link-request"),
    path("link/<str:token>/", views.sign_in_link, name="sign-in-link"),
    path("clinic/", views.switch_clinic, name="switch-clinic"),
]
