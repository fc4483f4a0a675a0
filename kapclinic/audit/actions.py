"""The base of every app's catalogue of audit actions.

Each app that writes the audit trail lists its actions in ``<app>/audit_actions.py`` as a
subclass of ``AuditAction``: a dotted value, stored as is in ``AuditEvent.action`` (and covered
by the entry's hash, so a value never changes once released), and a label the audit report
shows. ``record()`` and the selectors that audit a read take an ``AuditAction``, never a plain
string (mypy --strict); the audit report collects the catalogues in
``kapclinic/oversight/catalogue.py``. Audit knows no domain app, so the catalogues live with
the apps that write them.
"""

from __future__ import annotations

from django.db import models


class AuditAction(models.TextChoices):
    """An action of the audit trail (subclassed by each app's catalogue; has no members)."""
