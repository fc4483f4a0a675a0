"""Reads about responses that other apps' pages need (no patient data)."""

from __future__ import annotations

from kapclinic.measurement.models import Assessment, LicensedWording


def count_in_progress(wording: LicensedWording) -> int:
    """Responses of the wording's clinic to its instrument version still being answered:
    retiring the wording stops them from being shown (their answers so far are kept)."""
    return Assessment.objects.filter(
        clinic_id=wording.clinic_id,
        instrument_code=wording.instrument_code,
        instrument_version=wording.instrument_version,
        status=Assessment.Status.IN_PROGRESS,
    ).count()
