from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.db import models
from django.db.models import QuerySet

from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.accounts.selectors import staff_holding
from kapclinic.patients.bmi import HEIGHT_RANGE_CM, WEIGHT_RANGE_KG
from kapclinic.patients.exceptions import DiagnosisError
from kapclinic.patients.icd10 import billable
from kapclinic.patients.interactions import InteractionClass
from kapclinic.patients.models import Allergy, PregnancyPotential, RecordStatus, Sex
from kapclinic.patients.search import fold, phone_digits
from kapclinic.patients.services import PatientDetails
from kapclinic.patients.services.diagnoses import MAX_ERROR_REASON_LENGTH


class BreakGlassForm(forms.Form):
    clinic = forms.ModelChoiceField[Clinic](
        queryset=None, label="Clinic", empty_label="Choose the patient's clinic"
    )
    mrn = forms.CharField(
        label="Patient's MRN",
        max_length=20,
        help_text="The record number from the other clinic, e.g. CHI-000123.",
    )
    reason = forms.CharField(
        label="Emergency reason",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        help_text="What is happening and why you need this chart now. The clinic's admins "
        "are alerted and the reason is kept in the audit trail.",
    )

    def __init__(self, *args: object, clinics: QuerySet[Clinic], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["clinic"].queryset = clinics  # type: ignore[attr-defined]


OLDEST_AGE_YEARS = 120


class PatientForm(forms.Form):
    given_name = forms.CharField(label="Given name", max_length=100)
    family_name = forms.CharField(label="Family name", max_length=100)
    birth_date = forms.DateField(
        label="Date of birth",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="As on an identity document.",
    )
    sex = forms.ChoiceField(label="Sex", choices=[("", "Choose"), *Sex.choices])
    phone = forms.CharField(
        label="Phone",
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
    )
    email = forms.EmailField(label="E-mail", required=False)
    confirm_different_person = forms.BooleanField(
        required=False,
        label="This is a different person with the same name and birth date",
        widget=forms.HiddenInput,
    )

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def _clean_name(self, field: str) -> str:
        value = " ".join(str(self.cleaned_data[field]).split())
        if not fold(value):
            msg = "Enter a name with at least one letter."
            raise forms.ValidationError(msg)
        return value

    def clean_given_name(self) -> str:
        return self._clean_name("given_name")

    def clean_family_name(self) -> str:
        return self._clean_name("family_name")

    def clean_birth_date(self) -> date:
        value: date = self.cleaned_data["birth_date"]
        if value > self.today:
            msg = "The date of birth cannot be in the future."
            raise forms.ValidationError(msg)
        if value.year < self.today.year - OLDEST_AGE_YEARS:
            msg = f"A date of birth more than {OLDEST_AGE_YEARS} years ago is not plausible."
            raise forms.ValidationError(msg)
        return value

    def clean_phone(self) -> str:
        value = str(self.cleaned_data["phone"]).strip()
        if value and not set(value) <= set("0123456789+-() ."):
            msg = "Use digits, spaces and + - ( ) only."
            raise forms.ValidationError(msg)
        if value and not 7 <= len(phone_digits(value)) <= 15:
            msg = "A phone number has 7 to 15 digits."
            raise forms.ValidationError(msg)
        return value

    def details(self) -> PatientDetails:
        data = self.cleaned_data
        return PatientDetails(
            given_name=data["given_name"],
            family_name=data["family_name"],
            birth_date=data["birth_date"],
            sex=data["sex"],
            phone=data["phone"],
            email=data["email"].lower(),
        )


class MeasurementForm(forms.Form):
    measured_on = forms.DateField(
        label="Measured on", widget=forms.DateInput(attrs={"type": "date"})
    )
    weight_kg = forms.DecimalField(
        label="Weight (kg)",
        max_digits=5,
        decimal_places=1,
        min_value=WEIGHT_RANGE_KG[0],
        max_value=WEIGHT_RANGE_KG[1],
        widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
    )
    height_cm = forms.DecimalField(
        label="Height (cm)",
        max_digits=4,
        decimal_places=1,
        required=False,
        min_value=HEIGHT_RANGE_CM[0],
        max_value=HEIGHT_RANGE_CM[1],
        help_text="Leave empty to keep the last recorded height.",
        widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
    )

    def __init__(self, *args: Any, today: date, birth_date: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.birth_date = birth_date

    def clean_measured_on(self) -> date:
        value: date = self.cleaned_data["measured_on"]
        if value > self.today:
            msg = "A measurement cannot be dated in the future."
            raise forms.ValidationError(msg)
        if value < self.birth_date:
            msg = "A measurement cannot be dated before birth."
            raise forms.ValidationError(msg)
        return value


class MedicationForm(forms.Form):
    name = forms.CharField(
        label="Medication",
        max_length=200,
        help_text="Generic or brand name, e.g. lorazepam or Ativan (lorazepam).",
    )
    dose = forms.CharField(label="Dose and frequency", max_length=100, required=False)
    interaction_class = forms.ChoiceField(
        label="Ketamine-relevant class",
        required=False,
        choices=InteractionClass.choices,
        help_text="Leave on “No ketamine-relevant class” to let kapclinic recognise the name.",
    )


class AllergyForm(forms.Form):
    substance = forms.CharField(label="Substance", max_length=200)
    reaction = forms.CharField(label="Reaction", max_length=200, required=False)
    severity = forms.ChoiceField(
        label="Severity", choices=[("", "Choose"), *Allergy.Severity.choices]
    )


class HistoryStatusForm(forms.Form):
    kind = forms.ChoiceField(choices=[("medication", "medication"), ("allergy", "allergy")])
    record = forms.UUIDField()
    status = forms.ChoiceField(choices=RecordStatus.choices)


class DiagnosisForm(forms.Form):
    """Add a diagnosis. The code is chosen among the search results (radio buttons rendered by
    patients/partials/_code_results.html); its title comes from the code list."""

    icd10_code = forms.CharField(
        label="ICD-10-CM code",
        max_length=20,
        error_messages={"required": "Search for a code, then choose one of the results."},
    )
    noted_on = forms.DateField(label="Noted on", widget=forms.DateInput(attrs={"type": "date"}))
    is_primary = forms.BooleanField(
        label="Primary diagnosis (replaces the current primary)", required=False
    )

    def __init__(self, *args: Any, today: date, birth_date: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.birth_date = birth_date

    def clean_icd10_code(self) -> str:
        try:
            return billable(self.cleaned_data["icd10_code"]).code
        except DiagnosisError as error:
            raise forms.ValidationError(error.message) from error

    def clean_noted_on(self) -> date:
        value: date = self.cleaned_data["noted_on"]
        if value > self.today:
            msg = "A diagnosis cannot be noted in the future."
            raise forms.ValidationError(msg)
        if value < self.birth_date:
            msg = "A diagnosis cannot be noted before the patient's birth."
            raise forms.ValidationError(msg)
        return value


class DiagnosisChange(models.TextChoices):
    PRIMARY = "primary", "Make primary"
    RESOLVE = "resolve", "Resolved"
    ERROR = "error", "Entered in error"


class DiagnosisChangeForm(forms.Form):
    diagnosis = forms.UUIDField()
    change = forms.ChoiceField(choices=DiagnosisChange.choices)
    reason = forms.CharField(max_length=MAX_ERROR_REASON_LENGTH, required=False)


class StaffChoice(forms.ModelChoiceField[User]):
    def label_from_instance(self, obj: User) -> str:
        return obj.display_name


class ContactsForm(forms.Form):
    address_line = forms.CharField(label="Street address", max_length=200, required=False)
    city = forms.CharField(max_length=100, required=False)
    region = forms.CharField(label="State / region", max_length=100, required=False)
    postal_code = forms.CharField(label="Postal code", max_length=20, required=False)
    emergency_contact_name = forms.CharField(
        label="Emergency contact", max_length=150, required=False
    )
    emergency_contact_relationship = forms.CharField(
        label="Relationship", max_length=60, required=False
    )
    emergency_contact_phone = forms.CharField(
        label="Emergency contact phone", max_length=30, required=False
    )
    escort_name = forms.CharField(
        label="Usual escort",
        max_length=150,
        required=False,
        help_text="The responsible adult who drives the patient home after a dosing session.",
    )
    escort_phone = forms.CharField(label="Escort phone", max_length=30, required=False)
    pregnancy_potential = forms.ChoiceField(
        label="Pregnancy potential", choices=PregnancyPotential.choices
    )
    # The clinic's holders of each role, set for the form's clinic.
    care_prescriber = StaffChoice(
        queryset=None, required=False, label="Prescriber", empty_label="Not assigned"
    )
    care_therapist = StaffChoice(
        queryset=None, required=False, label="Therapist", empty_label="Not assigned"
    )
    care_nurse = StaffChoice(
        queryset=None, required=False, label="Nurse", empty_label="Not assigned"
    )

    def __init__(self, *args: Any, clinic: Clinic, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field, role in (
            ("care_prescriber", Role.PRESCRIBER),
            ("care_therapist", Role.THERAPIST),
            ("care_nurse", Role.NURSE),
        ):
            self.fields[field].queryset = staff_holding(clinic, [role])  # type: ignore[attr-defined]

    def _phone(self, field: str) -> str:
        value = str(self.cleaned_data[field]).strip()
        if value and not set(value) <= set("0123456789+-() ."):
            msg = "Use digits, spaces and + - ( ) only."
            raise forms.ValidationError(msg)
        if value and not 7 <= len(phone_digits(value)) <= 15:
            msg = "A phone number has 7 to 15 digits."
            raise forms.ValidationError(msg)
        return value

    def clean_emergency_contact_phone(self) -> str:
        return self._phone("emergency_contact_phone")

    def clean_escort_phone(self) -> str:
        return self._phone("escort_phone")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("escort_name") and not data.get("escort_phone"):
            self.add_error("escort_phone", "Give the escort's phone number too.")
        if data.get("emergency_contact_name") and not data.get("emergency_contact_phone"):
            self.add_error(
                "emergency_contact_phone", "Give the emergency contact's phone number too."
            )
        return data


class MergeForm(forms.Form):
    """Step 1 names the duplicate by MRN; step 2 (``confirm`` present) gives the reason."""

    mrn = forms.CharField(
        label="MRN of the duplicate record",
        max_length=20,
        help_text="The duplicate is merged into this record and then kept only as history.",
    )
    reason = forms.CharField(
        label="Why these records are the same person",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        required=False,
    )
    confirm = forms.BooleanField(
        label="I compared both records: they are the same person. Merge the duplicate into "
        "this record.",
        required=False,
    )

    def clean_mrn(self) -> str:
        return str(self.cleaned_data["mrn"]).strip().upper()
