"""The one place that queues the e-mail of link-mode assignments when they fall due (ADR 0007).

The assignment state (``state``) returns what needs sending (``Changes.link_sends``) instead of
queueing it, and every writer hands its ``Changes`` to ``queue_after_commit``. The job that sends
(``plans.jobs.send_link_when_due``) needs the plan services, which sit above this layer and above
``responses`` (whose ``complete_assessment`` and ``enter_in_error`` change assignments too), so
neither may import it: the plans layer registers its queuer here at start-up
(``MeasurementConfig.ready``). An explicit registry of one callable, read top to bottom
(docs/style.md §3.4: never signals).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from django.db import transaction

from kapclinic.measurement.assignments.state import Changes, LinkSend

logger = logging.getLogger(__name__)

LinkQueuer = Callable[[Sequence[LinkSend]], None]

_queuers: dict[str, LinkQueuer] = {}


def register_link_queuer(name: str, queuer: LinkQueuer) -> None:
    """Set who queues the link e-mails (called from an AppConfig.ready()); registering a name
    twice is a bug."""
    if name in _queuers:
        msg = f"link queuer {name!r} is already registered"
        raise ValueError(msg)
    _queuers[name] = queuer


def queue_after_commit(changes: Changes) -> None:
    """Once the transaction commits, queue the e-mail of each link-mode assignment ``changes``
    created, moved or opened again, for when it falls due. Nothing when there is none."""
    sends = changes.link_sends()
    if sends:
        transaction.on_commit(lambda: _queue(sends))


def _queue(sends: Sequence[LinkSend]) -> None:
    if not _queuers:  # the assignments stay on the worklist; the sweep sends them
        logger.error("No link queuer is registered: %d link(s) left to the sweep.", len(sends))
    for queuer in _queuers.values():
        queuer(sends)
