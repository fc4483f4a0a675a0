from __future__ import annotations

from django.urls import path

from kapclinic.portal import calendar_views, intention_views, views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("consent/<str:treatment_type>/", views.sign_consent, name="sign-consent"),
    path("questionnaires/<uuid:public_id>/", views.questionnaire, name="questionnaire"),
    path("due/<uuid:public_id>/start/", views.start_due, name="start-due"),
    path("calendar/", calendar_views.calendar, name="calendar"),
    path("intentions/<uuid:public_id>/", intention_views.intention, name="intention"),
    path("email-reminders/", views.email_reminders, name="email-reminders"),
]
