"""Treatment courses of the synthetic clinic: staff rotas, courses on a real calendar, the
waitlist (issue 13.8).

Every demo clinic gets its staff's working hours and leave (``staff``). Each patient with a
valid consent is booked a course of the protocol version their treatment follows (esketamine:
``esketamine-rems``; racemic ketamine off-label: ``iv-ketamine-induction``; ketamine-assisted
psychotherapy: ``kap-im-sl``; talk therapy: the CBT comparison arm, ``cbt-comparison``), on
their clinic's calendar (``calendar``: rooms, chairs, nurses' and therapists' time, prescribers
on site, the patient), following the protocol's outline and spacing (``planner``). About half
of the IV inductions completed a while ago go on to maintenance boosters
(``ketamine-maintenance``), and patients whose consent awaits its countersignature have a
planned course booked from a few days ahead.

The score trajectories (``kapclinic.demo.trajectories``) hang off these sessions: a dosing or
therapy appointment's ``public_id`` is the ``session_ref`` of the questionnaires around it,
and of the measurement plan's assignments (``kapclinic.demo.plans``), so the outcome graph's
session marks and the plan's hooks line up with the calendar.

On the demo's day (the history's cutoff) a course is planned (no session yet), active,
completed, stopped (about 7%, with a reason; the next appointment cancelled) or paused (about
10% of the active ones, with a reason; its future appointments cancelled), and each clinic's
first course that can show a stop or a pause shows it, so a small demo has every stage. Some
sessions were missed (no-show, then booked again) or cancelled a day or two ahead with a reason.
Every live appointment holds its resources (``ResourceHold``), and no two holds of a resource
overlap: the calendar counts them as the database does. A session the calendar has no room for
within the protocol's rules is booked at the first free slot with its ``override_reason``, so
a course breaks its protocol's rules only where it says why.

A clinic's calendar holds only so many sessions (a large demo fills it): a course is booked
whole or not at all (its first session within two weeks, each later one within its protocol's
window or, with an override, a fortnight after). A patient whose course does not fit waits on
the waitlist when the consent is recent, and otherwise keeps the score history of its own
sessions, as before the clinic kept its calendar here (the graph then infers them). Running
courses' patients ask for earlier slots on the waitlist too. Courses, appointments and holds
are written in bulk; like the rest of the generator, no audit entries."""

from __future__ import annotations

from kapclinic.demo.courses.book import WAITLISTED, CourseBook, CourseCounts, Sessions
from kapclinic.demo.courses.rows import finish_course_book, write_course_book

__all__ = [
    "WAITLISTED",
    "CourseBook",
    "CourseCounts",
    "Sessions",
    "finish_course_book",
    "write_course_book",
]
