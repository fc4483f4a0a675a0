"""Dosing's reads for its pages (issue 15): the clinic's dosing day, one session with what may
happen next, the stock a dose may come from, discharge and the integration that follows.
Every read is scoped to the actor's clinic and answers 404 for "missing" and "not yours"
alike; opening a session (which shows the patient) is audited."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID

from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role, Room, User
from kapclinic.audit import services as audit
from kapclinic.audit.models import Operation
from kapclinic.dosing.audit_actions import DosingAuditAction
from kapclinic.dosing.models import Administration, DischargeSummary, DosingSession, SessionMove
from kapclinic.dosing.models.sessions import Drug
from kapclinic.dosing.rules import discharge
from kapclinic.dosing.rules.discharge import Unmet
from kapclinic.dosing.rules.workflow import ALLOWED, FINAL, State
from kapclinic.dosing.services.facts import discharge_facts
from kapclinic.dosing.services.integration import integration_of
from kapclinic.ledger.models import Holding, Lot, StockAccount, Substance
from kapclinic.scheduling.models import Appointment
from kapclinic.scheduling.protocols.definition import SessionKind

# The moves that need a written reason (rules.workflow.transition_problem).
NEEDS_REASON = frozenset({State.HELD, State.ABORTED, State.ENTERED_IN_ERROR})
ACTION_LABELS: dict[State, str] = {
    State.CHECKED_IN: "Check in",
    State.CHECKS_PASSED: "Pre-dose checks passed",
    State.DOSING: "Start dosing",
    State.OBSERVATION: "Start observation",
    State.READY_FOR_DISCHARGE: "Ready for discharge",
    State.DISCHARGED: "Discharge",
    State.HELD: "Hold",
    State.ABORTED: "Abort",
    State.ENTERED_IN_ERROR: "Entered in error",
}


def state_label(state: str) -> str:
    return state.replace("_", " ").capitalize()


def day_bounds(clinic: Clinic, now: datetime) -> tuple[datetime, datetime]:
    tz = clinic.tzinfo
    day = timezone.localtime(now, tz).date()
    start = datetime.combine(day, datetime.min.time(), tzinfo=tz)
    return start, start + timedelta(days=1)


def day_sessions(clinic: Clinic, now: datetime) -> list[Appointment]:
    """The clinic's dosing appointments of ``now``'s local day that are booked or attended,
    each with its session when one is open (``dosing_session`` or None), in two queries."""
    start, end = day_bounds(clinic, now)
    return list(
        Appointment.objects.filter(
            clinic=clinic,
            kind=SessionKind.DOSING,
            starts_at__gte=start,
            starts_at__lt=end,
            status__in=[Appointment.Status.BOOKED, Appointment.Status.ATTENDED],
        )
        .select_related("patient", "room", "nurse", "therapist", "dosing_session")
        .order_by("starts_at", "room__name", "chair")
    )


def access_appointment(clinic: Clinic, public_id: UUID) -> Appointment:
    appointment = (
        Appointment.objects.select_related("course__protocol", "patient")
        .filter(clinic=clinic, public_id=public_id, kind=SessionKind.DOSING)
        .first()
    )
    if appointment is None:
        raise Http404
    return appointment


def _sessions(clinic: Clinic) -> QuerySet[DosingSession]:
    return DosingSession.objects.filter(clinic=clinic).select_related(
        "patient",
        "clinic",
        "appointment__room",
        "appointment__course__protocol",
        "discharge_override_by",
    )


def access_session(clinic: Clinic, public_id: UUID) -> DosingSession:
    """The session for a write (no audit of a read: the service audits the write)."""
    session = _sessions(clinic).filter(public_id=public_id).first()
    if session is None:
        raise Http404
    return session


def audited_session(actor: Actor, public_id: UUID) -> DosingSession:
    """The session of the actor's clinic, its opening audited (it shows the patient)."""
    session = access_session(actor.current_clinic, public_id)
    with transaction.atomic():
        audit.record(
            actor=actor.user,
            operation=Operation.READ,
            action=DosingAuditAction.SESSION_VIEWED,
            actor_roles=actor.roles,
            clinic_id=session.clinic.public_id,
            patient_id=session.patient.public_id,
            target=audit.target_of(session),
        )
    return session


@dataclass(frozen=True)
class Action:
    target: State
    label: str
    needs_reason: bool
    problem: str | None = None  # why it is refused now, when the page can tell beforehand


@dataclass
class SessionView:
    session: DosingSession
    moves: list[SessionMove]
    doses: list[Administration]
    actions: list[Action]
    minutes_since_dose: int | None
    unmet: list[Unmet] = field(default_factory=list)
    ready_at: datetime | None = None
    final: bool = False

    @property
    def unmet_overridable(self) -> bool:
        return bool(self.unmet) and all(u.overridable for u in self.unmet)


