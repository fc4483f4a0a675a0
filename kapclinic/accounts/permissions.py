"""The permission matrix: the single source of truth for who may do what.

Deny by default. Every view and API operation declares the one capability it needs
(``@requires``); a test fails when a route declares none, and another checks every route for
every role against this matrix. docs/permissions.md is rendered from it
(``manage.py render_permission_matrix``); a test keeps the two in step.
Roles are held per clinic (StaffMembership); "patient" is the portal user's role.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, Final, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest

from kapclinic.accounts.models import Clinic, Role

PATIENT: Final = "patient"
ALL_ROLES: Final[tuple[str, ...]] = (*Role.values, PATIENT)
ROLE_LABELS: Final[dict[str, str]] = {**dict(Role.choices), PATIENT: "Patient"}


class Capability(models.TextChoices):
    VIEW_TODAY = "view_today", "See the Today dashboard of their clinic"
    VIEW_PATIENTS = "view_patients", "List and search the clinic's patients"
    VIEW_CHART = "view_chart", "Open a patient's chart"
    EDIT_PATIENT = "edit_patient", "Register patients and change their demographics"
    MERGE_PATIENTS = "merge_patients", "Merge a duplicate patient record into another"
    RECORD_MEASUREMENTS = "record_measurements", "Record weight and height"
    RECORD_HISTORY = "record_history", "Record medications and allergies"
    RECORD_DIAGNOSES = "record_diagnoses", "Record and change diagnoses (ICD-10-CM)"
    TRIAGE_REFERRALS = "triage_referrals", "Work the referral queue and record referrals"
    BREAK_GLASS = "break_glass", "Open a patient of another clinic in an emergency"
    SCREEN_PATIENT = "screen_patient", "Record an eligibility screening"
    DECIDE_ELIGIBILITY = "decide_eligibility", "Override screening flags and sign eligibility"
    CONFIGURE_SCREENING = "configure_screening", "Set the clinic's screening thresholds and rules"
    VIEW_SCREENING_POLICY = "view_screening_policy", "Read the clinic's screening policy"
    RECORD_CONSENT = "record_consent", "Record, countersign and withdraw informed consent"
    MANAGE_CONSENT_DOCUMENTS = "manage_consent_documents", "Publish consent document versions"
    ADMINISTER_QUESTIONNAIRES = (
        "administer_questionnaires",
        "Give questionnaires, send one-time links, amend responses, enrol in measurement plans",
    )
    VIEW_SAFETY_TASKS = "view_safety_tasks", "See the clinic's open suicide-risk safety tasks"
    ACKNOWLEDGE_SAFETY = "acknowledge_safety", "Acknowledge a safety task with the action taken"
    EVALUATE_SAFETY = "evaluate_safety", "Record the clinical evaluation of a safety task"
    CLEAR_SAFETY_HOLD = "clear_safety_hold", "Clear a patient for dosing after a safety alert"
    VIEW_SCHEDULE = "view_schedule", "See the schedule"
    BOOK_APPOINTMENTS = (
        "book_appointments",
        "Book, move and cancel appointments, mark them attended or missed, keep the waitlist",
    )
    VIEW_MONITORING = "view_monitoring", "See the monitoring console"
    WRITE_SESSION_NOTES = (
        "write_session_notes",
        "Read, write and sign dosing-session notes and their addenda",
    )
    TRACK_REMS_FORMS = (
        "track_rems_forms",
        "Read the REMS Patient Monitoring Forms due and mark them submitted",
    )
    RUN_DOSING_SESSIONS = (
        "run_dosing_sessions",
        "Check patients in for dosing, move their sessions, record the dose and discharge",
    )
    PREPARE_SESSIONS = (
        "prepare_sessions",
        "Write a dosing session's preparation note, room check and setting",
    )
    MONITOR_SESSIONS = (
        "monitor_sessions",
        "Record vital signs, sedation and dissociation ratings and adverse events in a dosing "
        "session; acknowledge its alerts",
    )
    VIEW_OUTCOMES = "view_outcomes", "See patients' outcomes"
    VIEW_LEDGER = "view_ledger", "See the controlled-substance ledger"
    RECEIVE_STOCK = "receive_stock", "Record controlled-substance deliveries (receipts)"
    RECORD_STOCK_USE = (
        "record_stock_use",
        "Record controlled-substance administration, dispensing, returns and waste",
    )
    WITNESS_STOCK = "witness_stock", "Witness and sign a waste, a destruction or a count"
    COUNT_STOCK = "count_stock", "Count the controlled-substance stock"
    TRANSFER_STOCK = "transfer_stock", "Transfer controlled substances between storage accounts"
    CORRECT_LEDGER = (
        "correct_ledger",
        "Adjust, reverse and destroy stock; close discrepancies with a finding",
    )
    MANAGE_STOCK = "manage_stock", "Set up controlled-substance products, lots and storage accounts"
    REPORT_LEDGER = (
        "report_ledger",
        "Run and export ledger reports; record the DEA notices of a theft or loss",
    )
    VIEW_AGGREGATES = "view_aggregates", "See de-identified aggregate figures"
    VIEW_AUDIT = "view_audit", "Read and export the clinic's audit report"
    MANAGE_CLINIC = "manage_clinic", "Change the clinic's details, limits, rooms and opening hours"
    MANAGE_STAFF = "manage_staff", "Invite staff, grant and end roles in their clinic"
    MANAGE_INSTRUMENTS = (
        "manage_instruments",
        "Load and retire the clinic's licensed wording of questionnaires",
    )
    MANAGE_PLAYLISTS = (
        "manage_playlists",
        "Add and edit the clinic's music playlists (each edit a new version), retire them",
    )
    VIEW_PROTOCOLS = "view_protocols", "Read the clinic's treatment protocols"
    MANAGE_PROTOCOLS = (
        "manage_protocols",
        "Publish new versions of the clinic's treatment protocols and retire them",
    )
    PLAN_COURSES = (
        "plan_courses",
        "Plan a patient's course of treatment with the course planner and book it",
    )
    RESET_STAFF_2FA = "reset_staff_2fa", "Reset a staff member's two-factor authentication"
    MANAGE_OWN_ACCOUNT = "manage_own_account", "Manage own password, 2FA and sessions"
    VIEW_OWN_RECORD = "view_own_record", "See their own record in the patient portal"
    SIGN_OWN_CONSENT = "sign_own_consent", "Read and sign their own consent documents"
    ANSWER_OWN_QUESTIONNAIRES = (
        "answer_own_questionnaires",
        "Answer their own questionnaires in the portal",
    )
    WRITE_OWN_INTENTION = (
        "write_own_intention",
        "Write their own intention for a coming dosing session in the portal",
    )


_CLINICAL: Final = frozenset({Role.PRESCRIBER, Role.NURSE, Role.THERAPIST})
_STAFF: Final = frozenset(Role.values)

MATRIX: Final[dict[Capability, frozenset[str]]] = {
    Capability.VIEW_TODAY: _STAFF,
    Capability.VIEW_PATIENTS: _CLINICAL | {Role.CLINIC_ADMIN, Role.FRONT_DESK},
    Capability.VIEW_CHART: _CLINICAL | {Role.CLINIC_ADMIN, Role.FRONT_DESK},
    Capability.EDIT_PATIENT: frozenset(
        {Role.FRONT_DESK, Role.CLINIC_ADMIN, Role.NURSE, Role.PRESCRIBER}
    ),
    Capability.RECORD_MEASUREMENTS: frozenset({Role.NURSE, Role.PRESCRIBER}),
    Capability.RECORD_HISTORY: frozenset({Role.NURSE, Role.PRESCRIBER}),
    # Diagnosing is within the prescriber's and the licensed therapist's scope of practice, not
    # the nurse's: nurses read diagnoses on the chart (VIEW_CHART).
    Capability.RECORD_DIAGNOSES: frozenset({Role.PRESCRIBER, Role.THERAPIST}),
    Capability.TRIAGE_REFERRALS: frozenset(
        {Role.FRONT_DESK, Role.CLINIC_ADMIN, Role.NURSE, Role.PRESCRIBER}
    ),
    Capability.BREAK_GLASS: frozenset({Role.PRESCRIBER}),
    Capability.SCREEN_PATIENT: frozenset({Role.PRESCRIBER, Role.NURSE}),
    Capability.DECIDE_ELIGIBILITY: frozenset({Role.PRESCRIBER}),
    Capability.RECORD_CONSENT: frozenset({Role.PRESCRIBER, Role.NURSE, Role.THERAPIST}),
    Capability.MANAGE_CONSENT_DOCUMENTS: frozenset({Role.CLINIC_ADMIN}),
    # Merging moves clinical records between charts: the clinic's administrator (the record
    # keeper), not the desk that registers.
    Capability.MERGE_PATIENTS: frozenset({Role.CLINIC_ADMIN}),
    # Clinical policy (which rules apply, BP limits) is a prescriber's (medical) decision.
    Capability.CONFIGURE_SCREENING: frozenset({Role.PRESCRIBER}),
    # Those who record screenings and the clinic's admin (who answers for its set-up) read the
    # policy and see who may change it (issue 11.7).
    Capability.VIEW_SCREENING_POLICY: frozenset({Role.PRESCRIBER, Role.NURSE, Role.CLINIC_ADMIN}),
    # Answers include suicide-risk items, and choosing what a patient is asked is clinical
    # work: clinicians give and read them, not the desk (the admin sees the worklist only).
    Capability.ADMINISTER_QUESTIONNAIRES: frozenset({Role.PRESCRIBER, Role.NURSE, Role.THERAPIST}),
    # Suicide-risk safety tasks (R-OUT-1, R-OUT-3, R-OUT-5; docs/measurement.md "Safety alerts").
    # Everyone who works with patients must know a task is open (the front desk may be the first
    # to see the patient walk in; admins receive escalations), so they see the list and the
    # banner; only clinicians act on it. Researchers never see names.
    Capability.VIEW_SAFETY_TASKS: _CLINICAL | {Role.CLINIC_ADMIN, Role.FRONT_DESK},
    Capability.ACKNOWLEDGE_SAFETY: _CLINICAL,
    # The suicide-risk evaluation is within a licensed mental-health clinician's scope: the
    # prescriber's and the licensed therapist's, not the nurse's (who acknowledges and triages).
    Capability.EVALUATE_SAFETY: frozenset({Role.PRESCRIBER, Role.THERAPIST}),
    # Lifting the hold on the next dosing session is a medical (dosing) decision.
    Capability.CLEAR_SAFETY_HOLD: frozenset({Role.PRESCRIBER}),
    Capability.VIEW_SCHEDULE: _CLINICAL | {Role.CLINIC_ADMIN, Role.FRONT_DESK},
    # Issue 13.4: the desk books and checks patients in; the clinicians who run sessions move
    # and mark their own. The clinic admin manages staff and rooms, not patients' bookings.
    Capability.BOOK_APPOINTMENTS: _CLINICAL | {Role.FRONT_DESK},
    Capability.VIEW_MONITORING: frozenset({Role.PRESCRIBER, Role.NURSE, Role.CLINIC_ADMIN}),
    # Issue 15.8: the clinicians who run the session write its notes (each in their own role)
    # and read each other's; the desk and the admin do not read clinical notes.
    Capability.WRITE_SESSION_NOTES: _CLINICAL,
    # R-REMS-5: the prescriber and the clinic admin (who answers for the certified setting)
    # see the Patient Monitoring Forms due and record that they were submitted.
    Capability.TRACK_REMS_FORMS: frozenset({Role.PRESCRIBER, Role.CLINIC_ADMIN}),
    # Issue 15: the nurse and the prescriber run the session from check-in to discharge; a
    # prescriber alone overrides the discharge criteria and confirms a warned dose
    # (CLEAR_SAFETY_HOLD, checked by the services).
    Capability.RUN_DOSING_SESSIONS: frozenset({Role.PRESCRIBER, Role.NURSE}),
    # Issue 15.2, R-INT-3, R-INT-8: the clinicians who run the session prepare it (the
    # therapist's and the nurse's work; the prescriber may). The note holds the patient's
    # intention and touch consent: not the desk's or the admin's to read.
    Capability.PREPARE_SESSIONS: _CLINICAL,
    # Issue 15.5: those who watch the chairs (nurses, prescribers) record and acknowledge.
    Capability.MONITOR_SESSIONS: frozenset({Role.PRESCRIBER, Role.NURSE}),
    Capability.VIEW_OUTCOMES: _CLINICAL | {Role.CLINIC_ADMIN},
    Capability.VIEW_LEDGER: frozenset({Role.PRESCRIBER, Role.NURSE, Role.CLINIC_ADMIN}),
    # Issue 14.6, R-CS-1..7: those who handle the drug (prescribers, nurses) receive, give,
    # waste, count and witness it; the prescriber (the DEA registrant) corrects the books and
    # destroys stock; the clinic admin sets the stock up and reports. The front desk, the
    # therapist and the researcher see nothing of it.
    Capability.RECEIVE_STOCK: frozenset({Role.PRESCRIBER, Role.NURSE}),
    Capability.RECORD_STOCK_USE: frozenset({Role.PRESCRIBER, Role.NURSE}),
    Capability.WITNESS_STOCK: frozenset({Role.PRESCRIBER, Role.NURSE}),
    Capability.COUNT_STOCK: frozenset({Role.PRESCRIBER, Role.NURSE}),
    Capability.TRANSFER_STOCK: frozenset({Role.PRESCRIBER, Role.NURSE}),
    Capability.CORRECT_LEDGER: frozenset({Role.PRESCRIBER}),
    Capability.MANAGE_STOCK: frozenset({Role.PRESCRIBER, Role.CLINIC_ADMIN}),
    Capability.REPORT_LEDGER: frozenset({Role.PRESCRIBER, Role.CLINIC_ADMIN}),
    Capability.VIEW_AGGREGATES: frozenset({Role.RESEARCHER, Role.CLINIC_ADMIN, Role.PRESCRIBER}),
    Capability.VIEW_AUDIT: frozenset({Role.CLINIC_ADMIN}),
    Capability.MANAGE_CLINIC: frozenset({Role.CLINIC_ADMIN}),
    # Granting roles is granting access to patient records: the clinic's admins only, in their
    # own clinic, never to themselves (accounts.services.staffing; issue 10).
    Capability.MANAGE_STAFF: frozenset({Role.CLINIC_ADMIN}),
    # Loading licensed wording declares, for the clinic, that it holds the licence (R-OUT-4,
    # R-OUT-5): an administrative and contractual act of the clinic's admins, not clinical work.
    Capability.MANAGE_INSTRUMENTS: frozenset({Role.CLINIC_ADMIN}),
    # Everyone who books, gives or supports treatment reads the protocols (sessions, rooms,
    # spacing, instructions); they hold no patient data, but researchers have no use for them.
    # The playlist library is a clinic asset, like its rooms (R-INT-8): the clinic admin
    # keeps it; no patient data.
    Capability.MANAGE_PLAYLISTS: frozenset({Role.CLINIC_ADMIN}),
    Capability.VIEW_PROTOCOLS: _CLINICAL | {Role.CLINIC_ADMIN, Role.FRONT_DESK},
    # Issue 13.1: the clinic admin edits a protocol by publishing a new version (with a reason,
    # audited); the label and REMS rules a version must keep are checked on publishing.
    Capability.MANAGE_PROTOCOLS: frozenset({Role.CLINIC_ADMIN}),
    # Issue 13.3: the front desk books courses, and prescribers plan the courses they order.
    Capability.PLAN_COURSES: frozenset({Role.FRONT_DESK, Role.PRESCRIBER}),
    Capability.RESET_STAFF_2FA: frozenset({Role.CLINIC_ADMIN}),
    Capability.MANAGE_OWN_ACCOUNT: frozenset(ALL_ROLES),
    Capability.VIEW_OWN_RECORD: frozenset({PATIENT}),
    Capability.SIGN_OWN_CONSENT: frozenset({PATIENT}),
    Capability.ANSWER_OWN_QUESTIONNAIRES: frozenset({PATIENT}),
    Capability.WRITE_OWN_INTENTION: frozenset({PATIENT}),
}


def allows(roles: Iterable[str], capability: Capability) -> bool:
    allowed = MATRIX[capability]
    return any(role in allowed for role in roles)


def roles_with(capability: Capability) -> list[str]:
    return [role for role in ALL_ROLES if role in MATRIX[capability]]


V = TypeVar("V", bound=Callable[..., Any])


def request_roles(request: HttpRequest) -> frozenset[str]:
    """The roles of the request's actor (``request.actor``, set by ClinicMiddleware): none
    before that middleware ran or for someone signed out."""
    actor = getattr(request, "actor", None)
    return frozenset(actor.roles) if actor is not None else frozenset()


def requires(capability: Capability) -> Callable[[V], V]:
    """Let the view run only for a user whose roles in the current clinic allow ``capability``.

    Others get 403. Records the capability on the view for the route-coverage tests, and on
    the request for the view's record access (``access_patient(request, public_id)``).
    Object-level checks (is this patient in one of the user's clinics?) stay in selectors.
    """

    def decorator(view: V) -> V:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            roles = request_roles(request)
            # A signed-in person without any clinic role may still manage their own account
            # (sign out, 2FA); the login middleware has already refused anonymous requests.
            own_account = capability == Capability.MANAGE_OWN_ACCOUNT and bool(
                getattr(request, "user", None) and request.user.is_authenticated
            )
            if not own_account and not allows(roles, capability):
                raise PermissionDenied(capability.label)
            # For request-level reads that check the same capability on a record
            # (kapclinic.patients.access.access_patient).
            request.capability = capability  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)

        wrapped.capability = capability  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


def current_clinic(request: HttpRequest) -> Clinic:
    """The clinic the request works in; views behind a staff capability always have one."""
    clinic: Clinic | None = getattr(request, "clinic", None)
    if clinic is None:
        raise PermissionDenied
    return clinic


def render_markdown() -> str:
    """The matrix as a Markdown table (docs/permissions.md)."""
    header = "| capability | " + " | ".join(ROLE_LABELS[r] for r in ALL_ROLES) + " |"
    rule = "| --- |" + " :---: |" * len(ALL_ROLES)
    rows = [
        f"| {capability.label} (`{capability.value}`) | "
        + " | ".join("✔" if role in MATRIX[capability] else "" for role in ALL_ROLES)
        + " |"
        for capability in Capability
    ]
    intro = (
        "# Permission matrix\n\n"
        "Rendered from `kapclinic/accounts/permissions.py` by "
        "`manage.py render_permission_matrix`; do not edit by hand.\n"
        "Roles are held per clinic: a person who is a prescriber in one clinic and a therapist in "
        "another has each role's rights in that clinic only. Anything not ticked is refused. "
        "Managing one's own account is open to every signed-in person, even one who holds no "
        "role yet (so they can sign out and set up two-factor authentication).\n\n"
    )
    in_code = (
        "\n## In code\n\n"
        "Each view and API operation declares its one capability with "
        "`@requires(Capability.X)`, which answers 403 to roles that lack it and records the "
        "capability on the request. `ClinicMiddleware` builds the request's `Actor` "
        "(`kapclinic/accounts/actor.py`: the user, their roles as `Role` members, or "
        '"patient" for a portal user, and the current clinic) once per request, from the '
        "memberships it loads anyway. A view reaches a patient's record with "
        "`access_patient(request, public_id, action=...)`, or a record of a patient with "
        "`access_record(request, access_screening, public_id, action=...)` "
        "(`kapclinic/patients/access.py`): the view's capability is checked against the roles "
        "held in the patient's clinic (or an active break-glass grant), a missing record and "
        "a forbidden one both answer 404, and the read is audited. Services and selectors take "
        "the actor first (`actor: Actor`; `actor: AnyActor` where a job or a one-time link "
        "may act, as `SYSTEM` or `PATIENT_BY_LINK`), and the writes after an access take "
        "`access.actor`, which carries the roles held in the patient's clinic.\n"
    )
    return intro + "\n".join([header, rule, *rows]) + "\n" + in_code
