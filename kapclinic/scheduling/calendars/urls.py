from __future__ import annotations

from django.urls import URLPattern, path

from kapclinic.scheduling.calendars import closure_views, staffing_views, views, waitlist_views

app_name = "calendar"
urlpatterns: list[URLPattern] = [
    path("", views.clinic_calendar_view, name="clinic"),
    path("mine/", views.my_calendar, name="mine"),
    path("patients/<uuid:public_id>/", views.patient_calendar, name="patient"),
    path("appointments/<uuid:public_id>/", views.appointment, name="appointment"),
    path("appointments/<uuid:public_id>/check/", views.appointment_check, name="check"),
    path("appointments/<uuid:public_id>/move/", views.appointment_move, name="move"),
    path("appointments/<uuid:public_id>/cancel/", views.appointment_cancel, name="cancel"),
    path("appointments/<uuid:public_id>/attended/", views.appointment_attended, name="attended"),
    path("appointments/<uuid:public_id>/no-show/", views.appointment_no_show, name="no-show"),
    path("waitlist/", waitlist_views.waitlist, name="waitlist"),
    path("waitlist/find/", waitlist_views.waitlist_find, name="waitlist-find"),
    path("waitlist/add/<uuid:public_id>/", waitlist_views.waitlist_add, name="waitlist-add"),
    path(
        "waitlist/<uuid:public_id>/withdraw/",
        waitlist_views.waitlist_withdraw,
        name="waitlist-withdraw",
    ),
    path("waitlist/<uuid:public_id>/book/", waitlist_views.waitlist_book, name="waitlist-book"),
    path("closures/", closure_views.closures, name="closures"),
    path("closures/add/", closure_views.closure_add, name="closure-add"),
    path("closures/holidays/", closure_views.holidays_load, name="holidays-load"),
    path("closures/<uuid:public_id>/remove/", closure_views.closure_remove, name="closure-remove"),
    path("availability/", staffing_views.availability, name="availability"),
    path("availability/mine/", staffing_views.my_availability, name="my-availability"),
    path(
        "availability/<uuid:public_id>/",
        staffing_views.availability_edit,
        name="availability-edit",
    ),
    path("availability/<uuid:public_id>/leave/", staffing_views.leave_add, name="leave-add"),
    path(
        "availability/leave/<uuid:public_id>/remove/",
        staffing_views.leave_remove,
        name="leave-remove",
    ),
]
