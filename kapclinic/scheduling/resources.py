"""The resources an appointment occupies, as the keys of its ``ResourceHold`` rows (pure).

The database refuses two holds of one key at overlapping times (migration 0004), so:
- a room of capacity C has C chairs, ``room:<room id>:<chair>``; a booking takes one chair;
- a staff member's time is ``STAFF_UNITS`` units, ``staff:<user id>:<unit>``. A session they
  run alone (a therapist's hour, a 1:1 nurse) takes every unit; a monitoring nurse watching
  ``patients_per_nurse`` chairs at once takes ``units_for(patients_per_nurse)`` of them, so
  overlapping sessions never give a nurse more patients than the protocols allow
  (the nurse-to-chair ratio across overlapping sessions, issue 13.3). A ratio that does not
  divide the units is rounded to the safe side (1:3 takes two units, as 1:2 does);
- a patient is ``patient:<patient id>``: one place at a time.

The booking service chooses free chairs and units inside its transaction, and the planner and
the booking checks count capacity the same way (these functions are the one definition).
"""

from __future__ import annotations

import math
from typing import Final

# Units of one staff member's time; 4 gives exact ratios 1:1, 1:2 and 1:4.
STAFF_UNITS: Final = 4


def units_for(patients_per_nurse: int | None) -> int:
    """How many of a staff member's units one session takes: all of them when the person
    attends this session alone (None or 1), else their share of ``patients_per_nurse``."""
    if patients_per_nurse is None or patients_per_nurse <= 1:
        return STAFF_UNITS
    return max(1, math.ceil(STAFF_UNITS / patients_per_nurse))


def room_chair(room_id: int, chair: int) -> str:
    return f"room:{room_id}:{chair}"


def staff_unit(user_id: int, unit: int) -> str:
    return f"staff:{user_id}:{unit}"


def staff_units(user_id: int) -> tuple[str, ...]:
    return tuple(staff_unit(user_id, unit) for unit in range(1, STAFF_UNITS + 1))


def patient_key(patient_id: int) -> str:
    return f"patient:{patient_id}"
