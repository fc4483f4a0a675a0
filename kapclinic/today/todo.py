"""Today as each role's to-do list: which lists a user's roles get, their first rows, and the
count behind the navigation badge.

A list belongs to the roles whose work it is (``ListSpec.roles``) and appears only to a role
that also holds the capability of the page where the work is done (``ListSpec.capability``),
so a change to the permission matrix can only hide a list, never leak one. Rows come from the
selectors of the app that owns the data, scoped to the current clinic.

Queries: one per list shown (its first ``ITEM_LIMIT`` rows, the total riding on each row as a
window count), whatever the data; ``count_todo`` counts every list in one query of scalar
subqueries, each stopping at ``BADGE_LIMIT`` + 1 rows: the badge is on every staff page, so it
never counts a whole clinic (a list of thousands makes it say "99+").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, Final

from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.urls import reverse

from kapclinic.accounts.models import Clinic, Role, Room, User
from kapclinic.accounts.permissions import Capability, allows
from kapclinic.accounts.selectors import (
    clinic_opening_hours,
    pending_invitations,
    treatment_rooms_without_monitoring,
)
from kapclinic.consent.models import ConsentRecord
from kapclinic.consent.selectors import consents_awaiting_countersignature
from kapclinic.measurement.instruments.registry import get_instrument
from kapclinic.measurement.models import Assignment, SafetyTask
from kapclinic.measurement.plans.selectors import list_worklist
from kapclinic.measurement.safety.services import active_safety_tasks, escalated_safety_tasks
from kapclinic.patients.models import Patient
from kapclinic.patients.selectors import list_patients_missing_contacts, missing_contacts
from kapclinic.referrals.models import Referral
from kapclinic.referrals.selectors import list_open_referrals
from kapclinic.scheduling.calendars.selectors import (
    appointments_to_check_in,
    dosing_sessions_of_today,
    sessions_of_today,
)
from kapclinic.scheduling.models import Appointment, WaitlistEntry
from kapclinic.scheduling.waitlist.selectors import waitlist_offers
from kapclinic.screening.models import Screening, ScreeningOutcome
from kapclinic.screening.selectors import screenings_awaiting_signature
from kapclinic.today.console import CONSOLE_SPECS
from kapclinic.today.dosing import DOSING_SPECS
from kapclinic.today.items import ListSpec, TodoItem, TodoList
from kapclinic.today.items import clinic_only as _clinic_only
from kapclinic.today.items import each as _each
from kapclinic.today.ledger import LEDGER_SPECS
from kapclinic.today.preparation import PREPARATION_SPECS
from kapclinic.today.rems_forms import REMS_SPECS

ITEM_LIMIT: Final = 10
# The navigation badge counts up to this many items exactly; beyond, it says "99+".
BADGE_LIMIT: Final = 99
URGENT: Final = "urgent"
__all__ = ["ListSpec", "TodoItem", "TodoList"]  # defined in kapclinic.today.items


# --- rows -> items (no queries: each selector loads what its items show) -----------------------


def _patient(patient: Patient) -> str:
    return f"{patient.family_name}, {patient.given_name} ({patient.mrn})"


def _screening(s: Screening) -> TodoItem:
    review = s.outcome == ScreeningOutcome.NEEDS_PRESCRIBER_REVIEW
    return TodoItem(
        label=_patient(s.patient),
        detail=f"{s.get_family_display()}: {s.get_outcome_display().lower()}"
        + (" (review the flags, then sign)" if review else ", ready to sign"),
        url=reverse("screening:detail", args=[s.public_id]),
        since=s.recorded_at,
        urgent=review,
    )


def _consent(r: ConsentRecord) -> TodoItem:
    return TodoItem(
        label=_patient(r.patient),
        detail=f"{r.document.get_treatment_type_display()}, version {r.document.version}",
        url=reverse("consent:patient", args=[r.patient.public_id]),
        since=r.patient_signed_at,
    )


def _safety(t: SafetyTask) -> TodoItem:
    return TodoItem(
        label=_patient(t.patient),
        detail=f"{'Urgent' if t.severity == URGENT else 'Follow-up'}, "
        # The alert's own words up to its instruction, not the internal rule id (R-OUT-1.item9).
        f"{t.get_status_display().lower()}: {t.message.split(':', 1)[0]}",
        url=reverse("measurement:safety-task", args=[t.public_id]),
        since=t.created_at,
        urgent=t.severity == URGENT,
    )


def _escalated(t: SafetyTask) -> TodoItem:
    return TodoItem(
        label=_patient(t.patient),
        detail=f"Urgent, escalated {t.escalated_at:%Y-%m-%d %H:%M} UTC and still not acknowledged",
        url=reverse("measurement:safety-task", args=[t.public_id]),
        since=t.created_at,
        urgent=True,
    )


def _questionnaire(now: datetime) -> Callable[[Assignment], TodoItem]:
    def item(a: Assignment) -> TodoItem:
        overdue = a.overdue_at <= now
        return TodoItem(
            label=_patient(a.patient),
            detail=f"{get_instrument(a.instrument_code).title} "
            f"({a.get_occasion_display().lower()}): " + ("overdue" if overdue else "due"),
            url=reverse("patients:chart", args=[a.patient.public_id]),
            since=a.due_at,
            since_label="due for {}",
            urgent=overdue,
        )

    return item


def _referral(r: Referral) -> TodoItem:
    return TodoItem(
        label=f"{r.family_name}, {r.given_name}",
        detail=f"{r.get_status_display()}, {r.get_source_display().lower()}",
        url=reverse("referrals:detail", args=[r.public_id]),
        since=r.created_at,
        since_label=f"{r.get_status_display().lower()} for {{}}",
    )


def _missing(p: Patient) -> TodoItem:
    return TodoItem(
        label=_patient(p),
        detail="No " + ", no ".join(missing_contacts(p)),
        url=reverse("patients:contacts", args=[p.public_id]),
        since=p.created_at,
        since_label="registered {} ago",
    )


def _invitation(u: User) -> TodoItem:
    return TodoItem(
        label=u.display_name,
        detail="Invited, has not chosen a password yet",
        url=reverse("administration:staff"),
        since=u.date_joined,
        since_label="invited {} ago",
    )


def _no_opening_hours() -> TodoItem:
    return TodoItem(
        label="Opening hours",
        detail="None set: the clinic shows as closed every day",
        url=reverse("administration:hours"),
        urgent=True,
    )


def _room(room: Room) -> TodoItem:
    lacking = [
        name
        for name, present in (
            ("blood-pressure monitor", room.has_bp_monitor),
            ("pulse oximeter", room.has_pulse_oximeter),
        )
        if not present
    ]
    return TodoItem(
        label=room.name,
        detail=f"Treatment room without {' or '.join(lacking)}: not usable for dosing",
        url=reverse("administration:room-edit", args=[room.public_id]),
    )


def _session(a: Appointment) -> TodoItem:
    starts = a.starts_at.astimezone(a.clinic.tzinfo)
    ends = a.ends_at.astimezone(a.clinic.tzinfo)
    return TodoItem(
        label=f"{starts:%H:%M}–{ends:%H:%M} {_patient(a.patient)}",
        detail=f"{a.get_kind_display()}, {a.room.name}"
        + (" (booked despite the protocol's rules)" if a.override_reason else ""),
        url=reverse("calendar:appointment", args=[a.public_id]),
    )


def _offer(w: WaitlistEntry) -> TodoItem:
    slot = w.offered_appointment
    when = ""
    if slot is not None:
        starts = slot.starts_at.astimezone(slot.clinic.tzinfo)
        when = f"{starts:%a %d %b %H:%M}, {slot.room.name}"
    return TodoItem(
        label=_patient(w.patient),
        detail=f"Offered a freed slot: {when}" if when else "Offered a freed slot",
        url=reverse("calendar:waitlist"),
        since=w.updated_at,
        since_label="offered {} ago",
    )


# --- the lists -------------------------------------------------------------------------------


_CLINICIANS: Final = frozenset({Role.PRESCRIBER, Role.NURSE, Role.THERAPIST})

_CLINIC_SPECS: Final[tuple[ListSpec, ...]] = (
    ListSpec(
        "screenings",
        "Screenings to review and sign",
        "No screening is waiting for a prescriber's signature.",
        frozenset({Role.PRESCRIBER}),
        Capability.DECIDE_ELIGIBILITY,
        _clinic_only(screenings_awaiting_signature),
        _each(_screening),
    ),
    ListSpec(
        "consents",
        "Consents to countersign",
        "No patient signature is waiting for a countersignature.",
        frozenset({Role.PRESCRIBER}),
        Capability.RECORD_CONSENT,
        _clinic_only(consents_awaiting_countersignature),
        _each(_consent),
    ),
    ListSpec(
        "safety",
        "Open safety tasks",
        "No safety task is open.",
        _CLINICIANS,
        Capability.ACKNOWLEDGE_SAFETY,
        _clinic_only(active_safety_tasks),
        _each(_safety),
        "measurement:safety-tasks",
    ),
    ListSpec(
        "questionnaires",
        "Questionnaires due and overdue",
        "No questionnaire is due or overdue.",
        frozenset({Role.NURSE, Role.THERAPIST}),
        Capability.ADMINISTER_QUESTIONNAIRES,
        list_worklist,
        _questionnaire,
        "measurement:worklist",
    ),
    ListSpec(
        "my_sessions",
        "Your sessions today",
        "No session is booked with you today.",
        frozenset({Role.NURSE, Role.THERAPIST}),
        Capability.VIEW_SCHEDULE,
        None,
        _each(_session),
        "calendar:mine",
        own_rows=sessions_of_today,
    ),
    ListSpec(
        "dosing_today",
        "Dosing sessions today",
        "No dosing session is booked today.",
        frozenset({Role.PRESCRIBER}),
        Capability.VIEW_SCHEDULE,
        dosing_sessions_of_today,
        _each(_session),
        "calendar:clinic",
    ),
    ListSpec(
        "check_in",
        "Today's appointments to check in",
        "Every appointment of today is checked in or marked.",
        frozenset({Role.FRONT_DESK}),
        Capability.BOOK_APPOINTMENTS,
        appointments_to_check_in,
        _each(_session),
        "calendar:clinic",
    ),
    ListSpec(
        "waitlist_offers",
        "Freed slots offered to waiting patients",
        "No freed slot is waiting to be booked.",
        frozenset({Role.FRONT_DESK}),
        Capability.BOOK_APPOINTMENTS,
        _clinic_only(waitlist_offers),
        _each(_offer),
        "calendar:waitlist",
    ),
    ListSpec(
        "referrals",
        "Referrals waiting",
        "No referral is waiting: every one has been registered or closed.",
        frozenset({Role.FRONT_DESK}),
        Capability.TRIAGE_REFERRALS,
        _clinic_only(list_open_referrals),
        _each(_referral),
        "referrals:queue",
    ),
    ListSpec(
        "contacts",
        "Patients missing an escort or contact details",
        "Every patient has an emergency contact, a usual escort and a phone or e-mail.",
        frozenset({Role.FRONT_DESK}),
        Capability.EDIT_PATIENT,
        _clinic_only(list_patients_missing_contacts),
        _each(_missing),
    ),
    ListSpec(
        "escalated",
        "Escalated safety tasks",
        "No safety task has been escalated to you.",
        frozenset({Role.CLINIC_ADMIN}),
        Capability.VIEW_SAFETY_TASKS,
        _clinic_only(escalated_safety_tasks),
        _each(_escalated),
        "measurement:safety-tasks",
    ),
    ListSpec(
        "invitations",
        "Invitations not yet accepted",
        "Everyone invited has chosen a password.",
        frozenset({Role.CLINIC_ADMIN}),
        Capability.MANAGE_STAFF,
        _clinic_only(pending_invitations),
        _each(_invitation),
        "administration:staff",
    ),
    ListSpec(
        "settings",
        "Clinic settings that need attention",
        "Opening hours are set and every treatment room can monitor a dosing session.",
        frozenset({Role.CLINIC_ADMIN}),
        Capability.MANAGE_CLINIC,
        _clinic_only(treatment_rooms_without_monitoring),
        _each(_room),
        "administration:rooms",
        checks_opening_hours=True,
    ),
)
# The dosing sessions' lists (issue 15) come first: patients are in the chairs now. The
# controlled-substance ledger's lists (issue 14.4) follow the clinic's own, then the dosing
# sessions to prepare (issue 15.2) and the REMS forms due (issue 15.8).
SPECS: Final[tuple[ListSpec, ...]] = (
    *DOSING_SPECS,
    *CONSOLE_SPECS,
    *_CLINIC_SPECS,
    *LEDGER_SPECS,
    *PREPARATION_SPECS,
    *REMS_SPECS,
)


def specs_for(roles: Iterable[str], *, with_own: bool = True) -> list[ListSpec]:
    """The lists of ``roles``; without ``with_own``, not those of one person's own rows."""
    held = frozenset(roles)
    return [
        spec
        for spec in SPECS
        if any(role in spec.roles and allows({role}, spec.capability) for role in held)
        and (with_own or spec.own_rows is None)
    ]


