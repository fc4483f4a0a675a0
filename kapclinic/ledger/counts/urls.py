"""Counts, inventories, discrepancies and the DEA notification tasks (issue 14.4), mounted at
/ledger/counts/ in the "ledger" namespace."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from kapclinic.ledger.counts import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.index, name="counts"),
    path("account/<uuid:account_id>/", views.account_counts, name="count-account"),
    path("account/<uuid:account_id>/start/", views.start, name="count-start"),
    path("<uuid:count_id>/", views.count_page, name="count"),
    path("<uuid:count_id>/lines/", views.line, name="count-line"),
    path("<uuid:count_id>/submit/", views.submit, name="count-submit"),
    path("discrepancies/", views.discrepancy_list, name="discrepancies"),
    path("discrepancies/<uuid:discrepancy_id>/", views.discrepancy, name="discrepancy"),
    path("discrepancies/<uuid:discrepancy_id>/close/", views.close, name="discrepancy-close"),
    path("tasks/", views.task_list, name="tasks"),
    path("tasks/<uuid:task_id>/", views.task, name="task"),
    path("expiry/", views.expiry, name="expiry"),
]
