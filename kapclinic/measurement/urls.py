from __future__ import annotations

from django.urls import URLPattern, path

from kapclinic.measurement.outcomes import views as graph_views
from kapclinic.measurement.plans import views as plan_views
from kapclinic.measurement.responses import views
from kapclinic.measurement.safety import views as safety_views

app_name = "measurement"
urlpatterns: list[URLPattern] = []

# --- administration by staff (responses/views.py) ---------------------------------------------
urlpatterns += [
    path("patients/<uuid:public_id>/", views.patient_questionnaires, name="patient"),
    path("responses/<uuid:public_id>/", views.administer, name="administer"),
    path("responses/<uuid:public_id>/link/", views.new_link, name="new-link"),
    path(
        "responses/<uuid:public_id>/patient-mode/",
        views.enter_patient_mode,
        name="patient-mode-enter",
    ),
    path("patient-mode/hand-back/", views.leave_patient_mode, name="patient-mode-leave"),
    path("responses/<uuid:public_id>/amend/", views.amend, name="amend"),
    path(
        "responses/<uuid:public_id>/entered-in-error/",
        views.entered_in_error,
        name="entered-in-error",
    ),
]

# --- safety tasks (safety/views.py) -----------------------------------------------------------
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

# --- outcome graph (outcomes/views.py) --------------------------------------------------------
urlpatterns += [
    path(
        "patients/<uuid:public_id>/outcomes/",
        graph_views.outcome_graph,
        name="outcome-graph",
    ),
]

# --- measurement plans and worklist (plans/views.py) ------------------------------------------

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