def _first(rows: QuerySet[Any], limit: int) -> tuple[list[Any], int]:
    """The first ``limit`` rows and how many there are, in one query (a window count)."""
    found: list[Any] = list(rows.annotate(todo_total=Window(Count("pk")))[:limit])
    return found, (found[0].todo_total if found else 0)


def _rows(spec: ListSpec, clinic: Clinic, now: datetime, user: User | None) -> QuerySet[Any]:
    if spec.own_rows is not None and user is not None:
        return spec.own_rows(clinic, now, user)
    if spec.rows is None:  # specs_for leaves a person's own lists out when there is no person
        msg = f"The to-do list {spec.key} lists one person's rows: give the user."
        raise ValueError(msg)
    return spec.rows(clinic, now)


def list_todo(
    clinic: Clinic,
    roles: Iterable[str],
    now: datetime,
    *,
    user: User | None = None,
    limit: int = ITEM_LIMIT,
) -> list[TodoList]:
    """The lists for ``roles`` (and ``user``'s own) in ``clinic`` at ``now``: one query each."""
    lists = []
    for spec in specs_for(roles, with_own=user is not None):
        found, total = _first(_rows(spec, clinic, now, user), limit)
        convert = spec.item(now)
        items = [convert(row) for row in found]
        if spec.checks_opening_hours and not clinic_opening_hours(clinic).exists():
            items.insert(0, _no_opening_hours())
            total += 1
        lists.append(
            TodoList(
                key=spec.key,
                title=spec.title,
                empty=spec.empty,
                items=items,
                total=total,
                full_list_url=reverse(spec.full_list) if spec.full_list else None,
            )
        )
    return lists