def session_view(session: DosingSession, now: datetime) -> SessionView:
    """What the session page shows: the moves so far, the doses, the actions allowed now and,
    from observation on, the discharge criteria not met yet (R-DC-1..3, R-REMS-4)."""
    current = session.current
    moves = list(SessionMove.objects.filter(session=session).select_related("by"))
    doses = list(
        Administration.objects.filter(session=session).select_related(
            "lot__product", "account", "administered_by"
        )
    )
    actions = [
        Action(target, ACTION_LABELS[target], target in NEEDS_REASON)
        for target in sorted(ALLOWED[current], key=lambda s: list(State).index(s))
    ]
    facts = discharge_facts(session)
    shows_discharge = current in {
        State.OBSERVATION,
        State.READY_FOR_DISCHARGE,
        State.ABORTED,
    }
    unmet = discharge.unmet(facts, now) if shows_discharge else []
    since = (
        None if session.dosed_at is None else int((now - session.dosed_at).total_seconds() // 60)
    )
    return SessionView(
        session=session,
        moves=moves,
        doses=doses,
        actions=actions,
        minutes_since_dose=since,
        unmet=unmet,
        ready_at=discharge.ready_at(facts),
        final=current in FINAL,
    )


@dataclass(frozen=True)
class StockChoice:
    """One lot in one account the dose may come from, with its balance."""

    holding: Holding

    @property
    def value(self) -> str:
        return f"{self.holding.account.public_id}:{self.holding.lot.public_id}"

    @property
    def label(self) -> str:
        lot = self.holding.lot
        return (
            f"{self.holding.account.name}: {lot.product.name}, lot {lot.number} "
            f"({self.holding.balance_mg.normalize():f} mg left, expires {lot.expires_on:%d %b %Y})"
        )


def dose_stock(session: DosingSession, now: datetime) -> list[StockChoice]:
    """The clinic's open accounts' lots of the session's drug with stock and not expired, in one
    query (R-CS-2: the dose comes from a lot the ledger holds)."""
    substance = Substance.ESKETAMINE if session.drug == Drug.ESKETAMINE else Substance.KETAMINE
    today = timezone.localtime(now, session.clinic.tzinfo).date()
    holdings = (
        Holding.objects.filter(
            account__clinic=session.clinic,
            account__is_active=True,
            lot__product__substance=substance,
            balance_mg__gt=0,
        )
        .filter(lot__expires_on__gte=today)
        .select_related("account", "lot__product")
        .order_by("account__name", "lot__expires_on", "lot__number")
    )
    return [StockChoice(h) for h in holdings]


def integration_for(session: DosingSession, now: datetime) -> tuple[str | None, Appointment | None]:
    """R-INT-1: the integration session type the course's protocol has after this dose (or
    None), and the course's next booked integration appointment if there is one."""
    course = session.appointment.course
    integration = integration_of(session)
    if integration is None:
        return None, None
    booked = (
        Appointment.objects.filter(
            course=course,
            session_type=integration.session_type,
            status=Appointment.Status.BOOKED,
            starts_at__gte=now,
        )
        .select_related("room", "therapist")
        .order_by("starts_at")
        .first()
    )
    return integration.session_type, booked


def integration_window(session: DosingSession) -> tuple[int, int] | None:
    integration = integration_of(session)
    if integration is None:
        return None
    return integration.min_days_after, integration.max_days_after


# --- Today's dosing lists (kapclinic.today.dosing): one query each ----------------------------


def _today_sessions(clinic: Clinic, now: datetime) -> QuerySet[DosingSession]:
    start, end = day_bounds(clinic, now)
    return (
        DosingSession.objects.filter(
            clinic=clinic, appointment__starts_at__gte=start, appointment__starts_at__lt=end
        )
        .select_related("patient", "clinic", "appointment__room")
        .order_by("state_changed_at", "pk")
    )


def sessions_checked_in(clinic: Clinic, now: datetime) -> QuerySet[DosingSession]:
    """Patients checked in today whose pre-dose checks are not passed yet, or who are held."""
    return _today_sessions(clinic, now).filter(state__in=[State.CHECKED_IN.value, State.HELD.value])


def sessions_awaiting_dose(clinic: Clinic, now: datetime) -> QuerySet[DosingSession]:
    """Sessions ready for the dose (checks passed, or dosing) with no dose recorded yet."""
    return _today_sessions(clinic, now).filter(
        state__in=[State.CHECKS_PASSED.value, State.DOSING.value], doses__isnull=True
    )


def sessions_ready_for_discharge(clinic: Clinic, now: datetime) -> QuerySet[DosingSession]:
    return _today_sessions(clinic, now).filter(state=State.READY_FOR_DISCHARGE.value)


def latest_discharge(patient_id: int) -> DischargeSummary | None:
    """The patient's most recent discharge summary and take-home instructions (the portal)."""
    return (
        DischargeSummary.objects.filter(patient_id=patient_id)
        .order_by("-discharged_at", "-pk")
        .first()
    )


def picked_stock(clinic: Clinic, account_id: str, lot_id: str) -> tuple[StockAccount, Lot] | None:
    """The account and lot a dose form names, when the clinic's ledger has them (else None)."""
    try:
        account = StockAccount.objects.filter(clinic=clinic, public_id=UUID(account_id)).first()
        lot = (
            Lot.objects.select_related("product")
            .filter(product__clinic=clinic, public_id=UUID(lot_id))
            .first()
        )
    except ValueError:
        return None
    if account is None or lot is None:
        return None
    return account, lot


def integration_rooms(clinic: Clinic) -> QuerySet[Room]:
    return Room.objects.filter(clinic=clinic, is_active=True).order_by("name")


def clinic_therapists(clinic: Clinic) -> QuerySet[User]:
    return (
        User.objects.filter(
            memberships__clinic=clinic,
            memberships__role=Role.THERAPIST,
            memberships__is_active=True,
        )
        .distinct()
        .order_by("full_name")
    )
