"""Input shapes of screening: the encounter, a flag override, the signature, entered in error."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final

from django import forms

from kapclinic.screening.facts import (
    FINDING_LABELS,
    MEDICATION_LABELS,
    Finding,
    MedicationClass,
    PregnancyStatus,
)
from kapclinic.screening.models import (
    GAD7_ITEMS,
    MIN_ENTERED_IN_ERROR_REASON_CHARS,
    PHQ9_ITEMS,
    PregnancyChoice,
    ProtocolFamily,
)
from kapclinic.screening.rules import (
    MIN_OVERRIDE_REASON_CHARS,
    Family,
)
from kapclinic.screening.services import ScreeningInput, written_reason

# Findings grouped as a clinician asks about them (the template shows one fieldset per group).
FINDING_GROUPS: Final[tuple[tuple[str, str, tuple[Finding, ...]], ...]] = (
    (
        "findings_vascular",
        "Brain and blood vessels",
        (
            Finding.ANEURYSMAL_VASCULAR_DISEASE,
            Finding.AVM,
            Finding.INTRACEREBRAL_HAEMORRHAGE,
            Finding.RAISED_ICP,
            Finding.TBI_SYMPTOMATIC,
            Finding.RECENT_SEIZURES,
            Finding.NEUROCOGNITIVE_DISORDER,
        ),
    ),
    (
        "findings_medical",
        "Heart, eyes, allergy and breastfeeding",
        (
            Finding.UNCONTROLLED_HYPERTENSION,
            Finding.UNCONTROLLED_CARDIAC_DISEASE,
            Finding.GLAUCOMA,
            Finding.HYPERSENSITIVITY_KETAMINE,
            Finding.BREASTFEEDING,
        ),
    ),
    (
        "findings_psychiatric",
        "Psychiatric history and substance use",
        (
            Finding.PSYCHOSIS,
            Finding.MANIA_RECENT,
            Finding.RECENT_SUICIDE_ATTEMPT,
            Finding.SUBSTANCE_USE_DISORDER_ACTIVE,
            Finding.OPIOID_USE_DISORDER,
        ),
    ),
)

ANSWER_CHOICES: Final = [
    ("", "— not answered —"),
    ("0", "0 — Not at all"),
    ("1", "1 — Several days"),
    ("2", "2 — More than half the days"),
    ("3", "3 — Nearly every day"),
]
# Public-domain item texts (PHQ-9: Kroenke, Spitzer & Williams 2001; GAD-7: Spitzer 2006),
# shortened. "Over the last 2 weeks, how often have you been bothered by ..."
PHQ9_TEXTS: Final = (
    "Little interest or pleasure in doing things",
    "Feeling down, depressed, or hopeless",
    "Trouble falling or staying asleep, or sleeping too much",
    "Feeling tired or having little energy",
    "Poor appetite or overeating",
    "Feeling bad about yourself, or that you are a failure",
    "Trouble concentrating on things",
    "Moving or speaking slowly, or being fidgety or restless",
    "Thoughts that you would be better off dead or of hurting yourself",
)
GAD7_TEXTS: Final = (
    "Feeling nervous, anxious, or on edge",
    "Not being able to stop or control worrying",
    "Worrying too much about different things",
    "Trouble relaxing",
    "Being so restless that it is hard to sit still",
    "Becoming easily annoyed or irritable",
    "Feeling afraid as if something awful might happen",
)

YES_NO_UNKNOWN: Final = [("", "— not recorded —"), ("yes", "Yes"), ("no", "No")]


def _range(label: str, low: int, high: int, unit: str) -> dict[str, str]:
    message = f"{label} must be between {low} and {high} {unit}."
    # Django formats the min/max messages with %-interpolation (they carry "limit_value"), so a
    # literal "%" (the SpO2 unit) must be doubled; "invalid" is shown as written.
    formatted = message.replace("%", "%%")
    return {
        "min_value": formatted,
        "max_value": formatted,
        "invalid": f"Enter {label.lower()} as a number.",
    }


class ScreeningForm(forms.Form):
    family = forms.ChoiceField(label="Treatment being considered", choices=ProtocolFamily.choices)
    medical_history_reviewed = forms.BooleanField(
        label="Medical history reviewed (the findings below were asked about)", required=False
    )
    findings_vascular = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple
    )
    findings_medical = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple
    )
    findings_psychiatric = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple
    )
    psychosis_history_answered = forms.BooleanField(
        label="Psychosis and mania history taken", required=False
    )
    substance_use_history_answered = forms.BooleanField(
        label="Substance-use history taken", required=False
    )
    cssrs_screener_completed = forms.BooleanField(label="C-SSRS screener completed", required=False)
    has_psychiatric_diagnosis = forms.ChoiceField(
        label="Psychiatric diagnosis established", choices=YES_NO_UNKNOWN, required=False
    )
    medications_reviewed = forms.BooleanField(label="Medications reviewed", required=False)
    medication_classes = forms.MultipleChoiceField(
        label="Current medications",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(m.value, MEDICATION_LABELS[m].capitalize()) for m in MedicationClass],
    )
    pregnancy_status = forms.ChoiceField(
        label="Pregnancy status",
        choices=[("", "— not recorded —"), *PregnancyChoice.choices],
        required=False,
    )
    weight_kg = forms.DecimalField(
        label="Weight (kg)",
        required=False,
        min_value=Decimal(20),
        max_value=Decimal(300),
        max_digits=4,
        decimal_places=1,
        error_messages=_range("Weight", 20, 300, "kg"),
    )
    systolic_mmhg = forms.IntegerField(
        label="Systolic BP (mmHg)",
        required=False,
        min_value=60,
        max_value=260,
        error_messages=_range("Systolic BP", 60, 260, "mmHg"),
    )
    diastolic_mmhg = forms.IntegerField(
        label="Diastolic BP (mmHg)",
        required=False,
        min_value=30,
        max_value=160,
        error_messages=_range("Diastolic BP", 30, 160, "mmHg"),
    )
    heart_rate_bpm = forms.IntegerField(
        label="Heart rate (bpm)",
        required=False,
        min_value=25,
        max_value=250,
        error_messages=_range("Heart rate", 25, 250, "bpm"),
    )
    spo2_percent = forms.IntegerField(
        label="SpO2 (%)",
        required=False,
        min_value=50,
        max_value=100,
        error_messages=_range("SpO2", 50, 100, "%"),
    )
    ecg_recorded = forms.BooleanField(label="ECG recorded", required=False)
    renal_function_recorded = forms.BooleanField(label="Renal function recorded", required=False)
    liver_function_recorded = forms.BooleanField(label="Liver function recorded", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label, group in FINDING_GROUPS:
            field = self.fields[name]
            if isinstance(field, forms.MultipleChoiceField):
                field.label = label
                field.choices = [(f.value, FINDING_LABELS[f].capitalize()) for f in group]
        for prefix, texts in (("phq9", PHQ9_TEXTS), ("gad7", GAD7_TEXTS)):
            for number, text in enumerate(texts, start=1):
                self.fields[f"{prefix}_{number}"] = forms.ChoiceField(
                    label=f"{number}. {text}", choices=ANSWER_CHOICES, required=False
                )

    def finding_fields(self) -> list[forms.BoundField]:
        return [self[name] for name, _, _ in FINDING_GROUPS]

    def phq9_fields(self) -> list[forms.BoundField]:
        return [self[f"phq9_{n}"] for n in range(1, PHQ9_ITEMS + 1)]

    def gad7_fields(self) -> list[forms.BoundField]:
        return [self[f"gad7_{n}"] for n in range(1, GAD7_ITEMS + 1)]

    def _answers(self, prefix: str, count: int, name: str) -> tuple[int, ...] | None:
        raw = [self.cleaned_data.get(f"{prefix}_{n}", "") for n in range(1, count + 1)]
        if all(value == "" for value in raw):
            return None
        if any(value == "" for value in raw):
            for n, value in enumerate(raw, start=1):
                if value == "":
                    self.add_error(f"{prefix}_{n}", f"Answer every {name} item, or none.")
            return None
        return tuple(int(value) for value in raw)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        systolic, diastolic = data.get("systolic_mmhg"), data.get("diastolic_mmhg")
        if (systolic is None) != (diastolic is None) and not (
            self.has_error("systolic_mmhg") or self.has_error("diastolic_mmhg")
        ):
            missing = "diastolic_mmhg" if diastolic is None else "systolic_mmhg"
            self.add_error(missing, "Enter both systolic and diastolic BP, or neither.")
        elif systolic is not None and diastolic is not None and systolic <= diastolic:
            self.add_error("systolic_mmhg", "Systolic BP must be higher than diastolic BP.")
        data["phq9_answers"] = self._answers("phq9", PHQ9_ITEMS, "PHQ-9")
        data["gad7_answers"] = self._answers("gad7", GAD7_ITEMS, "GAD-7")
        return data

    def answers(self) -> ScreeningInput:
        data = self.cleaned_data
        findings = frozenset(
            Finding(value) for name, _, _ in FINDING_GROUPS for value in data[name]
        )
        diagnosis = data["has_psychiatric_diagnosis"]
        return ScreeningInput(
            family=Family(data["family"]),
            pregnancy_status=PregnancyStatus(data["pregnancy_status"])
            if data["pregnancy_status"]
            else None,
            findings=findings,
            medication_classes=frozenset(MedicationClass(m) for m in data["medication_classes"]),
            medical_history_reviewed=data["medical_history_reviewed"],
            medications_reviewed=data["medications_reviewed"],
            weight_kg=data["weight_kg"],
            systolic_mmhg=data["systolic_mmhg"],
            diastolic_mmhg=data["diastolic_mmhg"],
            heart_rate_bpm=data["heart_rate_bpm"],
            spo2_percent=data["spo2_percent"],
            has_psychiatric_diagnosis=None if diagnosis == "" else diagnosis == "yes",
            substance_use_history_answered=data["substance_use_history_answered"],
            psychosis_history_answered=data["psychosis_history_answered"],
            cssrs_screener_completed=data["cssrs_screener_completed"],
            ecg_recorded=data["ecg_recorded"],
            renal_function_recorded=data["renal_function_recorded"],
            liver_function_recorded=data["liver_function_recorded"],
            phq9_answers=data["phq9_answers"],
            gad7_answers=data["gad7_answers"],
        )


class OverrideForm(forms.Form):
    rule_id = forms.CharField(max_length=80, widget=forms.HiddenInput)
    reason = forms.CharField(
        label="Reason to proceed despite this flag",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": "Give the reason for the override."},
    )

    def clean_reason(self) -> str:
        reason: str = self.cleaned_data["reason"].strip()
        if len(reason) < MIN_OVERRIDE_REASON_CHARS:
            msg = f"Give the reason in at least {MIN_OVERRIDE_REASON_CHARS} characters."
            raise forms.ValidationError(msg)
        return reason


class SignForm(forms.Form):
    notes = forms.CharField(
        label="Notes (optional)",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=4000,
    )
    confirm = forms.BooleanField(
        label="I have reviewed every rule result and sign this eligibility decision.",
        error_messages={"required": "Confirm that you reviewed the results before signing."},
    )


class EnteredInErrorForm(forms.Form):
    reason = forms.CharField(
        label="Why was this screening entered in error?",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": "Give the reason why this screening was entered in error."},
    )

    def clean_reason(self) -> str:
        reason = written_reason(self.cleaned_data["reason"])
        if len(reason) < MIN_ENTERED_IN_ERROR_REASON_CHARS:
            msg = (
                f"Give the reason in at least {MIN_ENTERED_IN_ERROR_REASON_CHARS} characters "
                f"(this one has {len(reason)})."
            )
            raise forms.ValidationError(msg)
        return reason