def _count(rows: QuerySet[Any]) -> Subquery:
    """How many rows, counting no further than BADGE_LIMIT + 1 (a LIMIT inside the count)."""
    first = rows.order_by().values("pk")[: BADGE_LIMIT + 1]
    return Subquery(
        first,
        template="(SELECT COUNT(*) FROM (%(subquery)s) AS bounded)",
        output_field=IntegerField(),
    )


def count_todo(
    clinic: Clinic, roles: Iterable[str], now: datetime, user: User | None = None
) -> int:
    """How many to-do items the roles' lists hold, in one query (the navigation badge): exact
    up to BADGE_LIMIT, else some number above it (each list is counted up to BADGE_LIMIT + 1
    rows, so that the badge never scans a whole clinic). A clinic admin's missing opening hours
    count as one more."""
    counts = todo_count_fields(clinic, roles, now, user)
    return sum(read_together(clinic, counts).values()) if counts else 0


def read_together(clinic: Clinic, fields: dict[str, Any]) -> dict[str, Any]:
    """Scalar expressions about ``clinic`` (counts, EXISTS) read in one query, by name."""
    row = Clinic.objects.filter(pk=clinic.pk).values(**fields).first()
    return dict(row) if row else {}


def todo_count_fields(
    clinic: Clinic, roles: Iterable[str], now: datetime, user: User | None = None
) -> dict[str, Any]:
    """count_todo's counts as expressions named ``n_<list>``, to read with others."""
    specs = specs_for(roles, with_own=user is not None)
    counts: dict[str, Any] = {
        f"n_{spec.key}": _count(_rows(spec, clinic, now, user)) for spec in specs
    }
    if any(spec.checks_opening_hours for spec in specs):
        counts["n_no_opening_hours"] = Case(
            When(Exists(clinic_opening_hours(clinic)), then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    return counts
