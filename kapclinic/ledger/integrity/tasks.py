"""The nightly verification of the ledger as a background task (Django tasks API; the database
backend's ``manage.py db_worker`` runs it). Queue it once a night from cron with
``manage.py verify_ledger --enqueue`` (docs/ledger.md "Tamper evidence"), or run the check
directly with ``manage.py verify_ledger``."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from kapclinic.accounts.actor import SYSTEM
from kapclinic.audit.checkpoints import configured_sink
from kapclinic.ledger.integrity.services import verify_ledger


@task()
def verify_ledger_nightly() -> bool:
    """Verify every account's chain and balances against the configured checkpoint store and
    record one ChainCheck per account (the badge); True when every account verified. A failure
    is also logged (``kapclinic.ledger.integrity``, no PHI) for monitoring."""
    return verify_ledger(actor=SYSTEM, now=timezone.now(), checkpoints=configured_sink()).ok
