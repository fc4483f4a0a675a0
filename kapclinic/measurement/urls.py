from __future__ import annotations

from django.urls import URLPattern, path

app_name = "measurement"
urlpatterns: list[URLPattern] = []

# --- administration by staff (views.py) -------------------------------------------------------

# --- safety tasks (safety_views.py) -----------------------------------------------------------

# --- outcome chart (chart_views.py) -----------------------------------------------------------
from kapclinic.measurement import chart_views  # noqa: E402

urlpatterns += [
    path(
        "patients/<uuid:public_id>/outcomes/",
        chart_views.outcome_chart,
        name="outcome-chart",
    ),
]

# --- measurement plans and worklist (plan_views.py) -------------------------------------------
