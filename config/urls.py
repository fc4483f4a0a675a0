from __future__ import annotations

from django.contrib import admin
from django.urls import include, path, re_path

from kapclinic.api.api import api
from kapclinic.core import views as core_views
from kapclinic.measurement.responses import views as measurement_views
from kapclinic.referrals import views as referral_views
from kapclinic.scheduling.notify import views as feed_views

urlpatterns = [
    path("", include("kapclinic.today.urls")),
    path("accounts/", include("kapclinic.accounts.urls")),
    path("patients/", include("kapclinic.patients.urls")),
    path("audit/", include("kapclinic.oversight.urls")),
    path("clinic/protocols/", include("kapclinic.scheduling.urls")),
    path("planner/", include("kapclinic.scheduling.planner_urls")),
    path("clinic/calendar/", include("kapclinic.scheduling.calendars.urls")),
    path("ledger/", include("kapclinic.ledger.urls")),
    path("dosing/", include("kapclinic.dosing.urls")),
    path("clinic/", include("kapclinic.administration.urls")),
    path("referrals/", include("kapclinic.referrals.urls")),
    path("refer/", referral_views.self_check, name="self-check"),
    # A one-time questionnaire link (no sign-in): the token is spent on first opening, then the
    # browser session carries on at /q/ so the token does not stay in the address bar.
    path("q/<str:token>/", measurement_views.link_entry, name="questionnaire-link"),
    path("q/", measurement_views.questionnaire, name="questionnaire"),
    # A calendar feed (RFC 5545), fetched by calendar apps without a session: the 43-character
    # random token is the key (only its SHA-256 is stored; revocable).
    re_path(
        r"^calendar/(?P<token>[A-Za-z0-9_-]{43})\.ics$",
        feed_views.calendar_feed,
        name="calendar-feed",
    ),
    path("calendar/", include("kapclinic.scheduling.notify.urls")),
    path("screening/", include("kapclinic.screening.urls")),
    path("consent/", include("kapclinic.consent.urls")),
    path("measurement/", include("kapclinic.measurement.urls")),
    path("portal/", include("kapclinic.portal.urls")),
    path("api/v1/", api.urls),
    # The operator's superusers only (KapAdminSite); clinic admins use /clinic/ (issue 10).
    path("admin/", admin.site.urls),
    path("healthz", core_views.healthz, name="healthz"),
]

handler400 = "kapclinic.core.views.bad_request"
handler403 = "kapclinic.core.views.permission_denied"
handler404 = "kapclinic.core.views.page_not_found"
handler500 = "kapclinic.core.views.server_error"
