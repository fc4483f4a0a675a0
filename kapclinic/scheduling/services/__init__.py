"""Scheduling's writes (issue 13), by sub-domain: treatment protocols (``protocols``), a
course's life (``courses``), the one booking check (``checks``), booking and moving
(``booking``), and cancelling and marking appointments (``appointments``). Everything is
re-exported, so callers import from ``kapclinic.scheduling.services``.
"""

from __future__ import annotations

from kapclinic.scheduling.services.appointments import (
    Cancellation,
    cancel_appointment,
    mark_attended,
    mark_no_show,
    offer_freed_slot,
    record_session_end,
)
from kapclinic.scheduling.services.booking import (
    book_appointment,
    book_course_plan,
    move_appointment,
)
from kapclinic.scheduling.services.checks import (
    Checked,
    Proposal,
    check_booking,
    check_proposals,
)
from kapclinic.scheduling.services.courses import (
    Stopped,
    complete_course,
    pause_course,
    plan_course,
    resume_course,
    start_course,
    stop_course,
)
from kapclinic.scheduling.services.protocols import (
    SHIPPED_REASON,
    ensure_shipped_protocols,
    publish_protocol_version,
    retire_protocol,
)

__all__ = [
    "SHIPPED_REASON",
    "Cancellation",
    "Checked",
    "Proposal",
    "Stopped",
    "book_appointment",
    "book_course_plan",
    "cancel_appointment",
    "check_booking",
    "check_proposals",
    "complete_course",
    "ensure_shipped_protocols",
    "mark_attended",
    "mark_no_show",
    "move_appointment",
    "offer_freed_slot",
    "pause_course",
    "plan_course",
    "publish_protocol_version",
    "record_session_end",
    "resume_course",
    "retire_protocol",
    "start_course",
    "stop_course",
]
