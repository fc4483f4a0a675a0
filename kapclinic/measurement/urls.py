from __future__ import annotations

from django.urls import URLPattern, path  # noqa: F401  (sections below add their paths)

app_name = "measurement"
urlpatterns: list[URLPattern] = []

# --- administration by staff (views.py) -------------------------------------------------------

# --- safety tasks (safety_views.py) -----------------------------------------------------------

# --- outcome chart (chart_views.py) -----------------------------------------------------------

# --- measurement plans and worklist (plan_views.py) -------------------------------------------
