"""The authentication backend: Django's ModelBackend, loading a signed-in staff member's active
memberships together with the user.

Every request of a signed-in user loads the user (django.contrib.auth.get_user, which then
checks the session's hash against the user's) and ClinicMiddleware then needs their active
memberships: one query for both instead of two. A user with no active membership (a patient,
staff without a role) is loaded by ModelBackend itself. Passwords, ``is_active`` and the
session hash are checked exactly as by ModelBackend.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from kapclinic.accounts.models import User
from kapclinic.accounts.selectors import memberships_with_user, remember_memberships


class Backend(ModelBackend):
    def get_user(self, user_id: Any) -> User | None:
        memberships = memberships_with_user(user_id)
        if not memberships:
            user = super().get_user(user_id)
            if isinstance(user, User):
                remember_memberships(user, [])
            return user if isinstance(user, User) else None
        user = memberships[0].user
        if not self.user_can_authenticate(user):
            return None
        remember_memberships(user, memberships)
        return user
