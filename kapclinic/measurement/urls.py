from __future__ import annotations

from django.urls import URLPattern, path

app_name = "measurement"
urlpatterns: list[URLPattern] = []

# --- administration by staff (views.py) -------------------------------------------------------

# --- safety tasks (safety_views.py) -----------------------------------------------------------
from kapclinic.measurement import safety_views  # noqa: E402

urlpatterns += [
    path("safety/", safety_views.task_list, name="safety-tasks"),
    path("safety/<uuid:public_id>/", safety_views.task_detail, name="safety-task"),
    path(
        "safety/<uuid:public_id>/acknowledge/",
        safety_views.acknowledge,
        name="safety-acknowledge",
    ),
    path("safety/<uuid:public_id>/evaluate/", safety_views.evaluate, name="safety-evaluate"),
]

# --- outcome chart (chart_views.py) -----------------------------------------------------------

# --- measurement plans and worklist (plan_views.py) -------------------------------------------
