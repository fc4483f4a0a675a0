from __future__ import annotations

from django.urls import URLPattern, path

app_name = "measurement"
urlpatterns: list[URLPattern] = []

# --- administration by staff (views.py) -------------------------------------------------------

# --- safety tasks (safety_views.py) -----------------------------------------------------------

# --- outcome chart (chart_views.py) -----------------------------------------------------------

# --- measurement plans and worklist (plan_views.py) -------------------------------------------
from kapclinic.measurement import plan_views  # noqa: E402  (each section imports its views)

urlpatterns += [
    path("worklist/", plan_views.worklist, name="worklist"),
    path("patients/<uuid:public_id>/enrol/", plan_views.enrol_view, name="plan-enrol"),
    path(
        "assignments/<uuid:public_id>/send-link/",
        plan_views.send_link_view,
        name="assignment-send-link",
    ),
    path("assignments/<uuid:public_id>/start/", plan_views.start_view, name="assignment-start"),
    path("assignments/<uuid:public_id>/cancel/", plan_views.cancel_view, name="assignment-cancel"),
]
