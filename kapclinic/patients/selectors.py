"""Reads of patient data. Every read is scoped to a clinic the actor works in."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

from kapclinic.accounts.models import Clinic
from kapclinic.patients.models import Patient

PAGE_SIZE = 25


def list_clinic_patients(clinic: Clinic) -> QuerySet[Patient]:
    return Patient.objects.filter(clinic=clinic).order_by("family_name", "given_name", "id")


def page_of_patients(clinic: Clinic, page_number: str | int | None) -> Page[Patient]:
    """One page of the clinic's patients, alphabetical: two queries (count + rows)."""
    return Paginator(list_clinic_patients(clinic), PAGE_SIZE).get_page(page_number)
